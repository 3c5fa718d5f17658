/*
 * Running one probe, as the kubelet's prober does: an HTTP GET from the
 * node to the pod's address (2xx and 3xx succeed, redirects not followed,
 * TLS not verified), a TCP connect, or a command run in the pod's network
 * namespace that must exit 0; each bounded by timeoutSeconds.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	return size * n;
}

static int run_http(const struct agent_probe *p, const char *ip, char **why)
{
	CURL *c = curl_easy_init();
	if (!c) {
		*why = xstrdup("cannot create an HTTP client");
		return 0;
	}
	char *url = xasprintf("%s://%s:%d%s", p->https ? "https" : "http", p->host ? p->host : ip,
			      p->port, p->path ? p->path : "/");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)p->timeout_s * 1000);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "kube-probe/1.32");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	int ok = rc == CURLE_OK && code >= 200 && code < 400;
	if (!ok)
		*why = rc != CURLE_OK ? xasprintf("Get \"%s\": %s", url, curl_easy_strerror(rc))
				      : xasprintf("HTTP probe failed with statuscode: %ld", code);
	curl_easy_cleanup(c);
	free(url);
	return ok;
}

static int run_tcp(const struct agent_probe *p, const char *ip, char **why)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
	const char *host = p->host ? p->host : ip;
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		*why = xasprintf("tcp probe: %s is not an IPv4 address", host);
		return 0;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), err = 0;
	socklen_t len = sizeof(err);
	if (fd == -1)
		err = errno;
	else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno != EINPROGRESS)
		err = errno;
	else {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		int n = poll(&pfd, 1, p->timeout_s * 1000);
		if (n == 0)
			err = ETIMEDOUT;
		else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			err = errno;
	}
	if (fd >= 0)
		close(fd);
	if (err)
		*why = xasprintf("dial tcp %s:%d: %s", host, p->port, strerror(err));
	return err == 0;
}

static int run_exec(const struct agent_probe *p, const char *netns, char **why)
{
	static char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	struct agent_spawn s = {.netns = netns, .argv = p->argv, .env = env, .out_fd = -1};
	pid_t pid = agent_spawn(&s);
	if (pid < 0) {
		*why = xasprintf("exec probe %s: %s", p->argv[0], strerror((int)-pid));
		return 0;
	}
	int status = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid || (r == -1 && errno != EINTR))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= p->timeout_s) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			*why = xasprintf("command timed out after %ds", p->timeout_s);
			return 0;
		}
		usleep(20000);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	*why = xasprintf("command exited with %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}

int agent_probe_run(const struct agent_probe *p, const char *ip, const char *netns, char **why)
{
	switch (p->kind) {
	case AGENT_PROBE_HTTP:
		return run_http(p, ip, why);
	case AGENT_PROBE_TCP:
		return run_tcp(p, ip, why);
	case AGENT_PROBE_EXEC:
		return run_exec(p, netns, why);
	default:
		return 1;
	}
}
