/*
 * Unit tests for the compact copies of Services and EndpointSlices, the DNS
 * records built from them (the schema of the Kubernetes DNS specification
 * 1.1.0), the record database (replacement, empty non-terminals) and the
 * answers built from it (NXDOMAIN/NODATA with SOA, SERVFAIL before sync,
 * REFUSED, CNAME, SRV additional data, TC).
 */
#include "dns/answer.h"
#include "dns/compact.h"
#include "dns/db.h"
#include "dns/records.h"
#include "dns/table.h"

#include <jansson.h>
#include <malloc.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static uint8_t zone[DNS_NAME_MAX];
static size_t zonelen;

static json_t *obj(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad JSON in test: %s: %s", e.text, text);
	return j;
}

static json_t *service(const char *name, const char *spec)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},\"spec\":%s}", name,
		 spec);
	return obj(buf);
}

/* The records of one Service as text lines "name TYPE rdata", sorted. */
static char *render(const struct dns_records *r)
{
	static char out[16384];
	char n[DNS_NAME_TEXT_MAX], t[DNS_NAME_TEXT_MAX];
	size_t o = 0;
	out[0] = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct dns_record *x = &r->v[i];
		dns_name_to_text(x->name, n);
		switch (x->type) {
		case DNS_T_A:
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s A %u.%u.%u.%u\n", n,
					      x->rdata[0], x->rdata[1], x->rdata[2], x->rdata[3]);
			break;
		case DNS_T_AAAA:
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s AAAA %02x%02x..%02x\n",
					      n, x->rdata[0], x->rdata[1], x->rdata[15]);
			break;
		case DNS_T_SRV:
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s SRV %u %u %u %s\n", n,
					      dns_get16(x->rdata), dns_get16(x->rdata + 2),
					      dns_get16(x->rdata + 4),
					      dns_name_to_text(x->rdata + 6, t));
			break;
		default:
			o += (size_t)snprintf(out + o, sizeof(out) - o, "%s %u %s\n", n, x->type,
					      dns_name_to_text(x->rdata, t));
		}
	}
	return out;
}

static int setup(void **state)
{
	zonelen = (size_t)dns_name_from_text("cluster.local", zone);
	return 0;
}

static void test_cluster_ip(void **state)
{
	json_t *svc = service("web", "{\"clusterIP\":\"10.0.0.11\",\"clusterIPs\":[\"10.0.0.11\","
				     "\"fd00::b\"],\"ports\":[{\"name\":\"http\",\"port\":80,"
				     "\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,"
				     "\"protocol\":\"UDP\"}]}");
	struct dns_records r = DNS_RECORDS_INIT;
	assert_int_equal(dns_records_build(svc, NULL, 0, zone, zonelen, 5, &r), 6);
	const char *want =
	    "_dns._udp.web.default.svc.cluster.local. SRV 0 100 53 web.default.svc.cluster.local.\n"
	    "_http._tcp.web.default.svc.cluster.local. SRV 0 100 80 "
	    "web.default.svc.cluster.local.\n"
	    "web.default.svc.cluster.local. A 10.0.0.11\n"
	    "web.default.svc.cluster.local. AAAA fd00..0b\n"
	    "11.0.0.10.in-addr.arpa. 12 web.default.svc.cluster.local.\n"
	    "b.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa. 12 "
	    "web.default.svc.cluster.local.\n";
	/* Sorted by wire bytes: label lengths first, so only check membership. */
	char *got = render(&r);
	for (const char *l = want; *l;) {
		const char *e = strchr(l, '\n');
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(e - l + 1), l);
		if (!strstr(got, line))
			fail_msg("missing %s in:\n%s", line, got);
		l = e + 1;
	}
	assert_int_equal(r.v[0].ttl, 5);
	dns_records_free(&r);
	json_decref(svc);
}

