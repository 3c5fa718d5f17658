/*
 * The answer logic: classification of the query (malformed, unsupported,
 * cluster zone, known reverse name, elsewhere), then the records of the
 * node, a CNAME chain inside the zone, SRV targets' addresses as additional
 * data, and negative answers with the zone's SOA (RFC 2308).
 */
#include "dns/answer.h"

#include <string.h>

#define CNAME_CHAIN_MAX 8

size_t dns_udp_limit(const struct dns_query *q)
{
	if (!q->has_opt)
		return DNS_UDP_MIN;
	return q->udp_size > DNS_UDP_MAX ? DNS_UDP_MAX : q->udp_size;
}

size_t dns_answer_empty(const struct dns_query *q, int rcode, bool tc, bool ra, uint8_t *out)
{
	struct dns_msg m;
	struct dns_query copy = *q;
	/* An EDNS version we do not speak gets BADVERS with our OPT (RFC 6891 6.1.3). */
	if (rcode > 15)
		copy.has_opt = true;
	dns_msg_init(&m, out, DNS_UDP_MAX, &copy,
		     (uint16_t)((tc ? DNS_F_TC : 0) | (ra ? DNS_F_RA : 0)));
	return dns_msg_finish(&m, &copy, rcode);
}

/* Adds the records of node with type (or every type for ANY). 1 on overflow. */
static int add_rrset(struct dns_msg *m, const struct dns_node *n, uint16_t type,
		     const uint8_t *owner, int *added)
{
	for (uint32_t i = 0; i < n->nrr; i++) {
		const struct dns_rr *rr = &n->rr[i];
		if (rr->type != type && type != DNS_T_ANY)
			continue;
		if (dns_msg_add_rr(m, DNS_SEC_ANSWER, owner, rr->type, rr->ttl, rr->rdata,
				   rr->rdlen, dns_rdata_kind(rr->type)) < 0)
			return 1;
		(*added)++;
	}
	return 0;
}

/* The addresses of SRV targets, as far as they fit (no TC for these). */
static void add_srv_additional(struct dns_msg *m, const struct dns_db *db, const struct dns_node *n)
{
	for (uint32_t i = 0; i < n->nrr; i++) {
		if (n->rr[i].type != DNS_T_SRV)
			continue;
		const uint8_t *target = n->rr[i].rdata + 6;
		const struct dns_node *t = dns_db_find(db, target, n->rr[i].rdlen - 6u);
		for (uint32_t j = 0; t && j < t->nrr; j++) {
			const struct dns_rr *rr = &t->rr[j];
			if (rr->type != DNS_T_A && rr->type != DNS_T_AAAA)
				continue;
			if (dns_msg_add_rr(m, DNS_SEC_ADDITIONAL, target, rr->type, rr->ttl,
					   rr->rdata, rr->rdlen, DNS_RD_RAW) < 0)
				return;
		}
	}
}

static const struct dns_rr *find_type(const struct dns_node *n, uint16_t type)
{
	for (uint32_t i = 0; i < n->nrr; i++)
		if (n->rr[i].type == type)
			return &n->rr[i];
	return NULL;
}

/*
 * Answers from the database for a name we own; returns the rcode, or -1
 * when the answer section overflowed (the caller truncates).
 */
