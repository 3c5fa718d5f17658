/*
 * Service and EndpointSlice objects to DNS records (the schema of the
 * Kubernetes DNS-based service discovery specification 1.1.0, with CoreDNS's
 * choices where the specification leaves room: endpoints without a hostname
 * get the dashed address as their name, SRV weights are 100/n).
 */
#include "dns/records.h"

#include "base/ip.h"
#include "base/strbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int dns_records_add(struct dns_records *r, const uint8_t *name, uint16_t type, uint32_t ttl,
		    const uint8_t *rdata, uint16_t rdlen)
{
	size_t nl = 0;
	while (nl < DNS_NAME_MAX && name[nl])
		nl += 1 + (size_t)name[nl];
	if (nl >= DNS_NAME_MAX)
		return -EINVAL;
	nl++;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 16;
		r->v = xrealloc(r->v, r->cap * sizeof(*r->v));
	}
	struct dns_record *rec = &r->v[r->n++];
	rec->name = xmalloc(nl + rdlen + 1);
	memcpy(rec->name, name, nl);
	rec->rdata = rec->name + nl;
	memcpy(rec->rdata, rdata, rdlen);
	rec->namelen = (uint8_t)nl;
	rec->type = type;
	rec->rdlen = rdlen;
	rec->ttl = ttl;
	return 0;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct dns_record *x = a, *y = b;
	size_t n = x->namelen < y->namelen ? x->namelen : y->namelen;
	int c = memcmp(x->name, y->name, n);
	if (c || x->namelen != y->namelen)
		return c ? c : (int)x->namelen - (int)y->namelen;
	if (x->type != y->type)
		return (int)x->type - (int)y->type;
	n = x->rdlen < y->rdlen ? x->rdlen : y->rdlen;
	c = memcmp(x->rdata, y->rdata, n);
	return c ? c : (int)x->rdlen - (int)y->rdlen;
}

void dns_records_sort(struct dns_records *r)
{
	if (r->n < 2)
		return;
	qsort(r->v, r->n, sizeof(*r->v), rec_cmp);
	size_t w = 1;
	for (size_t i = 1; i < r->n; i++) {
		if (!rec_cmp(&r->v[w - 1], &r->v[i]))
			free(r->v[i].name);
		else
			r->v[w++] = r->v[i];
	}
	r->n = w;
}

