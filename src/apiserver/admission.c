/*
 * Admission rules that need the server's configuration, closing known
 * Service attacks: spec.externalIPs only inside --allow-external-ips
 * (CVE-2020-8554, a Service capturing traffic to any address), and no
 * Endpoints or EndpointSlice address inside the service range
 * (CVE-2021-25740, endpoints pointing a Service at another Service's
 * virtual address). Loopback and link-local addresses are refused by
 * validation already.
 */
#include "apiserver/apiserver-internal.h"

#include "api/errors.h"
#include "base/ip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cidr_list {
	struct ip_cidr v[8];
	size_t n;
	char text[256];
};

/* Parses "CIDR[,CIDR...]" (NULL: empty list). */
static int parse_cidrs(const char *flag, const char *s, struct cidr_list *l, char **err)
{
	memset(l, 0, sizeof(*l));
	if (!s || !*s)
		return 0;
	snprintf(l->text, sizeof(l->text), "%s", s);
	char *copy = xstrdup(s), *save = NULL;
	int rc = 0;
	for (char *c = strtok_r(copy, ",", &save); c && rc == 0; c = strtok_r(NULL, ",", &save)) {
		if (l->n == sizeof(l->v) / sizeof(l->v[0]) ||
		    ip_cidr_parse(c, false, &l->v[l->n]) < 0) {
			*err = xasprintf("--%s %s: \"%s\" is not a CIDR (or more than 8 given)",
					 flag, s, c);
			rc = -EINVAL;
		}
		l->n++;
	}
	free(copy);
	return rc;
}

static bool in_list(const struct cidr_list *l, const char *ip)
{
	struct ip_addr a;
	if (!ip || ip_addr_parse(ip, &a) < 0)
		return false;
	for (size_t i = 0; i < l->n; i++)
		if (ip_cidr_contains(&l->v[i], &a))
			return true;
	return false;
}

struct admission {
	struct cidr_list external_ips;
	struct cidr_list service_range;
};

int admission_new(const struct apiserver_config *cfg, struct admission **out, char **err)
{
	struct admission *a = xcalloc(1, sizeof(*a));
	if (parse_cidrs("allow-external-ips", cfg->allow_external_ips, &a->external_ips, err) < 0 ||
	    parse_cidrs("service-cidr", cfg->service_cidrs, &a->service_range, err) < 0) {
		free(a);
		return -EINVAL;
	}
	*out = a;
	return 0;
}

void admission_free(struct admission *a)
{
	free(a);
}

static void check_external_ips(const struct admission *a, const json_t *svc,
			       struct field_errs *errs)
{
	size_t i;
	json_t *ip;
	json_array_foreach(json_object_get(json_object_get(svc, "spec"), "externalIPs"), i, ip)
	{
		if (in_list(&a->external_ips, json_string_value(ip)))
			continue;
		char field[64];
		snprintf(field, sizeof(field), "spec.externalIPs[%zu]", i);
		if (a->external_ips.n)
			field_errs_add(errs, FE_FORBIDDEN, field, NULL,
				       "%s is not inside --allow-external-ips %s",
				       json_string_value(ip), a->external_ips.text);
		else
			field_errs_add(errs, FE_FORBIDDEN, field, NULL,
				       "externalIPs are not allowed on this cluster "
				       "(--allow-external-ips is not set)");
	}
}

static void check_address(const struct admission *a, const char *field, const json_t *ip,
			  struct field_errs *errs)
{
	if (in_list(&a->service_range, json_string_value(ip)))
		field_errs_add(errs, FE_INVALID, field, ip,
			       "may not be in the Service IP range (%s)", a->service_range.text);
}

static void check_endpoints(const struct admission *a, const json_t *ep, struct field_errs *errs)
{
	static const char *const lists[] = {"addresses", "notReadyAddresses"};
	size_t i, j;
	json_t *subset, *addr;
	json_array_foreach(json_object_get(ep, "subsets"), i, subset)
	{
		for (size_t l = 0; l < 2; l++) {
			json_array_foreach(json_object_get(subset, lists[l]), j, addr)
			{
				char field[96];
				snprintf(field, sizeof(field), "subsets[%zu].%s[%zu].ip", i,
					 lists[l], j);
				check_address(a, field, json_object_get(addr, "ip"), errs);
			}
		}
	}
}

static void check_slice(const struct admission *a, const json_t *slice, struct field_errs *errs)
{
	size_t i, j;
	json_t *ep, *addr;
	json_array_foreach(json_object_get(slice, "endpoints"), i, ep)
	{
		json_array_foreach(json_object_get(ep, "addresses"), j, addr)
		{
			char field[64];
			snprintf(field, sizeof(field), "endpoints[%zu].addresses[%zu]", i, j);
			check_address(a, field, addr, errs);
		}
	}
}

void admission_check(const struct admission *a, const struct api_resource *res, const json_t *obj,
		     struct field_errs *errs)
{
	if (!strcmp(res->kind, "Service"))
		check_external_ips(a, obj, errs);
	else if (!strcmp(res->kind, "Endpoints"))
		check_endpoints(a, obj, errs);
	else if (!strcmp(res->kind, "EndpointSlice"))
		check_slice(a, obj, errs);
}
