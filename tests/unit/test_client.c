/*
 * Tests of the HTTP client (src/lib/client/client.c) against a scripted
 * in-process server (libmicrohttpd): watch framing across chunks, refused
 * watches, malformed streams, bearer tokens, and HTTPS with a CA file, CA
 * data or insecure-skip-tls-verify. Certificates come from openssl.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "base/strbuf.h"
#include "client/client.h"

/* A watch stream in pieces sent as separate chunks: lines split anywhere. */
static const char *const pieces[] = {
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"5\"}}}\n"
    "{\"type\":\"MODI",
    "FIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"6\"}}}",
    "\n\n{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\r\n",
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"10\"}}}",
};

struct piece_state {
	size_t i;
	const char *const *list;
	size_t n;
};

static ssize_t send_piece(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct piece_state *s = cls;

	if (s->i >= s->n)
		return MHD_CONTENT_READER_END_OF_STREAM;
	usleep(20000); /* so that pieces arrive in separate reads */
	size_t len = strlen(s->list[s->i]);
	if (len > max)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	memcpy(buf, s->list[s->i++], len);
	return (ssize_t)len;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *body)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result stream(struct MHD_Connection *conn, const char *const *list, size_t n)
{
	struct piece_state *s = calloc(1, sizeof(*s));
	s->list = list;
	s->n = n;
	struct MHD_Response *r =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, send_piece, s, free);
	enum MHD_Result ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **ctx)
{
	static const char *const bad[] = {"{\"type\":\"ADDED\",\"object\":{}}\n", "not json\n",
					  "{\"type\":\"ADDED\",\"object\":{}}\n"};
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (!*ctx) { /* the first call, before any body */
		*ctx = conn;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/auth") == 0)
		return auth && strcmp(auth, "Bearer t0k") == 0
			   ? reply(conn, 200, "{\"ok\":true}")
			   : reply(conn, 401, "{\"kind\":\"Status\",\"code\":401}");
	if (strcmp(url, "/watch") == 0)
		return stream(conn, pieces, sizeof(pieces) / sizeof(*pieces));
	if (strcmp(url, "/watch-bad") == 0)
		return stream(conn, bad, 3);
	if (strcmp(url, "/watch-gone") == 0)
		return reply(conn, 410,
			     "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":"
			     "\"too old\"}");
	if (strcmp(url, "/watch-html") == 0)
		return reply(conn, 502, "<html>bad gateway</html>");
	return reply(conn, 404, "{\"kind\":\"Status\",\"code\":404}");
}

struct env {
	char dir[64];
	struct MHD_Daemon *plain, *tls;
	int plain_port, tls_port;
	char *cert, *key, *ca_pem;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	return sb_steal(&sb);
}

static int connections; /* opened on any test server */

static void notify_conn(void *cls, struct MHD_Connection *conn, void **sock_ctx,
			enum MHD_ConnectionNotificationCode toe)
{
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		__atomic_add_fetch(&connections, 1, __ATOMIC_SEQ_CST);
}

static struct MHD_Daemon *serve(bool tls, struct env *e, int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
	struct MHD_Daemon *d;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (tls)
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
				     MHD_OPTION_HTTPS_MEM_KEY, e->key, MHD_OPTION_HTTPS_MEM_CERT,
				     e->cert, MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, &sa,
				     MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
				     MHD_OPTION_END);
	assert_non_null(d);
	*port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
	return d;
}

/* A CA and a server certificate for 127.0.0.1 signed by it, made with openssl. */
static bool make_certs(struct env *e)
{
	char *cmd = xasprintf(
	    "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt "
	    "-days 2 -subj /CN=test-ca && "
	    "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj /CN=srv && "
	    "printf 'subjectAltName=IP:127.0.0.1\\n' > ext && "
	    "openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
	    "-extfile ext -out srv.crt",
	    e->dir);
	char *full = xasprintf("(%s) >/dev/null 2>&1", cmd);
	int rc = system(full);
	free(cmd);
	free(full);
	if (rc != 0)
		return false;
	char *p;
	e->cert = slurp(p = xasprintf("%s/srv.crt", e->dir));
	free(p);
	e->key = slurp(p = xasprintf("%s/srv.key", e->dir));
	free(p);
	e->ca_pem = slurp(p = xasprintf("%s/ca.crt", e->dir));
	free(p);
	return e->cert && e->key && e->ca_pem;
}