static void test_unnamed_port_and_external_name(void **state)
{
	json_t *svc = service("one", "{\"clusterIP\":\"10.0.0.12\",\"ports\":[{\"port\":80}]}");
	struct dns_records r = DNS_RECORDS_INIT;
	assert_int_equal(dns_records_build(svc, NULL, 0, zone, zonelen, 5, &r), 2);
	dns_records_free(&r);
	json_decref(svc);

	svc = service("ext", "{\"type\":\"ExternalName\",\"externalName\":\"Db.Example.COM\"}");
	assert_int_equal(dns_records_build(svc, NULL, 0, zone, zonelen, 5, &r), 1);
	assert_string_equal(render(&r), "ext.default.svc.cluster.local. 5 db.example.com.\n");
	dns_records_free(&r);
	json_decref(svc);

	/* Nothing for a Service without an address or with a bad name. */
	svc = service("none", "{\"clusterIP\":\"\"}");
	assert_int_equal(dns_records_build(svc, NULL, 0, zone, zonelen, 5, &r), 0);
	json_decref(svc);
	svc = service("a.b", "{\"clusterIP\":\"10.0.0.1\"}");
	assert_int_equal(dns_records_build(svc, NULL, 0, zone, zonelen, 5, &r), 0);
	json_decref(svc);
}

static const char headless_slice[] =
    "{\"metadata\":{\"name\":\"db-abc\",\"namespace\":\"default\",\"labels\":"
    "{\"kubernetes.io/service-name\":\"db\"}},\"addressType\":\"IPv4\","
    "\"ports\":[{\"name\":\"pg\",\"port\":5432,\"protocol\":\"TCP\"},{\"port\":9}],"
    "\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"db-0\","
    "\"conditions\":{\"ready\":true}},{\"addresses\":[\"10.1.0.2\"]},"
    "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false}}]}";

static void test_headless(void **state)
{
	json_t *svc = service("db", "{\"clusterIP\":\"None\",\"ports\":[{\"name\":\"pg\","
				    "\"port\":5432}]}");
	json_t *slice = obj(headless_slice);
	const json_t *slices[] = {slice, slice}; /* duplicates collapse */
	struct dns_records r = DNS_RECORDS_INIT;
	dns_records_build(svc, slices, 2, zone, zonelen, 5, &r);
	char *got = render(&r);
	const char *want[] = {
	    "db.default.svc.cluster.local. A 10.1.0.1\n",
	    "db.default.svc.cluster.local. A 10.1.0.2\n",
	    "db-0.db.default.svc.cluster.local. A 10.1.0.1\n",
	    "10-1-0-2.db.default.svc.cluster.local. A 10.1.0.2\n",
	    "1.0.1.10.in-addr.arpa. 12 db-0.db.default.svc.cluster.local.\n",
	    "2.0.1.10.in-addr.arpa. 12 10-1-0-2.db.default.svc.cluster.local.\n",
	    "_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 "
	    "db-0.db.default.svc.cluster.local.\n",
	    "_pg._tcp.db.default.svc.cluster.local. SRV 0 50 5432 "
	    "10-1-0-2.db.default.svc.cluster.local.\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(got, want[i]))
			fail_msg("missing %s in:\n%s", want[i], got);
	assert_int_equal(r.n, 8);
	assert_null(strstr(got, "10.1.0.3"));
	dns_records_free(&r);

	/* publishNotReadyAddresses includes the not-ready endpoint. */
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_true());
	dns_records_build(svc, slices, 1, zone, zonelen, 5, &r);
	assert_non_null(strstr(render(&r), "A 10.1.0.3"));
	assert_non_null(strstr(render(&r), "SRV 0 33 5432"));
	dns_records_free(&r);

	/* No ready endpoint: no records at all. */
	json_object_set_new(json_object_get(svc, "spec"), "publishNotReadyAddresses", json_false());
	json_t *eps = json_object_get(slice, "endpoints");
	json_array_remove(eps, 1);
	json_array_remove(eps, 0);
	assert_int_equal(dns_records_build(svc, slices, 1, zone, zonelen, 5, &r), 0);
	json_decref(slice);
	json_decref(svc);
}

/* Whether p points into the malloc block that starts at block. */
static bool inside(const void *block, const void *p)
{
	const char *b = block, *q = p;
	return q >= b && q < b + malloc_usable_size((void *)block);
}

