/*
 * Unit tests for the DNS wire codec: names (text, wire, compression pointers
 * with their bounds), query parsing (strict counts, OPT), and the response
 * builder (compression, limits with roll-back, TC, OPT and extended rcodes).
 */
#include "dns/wire.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int wire(const char *text, uint8_t out[DNS_NAME_MAX])
{
	int n = dns_name_from_text(text, out);
	assert_true(n > 0);
	return n;
}

static void test_name_text(void **state)
{
	uint8_t w[DNS_NAME_MAX];
	char t[DNS_NAME_TEXT_MAX];

	assert_int_equal(dns_name_from_text("My-Svc.Default.svc.cluster.local.", w), 34);
	assert_memory_equal(w,
			    "\x06my-svc\x07"
			    "default\x03svc\x07"
			    "cluster\x05local",
			    34);
	assert_string_equal(dns_name_to_text(w, t), "my-svc.default.svc.cluster.local.");
	assert_int_equal(dns_name_from_text(".", w), 1);
	assert_string_equal(dns_name_to_text(w, t), ".");
	assert_int_equal(dns_name_from_text("a..b", w), -EINVAL);
	assert_int_equal(dns_name_from_text("a\\.b", w), -EINVAL);
	char label[70];
	memset(label, 'x', 64);
	label[64] = 0;
	assert_int_equal(dns_name_from_text(label, w), -EINVAL);
	label[63] = 0;
	assert_int_equal(dns_name_from_text(label, w), 65);
	/* 4 labels of 63 = 256 bytes of wire: one too many. */
	char big[300];
	snprintf(big, sizeof(big), "%s.%s.%s.%s", label, label, label, label);
	assert_int_equal(dns_name_from_text(big, w), -EINVAL);
	big[strlen(big) - 2] = 0; /* 254 bytes of wire + root = 255 */
	assert_int_equal(dns_name_from_text(big, w), 255);
	uint8_t odd[] = "\x03"
			"a b\x01\x7f";
	assert_string_equal(dns_name_to_text(odd, t), "a\\032b.\\127.");
}

static void test_name_zone(void **state)
{
	uint8_t n[DNS_NAME_MAX], z[DNS_NAME_MAX];
	int nl = wire("a.svc.cluster.local", n), zl = wire("cluster.local", z);
	assert_true(dns_name_in_zone(n, (size_t)nl, z, (size_t)zl));
	assert_true(dns_name_in_zone(z, (size_t)zl, z, (size_t)zl));
	nl = wire("xcluster.local", n);
	assert_false(dns_name_in_zone(n, (size_t)nl, z, (size_t)zl));
	nl = wire("local", n);
	assert_false(dns_name_in_zone(n, (size_t)nl, z, (size_t)zl));
	assert_int_equal(dns_name_labels(z), 2);
}

static void test_unpack_pointers(void **state)
{
	uint8_t out[DNS_NAME_MAX];
	/* 12 bytes of header, "svc.local" at 12, then "a" + pointer to 12 at 23. */
	uint8_t pkt[64] = {0};
	memcpy(pkt + 12, "\x03svc\x05local\x00", 11);
	memcpy(pkt + 23,
	       "\x01"
	       "a\xc0\x0c",
	       4);
	size_t pos = 23;
	assert_int_equal(dns_name_unpack(pkt, 27, &pos, out), 13);
	assert_int_equal(pos, 27);
	assert_memory_equal(out,
			    "\x01"
			    "a\x03svc\x05local",
			    13);

	/* A pointer to itself, and a forward pointer. */
	memcpy(pkt + 30, "\xc0\x1e", 2);
	pos = 30;
	assert_int_equal(dns_name_unpack(pkt, 32, &pos, out), -EBADMSG);
	memcpy(pkt + 30, "\xc0\x21", 2);
	pos = 30;
	assert_int_equal(dns_name_unpack(pkt, 40, &pos, out), -EBADMSG);
	/* Two pointers that point at each other. */
	memcpy(pkt + 40, "\xc0\x2a\xc0\x28", 4);
	pos = 42;
	assert_int_equal(dns_name_unpack(pkt, 44, &pos, out), -EBADMSG);
	/* A label running past the end, a truncated pointer, a 0x40 label type. */
	pos = 12;
	assert_int_equal(dns_name_unpack(pkt, 16, &pos, out), -EBADMSG);
	pkt[50] = 0xc0;
	pos = 50;
	assert_int_equal(dns_name_unpack(pkt, 51, &pos, out), -EBADMSG);
	pkt[50] = 0x41;
	pos = 50;
	assert_int_equal(dns_name_unpack(pkt, 60, &pos, out), -EBADMSG);
}

