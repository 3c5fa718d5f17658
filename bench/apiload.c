/*
 * apiload: a small load generator for the svcnet API server, used by
 * bench/api.sh. Plain sockets and HTTP/1.1 keep-alive to 127.0.0.1 only, so
 * the numbers measure the server and not a client library.
 *
 *   apiload create -p PORT [-n 10000] [-c 16] [-s 0] [-N default]
 *       POSTs Services bench-<s>..bench-<s+n-1>, split over c threads, each
 *       with one connection; prints creates/s, p50/p99/max latency, the
 *       status codes and the lowest resourceVersion seen in a 201.
 *   apiload list -p PORT [-r 10] [-t] [-N default] [-C substring]
 *       times r LISTs on one connection (-t asks for a server-side Table);
 *       prints min/median/max ms, bytes, and how often -C occurs in the body.
 *   apiload watch -p PORT -n N [-v RV] [-T 60] [-N default] [-t]
 *       opens ?watch=1&resourceVersion=RV and counts events (bookmarks
 *       aside) until N arrived or T seconds passed; prints the time taken.
 *   apiload fanout -p PORT -n N [-w 100] [-c 16] [-s 0] [-T 60] [-N default]
 *       opens W watches from the current resourceVersion (one thread and
 *       connection each), then creates n Services bench-<s>.. over c
 *       connections; prints the time from the first create until the last
 *       watcher had all n events (seconds), and how many watchers did.
 *
 * Each mode prints one line of key=value pairs for api.sh to read; the exit
 * status is non-zero when a request failed or a watch fell short.
 *
 * Build: cc -O2 bench/apiload.c -o build/apiload -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RECV_TIMEOUT_S 30

static int port;
static const char *ns = "default";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "apiload: %s: %s\n", msg, strerror(errno));
	exit(2);
}

/* One keep-alive connection with a growable receive buffer. */
struct conn {
	int fd;
	char *buf;
	size_t len, cap, off; /* bytes in buf, capacity, consumed */
};

/* Connects to 127.0.0.1:port; returns 0 or -errno. */
static int conn_open(struct conn *c)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -errno;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct timeval tv = {.tv_sec = RECV_TIMEOUT_S};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) == -1) {
		int e = -errno;
		close(c->fd);
		c->fd = -1;
		return e;
	}
	c->len = c->off = 0;
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = c->off = 0;
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads more bytes into the buffer; returns bytes read, 0 on EOF, -errno. */
static ssize_t fill(struct conn *c)
{
	if (c->off && c->off == c->len)
		c->off = c->len = 0;
	if (c->cap - c->len < 65536) {
		if (c->off) { /* compact before growing */
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		}
		if (c->cap - c->len < 65536) {
			c->cap = c->cap ? c->cap * 2 : 262144;
			c->buf = realloc(c->buf, c->cap);
			if (!c->buf)
				die("realloc");
		}
	}
	for (;;) {
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -errno;
		c->len += (size_t)r;
		return r;
	}
}

/* Reads up to and including CRLF; returns a pointer to the line (NUL at the CR). */
static char *read_line(struct conn *c)
{
	for (;;) {
		char *start = c->buf + c->off;
		char *nl = c->len > c->off ? memmem(start, c->len - c->off, "\r\n", 2) : NULL;
		if (nl) {
			*nl = 0;
			c->off = (size_t)(nl + 2 - c->buf);
			return start;
		}
		if (fill(c) <= 0)
			return NULL;
	}
}

/* Hands body bytes to the caller as they arrive; return false to stop early. */
typedef bool (*body_fn)(void *arg, const char *p, size_t n);

/* Passes exactly n bytes of the stream to fn (NULL: discard); 0 or -1. */
static int take(struct conn *c, size_t n, body_fn fn, void *arg, bool *stop)
{
	while (n) {
		if (c->off == c->len && fill(c) <= 0)
			return -1;
		size_t k = c->len - c->off < n ? c->len - c->off : n;
		if (fn && !*stop && !fn(arg, c->buf + c->off, k))
			*stop = true;
		c->off += k;
		n -= k;
		if (*stop)
			return 0;
	}
	return 0;
}

/* A response's status line and headers, as read_head found them. */
struct head {
	int code;
	long long clen; /* -1: none */
	bool chunked, close_after;
};

