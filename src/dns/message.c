/*
 * The response builder: header, question, records with name compression
 * (RFC 1035 4.1.4), a size limit with roll-back, and the EDNS0 OPT record.
 * The compression dictionary holds pointers to the suffixes of names already
 * written, with their offsets: a name is written as its labels up to the
 * longest suffix already in the message, then a pointer.
 */
#include "dns/wire.h"

#include <errno.h>
#include <string.h>

static size_t name_len(const uint8_t *n)
{
	const uint8_t *p = n;
	while (*p)
		p += 1 + *p;
	return (size_t)(p - n) + 1;
}

static int same_name(const uint8_t *a, const uint8_t *b, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x += 32;
		if (y >= 'A' && y <= 'Z')
			y += 32;
		if (x != y)
			return 0;
	}
	return 1;
}

/* Registers the suffixes of name starting before stop, written at off. */
static void remember(struct dns_msg *m, const uint8_t *name, size_t len, size_t stop, size_t off)
{
	for (size_t j = 0; j < stop && len - j > 1; j += 1 + name[j]) {
		if (m->ncompr == DNS_COMPR_MAX || off + j >= 0x4000)
			return;
		m->compr[m->ncompr].name = name + j;
		m->compr[m->ncompr].off = (uint16_t)(off + j);
		m->compr[m->ncompr].len = (uint8_t)(len - j);
		m->ncompr++;
	}
}

/* The offset of a suffix equal to name+s already in the message, or -1. */
static int find_suffix(const struct dns_msg *m, const uint8_t *suffix, size_t slen)
{
	for (int i = 0; i < m->ncompr; i++)
		if (m->compr[i].len == slen && same_name(m->compr[i].name, suffix, slen))
			return m->compr[i].off;
	return -1;
}

/* Writes name at m->len, compressed when compress; -ENOSPC past the limit. */
static int put_name(struct dns_msg *m, const uint8_t *name, int compress)
{
	size_t len = name_len(name), s = 0, start = m->len;
	int ptr = -1;

	if (compress) {
		for (s = 0; len - s > 1; s += 1 + name[s]) {
			ptr = find_suffix(m, name + s, len - s);
			if (ptr >= 0)
				break;
		}
	}
	size_t raw = ptr >= 0 ? s : len;
	size_t need = raw + (ptr >= 0 ? 2 : 0);
	if (m->len + need > m->limit)
		return -ENOSPC;
	memcpy(m->buf + m->len, name, raw);
	m->len += raw;
	if (ptr >= 0) {
		dns_put16(m->buf + m->len, (uint16_t)(0xC000 | ptr));
		m->len += 2;
	}
	remember(m, name, len, raw, start);
	return 0;
}

static int put_bytes(struct dns_msg *m, const void *p, size_t n)
{
	if (m->len + n > m->limit)
		return -ENOSPC;
	memcpy(m->buf + m->len, p, n);
	m->len += n;
	return 0;
}

void dns_msg_init(struct dns_msg *m, uint8_t *buf, size_t cap, const struct dns_query *q,
		  uint16_t flags)
{
	m->buf = buf;
	m->cap = cap;
	m->limit = cap - (q->has_opt ? DNS_OPT_LEN : 0);
	m->ncompr = 0;
	memset(m->count, 0, sizeof(m->count));
	memset(buf, 0, DNS_HDR_LEN);
	dns_put16(buf, q->id);
	uint16_t f = (uint16_t)(DNS_F_QR | (q->opcode & 0xF) << 11 |
				(q->flags & (DNS_F_RD | DNS_F_CD)) | flags);
	dns_put16(buf + 2, f);
	m->len = DNS_HDR_LEN;
	if (q->qname_len) {
		dns_put16(buf + 4, 1);
		memcpy(buf + m->len, q->qname_orig, q->qname_len);
		remember(m, q->qname_orig, q->qname_len, q->qname_len, m->len);
		m->len += q->qname_len;
		dns_put16(buf + m->len, q->qtype);
		dns_put16(buf + m->len + 2, q->qclass);
		m->len += 4;
	}
	m->qend = m->len;
	m->ncompr_q = m->ncompr;
}

