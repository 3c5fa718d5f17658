/*
 * DNS names and query parsing. Every read is checked against the message
 * length before it happens; compression pointers must point strictly
 * backwards, which rules out loops without counting hops.
 */
#include "dns/wire.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

void dns_name_lower(uint8_t *name, size_t len)
{
	/* Label lengths are at most 63, below 'A': lowering every byte is safe. */
	for (size_t i = 0; i < len; i++)
		name[i] = lower(name[i]);
}

int dns_name_unpack(const uint8_t *pkt, size_t len, size_t *pos, uint8_t out[DNS_NAME_MAX])
{
	size_t p = *pos, end = 0, lowest = *pos, n = 0;
	int jumped = 0;

	for (;;) {
		if (p >= len)
			return -EBADMSG;
		uint8_t c = pkt[p];
		if ((c & 0xC0) == 0xC0) {
			if (p + 1 >= len)
				return -EBADMSG;
			size_t target = (size_t)(c & 0x3F) << 8 | pkt[p + 1];
			if (!jumped)
				end = p + 2;
			/* Strictly below where this stretch of labels began: no loops. */
			if (target >= lowest)
				return -EBADMSG;
			lowest = target;
			p = target;
			jumped = 1;
			continue;
		}
		if (c & 0xC0) /* 0x40 and 0x80 label types are obsolete or unknown */
			return -EBADMSG;
		if (c == 0) {
			out[n++] = 0;
			if (!jumped)
				end = p + 1;
			break;
		}
		if (p + 1 + c > len || n + 1 + c + 1 > DNS_NAME_MAX)
			return -EBADMSG;
		memcpy(out + n, pkt + p, 1 + (size_t)c);
		n += 1 + (size_t)c;
		p += 1 + (size_t)c;
	}
	*pos = end;
	return (int)n;
}

int dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX])
{
	size_t n = 0;
	const char *p = text;

	if (!strcmp(p, ".") || !*p) {
		out[0] = 0;
		return 1;
	}
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > DNS_LABEL_MAX || n + 1 + l + 1 > DNS_NAME_MAX)
			return -EINVAL;
		if (memchr(p, '\\', l))
			return -EINVAL;
		out[n++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++)
			out[n++] = lower((uint8_t)p[i]);
		p += l;
		if (*p == '.')
			p++;
	}
	out[n++] = 0;
	return (int)n;
}

static int plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '*';
}

char *dns_name_to_text(const uint8_t *name, char *buf)
{
	char *o = buf;

	if (!name[0]) {
		strcpy(buf, ".");
		return buf;
	}
	for (const uint8_t *p = name; *p; p += 1 + *p) {
		for (int i = 1; i <= *p; i++) {
			if (plain_char(p[i]))
				*o++ = (char)p[i];
			else
				o += sprintf(o, "\\%03u", p[i]);
		}
		*o++ = '.';
	}
	*o = 0;
	return buf;
}

int dns_name_labels(const uint8_t *name)
{
	int n = 0;
	for (const uint8_t *p = name; *p; p += 1 + *p)
		n++;
	return n;
}

bool dns_name_in_zone(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen)
{
	if (zlen > len)
		return false;
	size_t off = 0;
	while (off < len - zlen)
		off += 1 + (size_t)name[off];
	return off == len - zlen && !memcmp(name + off, zone, zlen);
}

/* Skips count records from *pos; returns 0 or -EBADMSG. */
static int skip_rrs(const uint8_t *pkt, size_t len, size_t *pos, unsigned count)
{
	uint8_t name[DNS_NAME_MAX];
	for (unsigned i = 0; i < count; i++) {
		if (dns_name_unpack(pkt, len, pos, name) < 0 || *pos + 10 > len)
			return -EBADMSG;
		size_t rdlen = dns_get16(pkt + *pos + 8);
		if (*pos + 10 + rdlen > len)
			return -EBADMSG;
		*pos += 10 + rdlen;
	}
	return 0;
}

/* Reads the additional section, taking the one OPT record it may hold. */
static int parse_additional(const uint8_t *pkt, size_t len, size_t *pos, unsigned count,
			    struct dns_query *q)
{
	uint8_t name[DNS_NAME_MAX];
	for (unsigned i = 0; i < count; i++) {
		int nl = dns_name_unpack(pkt, len, pos, name);
		if (nl < 0 || *pos + 10 > len)
			return -EBADMSG;
		const uint8_t *rr = pkt + *pos;
		size_t rdlen = dns_get16(rr + 8);
		if (*pos + 10 + rdlen > len)
			return -EBADMSG;
		if (dns_get16(rr) == DNS_T_OPT) {
			if (q->has_opt || nl != 1)
				return -EBADMSG;
			q->has_opt = true;
			uint16_t size = dns_get16(rr + 2);
			q->udp_size = size < DNS_UDP_MIN ? DNS_UDP_MIN : size;
			q->edns_version = rr[5];
			q->do_bit = (rr[6] & 0x80) != 0;
			/* Options are well formed (code, length, data) to the end. */
			size_t o = 0;
			while (o < rdlen) {
				if (o + 4 > rdlen)
					return -EBADMSG;
				o += 4 + dns_get16(rr + 10 + o + 2);
			}
			if (o != rdlen)
				return -EBADMSG;
		}
		*pos += 10 + rdlen;
	}
	return 0;
}

int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q)
{
	size_t pos = DNS_HDR_LEN;

	q->qname_len = 0;
	q->has_opt = false;
	q->do_bit = false;
	q->edns_version = 0;
	q->udp_size = DNS_UDP_MIN;
	q->qtype = q->qclass = 0;
	if (len < DNS_HDR_LEN)
		return DNS_PARSE_DROP;
	q->id = dns_get16(pkt);
	q->flags = dns_get16(pkt + 2);
	q->opcode = (uint8_t)((q->flags >> 11) & 0xF);
	if (q->flags & DNS_F_QR)
		return DNS_PARSE_DROP;
	if (dns_get16(pkt + 4) != 1)
		return DNS_PARSE_FORMERR;
	int nl = dns_name_unpack(pkt, len, &pos, q->qname_orig);
	if (nl < 0 || pos + 4 > len)
		return DNS_PARSE_FORMERR;
	memcpy(q->qname, q->qname_orig, (size_t)nl);
	dns_name_lower(q->qname, (size_t)nl);
	q->qname_len = (uint8_t)nl;
	q->qtype = dns_get16(pkt + pos);
	q->qclass = dns_get16(pkt + pos + 2);
	pos += 4;
	if (skip_rrs(pkt, len, &pos, (unsigned)dns_get16(pkt + 6) + dns_get16(pkt + 8)) < 0 ||
	    parse_additional(pkt, len, &pos, dns_get16(pkt + 10), q) < 0 || pos != len)
		return DNS_PARSE_FORMERR;
	return 0;
}