/* Reads the status line and headers; returns the status code, or -1 when the connection broke. */
static int read_head(struct conn *c, struct head *h)
{
	char *line = read_line(c);
	h->code = 0;
	h->clen = -1;
	h->chunked = h->close_after = false;
	if (!line)
		return -1;
	if (sscanf(line, "HTTP/1.%*d %d", &h->code) != 1)
		return -1;
	while ((line = read_line(c)) && *line) {
		if (!strncasecmp(line, "Content-Length:", 15))
			h->clen = atoll(line + 15);
		else if (!strncasecmp(line, "Transfer-Encoding:", 18) &&
			 strcasestr(line, "chunked"))
			h->chunked = true;
		else if (!strncasecmp(line, "Connection:", 11) && strcasestr(line, "close"))
			h->close_after = true;
	}
	return line ? h->code : -1;
}

/*
 * Reads the body after read_head: Content-Length, chunked, or until EOF,
 * passed to fn. Returns 0, or -1 when the connection broke. Sets
 * h->close_after when the connection cannot be reused.
 */
static int read_body(struct conn *c, struct head *h, body_fn fn, void *arg, size_t *body_len)
{
	char *line;
	bool stop = false;
	size_t total = 0;
	if (h->chunked) {
		for (;;) {
			if (!(line = read_line(c)))
				return -1;
			size_t n = strtoul(line, NULL, 16);
			if (n == 0) {
				while ((line = read_line(c)) && *line) /* trailers */
					;
				break;
			}
			if (take(c, n, fn, arg, &stop) < 0)
				return -1;
			total += n;
			if (stop) {
				h->close_after = true;
				break;
			}
			if (!read_line(c))
				return -1;
		}
	} else if (h->clen >= 0) {
		if (take(c, (size_t)h->clen, fn, arg, &stop) < 0)
			return -1;
		total = (size_t)h->clen;
	} else {
		h->close_after = true; /* body until EOF */
		for (;;) {
			if (c->off < c->len && fn && !fn(arg, c->buf + c->off, c->len - c->off))
				break;
			total += c->len - c->off;
			c->off = c->len;
			if (fill(c) <= 0)
				break;
		}
	}
	if (body_len)
		*body_len = total;
	return 0;
}

/*
 * Reads one response: status line, headers, then a Content-Length or
 * chunked body passed to fn. Returns the status code, or -1 when the
 * connection broke. Sets *close_after when the server asked to close.
 */
static int read_response(struct conn *c, body_fn fn, void *arg, size_t *body_len, bool *close_after)
{
	struct head h;
	*close_after = false;
	if (read_head(c, &h) < 0 || read_body(c, &h, fn, arg, body_len) < 0)
		return -1;
	*close_after = h.close_after;
	return h.code;
}

/* ---- create ---- */

struct body_capture {
	char *p;
	size_t len, cap;
};

static bool capture(void *arg, const char *p, size_t n)
{
	struct body_capture *b = arg;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			die("realloc");
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = 0;
	return true;
}

struct worker {
	pthread_t tid;
	long first, count;
	double *lat; /* per-request seconds, count entries */
	long ok, other, failed;
	long long min_rv;
	int other_code;
	char other_body[512];
};

static long long body_rv(const char *body)
{
	const char *p = strstr(body, "\"resourceVersion\":\"");
	return p ? atoll(p + 19) : -1;
}