static int setup(void **state)
{
	struct env *e = xcalloc(1, sizeof(*e));

	snprintf(e->dir, sizeof(e->dir), "/tmp/svcnet-client.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->plain = serve(false, e, &e->plain_port);
	if (make_certs(e))
		e->tls = serve(true, e, &e->tls_port);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char *cmd = xasprintf("rm -rf %s", e->dir);

	MHD_stop_daemon(e->plain);
	if (e->tls)
		MHD_stop_daemon(e->tls);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(e->cert);
	free(e->key);
	free(e->ca_pem);
	free(e);
	return 0;
}

static struct kclient *client(int port, bool https, struct kclient_config *cfg)
{
	struct kclient *c = NULL;
	char *err = NULL;

	cfg->server = xasprintf("%s://127.0.0.1:%d", https ? "https" : "http", port);
	assert_int_equal(kclient_new(cfg, &c, &err), 0);
	free(cfg->server);
	cfg->server = NULL;
	return c;
}

static int record(const char *type, json_t *obj, void *arg)
{
	struct strbuf *sb = arg;
	const char *rv =
	    json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	json_int_t code = json_integer_value(json_object_get(obj, "code"));

	if (code)
		sb_printf(sb, "%s %lld;", type, (long long)code);
	else
		sb_printf(sb, "%s %s;", type, rv ? rv : "-");
	return 0;
}

static int stop_at_bookmark(const char *type, json_t *obj, void *arg)
{
	record(type, obj, arg);
	return strcmp(type, "BOOKMARK") == 0 ? 42 : 0;
}

static void test_watch_framing(void **state)
{
	struct env *e = *state;
	struct kclient_config cfg = {0};
	struct kclient *c = client(e->plain_port, false, &cfg);
	struct strbuf sb = STRBUF_INIT;

	/* The last event has no newline: it is still delivered at the end of the stream. */
	assert_int_equal(kclient_watch(c, "/watch", record, &sb, NULL), 0);
	assert_string_equal(sb.buf, "ADDED 5;MODIFIED 6;BOOKMARK 9;DELETED 10;");
	sb_reset(&sb);
	assert_int_equal(kclient_watch(c, "/watch", stop_at_bookmark, &sb, NULL), 42);
	assert_string_equal(sb.buf, "ADDED 5;MODIFIED 6;BOOKMARK 9;");
	sb_reset(&sb);
	/* Refusals come to the callback as ERROR events with a Status. */
	assert_int_equal(kclient_watch(c, "/watch-gone", record, &sb, NULL), 0);
	assert_string_equal(sb.buf, "ERROR 410;");
	sb_reset(&sb);
	assert_int_equal(kclient_watch(c, "/watch-html", record, &sb, NULL), 0);
	assert_string_equal(sb.buf, "ERROR 502;");
	sb_reset(&sb);
	assert_int_equal(kclient_watch(c, "/watch-bad", record, &sb, NULL), -EBADMSG);
	assert_string_equal(sb.buf, "ADDED -;");
	sb_free(&sb);
	kclient_free(c);
}

static void test_token(void **state)
{
	struct env *e = *state;
	struct kclient_config cfg = {.token = "t0k"};
	struct kclient *c = client(e->plain_port, false, &cfg);
	struct kclient_config none = {0};
	struct kclient *anon = client(e->plain_port, false, &none);
	json_t *out = NULL;

	assert_int_equal(kclient_get(c, "/auth", &out), 200);
	assert_true(json_is_true(json_object_get(out, "ok")));
	json_decref(out);
	assert_int_equal(kclient_get(anon, "/auth", &out), 401);
	json_decref(out);
	/* The connection is kept and reused between requests. */
	int before = __atomic_load_n(&connections, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 50; i++)
		assert_int_equal(kclient_get(c, "/auth", NULL), 200);
	assert_true(__atomic_load_n(&connections, __ATOMIC_SEQ_CST) - before <= 1);
	kclient_free(c);
	kclient_free(anon);
}

static void test_tls(void **state)
{
	struct env *e = *state;
	json_t *out = NULL;

	if (!e->tls)
		skip(); /* openssl is missing */
	char *ca_file = xasprintf("%s/ca.crt", e->dir);
	struct kclient_config by_file = {.ca_file = ca_file, .token = "t0k"};
	struct kclient_config by_data = {.ca_data = e->ca_pem, .token = "t0k"};
	struct kclient_config insecure = {.insecure = true, .token = "t0k"};
	struct kclient_config unknown_ca = {.token = "t0k"};
	struct kclient *c;

	c = client(e->tls_port, true, &by_file);
	assert_int_equal(kclient_get(c, "/auth", &out), 200);
	json_decref(out);
	kclient_free(c);
	c = client(e->tls_port, true, &by_data);
	assert_int_equal(kclient_get(c, "/auth", &out), 200);
	json_decref(out);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(kclient_watch(c, "/watch", record, &sb, NULL), 0);
	assert_string_equal(sb.buf, "ADDED 5;MODIFIED 6;BOOKMARK 9;DELETED 10;");
	sb_free(&sb);
	kclient_free(c);
	c = client(e->tls_port, true, &insecure);
	assert_int_equal(kclient_get(c, "/auth", &out), 200);
	json_decref(out);
	kclient_free(c);
	/* The system CAs do not know the test CA. */
	c = client(e->tls_port, true, &unknown_ca);
	assert_int_equal(kclient_get(c, "/auth", &out), -EPROTO);
	assert_null(out);
	kclient_free(c);
	free(ca_file);
}

static void test_query_escape(void **state)
{
	char *s = kclient_query_escape("app in (a,b),tier!=x y/z~_.-");
	assert_string_equal(s, "app%20in%20%28a%2Cb%29%2Ctier%21%3Dx%20y%2Fz~_.-");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_watch_framing),
	    cmocka_unit_test(test_token),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_query_escape),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