static void test_compact_service(void **state)
{
	json_t *svc = service("web", "{\"clusterIP\":\"10.0.0.11\",\"clusterIPs\":[\"10.0.0.11\","
				     "\"bad\",5,\"fd00::b\"],\"ports\":[{\"name\":\"http\","
				     "\"port\":80},{\"port\":81},{\"name\":\"\",\"port\":82},"
				     "{\"name\":\"big\",\"port\":70000},{\"name\":\"dns\",\"port\":"
				     "53,\"protocol\":\"UDP\"}]}");
	struct dns_svc *s = dns_svc_from_json(svc);
	assert_non_null(s);
	assert_string_equal(s->key, "default/web");
	assert_string_equal(s->ns, "default");
	assert_string_equal(s->name, "web");
	assert_int_equal(s->kind, DNS_SVC_CLUSTER_IP);
	assert_int_equal(s->nips, 2);
	assert_int_equal(s->ips[0].family, IP_V4);
	assert_memory_equal(s->ips[0].b, "\x0a\x00\x00\x0b", 4);
	assert_int_equal(s->ips[1].family, IP_V6);
	assert_int_equal(s->nports, 2);
	assert_string_equal(s->ports[0].name, "http");
	assert_null(s->ports[0].protocol);
	assert_int_equal(s->ports[0].port, 80);
	assert_string_equal(s->ports[1].name, "dns");
	assert_string_equal(s->ports[1].protocol, "UDP");
	assert_false(s->publish_not_ready);
	/* One block: every array and string lies inside it. */
	assert_true(inside(s, s->key) && inside(s, s->ns) && inside(s, s->ips) &&
		    inside(s, s->ports) && inside(s, s->ports[1].protocol));
	free(s);
	json_decref(svc);

	/* clusterIP alone, when clusterIPs is absent. */
	svc = service("one", "{\"clusterIP\":\"10.0.0.12\"}");
	s = dns_svc_from_json(svc);
	assert_int_equal(s->nips, 1);
	assert_int_equal(s->nports, 0);
	free(s);
	json_decref(svc);

	svc = service("ext", "{\"type\":\"ExternalName\",\"externalName\":\"db.example.com\","
			     "\"clusterIP\":\"10.0.0.13\"}");
	s = dns_svc_from_json(svc);
	assert_int_equal(s->kind, DNS_SVC_EXTERNAL_NAME);
	assert_string_equal(s->external_name, "db.example.com");
	assert_int_equal(s->nips, 0);
	assert_true(inside(s, s->external_name));
	free(s);
	json_decref(svc);

	svc = service("db", "{\"clusterIP\":\"None\",\"publishNotReadyAddresses\":true,"
			    "\"ports\":[{\"name\":\"pg\",\"port\":5432}]}");
	s = dns_svc_from_json(svc);
	assert_int_equal(s->kind, DNS_SVC_HEADLESS);
	assert_true(s->publish_not_ready);
	assert_int_equal(s->nports, 0); /* a headless Service's SRV come from its slices */
	free(s);
	json_decref(svc);

	svc = obj("{\"metadata\":{\"name\":\"x\"},\"spec\":{}}");
	assert_null(dns_svc_from_json(svc));
	json_decref(svc);
}

static void test_compact_slice(void **state)
{
	json_t *slice = obj(headless_slice);
	json_t *eps = json_object_get(slice, "endpoints");
	json_array_append_new(eps, obj("{\"addresses\":[\"10.1.0.4\",\"nope\",\"10.1.0.5\"],"
				       "\"hostname\":\"two\",\"conditions\":{\"ready\":null}}"));
	struct dns_slice *s = dns_slice_from_json(slice);
	assert_non_null(s);
	assert_string_equal(s->key, "default/db-abc");
	assert_string_equal(s->service_key, "default/db");
	assert_int_equal(s->neps, 5);
	assert_string_equal(s->eps[0].hostname, "db-0");
	assert_true(s->eps[0].ready);
	assert_null(s->eps[1].hostname);
	assert_true(s->eps[1].ready);
	assert_false(s->eps[2].ready);
	/* Two addresses of one endpoint share its hostname. */
	assert_memory_equal(s->eps[4].addr.b, "\x0a\x01\x00\x05", 4);
	assert_ptr_equal(s->eps[3].hostname, s->eps[4].hostname);
	assert_string_equal(s->eps[4].hostname, "two");
	assert_true(s->eps[4].ready);
	assert_int_equal(s->nports, 1); /* the unnamed port 9 gives no SRV */
	assert_string_equal(s->ports[0].name, "pg");
	assert_true(inside(s, s->eps) && inside(s, s->eps[4].hostname) &&
		    inside(s, s->service_key) && inside(s, s->ports[0].protocol));
	free(s);

	/* An FQDN slice gives nothing; a slice of no Service has no service_key. */
	json_object_set_new(slice, "addressType", json_string("FQDN"));
	json_object_del(json_object_get(slice, "metadata"), "labels");
	s = dns_slice_from_json(slice);
	assert_int_equal(s->neps, 0);
	assert_int_equal(s->nports, 0);
	assert_string_equal(s->key, "default/db-abc");
	assert_null(s->service_key);
	free(s);
	/* Without metadata it still converts (for dns_records_build), with no keys. */
	json_object_del(slice, "metadata");
	json_object_set_new(slice, "addressType", json_string("IPv4"));
	s = dns_slice_from_json(slice);
	assert_null(s->key);
	assert_null(s->service_key);
	assert_int_equal(s->neps, 5);
	free(s);
	json_decref(slice);
}