void dns_msg_set_flags(struct dns_msg *m, uint16_t flags)
{
	dns_put16(m->buf + 2, dns_get16(m->buf + 2) | flags);
}

enum dns_rdata_kind dns_rdata_kind(uint16_t type)
{
	switch (type) {
	case DNS_T_CNAME:
	case DNS_T_PTR:
	case DNS_T_NS:
		return DNS_RD_NAME;
	case DNS_T_SOA:
		return DNS_RD_SOA;
	case DNS_T_SRV:
		return DNS_RD_SRV;
	default:
		return DNS_RD_RAW;
	}
}

static int put_rdata(struct dns_msg *m, const uint8_t *rdata, uint16_t rdlen,
		     enum dns_rdata_kind kind)
{
	switch (kind) {
	case DNS_RD_NAME:
		return put_name(m, rdata, 1);
	case DNS_RD_SOA: {
		size_t n1 = name_len(rdata), n2 = name_len(rdata + n1);
		if (put_name(m, rdata, 1) < 0 || put_name(m, rdata + n1, 1) < 0)
			return -ENOSPC;
		return put_bytes(m, rdata + n1 + n2, 20);
	}
	case DNS_RD_SRV:
		/* The target is never compressed, but later names may point at it. */
		if (put_bytes(m, rdata, 6) < 0)
			return -ENOSPC;
		return put_name(m, rdata + 6, 0);
	default:
		return put_bytes(m, rdata, rdlen);
	}
}

int dns_msg_add_rr(struct dns_msg *m, enum dns_section sec, const uint8_t *owner, uint16_t type,
		   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, enum dns_rdata_kind kind)
{
	size_t save_len = m->len;
	int save_compr = m->ncompr;
	uint8_t fixed[10];

	if (put_name(m, owner, 1) < 0)
		goto full;
	dns_put16(fixed, type);
	dns_put16(fixed + 2, DNS_C_IN);
	dns_put32(fixed + 4, ttl);
	size_t rdpos = m->len + 8;
	if (put_bytes(m, fixed, 10) < 0 || put_rdata(m, rdata, rdlen, kind) < 0)
		goto full;
	dns_put16(m->buf + rdpos, (uint16_t)(m->len - rdpos - 2));
	m->count[sec]++;
	return 0;
full:
	m->len = save_len;
	m->ncompr = save_compr;
	return -ENOSPC;
}

void dns_msg_truncate(struct dns_msg *m)
{
	m->len = m->qend;
	m->ncompr = m->ncompr_q;
	memset(m->count, 0, sizeof(m->count));
	dns_msg_set_flags(m, DNS_F_TC);
}

size_t dns_msg_finish(struct dns_msg *m, const struct dns_query *q, int rcode)
{
	uint8_t *b = m->buf;
	dns_put16(b + 2, (uint16_t)((dns_get16(b + 2) & ~0xF) | (rcode & 0xF)));
	if (q->has_opt) {
		/* Room was kept in init: limit is cap - DNS_OPT_LEN. */
		uint8_t *o = b + m->len;
		o[0] = 0;
		dns_put16(o + 1, DNS_T_OPT);
		dns_put16(o + 3, DNS_UDP_MAX);
		o[5] = (uint8_t)(rcode >> 4);
		o[6] = 0; /* EDNS version 0 */
		o[7] = q->do_bit ? 0x80 : 0;
		o[8] = 0;
		dns_put16(o + 9, 0);
		m->len += DNS_OPT_LEN;
		m->count[DNS_SEC_ADDITIONAL]++;
	}
	dns_put16(b + 6, m->count[DNS_SEC_ANSWER]);
	dns_put16(b + 8, m->count[DNS_SEC_AUTHORITY]);
	dns_put16(b + 10, m->count[DNS_SEC_ADDITIONAL]);
	return m->len;
}
