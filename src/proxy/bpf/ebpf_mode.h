/*
 * The eBPF mode's private state, shared by mode_ebpf.c (the ops and the
 * fallback), ebpf_load.c (loading, attaching, pinning) and ebpf_maps.c
 * (map updates from the service map). Private to src/proxy/.
 */
#ifndef SVCNET_PROXY_BPF_EBPF_MODE_H
#define SVCNET_PROXY_BPF_EBPF_MODE_H

#include "proxy/bpf/svcnet_sock.h"
#include "proxy/mode.h"

#include <stdbool.h>
#include <stdint.h>

/* Where the programs are attached and their maps and links pinned. */
#define EBPF_DEFAULT_CGROUP  "/sys/fs/cgroup/unified"
#define EBPF_DEFAULT_PIN_DIR "/sys/fs/bpf/svcnet"

/* One Service port (in one family) as installed in the maps. */
struct ebpf_svc {
	char *key; /* svcmap_port.key; owned */
	enum ip_family family;
	uint32_t id;
	struct svcnet_svc_key skey; /* the services map key written */
	uint32_t n_slots;	    /* backend slots written */
	bool maglev_written;
	bool seen; /* in the map of the full sync going on */
};

struct ebpf_state {
	char *cgroup_path; /* owned */
	char *pin_dir;	   /* owned */
	bool maglev;	   /* backend choice: Maglev instead of random */
	void *skel;	   /* struct svcnet_sock, ebpf_load.c's */
	int fd_services, fd_backends, fd_maglev;
	struct ebpf_svc *svcs; /* sorted by key, then family */
	size_t n_svcs, cap_svcs;
	uint32_t next_id;
	uint32_t *free_ids;
	size_t n_free, cap_free;
	unsigned long map_updates;
	/* The nftables mode for NodePorts, externalIPs and LB IPs (may be NULL). */
	const struct proxy_mode_ops *ext;
	void *ext_state;
	/* When the programs could not be loaded: the mode that serves instead. */
	const struct proxy_mode_ops *fallback;
	void *fallback_state;
};

/*
 * Mounts bpffs if needed, loads the programs (reusing pinned maps), attaches
 * them to st->cgroup_path and pins maps and links under st->pin_dir,
 * replacing links pinned by an earlier run. Returns 0, or a negative errno
 * with a sentence in *err (caller frees).
 */
int ebpf_load(struct ebpf_state *st, char **err) __attribute__((warn_unused_result));

/* Closes what ebpf_load opened; pinned links stay attached. */
void ebpf_unload(struct ebpf_state *st);

/*
 * Detaches the links pinned under pin_dir and removes every pin and the
 * directory. Nothing pinned is success. Returns 0 or a negative errno with
 * *err.
 */
int ebpf_remove_pins(const char *pin_dir, char **err) __attribute__((warn_unused_result));

/*
 * Makes the maps match new (old NULL: clear and rewrite everything).
 * Returns 0, or a negative errno with *err.
 */
int ebpf_sync_maps(struct ebpf_state *st, const struct svcmap *old, const struct svcmap *new,
		   char **err) __attribute__((warn_unused_result));

/* Frees the installed-Service table (not the maps). */
void ebpf_svcs_free(struct ebpf_state *st);

#endif
