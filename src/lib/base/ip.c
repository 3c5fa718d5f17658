#include "base/ip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ip_bits(enum ip_family f)
{
	return f == IP_V6 ? 128 : 32;
}

static int nbytes(enum ip_family f)
{
	return f == IP_V6 ? 16 : 4;
}

const char *ip_family_name(enum ip_family f)
{
	return f == IP_V6 ? "IPv6" : "IPv4";
}

int ip_addr_parse(const char *s, struct ip_addr *out)
{
	struct ip_addr a;
	memset(&a, 0, sizeof(a));
	if (!s || !*s || strlen(s) >= IP_STRLEN)
		return -EINVAL;
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.b) != 1)
			return -EINVAL;
		a.family = IP_V6;
	} else {
		if (inet_pton(AF_INET, s, a.b) != 1)
			return -EINVAL;
		a.family = IP_V4;
	}
	*out = a;
	return 0;
}

char *ip_addr_format(const struct ip_addr *a, char buf[IP_STRLEN])
{
	/* glibc's inet_ntop follows RFC 5952: lower case, longest zero run
	 * compressed, a single zero group never compressed. */
	if (!inet_ntop(a->family == IP_V6 ? AF_INET6 : AF_INET, a->b, buf, IP_STRLEN))
		snprintf(buf, IP_STRLEN, "?");
	return buf;
}

/* Clears (or, with set, sets) every bit of a after the first prefix bits. */
static void fill_host_bits(struct ip_addr *a, int prefix, int set)
{
	int n = nbytes(a->family);
	for (int i = 0; i < n; i++) {
		int keep = prefix - i * 8;
		uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
		a->b[i] = set ? (a->b[i] | (uint8_t)~mask) : (a->b[i] & mask);
	}
}

static int parse_prefix(const char *s, int max)
{
	if (!*s || strlen(s) > 3)
		return -EINVAL;
	if (s[0] == '0' && s[1])
		return -EINVAL; /* as Go: no leading zeros */
	int v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -EINVAL;
}

int ip_cidr_parse(const char *s, bool strict, struct ip_cidr *out)
{
	char tmp[CIDR_STRLEN];
	if (!s || strlen(s) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, s);
	char *slash = strchr(tmp, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	struct ip_cidr c;
	if (ip_addr_parse(tmp, &c.addr) < 0)
		return -EINVAL;
	c.prefix = parse_prefix(slash + 1, ip_bits(c.addr.family));
	if (c.prefix < 0)
		return -EINVAL;
	struct ip_addr masked = c.addr;
	fill_host_bits(&masked, c.prefix, 0);
	if (strict && ip_cmp(&masked, &c.addr) != 0)
		return -EINVAL;
	c.addr = masked;
	*out = c;
	return 0;
}

char *ip_cidr_format(const struct ip_cidr *c, char buf[CIDR_STRLEN])
{
	char a[IP_STRLEN];
	snprintf(buf, CIDR_STRLEN, "%s/%d", ip_addr_format(&c->addr, a), c->prefix);
	return buf;
}

int ip_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family == IP_V4 ? -1 : 1;
	return memcmp(a->b, b->b, nbytes(a->family));
}

bool ip_cidr_contains(const struct ip_cidr *c, const struct ip_addr *a)
{
	if (a->family != c->addr.family)
		return false;
	struct ip_addr m = *a;
	fill_host_bits(&m, c->prefix, 0);
	struct ip_addr n = c->addr;
	fill_host_bits(&n, c->prefix, 0);
	return ip_cmp(&m, &n) == 0;
}

void ip_cidr_last(const struct ip_cidr *c, struct ip_addr *out)
{
	*out = c->addr;
	fill_host_bits(out, c->prefix, 1);
}

uint64_t ip_cidr_size(const struct ip_cidr *c)
{
	int host = ip_bits(c->addr.family) - c->prefix;
	if (host >= 64)
		return UINT64_MAX;
	return (uint64_t)1 << host;
}

int ip_add(const struct ip_addr *a, uint64_t off, struct ip_addr *out)
{
	struct ip_addr r = *a;
	int n = nbytes(a->family);
	unsigned carry = 0;
	for (int i = n - 1; i >= 0; i--) {
		unsigned sum = r.b[i] + (unsigned)(off & 0xff) + carry;
		r.b[i] = (uint8_t)sum;
		carry = sum >> 8;
		off >>= 8;
	}
	if (carry || off)
		return -ERANGE;
	*out = r;
	return 0;
}

int ip_offset(const struct ip_addr *base, const struct ip_addr *a, uint64_t *off)
{
	if (base->family != a->family || ip_cmp(a, base) < 0)
		return -ERANGE;
	int n = nbytes(a->family);
	uint8_t d[16];
	int borrow = 0;
	for (int i = n - 1; i >= 0; i--) {
		int v = a->b[i] - base->b[i] - borrow;
		borrow = v < 0;
		d[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	uint64_t r = 0;
	for (int i = 0; i < n; i++) {
		if (i < n - 8 && d[i])
			return -ERANGE;
		r = (r << 8) | d[i];
	}
	*off = r;
	return 0;
}

bool ip_is_loopback(const struct ip_addr *a)
{
	static const uint8_t one6[16] = {[15] = 1};
	if (a->family == IP_V4)
		return a->b[0] == 127;
	return memcmp(a->b, one6, 16) == 0;
}

bool ip_is_link_local(const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return a->b[0] == 169 && a->b[1] == 254;
	return a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80;
}

bool ip_is_unspecified(const struct ip_addr *a)
{
	static const uint8_t zero[16];
	return memcmp(a->b, zero, nbytes(a->family)) == 0;
}

bool ip_is_multicast(const struct ip_addr *a)
{
	if (a->family == IP_V4)
		return (a->b[0] & 0xf0) == 0xe0;
	return a->b[0] == 0xff;
}

char *ip_ptr_name(const struct ip_addr *a, char buf[IP_PTR_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	if (a->family == IP_V4) {
		snprintf(buf, IP_PTR_STRLEN, "%u.%u.%u.%u.in-addr.arpa", a->b[3], a->b[2], a->b[1],
			 a->b[0]);
		return buf;
	}
	char *p = buf;
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[a->b[i] & 0xf];
		*p++ = '.';
		*p++ = hex[a->b[i] >> 4];
		*p++ = '.';
	}
	strcpy(p, "ip6.arpa");
	return buf;
}
