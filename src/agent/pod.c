/*
 * The life of one pod on this node: its network, its container process
 * (restarted per restartPolicy with the kubelet's back-off, 10 s doubling to
 * 5 min), its readiness probe thread, and its termination: SIGTERM to the
 * container's main process, SIGKILL to all its processes once the main one
 * exits or the grace period ends.
 */
#include "agent/agent-internal.h"

#include "api/object.h"
#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BACKOFF_MIN_S 10
#define BACKOFF_MAX_S 300

static const json_t *first_container(const json_t *pod)
{
	return json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"), 0);
}

static void now_str(char buf[24])
{
	api_format_time(time(NULL), buf);
}

/* Starts the container process; called with p->lock held. */
static void start_container(struct agent_pod *p)
{
	int fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	struct agent_spawn s = {
	    .netns = p->netns, .hostname = p->name, .argv = p->argv, .env = p->env, .out_fd = fd};
	pid_t pid = p->argv ? agent_spawn(&s) : -EINVAL;
	now_str(p->started_at);
	free(p->waiting_reason);
	p->waiting_reason = NULL;
	p->status_dirty = true;
	p->probe_ok = p->probe_fail = 0;
	p->ready = false;
	if (pid < 0) {
		if (fd >= 0)
			dprintf(fd, "svcnet: cannot start %s: %s\n",
				p->argv ? p->argv[0] : "(no command)",
				pid == -ENOENT ? "executable file not found in $PATH"
					       : strerror((int)-pid));
		p->state = AGENT_C_TERMINATED;
		p->exit_code = 128;
		now_str(p->finished_at);
		log_warn("agent", "pod %s: container did not start: %s", p->key,
			 strerror((int)-pid));
	} else {
		p->pid = pid;
		p->state = AGENT_C_RUNNING;
		p->ready = p->probe.kind == AGENT_PROBE_NONE;
		if (p->ready)
			now_str(p->ready_since);
		log_info("agent", "pod %s: container started, pid %d", p->key, (int)pid);
	}
	if (fd >= 0)
		close(fd);
}

/* Waits on p->cond until stopping or s seconds pass; returns whether stopping. */
static bool sleep_s(struct agent_pod *p, int s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	pthread_mutex_lock(&p->lock);
	while (!p->stopping && pthread_cond_timedwait(&p->cond, &p->lock, &ts) != ETIMEDOUT)
		;
	bool stop = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/* Counts one probe result; called with p->lock held. */
static void probe_result(struct agent_pod *p, int ok, const char *why)
{
	if (ok) {
		p->probe_fail = 0;
		if (++p->probe_ok >= p->probe.success_threshold && !p->ready) {
			p->ready = true;
			now_str(p->ready_since);
			p->status_dirty = true;
			log_info("agent", "pod %s: readiness probe succeeded, ready", p->key);
		}
		return;
	}
	p->probe_ok = 0;
	if (++p->probe_fail >= p->probe.failure_threshold && p->ready) {
		p->ready = false;
		now_str(p->ready_since);
		p->status_dirty = true;
		log_info("agent", "pod %s: readiness probe failed, not ready: %s", p->key, why);
	}
}

static void *probe_thread(void *arg)
{
	struct agent_pod *p = arg;
	if (sleep_s(p, p->probe.initial_delay_s))
		return NULL;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool running = p->pid > 0 && !p->terminating;
		pthread_mutex_unlock(&p->lock);
		if (running) {
			char *why = NULL;
			int ok = agent_probe_run(&p->probe, p->ip, p->netns, &why);
			pthread_mutex_lock(&p->lock);
			if (p->pid > 0)
				probe_result(p, ok, why ? why : "");
			pthread_mutex_unlock(&p->lock);
			free(why);
		}
		if (sleep_s(p, p->probe.period_s))
			return NULL;
	}
}

