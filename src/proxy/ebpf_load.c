/*
 * Loading the socket load balancer: the programs come from the libbpf
 * skeleton generated at build time (build/bpf/svcnet_sock.skel.h, the
 * object embedded in svcnet); maps and links are pinned in bpffs so that
 * the programs keep serving across a restart of the proxy, as the rules of
 * the other kernel modes do, and so that --cleanup can find them.
 */
#include "proxy/bpf/ebpf_mode.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <string.h>

#ifdef SVCNET_HAVE_EBPF
#include "svcnet_sock.skel.h"
#endif

#if defined(SVCNET_HAVE_EBPF) && !defined(SVCNET_EBPF_BUILD_FAILED)

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* Names of the programs (one link each) and maps, as pinned. */
static const char *const prog_names[] = {
    "svcnet_connect4", "svcnet_sendmsg4", "svcnet_recvmsg4", "svcnet_getpeername4",
    "svcnet_connect6", "svcnet_sendmsg6", "svcnet_recvmsg6", "svcnet_getpeername6",
};
static const char *const map_names[] = {
    "svcnet_services", "svcnet_backends", "svcnet_maglev", "svcnet_reverse", "svcnet_affinity",
};
#define N_PROGS (sizeof(prog_names) / sizeof(*prog_names))
#define N_MAPS	(sizeof(map_names) / sizeof(*map_names))

/* bpffs must be mounted under the pin directory's parent. */
static int ensure_bpffs(const char *pin_dir, char **err)
{
	struct statfs fs;
	if (strncmp(pin_dir, "/sys/fs/bpf/", 12) || statfs("/sys/fs/bpf", &fs) == -1 ||
	    fs.f_type == BPF_FS_MAGIC)
		goto mkdir;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) == -1) {
		int e = errno;
		*err = xasprintf("mount -t bpf bpf /sys/fs/bpf: %s", strerror(e));
		return -e;
	}
	log_info("proxy", "ebpf: mounted bpffs at /sys/fs/bpf");
mkdir:
	if (mkdir(pin_dir, 0700) == -1 && errno != EEXIST) {
		int e = errno;
		*err = xasprintf("mkdir %s: %s", pin_dir, strerror(e));
		return -e;
	}
	return 0;
}

static char *pin_path(const char *dir, const char *prefix, const char *name)
{
	return xasprintf("%s/%s%s", dir, prefix, name);
}

/* Opens the skeleton with every map pinned by name; loads it. */
static int open_and_load(struct ebpf_state *st, struct svcnet_sock **out, char **err)
{
	struct svcnet_sock *skel = svcnet_sock__open();
	if (!skel) {
		int e = errno;
		*err = xasprintf("opening the BPF object: %s", strerror(e));
		return -e;
	}
	struct bpf_map *map;
	bpf_object__for_each_map(map, skel->obj)
	{
		char *p = pin_path(st->pin_dir, "", bpf_map__name(map));
		int rc = bpf_map__set_pin_path(map, p);
		free(p);
		if (rc < 0) {
			svcnet_sock__destroy(skel);
			*err = xasprintf("setting a pin path: %s", strerror(-rc));
			return rc;
		}
	}
	int rc = svcnet_sock__load(skel);
	if (rc < 0) {
		svcnet_sock__destroy(skel);
		*err = xasprintf("loading the BPF programs (verifier or pinned maps of another "
				 "layout): %s",
				 strerror(-rc));
		return rc;
	}
	*out = skel;
	return 0;
}

/* Detaches and unpins the link pinned at path, if any. */
static void drop_pinned_link(const char *path)
{
	if (access(path, F_OK) == -1)
		return;
	struct bpf_link *old = bpf_link__open(path);
	if (!old)
		return;
	bpf_link__detach(old);
	bpf_link__unpin(old);
	bpf_link__destroy(old);
	unlink(path);
}

/*
 * Attaches every program to the cgroup, then, one by one, replaces the link
 * an earlier run pinned by the new one (both run meanwhile; the second
 * finds a backend address and lets it pass), so no connect goes untranslated.
 */
