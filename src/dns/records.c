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

static const char *str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
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

static bool endpoint_ready(const json_t *ep)
{
	/* A missing or null "ready" means ready (discovery.k8s.io/v1). */
	return !json_is_false(json_object_get(json_object_get(ep, "conditions"), "ready"));
}

/* The records of one endpoint address of a headless Service. */
static size_t add_endpoint(const json_t *slice, const char *hostname, const struct ip_addr *a,
			   const uint8_t *base, size_t blen, uint32_t ttl, struct dns_records *out)
{
	uint8_t hname[DNS_NAME_MAX];
	char dashed[IP_STRLEN];
	size_t n, i;
	const json_t *p;
	int hl = -EINVAL;

	if (hostname)
		hl = prepend(hostname, strlen(hostname), base, blen, hname);
	if (hl < 0) {
		ip_addr_format(a, dashed);
		for (char *c = dashed; *c; c++)
			if (*c == '.' || *c == ':')
				*c = '-';
		hl = prepend(dashed, strlen(dashed), base, blen, hname);
		if (hl < 0)
			return 0;
	}
	n = add_address(out, base, a, NULL, 0, ttl);
	n += add_address(out, hname, a, hname, (uint16_t)hl, ttl);
	json_array_foreach(json_object_get(slice, "ports"), i, p)
	{
		n += add_srv(out, str(p, "name"), str(p, "protocol"), base, blen,
			     (int)json_integer_value(json_object_get(p, "port")), hname, (size_t)hl,
			     ttl);
	}
	return n;
}

static size_t build_headless(const json_t *svc, const json_t *const *slices, size_t nslices,
			     const uint8_t *base, size_t blen, uint32_t ttl,
			     struct dns_records *out)
{
	const json_t *spec = json_object_get(svc, "spec");
	bool publish = json_is_true(json_object_get(spec, "publishNotReadyAddresses"));
	size_t n = 0, i, j;
	const json_t *ep, *addr;
	struct ip_addr a;

	for (size_t s = 0; s < nslices; s++) {
		const char *at = str(slices[s], "addressType");
		if (!at || (strcmp(at, "IPv4") && strcmp(at, "IPv6")))
			continue;
		json_array_foreach(json_object_get(slices[s], "endpoints"), i, ep)
		{
			if (!publish && !endpoint_ready(ep))
				continue;
			json_array_foreach(json_object_get(ep, "addresses"), j, addr)
			{
				if (!json_is_string(addr) ||
				    ip_addr_parse(json_string_value(addr), &a) < 0)
					continue;
				n += add_endpoint(slices[s], str(ep, "hostname"), &a, base, blen,
						  ttl, out);
			}
		}
	}
	return n;
}

static size_t build_cluster_ip(const json_t *svc, const uint8_t *base, size_t blen, uint32_t ttl,
			       struct dns_records *out)
{
	const json_t *spec = json_object_get(svc, "spec");
	const json_t *ips = json_object_get(spec, "clusterIPs");
	size_t n = 0, i;
	const json_t *v;
	struct ip_addr a;

	if (!json_array_size(ips)) {
		if (!ip_addr_parse(str(spec, "clusterIP") ? str(spec, "clusterIP") : "", &a))
			n += add_address(out, base, &a, base, (uint16_t)blen, ttl);
	}
	json_array_foreach(ips, i, v)
	{
		if (json_is_string(v) && !ip_addr_parse(json_string_value(v), &a))
			n += add_address(out, base, &a, base, (uint16_t)blen, ttl);
	}
	if (!n)
		return 0;
	json_array_foreach(json_object_get(spec, "ports"), i, v)
	{
		n += add_srv(out, str(v, "name"), str(v, "protocol"), base, blen,
			     (int)json_integer_value(json_object_get(v, "port")), base, blen, ttl);
	}
	return n;
}

size_t dns_records_build(const json_t *svc, const json_t *const *slices, size_t nslices,
			 const uint8_t *zone, size_t zonelen, uint32_t ttl, struct dns_records *out)
{
	const json_t *meta = json_object_get(svc, "metadata");
	const json_t *spec = json_object_get(svc, "spec");
	const char *name = str(meta, "name"), *ns = str(meta, "namespace");
	const char *type = str(spec, "type"), *cip = str(spec, "clusterIP");
	uint8_t base[DNS_NAME_MAX];
	size_t before = out->n;
	int bl;

	if (!name || !ns)
		return 0;
	bl = prepend("svc", 3, zone, zonelen, base);
	if (bl < 0 || (bl = prepend(ns, strlen(ns), base, (size_t)bl, base)) < 0 ||
	    (bl = prepend(name, strlen(name), base, (size_t)bl, base)) < 0)
		return 0;
	if (type && !strcmp(type, "ExternalName")) {
		uint8_t target[DNS_NAME_MAX];
		const char *ext = str(spec, "externalName");
		int tl = ext ? dns_name_from_text(ext, target) : -EINVAL;
		if (tl > 1)
			dns_records_add(out, base, DNS_T_CNAME, ttl, target, (uint16_t)tl);
	} else if (cip && !strcmp(cip, "None")) {
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