void dns_records_free(struct dns_records *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

/* out = label + base; returns the length or -EINVAL. */
static int prepend(const char *label, size_t l, const uint8_t *base, size_t blen,
		   uint8_t out[DNS_NAME_MAX])
{
	if (l == 0 || l > DNS_LABEL_MAX || 1 + l + blen > DNS_NAME_MAX || memchr(label, '.', l))
		return -EINVAL;
	memmove(out + 1 + l, base, blen);
	out[0] = (uint8_t)l;
	for (size_t i = 0; i < l; i++) {
		char c = label[i];
		out[1 + i] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return (int)(1 + l + blen);
}

/* Rdata of an address record; returns its type. */
static uint16_t addr_rdata(const struct ip_addr *a, uint8_t rd[16], uint16_t *len)
{
	*len = a->family == IP_V4 ? 4 : 16;
	memcpy(rd, a->b, *len);
	return a->family == IP_V4 ? DNS_T_A : DNS_T_AAAA;
}

/* An A/AAAA at name and a PTR from the address back to ptr_target. */
static size_t add_address(struct dns_records *out, const uint8_t *name, const struct ip_addr *a,
			  const uint8_t *ptr_target, uint16_t ptr_len, uint32_t ttl)
{
	uint8_t rd[16], rev[DNS_NAME_MAX];
	char text[IP_PTR_STRLEN];
	uint16_t len;
	uint16_t type = addr_rdata(a, rd, &len);
	size_t n = dns_records_add(out, name, type, ttl, rd, len) == 0;
	if (ptr_target && dns_name_from_text(ip_ptr_name(a, text), rev) > 0)
		n += dns_records_add(out, rev, DNS_T_PTR, ttl, ptr_target, ptr_len) == 0;
	return n;
}

/* SRV rdata: priority 0, weight fixed later, port, target. */
static size_t add_srv(struct dns_records *out, const char *port_name, const char *proto,
		      const uint8_t *base, size_t blen, int port, const uint8_t *target,
		      size_t tlen, uint32_t ttl)
{
	uint8_t name[DNS_NAME_MAX], rd[6 + DNS_NAME_MAX];
	char lproto[16];
	int nl;

	if (!port_name || !*port_name || port < 1 || port > 65535)
		return 0;
	lproto[0] = '_';
	size_t pl = strlen(proto ? proto : "TCP");
	if (pl > sizeof(lproto) - 2)
		return 0;
	memcpy(lproto + 1, proto ? proto : "TCP", pl + 1);
	char lname[DNS_LABEL_MAX + 2] = "_";
	size_t l = strlen(port_name);
	if (l > DNS_LABEL_MAX - 1)
		return 0;
	memcpy(lname + 1, port_name, l);
	nl = prepend(lproto, pl + 1, base, blen, name);
	if (nl < 0 || (nl = prepend(lname, l + 1, name, (size_t)nl, name)) < 0)
		return 0;
	dns_put16(rd, 0);
	dns_put16(rd + 2, 100);
	dns_put16(rd + 4, (uint16_t)port);
	memcpy(rd + 6, target, tlen);
	return dns_records_add(out, name, DNS_T_SRV, ttl, rd, (uint16_t)(6 + tlen)) == 0;
}

/* Within each SRV RRset, weight = 100 / (records in the set), as CoreDNS. */
static void fix_srv_weights(struct dns_records *r)
{
	for (size_t i = 0; i < r->n;) {
		size_t j = i + 1;
		while (j < r->n && r->v[j].type == r->v[i].type &&
		       r->v[j].namelen == r->v[i].namelen &&
		       !memcmp(r->v[j].name, r->v[i].name, r->v[i].namelen))
			j++;
		if (r->v[i].type == DNS_T_SRV) {
			size_t w = 100 / (j - i);
			for (size_t k = i; k < j; k++)
				dns_put16(r->v[k].rdata + 2, (uint16_t)(w ? w : 1));
		}
		i = j;
	}
}

/* The SRV records of ports at base, targeting target. */
static size_t add_srvs(struct dns_records *out, const struct dns_port *ports, size_t nports,
		       const uint8_t *base, size_t blen, const uint8_t *target, size_t tlen,
		       uint32_t ttl)
{
	size_t n = 0;
	for (size_t i = 0; i < nports; i++)
		n += add_srv(out, ports[i].name, ports[i].protocol, base, blen, ports[i].port,
			     target, tlen, ttl);
	return n;
}

/* The records of one endpoint address of a headless Service. */
static size_t add_endpoint(const struct dns_slice *slice, const struct dns_endpoint *ep,
			   const uint8_t *base, size_t blen, uint32_t ttl, struct dns_records *out)
{
	uint8_t hname[DNS_NAME_MAX];
	char dashed[IP_STRLEN];
	size_t n;
	int hl = -EINVAL;

	if (ep->hostname)
		hl = prepend(ep->hostname, strlen(ep->hostname), base, blen, hname);
	if (hl < 0) {
		ip_addr_format(&ep->addr, dashed);
		for (char *c = dashed; *c; c++)
			if (*c == '.' || *c == ':')
				*c = '-';
		hl = prepend(dashed, strlen(dashed), base, blen, hname);
		if (hl < 0)
			return 0;
	}
	n = add_address(out, base, &ep->addr, NULL, 0, ttl);
	n += add_address(out, hname, &ep->addr, hname, (uint16_t)hl, ttl);
	n += add_srvs(out, slice->ports, slice->nports, base, blen, hname, (size_t)hl, ttl);
	return n;
}

static size_t build_headless(const struct dns_svc *svc, const struct dns_slice *const *slices,
			     size_t nslices, const uint8_t *base, size_t blen, uint32_t ttl,
			     struct dns_records *out)
{
	size_t n = 0;

	for (size_t s = 0; s < nslices; s++) {
		for (uint32_t i = 0; i < slices[s]->neps; i++) {
			const struct dns_endpoint *ep = &slices[s]->eps[i];
			if (svc->publish_not_ready || ep->ready)
				n += add_endpoint(slices[s], ep, base, blen, ttl, out);
		}
	}
	return n;
}

static size_t build_cluster_ip(const struct dns_svc *svc, const uint8_t *base, size_t blen,
			       uint32_t ttl, struct dns_records *out)
{
	size_t n = 0;

	for (size_t i = 0; i < svc->nips; i++)
		n += add_address(out, base, &svc->ips[i], base, (uint16_t)blen, ttl);
	if (!n)
		return 0;
	return n + add_srvs(out, svc->ports, svc->nports, base, blen, base, blen, ttl);
}

size_t dns_records_build_compact(const struct dns_svc *svc, const struct dns_slice *const *slices,
				 size_t nslices, const uint8_t *zone, size_t zonelen, uint32_t ttl,
				 struct dns_records *out)
{
	uint8_t base[DNS_NAME_MAX];
	size_t before = out->n;
	int bl;

	bl = prepend("svc", 3, zone, zonelen, base);
	if (bl < 0 || (bl = prepend(svc->ns, strlen(svc->ns), base, (size_t)bl, base)) < 0 ||
	    (bl = prepend(svc->name, strlen(svc->name), base, (size_t)bl, base)) < 0)
		return 0;
	if (svc->kind == DNS_SVC_EXTERNAL_NAME) {
		uint8_t target[DNS_NAME_MAX];
		int tl =
		    svc->external_name ? dns_name_from_text(svc->external_name, target) : -EINVAL;
		if (tl > 1)
			dns_records_add(out, base, DNS_T_CNAME, ttl, target, (uint16_t)tl);
	} else if (svc->kind == DNS_SVC_HEADLESS) {
		build_headless(svc, slices, nslices, base, (size_t)bl, ttl, out);
	} else {
		build_cluster_ip(svc, base, (size_t)bl, ttl, out);
	}
	struct dns_records mine = {out->v + before, out->n - before, out->n - before};
	dns_records_sort(&mine);
	fix_srv_weights(&mine);
	out->n = before + mine.n;
	return mine.n;
}

size_t dns_records_build(const json_t *svc, const json_t *const *slices, size_t nslices,
			 const uint8_t *zone, size_t zonelen, uint32_t ttl, struct dns_records *out)
{
	struct dns_svc *s = dns_svc_from_json(svc);
	struct dns_slice **sl = xcalloc(nslices + 1, sizeof(*sl));
	size_t n = 0;

	for (size_t i = 0; i < nslices; i++)
		sl[i] = dns_slice_from_json(slices[i]);
	if (s)
		n = dns_records_build_compact(s, (const struct dns_slice *const *)sl, nslices, zone,
					      zonelen, ttl, out);
	for (size_t i = 0; i < nslices; i++)
		free(sl[i]);
	free(sl);
	free(s);
	return n;
}
