/*
 * Starting a process in a pod: fork, then in the child only system calls
 * (the parent has threads): a session of its own, the pod's network
 * namespace, a private mount namespace where /etc/netns/NETNS/resolv.conf
 * is bound over /etc/resolv.conf (what `ip netns exec` does), its own host
 * name, default signal handling, then execve. An exec failure comes back to
 * the parent through a close-on-exec pipe.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

/* The file argv0 names, searched in path; NULL when not found. Caller frees. */
static char *find_exec(const char *argv0, const char *path)
{
	if (strchr(argv0, '/'))
		return access(argv0, X_OK) == 0 ? xstrdup(argv0) : NULL;
	char *dirs = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL, *found = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		char *f = xasprintf("%s/%s", *d ? d : ".", argv0);
		if (access(f, X_OK) == 0)
			found = f;
		else
			free(f);
	}
	free(dirs);
	return found;
}

/* The child, between fork and exec: system calls only. Never returns. */
static void child(const struct agent_spawn *s, const char *exe, int nsfd, const char *resolv,
		  int out, int devnull, int errpipe)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	int e = 0;
	if (setsid() == -1 || setns(nsfd, CLONE_NEWNET) == -1 ||
	    unshare(CLONE_NEWNS | (s->hostname ? CLONE_NEWUTS : 0)) == -1 ||
	    mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) == -1)
		e = errno;
	if (!e && resolv)
		mount(resolv, "/etc/resolv.conf", NULL, MS_BIND, NULL);
	if (!e && s->hostname && sethostname(s->hostname, strlen(s->hostname)) == -1)
		e = errno;
	if (!e && (dup2(devnull, 0) == -1 || dup2(out, 1) == -1 || dup2(out, 2) == -1))
		e = errno;
	if (!e) {
		execve(exe, s->argv, s->env);
		e = errno;
	}
	while (write(errpipe, &e, sizeof(e)) == -1 && errno == EINTR)
		;
	_exit(127);
}

pid_t agent_spawn(const struct agent_spawn *s)
{
	char *exe =
	    s->argv && s->argv[0] ? find_exec(s->argv[0], agent_env_get(s->env, "PATH")) : NULL;
	char *nspath = xasprintf("/run/netns/%s", s->netns);
	char *resolv = xasprintf("/etc/netns/%s/resolv.conf", s->netns);
	int nsfd = open(nspath, O_RDONLY | O_CLOEXEC),
	    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	int p[2] = {-1, -1}, e = 0;
	pid_t pid = -ENOENT;
	if (!exe || nsfd == -1 || devnull == -1 || pipe2(p, O_CLOEXEC) == -1) {
		pid = !exe ? -ENOENT : -errno;
		goto out;
	}
	pid = fork();
	if (pid == 0)
		child(s, exe, nsfd, access(resolv, R_OK) == 0 ? resolv : NULL,
		      s->out_fd >= 0 ? s->out_fd : devnull, devnull, p[1]);
	if (pid == -1) {
		pid = -errno;
		goto out;
	}
	close(p[1]);
	p[1] = -1;
	ssize_t n;
	while ((n = read(p[0], &e, sizeof(e))) == -1 && errno == EINTR)
		;
	if (n == sizeof(e)) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		pid = -e;
	}
out:
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	if (nsfd >= 0)
		close(nsfd);
	if (devnull >= 0)
		close(devnull);
	free(resolv);
	free(nspath);
	free(exe);
	return pid;
}
