/*
 * The node side of pod networking, with iproute2's `ip` as the kubelet's
 * bridge CNI plugin would do it over netlink: one bridge holding the node's
 * address in the pod CIDR, and for each pod a network namespace
 * "svcnet-NS-NAME" whose eth0 is the pod end of a veth pair plugged into the
 * bridge, with the default route via the node, so Service addresses reach
 * the node's proxy and nothing routes beyond the node. As for kubelet's
 * hairpin-veth mode, each pod's bridge port has hairpin on, and the node
 * forwards IPv4 while the bridge is up: a kernel proxy may send a pod's
 * Service traffic to a neighbour, or back to the pod itself.
 */
#include "agent/agent-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int agent_run_cmd(const char *const argv[], char **out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "");
	char buf[1024];
	ssize_t n;
	while (rc == 0 && ((n = read(p[0], buf, sizeof(buf))) > 0 || (n == -1 && errno == EINTR)))
		if (n > 0)
			sb_append(&sb, buf, (size_t)n);
	close(p[0]);
	int status = 0;
	if (rc == 0) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	} else {
		rc = -rc;
	}
	if (out)
		*out = sb_steal(&sb);
	sb_free(&sb);
	return rc;
}

/* Runs one `ip` command (args NULL-terminated, after "ip"); errors into *err. */
static int ip_cmd(char **err, const char *const *args)
{
	const char *argv[16] = {"ip"};
	size_t n = 1;
	for (; args[n - 1] && n < 15; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	char *out = NULL;
	int rc = agent_run_cmd(argv, &out);
	if (rc != 0 && err && !*err) {
		struct strbuf cmd = STRBUF_INIT;
		for (size_t i = 0; argv[i]; i++)
			sb_printf(&cmd, "%s%s", i ? " " : "", argv[i]);
		out[strcspn(out, "\n")] = 0;
		*err = xasprintf("%s: %s", cmd.buf, rc < 0 ? strerror(-rc) : out);
		sb_free(&cmd);
	}
	free(out);
	return rc == 0 ? 0 : rc < 0 ? rc : -EIO;
}

#define IP(err, ...) ip_cmd(err, (const char *const[]){__VA_ARGS__, NULL})

char *agent_netns_name(const char *ns, const char *name)
{
	return xasprintf("svcnet-%s-%s", ns, name);
}

#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* Writes c to IP_FORWARD unless it holds c; returns what it held, or 0. */
static char set_forward(char c)
{
	char was = 0;
	int fd = open(IP_FORWARD, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &was, 1) == 1 && was != c && pwrite(fd, &c, 1, 0) == 1)
		log_info("agent", "net.ipv4.ip_forward set to %c (was %c)", c, was);
	close(fd);
	return was;
}

int agent_net_bridge_up(const char *bridge, const struct ip_addr *gw, int prefix, char *forward_was,
			char **err)
{
	char a[IP_STRLEN], *cidr = xasprintf("%s/%d", ip_addr_format(gw, a), prefix);
	int rc = 0;
	if (IP(NULL, "link", "show", "dev", bridge) != 0)
		rc = IP(err, "link", "add", bridge, "type", "bridge");
	char *out = NULL;
	const char *show[] = {"ip", "-o", "addr", "show", "dev", bridge, NULL};
	if (rc == 0 && agent_run_cmd(show, &out) == 0 && !strstr(out, cidr))
		rc = IP(err, "addr", "add", cidr, "dev", bridge);
	if (rc == 0)
		rc = IP(err, "link", "set", bridge, "up");
	if (rc == 0)
		*forward_was = set_forward('1');
	free(out);
	free(cidr);
	return rc;
}

void agent_net_bridge_down(const char *bridge, char forward_was)
{
	IP(NULL, "link", "del", bridge);
	if (forward_was == '0')
		set_forward('0');
}

/* A veth name from a hash of the namespace name: at most 15 characters. */
static void veth_name(const char *netns, const char *prefix, char out[16])
{
	uint32_t h = 2166136261u;
	for (const char *p = netns; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, 16, "%s%08x", prefix, h);
}

static int write_resolv(const char *netns, const char *text, char **err)
{
	char *dir = xasprintf("/etc/netns/%s", netns), *path = xasprintf("%s/resolv.conf", dir);
	int rc = 0;
	mkdir("/etc/netns", 0755);
	FILE *f = (mkdir(dir, 0755) == 0 || errno == EEXIST) ? fopen(path, "w") : NULL;
	if (!f || fputs(text, f) == EOF) {
		rc = -errno;
		*err = xasprintf("writing %s: %s", path, strerror(errno));
	}
	if (f && fclose(f) != 0 && rc == 0) {
		rc = -errno;
		*err = xasprintf("writing %s: %s", path, strerror(errno));
	}
	free(path);
	free(dir);
	return rc;
}

int agent_net_pod_up(const char *bridge, const char *netns, const char *ip, int prefix,
		     const char *gw, const char *resolv_conf, char **err)
{
	char host[16], peer[16], cidr[64];
	veth_name(netns, "svh", host);
	veth_name(netns, "svp", peer);
	snprintf(cidr, sizeof(cidr), "%s/%d", ip, prefix);
	agent_net_pod_down(netns);
	int rc = IP(err, "netns", "add", netns);
	if (rc == 0)
		rc = IP(err, "link", "add", host, "type", "veth", "peer", "name", peer);
	if (rc == 0)
		rc = IP(err, "link", "set", peer, "netns", netns);
	if (rc == 0)
		rc = IP(err, "link", "set", host, "master", bridge, "up");
	/* Hairpin: a pod's Service traffic the proxy sends back to it leaves by its port. */
	if (rc == 0)
		rc = IP(err, "link", "set", host, "type", "bridge_slave", "hairpin", "on");
	if (rc == 0)
		rc = IP(err, "-n", netns, "link", "set", peer, "name", "eth0");
	if (rc == 0)
		rc = IP(err, "-n", netns, "addr", "add", cidr, "dev", "eth0");
	if (rc == 0)
		rc = IP(err, "-n", netns, "link", "set", "eth0", "up");
	if (rc == 0)
		rc = IP(err, "-n", netns, "link", "set", "lo", "up");
	if (rc == 0)
		rc = IP(err, "-n", netns, "route", "add", "default", "via", gw);
	if (rc == 0)
		rc = write_resolv(netns, resolv_conf, err);
	if (rc < 0)
		agent_net_pod_down(netns);
	return rc;
}

void agent_net_pod_down(const char *netns)
{
	char host[16];
	veth_name(netns, "svh", host);
	char *path = xasprintf("/run/netns/%s", netns);
	if (access(path, F_OK) == 0)
		IP(NULL, "netns", "del", netns);
	/* A veth whose namespace is gone is gone too; this catches a half-made pair. */
	if (IP(NULL, "link", "show", "dev", host) == 0)
		IP(NULL, "link", "del", host);
	free(path);
	char *resolv = xasprintf("/etc/netns/%s/resolv.conf", netns);
	char *dir = xasprintf("/etc/netns/%s", netns);
	unlink(resolv);
	rmdir(dir);
	free(resolv);
	free(dir);
}

char *agent_resolv_conf(const char *dns_ip, const char *ns)
{
	return xasprintf("nameserver %s\n"
			 "search %s.svc.cluster.local svc.cluster.local cluster.local\n"
			 "options ndots:5\n",
			 dns_ip, ns);
}