/* ---- the database and answers ---- */

struct fixture {
	struct dns_db *db;
	uint8_t out[DNS_TCP_MAX];
	size_t outlen;
	int rcode;
};

static void put(struct dns_db *db, json_t *svc, json_t *slice)
{
	struct dns_records r = DNS_RECORDS_INIT;
	const json_t *slices[] = {slice};
	dns_records_build(svc, slices, slice ? 1 : 0, zone, zonelen, 5, &r);
	char key[256];
	snprintf(key, sizeof(key), "default/%s",
		 json_string_value(json_object_get(json_object_get(svc, "metadata"), "name")));
	dns_db_set_service(db, key, &r);
	json_decref(svc);
	json_decref(slice);
}

static int db_setup(void **state)
{
	setup(state);
	struct fixture *f = calloc(1, sizeof(*f));
	f->db = dns_db_new("cluster.local", 5);
	put(f->db,
	    service("web", "{\"clusterIP\":\"10.0.0.11\",\"ports\":[{\"name\":\"http\","
			   "\"port\":80,\"protocol\":\"TCP\"}]}"),
	    NULL);
	put(f->db, service("db", "{\"clusterIP\":\"None\"}"), obj(headless_slice));
	put(f->db, service("ext", "{\"type\":\"ExternalName\",\"externalName\":\"example.com\"}"),
	    NULL);
	put(f->db,
	    service("alias", "{\"type\":\"ExternalName\",\"externalName\":"
			     "\"web.default.svc.cluster.local\"}"),
	    NULL);
	put(f->db,
	    service("gone", "{\"type\":\"ExternalName\",\"externalName\":"
			    "\"gone.nowhere.svc.cluster.local\"}"),
	    NULL);
	dns_db_set_synced(f->db, true);
	*state = f;
	return 0;
}

static int db_teardown(void **state)
{
	struct fixture *f = *state;
	dns_db_free(f->db);
	free(f);
	return 0;
}

/* Asks name/type (udp_size 0: no EDNS); returns the action. */
static enum dns_action ask(struct fixture *f, const char *name, uint16_t type, bool tcp,
			   uint16_t udp_size, bool upstream)
{
	uint8_t q[600], w[DNS_NAME_MAX];
	int nl = dns_name_from_text(name, w);
	assert_true(nl > 0);
	/* Keep the case of the text, as a client would send it. */
	for (int i = 0, l = 0, t = 0; i < nl; i++) {
		if (!l) {
			l = w[i];
			t += i ? 1 : 0;
		} else {
			w[i] = (uint8_t)name[t++];
			l--;
		}
	}
	memset(q, 0, 12);
	dns_put16(q, 7);
	dns_put16(q + 2, DNS_F_RD);
	dns_put16(q + 4, 1);
	memcpy(q + 12, w, (size_t)nl);
	size_t n = 12 + (size_t)nl;
	dns_put16(q + n, type);
	dns_put16(q + n + 2, DNS_C_IN);
	n += 4;
	if (udp_size) {
		dns_put16(q + 10, 1);
		memcpy(q + n, "\x00\x00\x29\x00\x00\x00\x00\x00\x00\x00\x00", 11);
		dns_put16(q + n + 3, udp_size);
		n += 11;
	}
	struct dns_query pq;
	dns_db_rdlock(f->db);
	enum dns_action a =
	    dns_answer(f->db, q, n, tcp, upstream, f->out, &f->outlen, &pq, &f->rcode);
	dns_db_unlock(f->db);
	return a;
}