/* The Services whose variables a new container gets (kubelet's rules). */
static json_t *pod_services(struct agent *a, const json_t *obj, const char *ns)
{
	json_t *out = json_array(), *list = NULL;
	const json_t *links = json_object_get(json_object_get(obj, "spec"), "enableServiceLinks");
	char *path = xasprintf("/api/v1/namespaces/%s/services", ns);
	if (!json_is_false(links) && kclient_get(a->kc, path, &list) == 200)
		json_array_extend(out, json_object_get(list, "items"));
	json_decref(list);
	list = NULL;
	bool has_kubernetes = false;
	size_t i;
	json_t *s;
	json_array_foreach(out, i, s) has_kubernetes |=
	    !strcmp(api_meta_str(s, "name"), "kubernetes");
	if (!has_kubernetes &&
	    kclient_get(a->kc, "/api/v1/namespaces/default/services/kubernetes", &list) == 200)
		json_array_append(out, list);
	json_decref(list);
	free(path);
	return out;
}

/* The pod's network: address, namespace, veth, resolv.conf. */
static int pod_network(struct agent *a, struct agent_pod *p, char **err)
{
	struct ip_addr ip;
	int rc = agent_ipam_alloc(&a->ipam, p->key, &ip);
	if (rc < 0) {
		*err = xasprintf("no address for the pod: %s", strerror(-rc));
		return rc;
	}
	ip_addr_format(&ip, p->ip);
	char *resolv = agent_resolv_conf(a->cluster_dns, p->ns);
	rc = agent_net_pod_up(a->bridge, p->netns, p->ip, a->prefix, a->node_ip, resolv, err);
	free(resolv);
	p->net_up = rc == 0;
	return rc;
}

static struct agent_pod *pod_new(struct agent *a, const json_t *obj)
{
	struct agent_pod *p = xcalloc(1, sizeof(*p));
	p->a = a;
	p->ns = xstrdup(api_meta_str(obj, "namespace"));
	p->name = xstrdup(api_meta_str(obj, "name"));
	p->uid = xstrdup(api_meta_str(obj, "uid"));
	p->key = xasprintf("%s/%s", p->ns, p->name);
	p->pod = json_deep_copy(obj);
	p->netns = agent_netns_name(p->ns, p->name);
	p->log_path = agent_log_path(a->data_dir, p->ns, p->name);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	now_str(p->start_time);
	return p;
}

struct agent_pod *agent_pod_start(struct agent *a, const json_t *obj)
{
	struct agent_pod *p = pod_new(a, obj);
	const json_t *c = first_container(obj);
	char *err = NULL;
	if (json_array_size(json_object_get(json_object_get(obj, "spec"), "containers")) > 1)
		log_warn("agent", "pod %s: only the first container is run", p->key);
	if (pod_network(a, p, &err) < 0) {
		log_error("agent", "pod %s: network: %s", p->key, err);
		free(err);
		agent_pod_destroy(p, false);
		return NULL;
	}
	json_t *services = pod_services(a, obj, p->ns);
	p->env = agent_pod_env(obj, c, services, p->ip, a->node_ip);
	json_decref(services);
	p->argv = agent_container_argv(c, p->env);
	if (agent_probe_parse(json_object_get(c, "readinessProbe"), c, &p->probe, &err) < 0) {
		log_warn("agent", "pod %s: %s; no readiness probe run", p->key, err);
		free(err);
	}
	log_info("agent", "pod %s: address %s, namespace %s", p->key, p->ip, p->netns);
	pthread_mutex_lock(&p->lock);
	start_container(p);
	pthread_mutex_unlock(&p->lock);
	if (p->probe.kind != AGENT_PROBE_NONE)
		p->probe_started = pthread_create(&p->probe_thread, NULL, probe_thread, p) == 0;
	return p;
}

