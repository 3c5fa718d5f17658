/*
 * One query in, one response out: the whole decision of the DNS server for
 * a message, a pure function of the message and the database, so that the
 * UDP and TCP paths, the unit tests and the fuzz target share it.
 */
#ifndef SVCNET_DNS_ANSWER_H
#define SVCNET_DNS_ANSWER_H

#include "dns/db.h"
#include "dns/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dns_action {
	DNS_ACT_DROP,	 /* not a query: send nothing */
	DNS_ACT_REPLY,	 /* out holds the response */
	DNS_ACT_FORWARD, /* outside our zones: hand to the forwarder */
};

/*
 * Answers the message pkt[0..len) from db, whose read lock the caller holds.
 * tcp selects the size limit (64 KiB instead of the client's EDNS size,
 * capped at 1232, or 512); can_forward says an upstream exists (else names
 * outside the cluster zone and unknown reverse names are REFUSED). out must
 * hold DNS_TCP_MAX bytes for TCP and DNS_UDP_MAX for UDP. Fills q with the
 * parsed query, *outlen and *rcode (for REPLY). Allocates nothing.
 */
enum dns_action dns_answer(const struct dns_db *db, const uint8_t *pkt, size_t len, bool tcp,
			   bool can_forward, uint8_t *out, size_t *outlen, struct dns_query *q,
			   int *rcode);

/*
 * The largest response q may receive over UDP: its EDNS buffer size within
 * [512, 1232], or 512 without EDNS.
 */
size_t dns_udp_limit(const struct dns_query *q);

/*
 * Writes a response to q with no records and the given rcode into out
 * (room for DNS_UDP_MAX bytes) and returns its length. With tc, sets TC.
 */
size_t dns_answer_empty(const struct dns_query *q, int rcode, bool tc, bool ra, uint8_t *out);

#endif
