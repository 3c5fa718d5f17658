/*
 * The DNS wire format (RFC 1035, 6891): names, strict parsing of queries,
 * and a response builder with name compression and size limits. Nothing here
 * allocates: every function works on caller-owned buffers, so the query path
 * of the server allocates nothing.
 */
#ifndef SVCNET_DNS_WIRE_H
#define SVCNET_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN	  12
#define DNS_NAME_MAX	  255 /* wire length, root label included */
#define DNS_LABEL_MAX	  63
#define DNS_UDP_MIN	  512  /* a query without EDNS */
#define DNS_UDP_MAX	  1232 /* the largest UDP answer we send (DNS flag day 2020) */
#define DNS_TCP_MAX	  65535
#define DNS_OPT_LEN	  11 /* an OPT record without options */
#define DNS_COMPR_MAX	  256
#define DNS_NAME_TEXT_MAX 1024 /* room for any name as text, escapes included */

enum dns_type {
	DNS_T_A = 1,
	DNS_T_NS = 2,
	DNS_T_CNAME = 5,
	DNS_T_SOA = 6,
	DNS_T_PTR = 12,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
	DNS_T_SRV = 33,
	DNS_T_OPT = 41,
	DNS_T_IXFR = 251,
	DNS_T_AXFR = 252,
	DNS_T_ANY = 255,
};

enum dns_class { DNS_C_IN = 1, DNS_C_CH = 3, DNS_C_ANY = 255 };

enum dns_rcode {
	DNS_R_NOERROR = 0,
	DNS_R_FORMERR = 1,
	DNS_R_SERVFAIL = 2,
	DNS_R_NXDOMAIN = 3,
	DNS_R_NOTIMP = 4,
	DNS_R_REFUSED = 5,
	DNS_R_BADVERS = 16, /* extended: needs an OPT record */
};

/* Header flag bits of the second 16-bit word. */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010

enum dns_section { DNS_SEC_ANSWER, DNS_SEC_AUTHORITY, DNS_SEC_ADDITIONAL };

/* What parsing a query found. Names are in uncompressed wire form. */
struct dns_query {
	uint16_t id;
	uint16_t flags;
	uint8_t opcode;
	uint16_t qtype;
	uint16_t qclass;
	uint8_t qname[DNS_NAME_MAX];	  /* lowercased */
	uint8_t qname_orig[DNS_NAME_MAX]; /* as sent (0x20 case kept) */
	uint8_t qname_len;
	bool has_opt;
	bool do_bit;
	uint8_t edns_version;
	uint16_t udp_size; /* the client's EDNS buffer size, DNS_UDP_MIN without EDNS */
};

/* Result of dns_parse_query beyond 0. */
#define DNS_PARSE_DROP	  (-1) /* not worth an answer: short, or a response */
#define DNS_PARSE_FORMERR (-2) /* header readable, rest malformed: answer FORMERR */

/*
 * Parses one query message of len bytes with strict bounds (names at most
 * 255 bytes, compression pointers only backwards, every count honoured, no
 * trailing garbage, at most one OPT). Returns 0 with q filled,
 * DNS_PARSE_DROP, or DNS_PARSE_FORMERR (q->id, q->flags, q->opcode valid;
 * q->qname_len is 0 unless the question was read).
 */
int dns_parse_query(const uint8_t *pkt, size_t len, struct dns_query *q);

/*
 * Reads the (possibly compressed) name at *pos of pkt into out (uncompressed,
 * case kept) and advances *pos past it. Returns the wire length (1..255) or
 * -EBADMSG on a bad label, a pointer loop or forward pointer, or an overrun.
 */
int dns_name_unpack(const uint8_t *pkt, size_t len, size_t *pos, uint8_t out[DNS_NAME_MAX]);

/*
 * Converts a text name ("my-svc.default.svc.cluster.local", trailing dot
 * optional, "." or "" for the root) to lowercased wire form. Labels must
 * be 1..63 bytes without dots or backslashes. Returns the wire length or
 * -EINVAL.
 */
int dns_name_from_text(const char *text, uint8_t out[DNS_NAME_MAX]);

/*
 * Writes a wire name as text with a trailing dot into buf (at least
 * DNS_NAME_TEXT_MAX bytes), escaping bytes outside [-_a-zA-Z0-9*] as \DDD.
 * Returns buf.
 */
char *dns_name_to_text(const uint8_t *name, char *buf);

/* Lowercases len bytes of a wire name in place (label lengths are below 'A'). */
void dns_name_lower(uint8_t *name, size_t len);

/* Number of labels of a wire name, the root excluded. */
int dns_name_labels(const uint8_t *name);

/*
 * Whether name (wire, lowercased) equals or lies below zone (wire,
 * lowercased), on a label boundary.
 */
bool dns_name_in_zone(const uint8_t *name, size_t len, const uint8_t *zone, size_t zlen);

/* A response under construction. */
struct dns_msg {
	uint8_t *buf;
	size_t cap;   /* the size the answer may have (client limit) */
	size_t limit; /* cap less the room kept for the OPT record */
	size_t len;
	uint16_t count[3]; /* answer, authority, additional */
	struct {
		const uint8_t *name; /* a suffix of a name written at off (not owned) */
		uint16_t off;
		uint8_t len;
	} compr[DNS_COMPR_MAX];
	int ncompr;
	size_t qend;  /* end of the question */
	int ncompr_q; /* dictionary entries of the question */
};

/*
 * Starts a response to q in buf (cap bytes, at least DNS_HDR_LEN +
 * DNS_NAME_MAX + 4 + DNS_OPT_LEN): header with q's id, opcode, RD and CD
 * and the given flags (QR is added), and q's question (when q->qname_len is
 * set) in its original case. Keeps room for an OPT record when q has one.
 */
void dns_msg_init(struct dns_msg *m, uint8_t *buf, size_t cap, const struct dns_query *q,
		  uint16_t flags);

/* Adds header flags (DNS_F_AA, DNS_F_TC, ...). */
void dns_msg_set_flags(struct dns_msg *m, uint16_t flags);

/* How rdata is laid out, so that names inside it can be compressed. */
enum dns_rdata_kind {
	DNS_RD_RAW,  /* opaque: A, AAAA, TXT */
	DNS_RD_NAME, /* one name: CNAME, PTR, NS */
	DNS_RD_SOA,  /* two names and 20 bytes */
	DNS_RD_SRV,  /* 6 bytes and a target that is written whole (RFC 2782) */
};

/*
 * Appends one record to section sec (sections must be filled in order).
 * owner is an uncompressed wire name; rdata is uncompressed. owner and the
 * names in rdata must stay valid until the message is finished (they serve
 * as the compression dictionary). Returns 0, or -ENOSPC when the record would
 * pass the limit: the message is then as before the call.
 */
int dns_msg_add_rr(struct dns_msg *m, enum dns_section sec, const uint8_t *owner, uint16_t type,
		   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen, enum dns_rdata_kind kind);

/* Drops every record, keeping header and question, and sets TC. */
void dns_msg_truncate(struct dns_msg *m);

/*
 * Finishes: sets rcode (its low 4 bits in the header), appends the OPT
 * record when q had one (our UDP size, the upper rcode bits, DO echoed) and
 * writes the counts. Returns the length of the message.
 */
size_t dns_msg_finish(struct dns_msg *m, const struct dns_query *q, int rcode);

/* The rdata kind for a type. */
enum dns_rdata_kind dns_rdata_kind(uint16_t type);

/* Helpers for big-endian fields. */
static inline uint16_t dns_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline void dns_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void dns_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