static int answer_name(struct dns_msg *m, const struct dns_db *db, const struct dns_query *q,
		       bool in_zone)
{
	const struct dns_node *n = dns_db_find(db, q->qname, q->qname_len);
	const uint8_t *owner = q->qname;
	size_t zl;
	const uint8_t *zone = dns_db_zone(db, &zl);
	int added = 0;

	for (int hop = 0; n; hop++) {
		const struct dns_rr *cname = find_type(n, DNS_T_CNAME);
		if (!cname || q->qtype == DNS_T_CNAME || q->qtype == DNS_T_ANY ||
		    hop == CNAME_CHAIN_MAX) {
			if (add_rrset(m, n, q->qtype, owner, &added))
				return -1;
			if (q->qtype == DNS_T_SRV)
				add_srv_additional(m, db, n);
			break;
		}
		if (dns_msg_add_rr(m, DNS_SEC_ANSWER, owner, DNS_T_CNAME, cname->ttl, cname->rdata,
				   cname->rdlen, DNS_RD_NAME) < 0)
			return -1;
		added++;
		owner = cname->rdata;
		n = dns_db_find(db, owner, cname->rdlen);
		if (!n && !dns_name_in_zone(owner, cname->rdlen, zone, zl))
			return DNS_R_NOERROR; /* the client resolves the target itself */
	}
	if (added && n)
		return DNS_R_NOERROR;
	/* NODATA or NXDOMAIN; the SOA tells resolvers how long to cache it. */
	if (in_zone) {
		const struct dns_rr *soa = dns_db_soa(db);
		if (dns_msg_add_rr(m, DNS_SEC_AUTHORITY, zone, DNS_T_SOA, soa->ttl, soa->rdata,
				   soa->rdlen, DNS_RD_SOA) < 0)
			return -1;
	}
	return n ? DNS_R_NOERROR : DNS_R_NXDOMAIN;
}

/* The cases answered without looking at the database; -1 when none applies. */
static int early_rcode(const struct dns_db *db, const struct dns_query *q, bool in_zone)
{
	if (q->opcode != 0)
		return DNS_R_NOTIMP;
	if (q->has_opt && q->edns_version > 0)
		return DNS_R_BADVERS;
	if (q->qclass != DNS_C_IN && q->qclass != DNS_C_ANY)
		return DNS_R_REFUSED;
	if (in_zone && (q->qtype == DNS_T_AXFR || q->qtype == DNS_T_IXFR))
		return DNS_R_REFUSED;
	if (in_zone && !dns_db_synced(db))
		return DNS_R_SERVFAIL;
	return -1;
}

enum dns_action dns_answer(const struct dns_db *db, const uint8_t *pkt, size_t len, bool tcp,
			   bool can_forward, uint8_t *out, size_t *outlen, struct dns_query *q,
			   int *rcode)
{
	int pr = dns_parse_query(pkt, len, q);
	uint16_t ra = can_forward ? DNS_F_RA : 0;
	struct dns_msg m;
	size_t zl;
	const uint8_t *zone = dns_db_zone(db, &zl);

	if (pr == DNS_PARSE_DROP)
		return DNS_ACT_DROP;
	if (pr == DNS_PARSE_FORMERR) {
		q->has_opt = false;
		*rcode = q->opcode ? DNS_R_NOTIMP : DNS_R_FORMERR;
		*outlen = dns_answer_empty(q, *rcode, false, can_forward, out);
		return DNS_ACT_REPLY;
	}
	bool in_zone = dns_name_in_zone(q->qname, q->qname_len, zone, zl);
	*rcode = early_rcode(db, q, in_zone);
	if (*rcode >= 0) {
		*outlen = dns_answer_empty(q, *rcode, false, can_forward, out);
		return DNS_ACT_REPLY;
	}
	if (!in_zone && !dns_db_find(db, q->qname, q->qname_len)) {
		if (can_forward)
			return DNS_ACT_FORWARD;
		*rcode = DNS_R_REFUSED;
		*outlen = dns_answer_empty(q, *rcode, false, false, out);
		return DNS_ACT_REPLY;
	}
	dns_msg_init(&m, out, tcp ? DNS_TCP_MAX : dns_udp_limit(q), q, (uint16_t)(DNS_F_AA | ra));
	*rcode = answer_name(&m, db, q, in_zone);
	if (*rcode < 0) {
		/* The answer does not fit: TC tells the client to ask over TCP. */
		dns_msg_truncate(&m);
		*rcode = DNS_R_NOERROR;
	}
	*outlen = dns_msg_finish(&m, q, *rcode);
	return DNS_ACT_REPLY;
}
