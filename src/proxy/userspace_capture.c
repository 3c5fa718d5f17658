/*
 * Userspace mode's capture rules, as kube-proxy's userspace proxier had them:
 * in the nat table, each Service address and port (and each nodePort on the
 * node's own addresses) is REDIRECTed to its proxy port, for traffic from
 * pods (PREROUTING) and from the node itself (OUTPUT); in the filter table,
 * the addresses of Services without endpoints are rejected, so that a client
 * is refused at once. The chains are svcnet's own and are rewritten whole
 * with iptables-restore --noflush; nothing else in the tables is touched.
 */
#include "proxy/userspace-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAT_CHAIN    "SVCNET-USERSPACE"
#define FILTER_CHAIN "SVCNET-USERSPACE-REJECT"
#define JUMP_COMMENT "svcnet userspace proxy"

/* The built-in chains that jump to ours. */
static const struct {
	const char *table, *chain, *target;
} jumps[] = {
    {"nat", "PREROUTING", NAT_CHAIN},	 {"nat", "OUTPUT", NAT_CHAIN},
    {"filter", "INPUT", FILTER_CHAIN},	 {"filter", "OUTPUT", FILTER_CHAIN},
    {"filter", "FORWARD", FILTER_CHAIN},
};

/* Reads fd to EOF into out. */
static void read_all(int fd, struct strbuf *out)
{
	char buf[4096];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0)
			sb_append(out, buf, (size_t)n);
		else if (n == 0 || errno != EINTR)
			break;
	}
}

/*
 * Runs argv (searched in PATH) with input on its standard input; its output
 * and errors go to *out (caller frees; may be NULL). Returns the exit
 * status, or a negative errno when it could not run (127: not found).
 */
static int run(const char *const argv[], const char *input, char **out)
{
	int in[2], outp[2];
	if (pipe2(in, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(outp, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(in[0], 0);
		dup2(outp[1], 1);
		dup2(outp[1], 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	if (input && pid > 0) {
		size_t len = strlen(input), off = 0;
		while (off < len) {
			ssize_t n = write(in[1], input + off, len - off);
			if (n <= 0 && errno != EINTR)
				break;
			if (n > 0)
				off += (size_t)n;
		}
	}
	close(in[1]);
	struct strbuf sb = STRBUF_INIT;
	read_all(outp[0], &sb);
	close(outp[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) == -1) {
		sb_free(&sb);
		return -ECHILD;
	}
	if (out)
		*out = sb_steal(&sb);
	sb_free(&sb);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
}

static const char *tool(enum ip_family f, bool restore)
{
	if (f == IP_V6)
		return restore ? "ip6tables-restore" : "ip6tables";
	return restore ? "iptables-restore" : "iptables";
}

bool us_capture_probe(char **err)
{
	const char *argv[] = {"iptables", "-w", "5", "-t", "nat", "-S", "PREROUTING", NULL};
	char *out = NULL;
	int rc = run(argv, NULL, &out);
	if (rc != 0) {
		char *nl = out ? strchr(out, '\n') : NULL;
		if (nl)
			*nl = 0;
		*err = xasprintf("iptables cannot be used here (%s)",
				 rc == 127     ? "iptables is not installed"
				 : out && *out ? out
					       : "no permission");
	}
	free(out);
	return rc == 0;
}

static const char *proto_arg(int protocol)
{
	return protocol == IPPROTO_UDP ? "udp" : protocol == IPPROTO_SCTP ? "sctp" : "tcp";
}

/*
 * A TCP client takes an ICMP error to its SYN as a soft error on this kernel
 * and retries after a second; a reset refuses it at once.
 */
static const char *reject_with(int protocol)
{
	return protocol == IPPROTO_TCP ? " --reject-with tcp-reset" : "";
}

static void append_rule(struct strbuf *nat, struct strbuf *filter, const struct us_rule *r)
{
	const char *p = proto_arg(r->protocol);
	int bits = r->family == IP_V6 ? 128 : 32;
	for (size_t i = 0; i < r->n_vips; i++) {
		char a[IP_STRLEN];
		ip_addr_format(&r->vips[i], a);
		if (r->reject)
			sb_printf(filter,
				  "-A " FILTER_CHAIN " -d %s/%d -p %s -m %s --dport %u -m comment "
				  "--comment \"%s has no endpoints\" -j REJECT%s\n",
				  a, bits, p, p, r->port, r->comment, reject_with(r->protocol));
		else
			sb_printf(nat,
				  "-A " NAT_CHAIN " -d %s/%d -p %s -m %s --dport %u -m comment "
				  "--comment \"%s\" -j REDIRECT --to-ports %u\n",
				  a, bits, p, p, r->port, r->comment, r->proxy_port);
	}
	if (!r->node_port)
		return;
	if (r->reject)
		sb_printf(filter,
			  "-A " FILTER_CHAIN " -m addrtype --dst-type LOCAL -p %s -m %s --dport %u "
			  "-m comment --comment \"%s has no endpoints\" -j REJECT%s\n",
			  p, p, r->node_port, r->comment, reject_with(r->protocol));
	else
		sb_printf(nat,
			  "-A " NAT_CHAIN " -m addrtype --dst-type LOCAL -p %s -m %s --dport %u "
			  "-m comment --comment \"%s nodePort\" -j REDIRECT --to-ports %u\n",
			  p, p, r->node_port, r->comment, r->proxy_port);
}

static const char *save_tool(enum ip_family f)
{
	return f == IP_V6 ? "ip6tables-save" : "iptables-save";
}

/* Which of our jumps exist already (bit i: jumps[i]), from iptables-save. */
static unsigned present_jumps(enum ip_family f)
{
	const char *argv[] = {save_tool(f), NULL};
	char *out = NULL;
	unsigned mask = 0;
	if (run(argv, NULL, &out) != 0) {
		free(out);
		return 0;
	}
	const char *table = "";
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '*') {
			table = line + 1;
			continue;
		}
		if (strncmp(line, "-A ", 3) || !strstr(line, "\"" JUMP_COMMENT "\""))
			continue;
		for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
			size_t cl = strlen(jumps[i].chain);
			const char *j = strstr(line, " -j ");
			if (!strcmp(table, jumps[i].table) &&
			    !strncmp(line + 3, jumps[i].chain, cl) && line[3 + cl] == ' ' && j &&
			    !strcmp(j + 4, jumps[i].target))
				mask |= 1u << i;
		}
	}
	free(out);
	return mask;
}

/* The -I lines of the jumps of table missing from present. */
static void append_jumps(struct strbuf *sb, const char *table, unsigned present)
{
	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++)
		if (!strcmp(jumps[i].table, table) && !(present & (1u << i)))
			sb_printf(sb, "-I %s -m comment --comment \"" JUMP_COMMENT "\" -j %s\n",
				  jumps[i].chain, jumps[i].target);
}

