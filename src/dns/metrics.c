/*
 * The DNS server's statistics and its HTTP endpoint: /healthz, /readyz
 * (200 once the first sync is done) and /metrics in the Prometheus text
 * format. Each thread counts into its own struct, which /metrics sums.
 */
#include "dns/server-internal.h"

#include "base/log.h"
#include "base/strbuf.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const uint16_t type_codes[DNS_STAT_TYPES - 1] = {DNS_T_A,   DNS_T_AAAA, DNS_T_SRV,
							DNS_T_PTR, DNS_T_TXT,  DNS_T_CNAME,
							DNS_T_SOA, DNS_T_NS,   DNS_T_ANY};
static const char *const type_names[DNS_STAT_TYPES] = {"A",	"AAAA", "SRV", "PTR", "TXT",
						       "CNAME", "SOA",	"NS",  "ANY", "other"};
static const char *const rcode_names[DNS_STAT_RCODES] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "other"};
static const double bounds[DNS_STAT_BUCKETS] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025,
						0.0005,	 0.001,	   0.0025,  0.005,  0.01,
						0.025,	 0.1,	   0.5,	    2.5};

double dns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void dns_stats_count(struct dns_stats *st, uint16_t qtype, int rcode, double seconds)
{
	int t = DNS_STAT_TYPES - 1, r = rcode >= 0 && rcode < 6 ? rcode : DNS_STAT_RCODES - 1,
	    b = 0;
	for (int i = 0; i < DNS_STAT_TYPES - 1; i++)
		if (type_codes[i] == qtype)
			t = i;
	while (b < DNS_STAT_BUCKETS && seconds > bounds[b])
		b++;
	STAT_ADD(st->queries[t][r], 1);
	STAT_ADD(st->latency[b], 1);
	STAT_ADD(st->latency_ns, (uint64_t)(seconds * 1e9));
}

static void render_counter(struct strbuf *sb, const struct dns_server *srv, const char *name,
			   const char *help, size_t offset)
{
	uint64_t sum = 0;
	for (int i = 0; i <= srv->nudp; i++) {
		uint64_t *p = (uint64_t *)((char *)&srv->stats[i] + offset);
		sum += STAT_GET(*p);
	}
	sb_printf(sb, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
		  (unsigned long long)sum);
}

static void render_queries(struct strbuf *sb, const struct dns_server *srv)
{
	sb_puts(sb, "# HELP svcnet_dns_queries_total Queries answered, by type and rcode.\n"
		    "# TYPE svcnet_dns_queries_total counter\n");
	for (int t = 0; t < DNS_STAT_TYPES; t++)
		for (int r = 0; r < DNS_STAT_RCODES; r++) {
			uint64_t n = 0;
			for (int i = 0; i <= srv->nudp; i++)
				n += STAT_GET(srv->stats[i].queries[t][r]);
			if (n)
				sb_printf(
				    sb, "svcnet_dns_queries_total{type=\"%s\",rcode=\"%s\"} %llu\n",
				    type_names[t], rcode_names[r], (unsigned long long)n);
		}
	sb_puts(sb, "# HELP svcnet_dns_request_duration_seconds Time to answer a query.\n"
		    "# TYPE svcnet_dns_request_duration_seconds histogram\n");
	uint64_t cum = 0, ns = 0;
	for (int b = 0; b <= DNS_STAT_BUCKETS; b++) {
		for (int i = 0; i <= srv->nudp; i++)
			cum += STAT_GET(srv->stats[i].latency[b]);
		if (b < DNS_STAT_BUCKETS)
			sb_printf(sb,
				  "svcnet_dns_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				  bounds[b], (unsigned long long)cum);
	}
	for (int i = 0; i <= srv->nudp; i++)
		ns += STAT_GET(srv->stats[i].latency_ns);
	sb_printf(sb,
		  "svcnet_dns_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
		  "svcnet_dns_request_duration_seconds_sum %.9f\n"
		  "svcnet_dns_request_duration_seconds_count %llu\n",
		  (unsigned long long)cum, (double)ns / 1e9, (unsigned long long)cum);
}

static void render(struct dns_server *srv, struct strbuf *sb)
{
	size_t services, names, records;
	render_queries(sb, srv);
#define C(field, name, help) render_counter(sb, srv, name, help, offsetof(struct dns_stats, field))
	C(udp, "svcnet_dns_udp_queries_total", "Queries answered over UDP from our zones.");
	C(tcp, "svcnet_dns_tcp_queries_total", "Queries answered over TCP from our zones.");
	C(tcp_conns, "svcnet_dns_tcp_connections_total", "TCP connections accepted.");
	C(forwarded, "svcnet_dns_forwarded_total", "Queries sent to an upstream.");
	C(forward_failed, "svcnet_dns_forward_failures_total",
	  "Forwarded queries answered SERVFAIL after every upstream failed.");
	C(dropped, "svcnet_dns_dropped_total", "Messages dropped without an answer.");
	C(truncated, "svcnet_dns_truncated_total", "UDP answers sent with TC set.");
#undef C
	dns_db_stats(srv->db, &services, &names, &records);
	sb_printf(sb,
		  "# TYPE svcnet_dns_services gauge\nsvcnet_dns_services %zu\n"
		  "# TYPE svcnet_dns_names gauge\nsvcnet_dns_names %zu\n"
		  "# TYPE svcnet_dns_records gauge\nsvcnet_dns_records %zu\n"
		  "# TYPE svcnet_dns_synced gauge\nsvcnet_dns_synced %d\n",
		  services, names, records, dns_db_synced(srv->db) ? 1 : 0);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned code, const char *type,
			     char *body, size_t len)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(len, body, free);
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct dns_server *srv = cls;
	if (!*con_cls) {
		*con_cls = srv; /* headers only: answer on the next call */
		return MHD_YES;
	}
	if (!strcmp(url, "/healthz") || !strcmp(url, "/livez"))
		return reply(conn, 200, "text/plain", xstrdup("ok"), 2);
	if (!strcmp(url, "/readyz")) {
		if (dns_db_synced(srv->db))
			return reply(conn, 200, "text/plain", xstrdup("ok"), 2);
		char *msg = xstrdup("not synced with the API server yet");
		return reply(conn, 503, "text/plain", msg, strlen(msg));
	}
	if (!strcmp(url, "/metrics")) {
		struct strbuf sb = STRBUF_INIT;
		render(srv, &sb);
		size_t len = sb.len;
		return reply(conn, 200, "text/plain; version=0.0.4", sb_steal(&sb), len);
	}
	return reply(conn, 404, "text/plain", xstrdup("not found"), 9);
}

int dns_metrics_start(struct dns_server *srv, char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (!srv->metrics_listen || !strcmp(srv->metrics_listen, "none"))
		return 0;
	if (dns_parse_hostport(srv->metrics_listen, true, &ss, &len) < 0) {
		*err = xasprintf("--metrics-listen %s: expected ADDR:PORT", srv->metrics_listen);
		return -EINVAL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv,
						MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
						MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!d) {
		*err =
		    xasprintf("cannot serve metrics on %s (address in use?)", srv->metrics_listen);
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	srv->metrics_port = info ? info->port : 0;
	srv->mhd = d;
	return 0;
}

void dns_metrics_stop(struct dns_server *srv)
{
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	srv->mhd = NULL;
}