static void *create_worker(void *arg)
{
	struct worker *w = arg;
	struct conn c = {.fd = -1};
	struct body_capture b = {0};
	char req[1024];
	w->min_rv = -1;
	for (long i = 0; i < w->count; i++) {
		if (c.fd < 0 && conn_open(&c) < 0) {
			w->failed++;
			continue;
		}
		char body[512];
		int bl =
		    snprintf(body, sizeof(body),
			     "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":"
			     "\"bench-%ld\"},\"spec\":{\"selector\":{\"app\":\"bench\"},"
			     "\"ports\":[{\"port\":80,\"targetPort\":8080}]}}",
			     w->first + i);
		int rl = snprintf(req, sizeof(req),
				  "POST /api/v1/namespaces/%s/services HTTP/1.1\r\n"
				  "Host: 127.0.0.1:%d\r\nUser-Agent: apiload\r\n"
				  "Content-Type: application/json\r\nAccept: application/json\r\n"
				  "Content-Length: %d\r\n\r\n%s",
				  ns, port, bl, body);
		double t0 = now();
		bool close_after = false;
		b.len = 0;
		int code = -1;
		if (send_all(c.fd, req, (size_t)rl) == 0)
			code = read_response(&c, capture, &b, NULL, &close_after);
		w->lat[i] = now() - t0;
		if (code == 201) {
			w->ok++;
			long long rv = b.p ? body_rv(b.p) : -1;
			if (rv > 0 && (w->min_rv < 0 || rv < w->min_rv))
				w->min_rv = rv;
		} else if (code > 0) {
			w->other++;
			if (!w->other_code) {
				w->other_code = code;
				snprintf(w->other_body, sizeof(w->other_body), "bench-%ld: %.*s",
					 w->first + i, (int)(b.len < 400 ? b.len : 400),
					 b.p ? b.p : "");
			}
		} else {
			w->failed++;
		}
		if (code < 0 || close_after)
			conn_close(&c);
	}
	conn_close(&c);
	free(c.buf);
	free(b.p);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(const double *sorted, long n, double p)
{
	if (n <= 0)
		return 0;
	long i = (long)(p * (double)(n - 1) + 0.5);
	return sorted[i];
}

static int run_create(long n, int conns, long start)
{
	if (conns < 1)
		conns = 1;
	struct worker *w = calloc((size_t)conns, sizeof(*w));
	double *lat = calloc((size_t)(n ? n : 1), sizeof(double));
	if (!w || !lat)
		die("calloc");
	long next = 0;
	for (int i = 0; i < conns; i++) {
		w[i].first = start + next;
		w[i].count = n / conns + (i < n % conns);
		w[i].lat = lat + next;
		next += w[i].count;
	}
	double t0 = now();
	for (int i = 0; i < conns; i++)
		if (pthread_create(&w[i].tid, NULL, create_worker, &w[i]))
			die("pthread_create");
	long ok = 0, other = 0, failed = 0;
	long long min_rv = -1;
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].tid, NULL);
		ok += w[i].ok;
		other += w[i].other;
		failed += w[i].failed;
		if (w[i].min_rv > 0 && (min_rv < 0 || w[i].min_rv < min_rv))
			min_rv = w[i].min_rv;
		if (w[i].other_code)
			fprintf(stderr, "apiload: status %d: %s\n", w[i].other_code,
				w[i].other_body);
	}
	double secs = now() - t0;
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	printf("mode=create conns=%d requests=%ld created=%ld other=%ld failed=%ld seconds=%.3f "
	       "rate=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f first_rv=%lld\n",
	       conns, n, ok, other, failed, secs, secs > 0 ? (double)ok / secs : 0,
	       pct(lat, n, 0.50) * 1e3, pct(lat, n, 0.99) * 1e3, n ? lat[n - 1] * 1e3 : 0, min_rv);
	free(lat);
	free(w);
	return ok == n ? 0 : 1;
}

/* ---- list ---- */

struct counter {
	const char *needle;
	size_t nlen, count;
	char tail[64]; /* the end of the previous piece, for matches across pieces */
	size_t tlen;
};

static bool count_piece(void *arg, const char *p, size_t n)
{
	struct counter *k = arg;
	if (!k->nlen)
		return true;
	/* Join the carried tail with the piece's head to catch a split needle. */
	char join[128];
	size_t h = n < k->nlen - 1 ? n : k->nlen - 1;
	memcpy(join, k->tail, k->tlen);
	memcpy(join + k->tlen, p, h);
	for (const char *s = join, *e = join + k->tlen + h;
	     (s = memmem(s, (size_t)(e - s), k->needle, k->nlen)); s++)
		k->count++;
	for (const char *s = p, *e = p + n; (s = memmem(s, (size_t)(e - s), k->needle, k->nlen));
	     s++)
		k->count++;
	/* Keep the last nlen - 1 bytes of tail + piece. */
	size_t keep = k->nlen - 1;
	if (n >= keep) {
		memcpy(k->tail, p + n - keep, keep);
		k->tlen = keep;
	} else {
		size_t drop = k->tlen + n > keep ? k->tlen + n - keep : 0;
		memmove(k->tail, k->tail + drop, k->tlen - drop);
		memcpy(k->tail + k->tlen - drop, p, n);
		k->tlen = k->tlen - drop + n;
	}
	return true;
}