static void test_unpack_too_long(void **state)
{
	/* 5 labels of 63 bytes chained by pointers: over 255 once expanded. */
	uint8_t pkt[400] = {0}, out[DNS_NAME_MAX];
	size_t off = 12;
	for (int i = 0; i < 5; i++) {
		pkt[off] = 63;
		memset(pkt + off + 1, 'a', 63);
		if (i == 0) {
			pkt[off + 64] = 0;
			off += 65;
		} else {
			pkt[off + 64] = 0xc0;
			pkt[off + 65] = (uint8_t)(off - 66);
			off += 66;
		}
	}
	size_t pos = off - 66;
	assert_int_equal(dns_name_unpack(pkt, off, &pos, out), -EBADMSG);
}

/* Wire form of text with its case kept (dns_name_from_text lowers it). */
static int wire_case(const char *text, uint8_t out[DNS_NAME_MAX])
{
	int n = wire(text, out);
	for (int i = 0, l = 0; i < n; i++) {
		if (l == 0) {
			l = out[i];
			text += i ? 1 : 0;
		} else {
			out[i] = (uint8_t)*text++;
			l--;
		}
	}
	return n;
}

/* Builds a query for name/type; with_opt adds an OPT with size. */
static size_t query(uint8_t *buf, const char *name, uint16_t type, int with_opt, uint16_t size)
{
	uint8_t w[DNS_NAME_MAX];
	int nl = wire_case(name, w);
	memset(buf, 0, DNS_HDR_LEN);
	dns_put16(buf, 0x1234);
	dns_put16(buf + 2, DNS_F_RD);
	dns_put16(buf + 4, 1);
	memcpy(buf + 12, w, (size_t)nl);
	size_t n = 12 + (size_t)nl;
	dns_put16(buf + n, type);
	dns_put16(buf + n + 2, DNS_C_IN);
	n += 4;
	if (with_opt) {
		dns_put16(buf + 10, 1);
		memcpy(buf + n, "\x00\x00\x29\x00\x00\x00\x00\x80\x00\x00\x00", 11);
		dns_put16(buf + n + 3, size);
		n += 11;
	}
	return n;
}

static void test_parse_query(void **state)
{
	uint8_t b[600];
	struct dns_query q;
	size_t n = query(b, "My-Svc.default.svc.cluster.local", DNS_T_A, 1, 4096);

	assert_int_equal(dns_parse_query(b, n, &q), 0);
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, DNS_T_A);
	assert_int_equal(q.qclass, DNS_C_IN);
	assert_true(q.has_opt);
	assert_true(q.do_bit);
	assert_int_equal(q.udp_size, 4096);
	assert_memory_equal(q.qname, "\x06my-svc", 7);
	assert_memory_equal(q.qname_orig, "\x06My-Svc", 7);

	/* Short, a response, two questions, trailing bytes, a cut question. */
	assert_int_equal(dns_parse_query(b, 11, &q), DNS_PARSE_DROP);
	b[2] |= 0x80;
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_DROP);
	b[2] &= 0x7f;
	dns_put16(b + 4, 2);
	assert_int_equal(dns_parse_query(b, n, &q), DNS_PARSE_FORMERR);
	dns_put16(b + 4, 1);
	assert_int_equal(dns_parse_query(b, n + 1, &q), DNS_PARSE_FORMERR);
	assert_int_equal(dns_parse_query(b, 20, &q), DNS_PARSE_FORMERR);
	assert_int_equal(q.qname_len, 0);

	/* No OPT: 512; a tiny EDNS size is raised to 512. */
	n = query(b, "a.b", DNS_T_AAAA, 0, 0);
	assert_int_equal(dns_parse_query(b, n, &q), 0);
	assert_false(q.has_opt);
	assert_int_equal(q.udp_size, 512);
	n = query(b, "a.b", DNS_T_AAAA, 1, 100);
	assert_int_equal(dns_parse_query(b, n, &q), 0);
	assert_int_equal(q.udp_size, 512);
}

