/*
 * Running the iptables tools: the back end (legacy or nft) and its restore
 * and save programs, restore --noflush, and the cleanup of both back ends.
 */
#include "proxy/iptables_internal.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void read_all(int fd, struct strbuf *out)
{
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0)
			sb_append(out, buf, (size_t)n);
		else if (n == 0 || errno != EINTR)
			break;
	}
}

static void write_all(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;
	while (off < len) {
		ssize_t n = write(fd, s + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

static void child(const char *const argv[], int in, int out)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	dup2(in, 0);
	dup2(out, 1);
	dup2(out, 2);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

int ipt_run(const char *const argv[], const char *input, char **out)
{
	int in[2], o[2], status = 0, rc;
	if (pipe2(in, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(o, O_CLOEXEC) == -1) {
		rc = -errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	pid_t pid = fork();
	if (pid == 0)
		child(argv, in[0], o[1]);
	close(in[0]);
	close(o[1]);
	/* The tools read all their input before they write much: no deadlock. */
	if (pid > 0 && input)
		write_all(in[1], input);
	close(in[1]);
	struct strbuf sb = STRBUF_INIT;
	read_all(o[0], &sb);
	close(o[0]);
	if (pid < 0 || waitpid(pid, &status, 0) == -1) {
		rc = -ECHILD;
		goto out;
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : -EINTR;
	if (out)
		*out = sb_steal(&sb);
out:
	sb_free(&sb);
	return rc;
}

static bool in_path(const char *name)
{
	const char *path = getenv("PATH");
	char *copy = xstrdup(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"), *sp = NULL;
	bool found = false;
	for (char *d = strtok_r(copy, ":", &sp); d && !found; d = strtok_r(NULL, ":", &sp)) {
		char *f = xasprintf("%s/%s", d, name);
		found = access(f, X_OK) == 0;
		free(f);
	}
	free(copy);
	return found;
}

void ipt_tools_pick(enum ip_family f, struct ipt_tools *t)
{
	const char *force = getenv("SVCNET_IPTABLES");
	bool v6 = f == IP_V6;
	bool legacy = in_path(v6 ? "ip6tables-legacy-restore" : "iptables-legacy-restore");
	if (force && !strcmp(force, "nft"))
		legacy = false;
	if (legacy) {
		t->restore = v6 ? "ip6tables-legacy-restore" : "iptables-legacy-restore";
		t->save = v6 ? "ip6tables-legacy-save" : "iptables-legacy-save";
		t->name = "legacy";
	} else {
		t->restore = v6 ? "ip6tables-restore" : "iptables-restore";
		t->save = v6 ? "ip6tables-save" : "iptables-save";
		t->name = "nft";
	}
}

int ipt_restore(const struct ipt_tools *t, const char *input, char **err)
{
	const char *argv[] = {t->restore, "--noflush", "--wait", "5", NULL};
	char *out = NULL;
	int rc = ipt_run(argv, input, &out);
	if (rc != 0) {
		size_t len = out ? strlen(out) : 0;
		while (len && out[len - 1] == '\n')
			out[--len] = 0;
		*err = xasprintf("%s exited with %d: %s", t->restore, rc,
				 rc == 127 ? "not installed"
				 : len	   ? out
					   : "no message");
		free(out);
		return -EIO;
	}
	free(out);
	return 0;
}

/* Removes our chains of one save/restore pair; a missing tool is fine. */
static int cleanup_one(const char *save, const char *restore, char **err)
{
	const char *sargv[] = {save, NULL};
	char *out = NULL;
	int rc = ipt_run(sargv, NULL, &out);
	if (rc != 0) {
		free(out);
		return 0;
	}
	char *input = ipt_cleanup_input(out);
	free(out);
	if (!input)
		return 0;
	struct ipt_tools t = {.restore = restore, .save = save};
	rc = ipt_restore(&t, input, err);
	free(input);
	return rc;
}

int ipt_cleanup_all(char **err)
{
	static const char *const pairs[][2] = {
	    {"iptables-legacy-save", "iptables-legacy-restore"},
	    {"ip6tables-legacy-save", "ip6tables-legacy-restore"},
	    {"iptables-nft-save", "iptables-nft-restore"},
	    {"ip6tables-nft-save", "ip6tables-nft-restore"},
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!in_path(pairs[i][0]))
			continue;
		char *e = NULL;
		int r = cleanup_one(pairs[i][0], pairs[i][1], &e);
		if (r < 0 && rc == 0) {
			rc = r;
			*err = e;
			e = NULL;
		}
		free(e);
	}
	return rc;
}