static int run_list(int runs, bool table, const char *needle)
{
	struct conn c = {.fd = -1};
	double *ms = calloc((size_t)(runs > 0 ? runs : 1), sizeof(double));
	size_t bytes = 0, count = 0;
	int bad = 0;
	char req[512];
	int rl = snprintf(req, sizeof(req),
			  "GET /api/v1/namespaces/%s/services HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			  "User-Agent: apiload\r\nAccept: %s\r\n\r\n",
			  ns, port,
			  table ? "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
				: "application/json");
	for (int i = 0; i < runs; i++) {
		if (c.fd < 0 && conn_open(&c) < 0)
			die("connect");
		struct counter k = {.needle = needle, .nlen = needle ? strlen(needle) : 0};
		if (k.nlen > sizeof(k.tail))
			k.nlen = 0;
		bool close_after;
		double t0 = now();
		int code = -1;
		if (send_all(c.fd, req, (size_t)rl) == 0)
			code = read_response(&c, count_piece, &k, &bytes, &close_after);
		ms[i] = (now() - t0) * 1e3;
		count = k.count;
		if (code != 200) {
			bad++;
			fprintf(stderr, "apiload: list status %d\n", code);
		}
		if (code < 0 || close_after)
			conn_close(&c);
	}
	conn_close(&c);
	free(c.buf);
	qsort(ms, (size_t)runs, sizeof(double), cmp_double);
	printf("mode=list table=%d runs=%d min_ms=%.1f median_ms=%.1f max_ms=%.1f bytes=%zu "
	       "count=%zu failed=%d\n",
	       table, runs, runs ? ms[0] : 0, runs ? ms[runs / 2] : 0, runs ? ms[runs - 1] : 0,
	       bytes, count, bad);
	free(ms);
	return bad ? 1 : 0;
}

/* ---- watch ---- */

/*
 * Splits the stream into top-level JSON objects by brace depth (strings and
 * escapes respected) and classifies each by its first bytes.
 */
struct events {
	long want, added, modified, deleted, bookmarks, errors;
	int depth;
	bool in_str, esc;
	char head[48];
	size_t hlen;
	double first_at, done_at; /* the first event; the want-th */
};

static bool on_watch_bytes(void *arg, const char *p, size_t n)
{
	struct events *e = arg;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		if (e->depth > 0 && e->hlen < sizeof(e->head) - 1)
			e->head[e->hlen++] = ch;
		if (e->in_str) {
			if (e->esc)
				e->esc = false;
			else if (ch == '\\')
				e->esc = true;
			else if (ch == '"')
				e->in_str = false;
			continue;
		}
		if (ch == '"') {
			e->in_str = true;
		} else if (ch == '{') {
			if (e->depth++ == 0) {
				e->head[0] = '{';
				e->hlen = 1;
			}
		} else if (ch == '}' && e->depth > 0 && --e->depth == 0) {
			e->head[e->hlen] = 0;
			if (!e->first_at)
				e->first_at = now();
			if (strstr(e->head, "\"ADDED\""))
				e->added++;
			else if (strstr(e->head, "\"MODIFIED\""))
				e->modified++;
			else if (strstr(e->head, "\"DELETED\""))
				e->deleted++;
			else if (strstr(e->head, "\"BOOKMARK\""))
				e->bookmarks++;
			else
				e->errors++;
			if (e->added + e->modified + e->deleted >= e->want) {
				e->done_at = now();
				return false;
			}
		}
	}
	return true;
}

static int run_watch(long want, const char *rv, double timeout, bool table)
{
	struct conn c = {.fd = -1};
	if (conn_open(&c) < 0)
		die("connect");
	struct timeval tv = {.tv_sec = (time_t)timeout, .tv_usec = 0};
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[512];
	int rl = snprintf(req, sizeof(req),
			  "GET /api/v1/namespaces/%s/services?watch=1&resourceVersion=%s"
			  "&timeoutSeconds=%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			  "User-Agent: apiload\r\nAccept: %s\r\n\r\n",
			  ns, rv, (int)timeout + 1, port,
			  table ? "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
				: "application/json");
	struct events e = {.want = want};
	bool close_after;
	size_t bytes = 0;
	double t0 = now();
	int code = -1;
	if (send_all(c.fd, req, (size_t)rl) == 0)
		code = read_response(&c, on_watch_bytes, &e, &bytes, &close_after);
	double secs = now() - t0;
	conn_close(&c);
	free(c.buf);
	long got = e.added + e.modified + e.deleted;
	printf("mode=watch rv=%s status=%d events=%ld added=%ld modified=%ld deleted=%ld "
	       "bookmarks=%ld other=%ld seconds=%.3f first_event_ms=%.1f rate=%.0f bytes=%zu\n",
	       rv, code, got, e.added, e.modified, e.deleted, e.bookmarks, e.errors, secs,
	       e.first_at ? (e.first_at - t0) * 1e3 : -1.0, secs > 0 ? (double)got / secs : 0,
	       bytes);
	return got >= want ? 0 : 1;
}