static void test_parse_opt_errors(void **state)
{
	uint8_t b[600];
	struct dns_query q;
	size_t n = query(b, "a.b", DNS_T_A, 1, 1232);

	/* A second OPT. */
	memcpy(b + n, b + n - 11, 11);
	dns_put16(b + 10, 2);
	assert_int_equal(dns_parse_query(b, n + 11, &q), DNS_PARSE_FORMERR);
	/* An option running past the OPT's rdata. */
	dns_put16(b + 10, 1);
	dns_put16(b + n - 2, 4);
	memcpy(b + n, "\x00\x0a\x00\x08", 4);
	assert_int_equal(dns_parse_query(b, n + 4, &q), DNS_PARSE_FORMERR);
	/* A well-formed cookie option is accepted. */
	dns_put16(b + n - 2, 12);
	memcpy(b + n,
	       "\x00\x0a\x00\x08"
	       "abcdefgh",
	       12);
	assert_int_equal(dns_parse_query(b, n + 12, &q), 0);
	/* An OPT whose owner is not the root. */
	n = query(b, "a.b", DNS_T_A, 1, 1232);
	memmove(b + n - 10, b + n - 11, 11);
	b[n - 11] = 0xc0;
	b[n - 10] = 0x0c;
	assert_int_equal(dns_parse_query(b, n + 1, &q), DNS_PARSE_FORMERR);
}

/* Reads the owner of the record at *pos and skips it; returns its type. */
static uint16_t next_rr(const uint8_t *m, size_t len, size_t *pos, uint8_t owner[DNS_NAME_MAX],
			uint8_t rdname[DNS_NAME_MAX])
{
	assert_true(dns_name_unpack(m, len, pos, owner) > 0);
	uint16_t type = dns_get16(m + *pos);
	size_t rdlen = dns_get16(m + *pos + 8), rd = *pos + 10;
	if (rdname && (type == DNS_T_CNAME || type == DNS_T_PTR || type == DNS_T_SRV)) {
		size_t p = type == DNS_T_SRV ? rd + 6 : rd;
		assert_true(dns_name_unpack(m, len, &p, rdname) > 0);
		assert_int_equal(p, rd + rdlen);
	}
	*pos = rd + rdlen;
	return type;
}

static void test_msg_compression(void **state)
{
	uint8_t q_buf[600], out[DNS_UDP_MAX], owner[DNS_NAME_MAX], rd[DNS_NAME_MAX];
	uint8_t target[DNS_NAME_MAX], srv[6 + DNS_NAME_MAX];
	struct dns_query q;
	struct dns_msg m;
	size_t n = query(q_buf, "_HTTP._tcp.web.default.svc.cluster.local", DNS_T_SRV, 1, 1232);

	assert_int_equal(dns_parse_query(q_buf, n, &q), 0);
	dns_msg_init(&m, out, sizeof(out), &q, DNS_F_AA);
	int tl = wire("h1.web.default.svc.cluster.local", target);
	memcpy(srv, "\x00\x00\x00\x64\x00\x50", 6);
	memcpy(srv + 6, target, (size_t)tl);
	assert_int_equal(dns_msg_add_rr(&m, DNS_SEC_ANSWER, q.qname, DNS_T_SRV, 5, srv,
					(uint16_t)(6 + tl), DNS_RD_SRV),
			 0);
	size_t srv_end = m.len;
	assert_int_equal(dns_msg_add_rr(&m, DNS_SEC_ADDITIONAL, target, DNS_T_A, 5,
					(const uint8_t *)"\x0a\x00\x00\x01", 4, DNS_RD_RAW),
			 0);
	/* The additional owner is one pointer to the SRV target. */
	assert_int_equal(m.len - srv_end, 2 + 10 + 4);
	size_t len = dns_msg_finish(&m, &q, 0);

	/* The answer owner points at the question (offset 12), original case. */
	size_t qend = 12 + q.qname_len + 4;
	assert_int_equal(out[qend], 0xc0);
	assert_int_equal(out[qend + 1], 12);
	assert_int_equal(dns_get16(out + 6), 1);
	assert_int_equal(dns_get16(out + 10), 2);
	assert_true(dns_get16(out + 2) & DNS_F_AA);
	assert_true(dns_get16(out + 2) & DNS_F_RD);
	size_t pos = qend;
	assert_int_equal(next_rr(out, len, &pos, owner, rd), DNS_T_SRV);
	assert_memory_equal(owner, "\x05_HTTP", 6);
	assert_memory_equal(rd, target, (size_t)tl);
	assert_int_equal(next_rr(out, len, &pos, owner, NULL), DNS_T_A);
	assert_memory_equal(owner, target, (size_t)tl);
	assert_int_equal(next_rr(out, len, &pos, owner, NULL), DNS_T_OPT);
	assert_int_equal(pos, len);
}