/*
 * The iptables-restore input for one family: our chains rewritten whole,
 * and (with add_jumps) the jumps to them that present lacks.
 */
static char *restore_input(const struct us_rule *rules, size_t n, enum ip_family f, bool add_jumps,
			   unsigned present)
{
	struct strbuf nat = STRBUF_INIT, filter = STRBUF_INIT, all = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		if (rules[i].family == f)
			append_rule(&nat, &filter, &rules[i]);
	sb_puts(&all, "*nat\n:" NAT_CHAIN " - [0:0]\n");
	if (add_jumps)
		append_jumps(&all, "nat", present);
	sb_printf(&all, "%sCOMMIT\n*filter\n:" FILTER_CHAIN " - [0:0]\n", nat.buf ? nat.buf : "");
	if (add_jumps)
		append_jumps(&all, "filter", present);
	sb_printf(&all, "%sCOMMIT\n", filter.buf ? filter.buf : "");
	sb_free(&nat);
	sb_free(&filter);
	return sb_steal(&all);
}

static int sync_family(const struct us_rule *rules, size_t n, enum ip_family f, bool full,
		       char **err)
{
	unsigned present = full ? present_jumps(f) : 0;
	char *input = restore_input(rules, n, f, full, present);
	const char *argv[] = {tool(f, true), "--noflush", "--wait", "5", NULL};
	char *out = NULL;
	int rc = run(argv, input, &out);
	free(input);
	if (rc != 0) {
		*err = xasprintf("%s: %s", argv[0],
				 rc == 127     ? "not installed"
				 : out && *out ? out
					       : "failed");
		free(out);
		return -EIO;
	}
	free(out);
	return 0;
}

int us_capture_sync(const struct us_rule *rules, size_t n, bool full, char **err)
{
	bool v6 = false;
	for (size_t i = 0; i < n; i++)
		if (rules[i].family == IP_V6)
			v6 = true;
	int rc = sync_family(rules, n, IP_V4, full, err);
	if (rc < 0)
		return rc;
	if (!v6 && !full)
		return 0;
	char *err6 = NULL;
	rc = sync_family(rules, n, IP_V6, full, &err6);
	if (rc < 0 && v6) {
		*err = err6;
		return rc;
	}
	free(err6);
	return 0;
}

/* Removes our jumps and chains for one family; missing ones are fine. */
static void remove_family(enum ip_family f)
{
	for (size_t i = 0; i < sizeof(jumps) / sizeof(jumps[0]); i++) {
		const char *argv[] = {
		    tool(f, false),  "-w", "5",	      "-t",	   jumps[i].table, "-D",
		    jumps[i].chain,  "-m", "comment", "--comment", JUMP_COMMENT,   "-j",
		    jumps[i].target, NULL};
		for (int k = 0; k < 8 && run(argv, NULL, NULL) == 0; k++)
			;
	}
	const char *chains[][2] = {{"nat", NAT_CHAIN}, {"filter", FILTER_CHAIN}};
	for (size_t i = 0; i < 2; i++) {
		const char *flush[] = {tool(f, false), "-w", "5",	   "-t",
				       chains[i][0],   "-F", chains[i][1], NULL};
		run(flush, NULL, NULL);
		flush[5] = "-X";
		run(flush, NULL, NULL);
	}
}

int us_capture_remove(char **err)
{
	char *probe_err = NULL;
	if (!us_capture_probe(&probe_err)) {
		*err = probe_err;
		return -EPERM;
	}
	remove_family(IP_V4);
	remove_family(IP_V6);
	return 0;
}