/* ---- fanout ---- */

/*
 * W watchers, one thread and one connection each, all on
 * ?watch=1&resourceVersion=RV (the collection's revision before the
 * burst), then a burst of n creates over c connections. Each watcher counts
 * events until it has all n; the result is the time from the start of the
 * burst until the last watcher got the last event. Because every stream
 * starts from RV, a stream the server registers late still replays what it
 * missed: nothing depends on the race between the watches and the burst.
 */
struct fan {
	pthread_t tid;
	const char *rv;
	double timeout;
	struct events e;
	int code;
	size_t bytes;
};

static pthread_mutex_t fan_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fan_cv = PTHREAD_COND_INITIALIZER;
static int fan_ready, fan_gone; /* streams whose headers arrived; threads that ended */

static void fan_mark(int *counter)
{
	pthread_mutex_lock(&fan_mu);
	(*counter)++;
	pthread_cond_broadcast(&fan_cv);
	pthread_mutex_unlock(&fan_mu);
}

static void *fan_watcher(void *arg)
{
	struct fan *f = arg;
	struct conn c = {.fd = -1};
	f->code = -1;
	if (conn_open(&c) < 0)
		goto out;
	struct timeval tv = {.tv_sec = (time_t)f->timeout, .tv_usec = 0};
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[512];
	int rl = snprintf(req, sizeof(req),
			  "GET /api/v1/namespaces/%s/services?watch=1&resourceVersion=%s"
			  "&timeoutSeconds=%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			  "User-Agent: apiload\r\nAccept: application/json\r\n\r\n",
			  ns, f->rv, (int)f->timeout + 1, port);
	struct head h;
	if (send_all(c.fd, req, (size_t)rl) < 0 || read_head(&c, &h) < 0)
		goto out;
	f->code = h.code;
	fan_mark(&fan_ready);
	if (h.code == 200)
		read_body(&c, &h, on_watch_bytes, &f->e, &f->bytes);
out:
	conn_close(&c);
	free(c.buf);
	fan_mark(&fan_gone);
	return NULL;
}

/* The collection's current resourceVersion (the list's, which comes first); NULL on failure. */
static char *current_rv(void)
{
	struct conn c = {.fd = -1};
	struct body_capture b = {0};
	char req[512], *rv = NULL;
	int rl = snprintf(req, sizeof(req),
			  "GET /api/v1/namespaces/%s/services?limit=1 HTTP/1.1\r\n"
			  "Host: 127.0.0.1:%d\r\nUser-Agent: apiload\r\n"
			  "Accept: application/json\r\n\r\n",
			  ns, port);
	bool close_after;
	if (conn_open(&c) == 0 && send_all(c.fd, req, (size_t)rl) == 0 &&
	    read_response(&c, capture, &b, NULL, &close_after) == 200 && b.p) {
		long long v = body_rv(b.p);
		if (v > 0 && asprintf(&rv, "%lld", v) < 0)
			rv = NULL;
	}
	conn_close(&c);
	free(c.buf);
	free(b.p);
	return rv;
}