static uint16_t count(struct fixture *f, int section)
{
	return dns_get16(f->out + 6 + 2 * section);
}

static uint16_t flags(struct fixture *f)
{
	return dns_get16(f->out + 2);
}

static void test_answer_positive(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ask(f, "web.default.svc.cluster.local", DNS_T_A, false, 0, false),
			 DNS_ACT_REPLY);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 1);
	assert_true(flags(f) & DNS_F_AA);
	assert_memory_equal(f->out + f->outlen - 4, "\x0a\x00\x00\x0b", 4);

	/* Mixed case finds the same record. */
	ask(f, "WEB.Default.SVC.cluster.LOCAL", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 1);

	/* SRV with the target's address in the additional section. */
	ask(f, "_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, false, 1232, false);
	assert_int_equal(count(f, 0), 1);
	assert_int_equal(count(f, 2), 2); /* A + OPT */

	ask(f, "11.0.0.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 1);

	ask(f, "dns-version.cluster.local", DNS_T_TXT, false, 0, false);
	assert_int_equal(count(f, 0), 1);
	assert_memory_equal(f->out + f->outlen - 6,
			    "\x05"
			    "1.1.0",
			    6);

	ask(f, "db.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(count(f, 0), 2);
	ask(f, "db-0.db.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(count(f, 0), 1);
}

static void test_answer_cname(void **state)
{
	struct fixture *f = *state;
	/* Out of zone: the CNAME alone. */
	ask(f, "ext.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 1);
	ask(f, "ext.default.svc.cluster.local", DNS_T_AAAA, false, 0, false);
	assert_int_equal(count(f, 0), 1);
	/* In zone: the CNAME and the target's A. */
	ask(f, "alias.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(count(f, 0), 2);
	/* In zone, target missing: NXDOMAIN with the CNAME and the SOA. */
	ask(f, "gone.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	assert_int_equal(count(f, 0), 1);
	assert_int_equal(count(f, 1), 1);
}

static void test_answer_negative(void **state)
{
	struct fixture *f = *state;
	ask(f, "nope.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	assert_int_equal(count(f, 0), 0);
	assert_int_equal(count(f, 1), 1);
	assert_true(flags(f) & DNS_F_AA);
	/* NODATA: the name exists without that type. */
	ask(f, "web.default.svc.cluster.local", DNS_T_AAAA, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 0);
	assert_int_equal(count(f, 1), 1);
	/* Empty non-terminals exist. */
	ask(f, "default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	ask(f, "_tcp.web.default.svc.cluster.local", DNS_T_SRV, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 1), 1);
	/* Apex SOA and NS. */
	ask(f, "cluster.local", DNS_T_SOA, false, 0, false);
	assert_int_equal(count(f, 0), 1);
	ask(f, "cluster.local", DNS_T_NS, false, 0, false);
	assert_int_equal(count(f, 0), 1);
}

static void test_answer_outside(void **state)
{
	struct fixture *f = *state;
	ask(f, "example.org", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_REFUSED);
	assert_false(flags(f) & DNS_F_AA);
	assert_int_equal(ask(f, "example.org", DNS_T_A, false, 0, true), DNS_ACT_FORWARD);
	/* An unknown reverse name is not ours either. */
	assert_int_equal(ask(f, "9.9.9.9.in-addr.arpa", DNS_T_PTR, false, 0, true),
			 DNS_ACT_FORWARD);
	/* Before the first sync: SERVFAIL inside the zone, forwarding outside. */
	dns_db_set_synced(f->db, false);
	ask(f, "web.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_SERVFAIL);
	assert_int_equal(ask(f, "example.org", DNS_T_A, false, 0, true), DNS_ACT_FORWARD);
	dns_db_set_synced(f->db, true);
}

static void test_answer_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t q[64] = {0}, out[DNS_UDP_MAX];
	struct dns_query pq;
	size_t len;
	int rcode;

	/* No question: FORMERR; a response: dropped; NOTIFY: NOTIMP. */
	dns_put16(q, 9);
	assert_int_equal(dns_answer(f->db, q, 12, false, false, out, &len, &pq, &rcode),
			 DNS_ACT_REPLY);
	assert_int_equal(rcode, DNS_R_FORMERR);
	assert_int_equal(len, 12);
	assert_int_equal(dns_get16(out), 9);
	q[2] = 0x80;
	assert_int_equal(dns_answer(f->db, q, 12, false, false, out, &len, &pq, &rcode),
			 DNS_ACT_DROP);
	size_t n = 12;
	dns_put16(q + 2, 4 << 11);
	dns_put16(q + 4, 1);
	memcpy(q + n,
	       "\x01"
	       "a\x00\x00\x06\x00\x01",
	       7);
	n += 7;
	dns_answer(f->db, q, n, false, false, out, &len, &pq, &rcode);
	assert_int_equal(rcode, DNS_R_NOTIMP);
	/* EDNS version 1: BADVERS in the OPT. */
	dns_put16(q + 2, 0);
	dns_put16(q + 10, 1);
	memcpy(q + n, "\x00\x00\x29\x04\xd0\x00\x01\x00\x00\x00\x00", 11);
	dns_answer(f->db, q, n + 11, false, false, out, &len, &pq, &rcode);
	assert_int_equal(rcode, DNS_R_BADVERS);
	assert_int_equal(out[len - 6], 1);
}

static void test_truncation(void **state)
{
	struct fixture *f = *state;
	/* A headless Service of 100 ready endpoints: 1600 bytes of A records. */
	struct dns_records r = DNS_RECORDS_INIT;
	json_t *slice = obj("{\"addressType\":\"IPv4\",\"endpoints\":[]}");
	json_t *eps = json_object_get(slice, "endpoints");
	for (int i = 0; i < 100; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "10.2.0.%d", i + 1);
		json_t *ep = json_object();
		json_object_set_new(ep, "addresses", json_pack("[s]", ip));
		json_array_append_new(eps, ep);
	}
	json_t *svc = service("big", "{\"clusterIP\":\"None\"}");
	const json_t *slices[] = {slice};
	dns_records_build(svc, slices, 1, zone, zonelen, 5, &r);
	dns_db_set_service(f->db, "default/big", &r);

	ask(f, "big.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_true(flags(f) & DNS_F_TC);
	assert_int_equal(count(f, 0), 0);
	assert_true(f->outlen <= 512);
	ask(f, "big.default.svc.cluster.local", DNS_T_A, false, 4096, false);
	assert_true(flags(f) & DNS_F_TC);
	assert_true(f->outlen <= 1232);
	ask(f, "big.default.svc.cluster.local", DNS_T_A, true, 0, false);
	assert_false(flags(f) & DNS_F_TC);
	assert_int_equal(count(f, 0), 100);

	/* Removing the Service removes its names and the empty non-terminals. */
	dns_db_set_service(f->db, "default/big", &r);
	ask(f, "big.default.svc.cluster.local", DNS_T_A, true, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	size_t svcs, names, recs;
	dns_db_stats(f->db, &svcs, &names, &recs);
	assert_int_equal(svcs, 5);
	json_decref(svc);
	json_decref(slice);
}

static void test_replace_and_delete(void **state)
{
	struct fixture *f = *state;
	put(f->db, service("web", "{\"clusterIP\":\"10.0.0.12\"}"), NULL);
	ask(f, "web.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_memory_equal(f->out + f->outlen - 4, "\x0a\x00\x00\x0c", 4);
	ask(f, "_http._tcp.web.default.svc.cluster.local", DNS_T_SRV, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	ask(f, "11.0.0.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_REFUSED);

	const char *keys[] = {"default/web", "default/db", "default/ext", "default/alias",
			      "default/gone"};
	struct dns_records none = DNS_RECORDS_INIT;
	for (size_t i = 0; i < 5; i++)
		dns_db_set_service(f->db, keys[i], &none);
	ask(f, "default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	size_t svcs, names, recs;
	dns_db_stats(f->db, &svcs, &names, &recs);
	assert_int_equal(svcs, 0);
	assert_int_equal(names, 2); /* the apex and dns-version */
	assert_int_equal(recs, 3);
}

/*
 * A name with records of two Services (a PTR of an address that is both a
 * ClusterIP and an endpoint): both answer, and removing either leaves the
 * other's (the node's records move from its own slot to an array and back).
 */
static void test_shared_name(void **state)
{
	struct fixture *f = *state;
	struct dns_records none = DNS_RECORDS_INIT;
	char name[DNS_NAME_TEXT_MAX];

	put(f->db, service("same", "{\"clusterIP\":\"10.1.0.1\"}"), NULL);
	ask(f, "1.0.1.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NOERROR);
	assert_int_equal(count(f, 0), 2);
	dns_db_set_service(f->db, "default/same", &none);
	ask(f, "1.0.1.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(count(f, 0), 1);
	size_t pos = 12;
	uint8_t w[DNS_NAME_MAX];
	/* The question, the answer's owner, its type to rdlength, its rdata. */
	assert_true(dns_name_unpack(f->out, f->outlen, &pos, w) > 0);
	pos += 4;
	assert_true(dns_name_unpack(f->out, f->outlen, &pos, w) > 0);
	pos += 10;
	assert_true(dns_name_unpack(f->out, f->outlen, &pos, w) > 0);
	assert_string_equal(dns_name_to_text(w, name), "db-0.db.default.svc.cluster.local.");

	put(f->db, service("same", "{\"clusterIP\":\"10.1.0.1\"}"), NULL);
	dns_db_set_service(f->db, "default/db", &none);
	ask(f, "1.0.1.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(count(f, 0), 1);
	ask(f, "db-0.db.default.svc.cluster.local", DNS_T_A, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_NXDOMAIN);
	dns_db_set_service(f->db, "default/same", &none);
	ask(f, "1.0.1.10.in-addr.arpa", DNS_T_PTR, false, 0, false);
	assert_int_equal(f->rcode, DNS_R_REFUSED);
}

/* The hash table against a plain array: inserts, deletes (backward shift), lookups. */
static void test_table(void **state)
{
	enum { N = 5000 };
	static char keys[N][16];
	static int present[N];
	struct dns_table t = {0};
	unsigned seed = 1;

	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		dns_table_put(&t, dns_table_hash(keys[i], strlen(keys[i])), keys[i],
			      strlen(keys[i]), keys[i]);
		present[i] = 1;
	}
	for (int round = 0; round < 3 * N; round++) {
		seed = seed * 1103515245u + 12345u;
		int i = (int)((seed >> 8) % N);
		uint64_t h = dns_table_hash(keys[i], strlen(keys[i]));
		if (present[i]) {
			assert_ptr_equal(dns_table_del(&t, h, keys[i], strlen(keys[i])), keys[i]);
			present[i] = 0;
		} else {
			assert_null(dns_table_del(&t, h, keys[i], strlen(keys[i])));
			dns_table_put(&t, h, keys[i], strlen(keys[i]), keys[i]);
			present[i] = 1;
		}
	}
	size_t n = 0;
	for (int i = 0; i < N; i++) {
		void *v = dns_table_get(&t, dns_table_hash(keys[i], strlen(keys[i])), keys[i],
					strlen(keys[i]));
		assert_ptr_equal(v, present[i] ? keys[i] : NULL);
		n += (size_t)present[i];
	}
	assert_int_equal(t.n, n);
	dns_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test_setup(test_cluster_ip, setup),
	    cmocka_unit_test_setup(test_unnamed_port_and_external_name, setup),
	    cmocka_unit_test_setup(test_headless, setup),
	    cmocka_unit_test(test_compact_service),
	    cmocka_unit_test(test_compact_slice),
	    cmocka_unit_test_setup_teardown(test_answer_positive, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_answer_cname, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_answer_negative, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_answer_outside, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_answer_errors, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_truncation, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_replace_and_delete, db_setup, db_teardown),
	    cmocka_unit_test_setup_teardown(test_shared_name, db_setup, db_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