static int attach_all(struct ebpf_state *st, struct svcnet_sock *skel, char **err)
{
	int cg = open(st->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg == -1) {
		int e = errno;
		*err = xasprintf("cgroup %s: %s", st->cgroup_path, strerror(e));
		return -e;
	}
	struct bpf_link **links[N_PROGS] = {
	    &skel->links.svcnet_connect4, &skel->links.svcnet_sendmsg4,
	    &skel->links.svcnet_recvmsg4, &skel->links.svcnet_getpeername4,
	    &skel->links.svcnet_connect6, &skel->links.svcnet_sendmsg6,
	    &skel->links.svcnet_recvmsg6, &skel->links.svcnet_getpeername6,
	};
	int rc = 0;
	for (size_t i = 0; i < N_PROGS && rc == 0; i++) {
		struct bpf_program *prog =
		    bpf_object__find_program_by_name(skel->obj, prog_names[i]);
		*links[i] = prog ? bpf_program__attach_cgroup(prog, cg) : NULL;
		if (!*links[i]) {
			rc = prog ? -errno : -ENOENT;
			*err = xasprintf("attaching %s to %s: %s", prog_names[i], st->cgroup_path,
					 strerror(-rc));
		}
	}
	close(cg);
	for (size_t i = 0; i < N_PROGS && rc == 0; i++) {
		char *p = pin_path(st->pin_dir, "link_", prog_names[i]);
		drop_pinned_link(p);
		rc = bpf_link__pin(*links[i], p);
		if (rc < 0)
			*err = xasprintf("pinning %s: %s", p, strerror(-rc));
		free(p);
	}
	return rc;
}

int ebpf_load(struct ebpf_state *st, char **err)
{
	int rc = ensure_bpffs(st->pin_dir, err);
	if (rc < 0)
		return rc;
	struct svcnet_sock *skel = NULL;
	char *e1 = NULL;
	rc = open_and_load(st, &skel, &e1);
	if (rc < 0) {
		/* Maps pinned by a build with another layout: start afresh once. */
		log_warn("proxy", "ebpf: %s; removing the pinned maps and retrying", e1);
		free(e1);
		for (size_t i = 0; i < N_MAPS; i++) {
			char *p = pin_path(st->pin_dir, "", map_names[i]);
			unlink(p);
			free(p);
		}
		rc = open_and_load(st, &skel, err);
		if (rc < 0)
			return rc;
	}
	rc = attach_all(st, skel, err);
	if (rc < 0) {
		svcnet_sock__destroy(skel);
		return rc;
	}
	st->skel = skel;
	st->fd_services = bpf_map__fd(skel->maps.svcnet_services);
	st->fd_backends = bpf_map__fd(skel->maps.svcnet_backends);
	st->fd_maglev = bpf_map__fd(skel->maps.svcnet_maglev);
	log_info("proxy", "ebpf: %zu programs attached to %s, maps pinned in %s", N_PROGS,
		 st->cgroup_path, st->pin_dir);
	return 0;
}

void ebpf_unload(struct ebpf_state *st)
{
	/* Closing a pinned link's descriptor leaves it attached. */
	if (st->skel)
		svcnet_sock__destroy(st->skel);
	st->skel = NULL;
}

int ebpf_remove_pins(const char *pin_dir, char **err)
{
	struct stat sb;
	if (stat(pin_dir, &sb) == -1)
		return 0;
	for (size_t i = 0; i < N_PROGS; i++) {
		char *p = pin_path(pin_dir, "link_", prog_names[i]);
		drop_pinned_link(p);
		free(p);
	}
	for (size_t i = 0; i < N_MAPS; i++) {
		char *p = pin_path(pin_dir, "", map_names[i]);
		unlink(p);
		free(p);
	}
	if (rmdir(pin_dir) == -1 && errno != ENOENT) {
		int e = errno;
		*err = xasprintf("rmdir %s: %s (something else is pinned there)", pin_dir,
				 strerror(e));
		return -e;
	}
	return 0;
}

#else /* the programs were not built */

int ebpf_load(struct ebpf_state *st, char **err)
{
	*err = xasprintf("the eBPF programs were not built into svcnet (clang, bpftool or "
			 "libbpf-dev was missing at build time)");
	return -ENOTSUP;
}

void ebpf_unload(struct ebpf_state *st)
{
	st->skel = NULL;
}

int ebpf_remove_pins(const char *pin_dir, char **err)
{
	return 0;
}

#endif
