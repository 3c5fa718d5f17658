/*
 * IPv4 and IPv6 addresses and CIDRs: parsing, canonical formatting, family,
 * containment, offset arithmetic and address classes. Plain values, no
 * allocation: every function works on caller-owned structs and buffers.
 */
#ifndef SVCNET_BASE_IP_H
#define SVCNET_BASE_IP_H

#include <stdbool.h>
#include <stdint.h>

enum ip_family {
	IP_V4 = 4,
	IP_V6 = 6,
};

/* An address; an IPv4 one uses b[0..3] only, the rest zero. */
struct ip_addr {
	enum ip_family family;
	uint8_t b[16];
};

/* A network: addr has its host bits zero once parsed by ip_cidr_parse. */
struct ip_cidr {
	struct ip_addr addr;
	int prefix;
};

/* Room for any address or CIDR formatted by this module, NUL included. */
#define IP_STRLEN   46
#define CIDR_STRLEN 50

/*
 * Parses a dotted-quad IPv4 or an RFC 4291 IPv6 address (no zone, no
 * brackets, no leading zeros in IPv4 octets). Returns 0 or -EINVAL.
 */
int ip_addr_parse(const char *s, struct ip_addr *out) __attribute__((warn_unused_result));

/* Formats in canonical form (RFC 5952 for IPv6) into buf; returns buf. */
char *ip_addr_format(const struct ip_addr *a, char buf[IP_STRLEN]);

/*
 * Parses "ADDR/PREFIX". With strict, an address with host bits set is
 * -EINVAL; otherwise they are cleared (as Go's net.ParseCIDR network).
 * Returns 0 or -EINVAL.
 */
int ip_cidr_parse(const char *s, bool strict, struct ip_cidr *out)
    __attribute__((warn_unused_result));

/* Formats "ADDR/PREFIX" into buf; returns buf. */
char *ip_cidr_format(const struct ip_cidr *c, char buf[CIDR_STRLEN]);

/* 32 or 128. */
int ip_bits(enum ip_family f);

/* "IPv4" or "IPv6", the Kubernetes ipFamilies value. */
const char *ip_family_name(enum ip_family f);

/* Compares two addresses (IPv4 before IPv6); <0, 0, >0 as memcmp. */
int ip_cmp(const struct ip_addr *a, const struct ip_addr *b);

/* Whether a lies inside c (same family and same leading prefix bits). */
bool ip_cidr_contains(const struct ip_cidr *c, const struct ip_addr *a);

/* The last address of c (the IPv4 broadcast address). */
void ip_cidr_last(const struct ip_cidr *c, struct ip_addr *out);

/*
 * Number of addresses in c, saturated at UINT64_MAX for IPv6 prefixes
 * shorter than /64.
 */
uint64_t ip_cidr_size(const struct ip_cidr *c);

/*
 * out = a + off within a's family. Returns 0, or -ERANGE when the sum
 * passes the last address of the family (out is then unchanged).
 */
int ip_add(const struct ip_addr *a, uint64_t off, struct ip_addr *out)
    __attribute__((warn_unused_result));

/*
 * *off = a - base. Returns 0, or -ERANGE when the families differ, a is below
 * base, or the difference does not fit in 64 bits.
 */
int ip_offset(const struct ip_addr *base, const struct ip_addr *a, uint64_t *off)
    __attribute__((warn_unused_result));

/* 127.0.0.0/8 or ::1. */
bool ip_is_loopback(const struct ip_addr *a);
/* 169.254.0.0/16 or fe80::/10. */
bool ip_is_link_local(const struct ip_addr *a);
/* 0.0.0.0 or ::. */
bool ip_is_unspecified(const struct ip_addr *a);
/* 224.0.0.0/4 or ff00::/8. */
bool ip_is_multicast(const struct ip_addr *a);

/*
 * The reverse DNS name of a, without the trailing dot:
 * "4.3.2.1.in-addr.arpa" or the 32 nibbles of IPv6 then "ip6.arpa".
 * buf must hold 74 bytes. Returns buf.
 */
#define IP_PTR_STRLEN 74
char *ip_ptr_name(const struct ip_addr *a, char buf[IP_PTR_STRLEN]);

#endif