/* After the container exited: restart it later, or leave it terminated. */
static void plan_restart(struct agent_pod *p, time_t now, int ran_s)
{
	const char *policy =
	    json_string_value(json_object_get(json_object_get(p->pod, "spec"), "restartPolicy"));
	bool restart = !policy || !strcmp(policy, "Always") ||
		       (!strcmp(policy, "OnFailure") && p->exit_code != 0);
	if (!restart || p->terminating)
		return;
	/* As the kubelet: the first restart at once, then 10 s doubling; reset after a long run. */
	if (ran_s >= 2 * BACKOFF_MAX_S)
		p->backoff_s = 0;
	p->restart_at = now + p->backoff_s;
	p->backoff_s = p->backoff_s == 0		  ? BACKOFF_MIN_S
		       : p->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S
							  : p->backoff_s * 2;
	log_info("agent", "pod %s: restarting in %ld s (restartPolicy %s)", p->key,
		 (long)(p->restart_at - now), policy ? policy : "Always");
}

/* Reaps the container if it exited; called with p->lock held. */
static void reap(struct agent_pod *p, time_t now)
{
	int status;
	pid_t r = waitpid(p->pid, &status, WNOHANG);
	if (r != p->pid)
		return;
	/* The container's other processes go with its main one, as in a PID namespace. */
	kill(-p->pid, SIGKILL);
	p->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	log_info("agent", "pod %s: container exited with %d", p->key, p->exit_code);
	p->pid = 0;
	p->state = AGENT_C_TERMINATED;
	now_str(p->finished_at);
	p->ready = false;
	p->status_dirty = true;
	plan_restart(p, now, (int)(now - api_parse_time(p->started_at)));
}

void agent_pod_tick(struct agent_pod *p, time_t now)
{
	pthread_mutex_lock(&p->lock);
	if (p->pid > 0)
		reap(p, now);
	if (p->pid > 0 && p->terminating && !p->killed && now >= p->kill_at) {
		log_info("agent", "pod %s: grace period over, SIGKILL", p->key);
		kill(-p->pid, SIGKILL);
		p->killed = true;
	}
	if (p->pid == 0 && p->restart_at && !p->terminating) {
		if (now >= p->restart_at) {
			p->restart_at = 0;
			p->restarts++;
			start_container(p);
		} else if (!p->waiting_reason) {
			p->state = AGENT_C_WAITING;
			p->waiting_reason = xstrdup("CrashLoopBackOff");
			p->status_dirty = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

void agent_pod_terminate(struct agent_pod *p, long grace_s)
{
	pthread_mutex_lock(&p->lock);
	if (!p->terminating) {
		p->terminating = true;
		p->restart_at = 0;
		p->kill_at = time(NULL) + (grace_s > 0 ? grace_s : 0);
		if (p->pid > 0)
			kill(grace_s > 0 ? p->pid : -p->pid, grace_s > 0 ? SIGTERM : SIGKILL);
		log_info("agent", "pod %s: terminating, grace period %ld s", p->key, grace_s);
	}
	pthread_mutex_unlock(&p->lock);
}

bool agent_pod_gone(struct agent_pod *p)
{
	pthread_mutex_lock(&p->lock);
	bool gone = p->pid == 0;
	pthread_mutex_unlock(&p->lock);
	return gone;
}

void agent_pod_destroy(struct agent_pod *p, bool release_ip)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (p->probe_started)
		pthread_join(p->probe_thread, NULL);
	if (p->pid > 0) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
			;
	}
	if (p->net_up)
		agent_net_pod_down(p->netns);
	if (release_ip) {
		agent_ipam_release(&p->a->ipam, p->key);
		unlink(p->log_path);
	}
	agent_probe_free(&p->probe);
	agent_strv_free(p->env);
	agent_strv_free(p->argv);
	json_decref(p->pod);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p->waiting_reason);
	free(p->netns);
	free(p->log_path);
	free(p->key);
	free(p->uid);
	free(p->name);
	free(p->ns);
	free(p);
}

char *agent_log_path(const char *data_dir, const char *ns, const char *name)
{
	return xasprintf("%s/agent/logs/%s_%s.log", data_dir ? data_dir : "./data", ns, name);
}