static int run_fanout(int watchers, long n, int conns, long start, double timeout)
{
	if (watchers < 1)
		watchers = 1;
	if (conns < 1)
		conns = 1;
	char *rv = current_rv();
	if (!rv) {
		fprintf(stderr, "apiload: fanout: could not read the current resourceVersion\n");
		return 2;
	}
	struct fan *f = calloc((size_t)watchers, sizeof(*f));
	struct worker *w = calloc((size_t)conns, sizeof(*w));
	double *lat = calloc((size_t)(n ? n : 1), sizeof(double));
	if (!f || !w || !lat)
		die("calloc");
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	double t_open = now();
	for (int i = 0; i < watchers; i++) {
		f[i].rv = rv;
		f[i].timeout = timeout;
		f[i].e.want = n;
		if (pthread_create(&f[i].tid, &attr, fan_watcher, &f[i]))
			die("pthread_create");
	}
	/* Wait (10 s at most) until every stream has its response headers. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&fan_mu);
	while (fan_ready < watchers && fan_gone < watchers &&
	       pthread_cond_timedwait(&fan_cv, &fan_mu, &until) == 0)
		;
	int ready = fan_ready;
	pthread_mutex_unlock(&fan_mu);
	double open_secs = now() - t_open;

	long next = 0;
	for (int i = 0; i < conns; i++) {
		w[i].first = start + next;
		w[i].count = n / conns + (i < n % conns);
		w[i].lat = lat + next;
		next += w[i].count;
	}
	double t0 = now();
	for (int i = 0; i < conns; i++)
		if (pthread_create(&w[i].tid, &attr, create_worker, &w[i]))
			die("pthread_create");
	long ok = 0, other = 0, failed = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].tid, NULL);
		ok += w[i].ok;
		other += w[i].other;
		failed += w[i].failed;
		if (w[i].other_code)
			fprintf(stderr, "apiload: status %d: %s\n", w[i].other_code,
				w[i].other_body);
	}
	double t_created = now();
	int complete = 0, bad_status = 0;
	long events = 0;
	size_t bytes = 0;
	double first_done = 0, last_done = 0;
	for (int i = 0; i < watchers; i++) {
		pthread_join(f[i].tid, NULL);
		struct events *e = &f[i].e;
		events += e->added + e->modified + e->deleted;
		bytes += f[i].bytes;
		if (f[i].code != 200)
			bad_status++;
		if (e->done_at) {
			complete++;
			if (!first_done || e->done_at < first_done)
				first_done = e->done_at;
			if (e->done_at > last_done)
				last_done = e->done_at;
		}
	}
	pthread_attr_destroy(&attr);
	double create_secs = t_created - t0;
	/* Only meaningful when every watcher got every event. */
	double secs = complete == watchers ? last_done - t0 : -1;
	printf(
	    "mode=fanout rv=%s watchers=%d ready=%d open_ms=%.1f burst=%ld created=%ld other=%ld "
	    "failed=%ld create_seconds=%.3f complete=%d bad_status=%d events=%ld bytes=%zu "
	    "seconds=%.3f first_done_s=%.3f lag_ms=%.1f rate=%.0f\n",
	    rv, watchers, ready, open_secs * 1e3, n, ok, other, failed, create_secs, complete,
	    bad_status, events, bytes, secs, first_done ? first_done - t0 : -1.0,
	    complete == watchers ? (last_done - t_created) * 1e3 : -1.0,
	    secs > 0 ? (double)events / secs : 0);
	free(lat);
	free(w);
	free(f);
	free(rv);
	return complete == watchers && ok == n ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: apiload create -p PORT [-n N] [-c CONNS] [-s START] [-N NS]\n"
			"       apiload list   -p PORT [-r RUNS] [-t] [-C SUBSTRING] [-N NS]\n"
			"       apiload watch  -p PORT -n N [-v RV] [-T SECONDS] [-t] [-N NS]\n"
			"       apiload fanout -p PORT [-w WATCHERS] [-n N] [-c CONNS] [-s START] "
			"[-T SECONDS] [-N NS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *mode = argv[1];
	long n = 10000, start = 0;
	int conns = 16, runs = 10, watchers = 100;
	bool table = false;
	const char *needle = NULL, *rv = "0";
	double timeout = 60;
	int opt;
	optind = 2;
	while ((opt = getopt(argc, argv, "p:n:c:s:N:r:tC:v:T:w:")) != -1) {
		switch (opt) {
		case 'p':
			port = atoi(optarg);
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 's':
			start = atol(optarg);
			break;
		case 'N':
			ns = optarg;
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 't':
			table = true;
			break;
		case 'C':
			needle = optarg;
			break;
		case 'v':
			rv = optarg;
			break;
		case 'T':
			timeout = atof(optarg);
			break;
		case 'w':
			watchers = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (port <= 0 || port > 65535 || n < 0)
		usage();
	if (!strcmp(mode, "create"))
		return run_create(n, conns, start);
	if (!strcmp(mode, "list"))
		return run_list(runs, table, needle);
	if (!strcmp(mode, "watch"))
		return run_watch(n, rv, timeout, table);
	if (!strcmp(mode, "fanout"))
		return run_fanout(watchers, n, conns, start, timeout);
	usage();
	return 2;
}