static void test_msg_limit_and_tc(void **state)
{
	uint8_t q_buf[600], out[DNS_UDP_MAX], name[DNS_NAME_MAX];
	struct dns_query q;
	struct dns_msg m;
	size_t n = query(q_buf, "x.cluster.local", DNS_T_A, 0, 0);
	int nl = wire("x.cluster.local", name);

	assert_int_equal(dns_parse_query(q_buf, n, &q), 0);
	dns_msg_init(&m, out, DNS_UDP_MIN, &q, 0);
	int added = 0;
	while (dns_msg_add_rr(&m, DNS_SEC_ANSWER, name, DNS_T_A, 5,
			      (const uint8_t *)"\x01\x02\x03\x04", 4, DNS_RD_RAW) == 0)
		added++;
	/* 12 + 21 question, then 16 bytes a record (owner compressed). */
	assert_int_equal(added, (512 - 33) / 16);
	assert_true(m.len <= 512);
	size_t before = m.len;
	assert_int_equal(dns_msg_add_rr(&m, DNS_SEC_ANSWER, name, DNS_T_A, 5,
					(const uint8_t *)"\x01\x02\x03\x04", 4, DNS_RD_RAW),
			 -ENOSPC);
	assert_int_equal(m.len, before);
	dns_msg_truncate(&m);
	size_t len = dns_msg_finish(&m, &q, 0);
	assert_int_equal(len, 12 + nl + 4);
	assert_true(dns_get16(out + 2) & DNS_F_TC);
	assert_int_equal(dns_get16(out + 6), 0);
}

static void test_msg_extended_rcode(void **state)
{
	uint8_t q_buf[600], out[DNS_UDP_MAX];
	struct dns_query q;
	struct dns_msg m;
	size_t n = query(q_buf, "a.b", DNS_T_A, 1, 1232);

	assert_int_equal(dns_parse_query(q_buf, n, &q), 0);
	dns_msg_init(&m, out, sizeof(out), &q, 0);
	size_t len = dns_msg_finish(&m, &q, DNS_R_BADVERS);
	/* Header rcode 0, OPT's extended rcode 1: 16 in all. */
	assert_int_equal(dns_get16(out + 2) & 0xF, 0);
	assert_int_equal(out[len - 6], 1);
	assert_int_equal(dns_get16(out + len - 8), DNS_UDP_MAX);
	assert_int_equal(out[len - 4] & 0x80, 0x80); /* DO echoed */
}

static void test_soa_compression(void **state)
{
	uint8_t q_buf[600], out[DNS_UDP_MAX], owner[DNS_NAME_MAX], rd[2 * DNS_NAME_MAX + 20];
	struct dns_query q;
	struct dns_msg m;
	size_t n = query(q_buf, "nope.cluster.local", DNS_T_A, 0, 0);
	uint8_t zone[DNS_NAME_MAX];
	int zl = wire("cluster.local", zone);
	int a = wire("ns.dns.cluster.local", rd);
	int b = wire("hostmaster.cluster.local", rd + a);
	memset(rd + a + b, 7, 20);

	assert_int_equal(dns_parse_query(q_buf, n, &q), 0);
	dns_msg_init(&m, out, sizeof(out), &q, 0);
	assert_int_equal(dns_msg_add_rr(&m, DNS_SEC_AUTHORITY, zone, DNS_T_SOA, 5, rd,
					(uint16_t)(a + b + 20), DNS_RD_SOA),
			 0);
	size_t len = dns_msg_finish(&m, &q, DNS_R_NXDOMAIN);
	/* owner 2, fixed 10, "ns.dns" + ptr 9, "hostmaster" + ptr 13, 20. */
	assert_int_equal(len, 12 + 24 + 2 + 10 + 9 + 13 + 20);
	size_t pos = 12 + 24;
	assert_int_equal(next_rr(out, len, &pos, owner, NULL), DNS_T_SOA);
	assert_memory_equal(owner, zone, (size_t)zl);
	pos = 12 + 24 + 12;
	assert_int_equal(dns_name_unpack(out, len, &pos, owner), a);
	assert_memory_equal(owner, rd, (size_t)a);
	assert_int_equal(dns_get16(out + 2) & 0xF, DNS_R_NXDOMAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_name_text),	       cmocka_unit_test(test_name_zone),
	    cmocka_unit_test(test_unpack_pointers),    cmocka_unit_test(test_unpack_too_long),
	    cmocka_unit_test(test_parse_query),	       cmocka_unit_test(test_parse_opt_errors),
	    cmocka_unit_test(test_msg_compression),    cmocka_unit_test(test_msg_limit_and_tc),
	    cmocka_unit_test(test_msg_extended_rcode), cmocka_unit_test(test_soa_compression),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
