/*
 * ipFamilies and ipFamilyPolicy of a Service, defaulted and checked for
 * this cluster as kube-apiserver's initIPFamilyFields does, and the field
 * errors of the allocator worded as kube-apiserver words them.
 */
#include "apiserver/svcalloc-internal.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- error messages as kube-apiserver prints them ---- */

/* Go's %#v of a []string: []string{"a", "b"}. Caller frees. */
char *sa_go_string_slice(char *const *v, int n)
{
	struct strbuf sb = STRBUF_INIT;
	sb_puts(&sb, "[]string{");
	for (int i = 0; i < n; i++) {
		if (i)
			sb_puts(&sb, ", ");
		sb_json_str(&sb, v[i]);
	}
	sb_puts(&sb, "}");
	return sb_steal(&sb);
}

/*
 * Adds "Invalid value: <raw>: <detail>" where raw is already formatted
 * (field_errs_add prints JSON, and a Go slice is not JSON).
 */
void sa_add_invalid_raw(struct field_errs *errs, const char *field, const char *raw,
			const char *detail)
{
	field_errs_add(errs, FE_INVALID, field, NULL, NULL);
	struct field_err *e = &errs->v[errs->n - 1];
	free(e->message);
	e->message = xasprintf("Invalid value: %s: %s", raw, detail);
}

void sa_add_invalid_int(struct field_errs *errs, const char *field, int v, const char *detail)
{
	json_t *jv = json_integer(v);
	field_errs_add(errs, FE_INVALID, field, jv, "%s", detail);
	json_decref(jv);
}

void sa_add_invalid_str(struct field_errs *errs, const char *field, const char *v,
			const char *detail)
{
	json_t *jv = json_string(v);
	field_errs_add(errs, FE_INVALID, field, jv, "%s", detail);
	json_decref(jv);
}

/* ---- ipFamilies and ipFamilyPolicy (initIPFamilyFields) ---- */

static const char *const policy_names[] = {NULL, "SingleStack", "PreferDualStack",
					   "RequireDualStack"};

static enum sa_policy policy_of(const json_t *svc)
{
	const char *p = spec_str(svc, "ipFamilyPolicy");
	for (int i = POL_SINGLE; p && i <= POL_REQUIRE; i++)
		if (strcmp(p, policy_names[i]) == 0)
			return (enum sa_policy)i;
	return POL_UNSET;
}

void sa_famspec_read(const json_t *svc, struct famspec *fs)
{
	memset(fs, 0, sizeof(*fs));
	if (!svc)
		return;
	fs->policy = policy_of(svc);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(spec_of(svc), "ipFamilies"), i, v)
	{
		const char *s = json_string_value(v);
		if (fs->nfams < 2 && s)
			fs->fams[fs->nfams++] = strcmp(s, "IPv6") == 0 ? IP_V6 : IP_V4;
	}
	const char *ip;
	for (i = 0; i < 2 && (ip = sa_cluster_ip_at(svc, i)); i++)
		fs->ips[fs->nips++] = xstrdup(ip);
}

void sa_famspec_free(struct famspec *fs)
{
	for (int i = 0; i < 2; i++)
		free(fs->ips[i]);
	memset(fs, 0, sizeof(*fs));
}

/* Writes policy, ipFamilies, clusterIPs and clusterIP back into svc. */
void sa_famspec_write(json_t *svc, const struct famspec *fs)
{
	json_t *spec = sa_spec_w(svc);
	if (fs->policy != POL_UNSET)
		json_object_set_new(spec, "ipFamilyPolicy", json_string(policy_names[fs->policy]));
	json_t *fams = json_array();
	for (int i = 0; i < fs->nfams; i++)
		json_array_append_new(fams, json_string(ip_family_name(fs->fams[i])));
	json_object_set_new(spec, "ipFamilies", fams);
	if (fs->nips == 0)
		return;
	json_t *ips = json_array();
	for (int i = 0; i < fs->nips; i++)
		json_array_append_new(ips, json_string(fs->ips[i]));
	json_object_set_new(spec, "clusterIPs", ips);
	json_object_set_new(spec, "clusterIP", json_string(fs->ips[0]));
}

static bool same_ips(const struct famspec *x, const struct famspec *y)
{
	if (x->nips != y->nips)
		return false;
	for (int i = 0; i < x->nips; i++)
		if (strcmp(x->ips[i], y->ips[i]) != 0)
			return false;
	return true;
}

static bool same_fams(const struct famspec *x, const struct famspec *y)
{
	return x->nfams == y->nfams && memcmp(x->fams, y->fams, sizeof(x->fams[0]) * x->nfams) == 0;
}

/*
 * A PreferDualStack Service is neither upgraded nor downgraded when the
 * cluster changes: only an explicit change of policy, IPs or families does.
 */
static bool matching_prefer_dual(const json_t *old, const json_t *svc, const struct famspec *o,
				 const struct famspec *n)
{
	if (!old || policy_of(svc) == POL_UNSET)
		return false;
	const char *ot = spec_str(old, "type"), *nt = spec_str(svc, "type");
	if (strcmp(ot ? ot : "ClusterIP", nt ? nt : "ClusterIP") != 0 || !needs_cluster_ip(svc))
		return false;
	return o->policy == POL_PREFER && n->policy == POL_PREFER && same_ips(o, n) &&
	       same_fams(o, n);
}

static bool has_selector(const json_t *svc)
{
	json_t *sel = json_object_get(spec_of(svc), "selector");
	return json_is_object(sel) && json_object_size(sel) > 0;
}

/* Checks an update that keeps or drops the secondary family. */
static void check_update_policy(const struct famspec *o, struct famspec *n, struct field_errs *errs)
{
	const char *pol = policy_names[n->policy];
	if (n->policy == POL_SINGLE) {
		/* Setting SingleStack with the fields unchanged is clear intent. */
		if (same_ips(o, n) && n->nips > 1) {
			free(n->ips[1]);
			n->ips[1] = NULL;
			n->nips = 1;
		}
		if (same_fams(o, n) && n->nfams > 1)
			n->nfams = 1;
		return;
	}
	if (n->nips > 0 && n->nips < o->nips)
		sa_add_invalid_str(errs, "spec.ipFamilyPolicy", pol,
				   "must be 'SingleStack' to release the secondary cluster IP");
	if (n->nfams > 0 && n->nfams < o->nfams)
		sa_add_invalid_str(errs, "spec.ipFamilyPolicy", pol,
				   "must be 'SingleStack' to release the secondary IP family");
}

static bool configured(const struct svc_alloc *a, enum ip_family f)
{
	return a->ip[fi(f)].present;
}

/* Checks the policy against the counts, and infers families from chosen IPs. */
static void infer_from_ips(const struct svc_alloc *a, struct famspec *fs, struct field_errs *errs)
{
	if (fs->policy == POL_SINGLE && fs->nips == 2)
		sa_add_invalid_str(errs, "spec.ipFamilyPolicy", "SingleStack",
				   "must be 'RequireDualStack' or 'PreferDualStack' when multiple "
				   "cluster IPs are specified");
	if (fs->policy == POL_SINGLE && fs->nfams == 2)
		sa_add_invalid_str(
		    errs, "spec.ipFamilyPolicy", "SingleStack",
		    "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP "
		    "families are specified");
	for (int i = 0; i < fs->nips; i++) {
		struct ip_addr ip;
		if (strcmp(fs->ips[i], "None") == 0)
			break;
		if (ip_addr_parse(fs->ips[i], &ip) < 0 || i < fs->nfams)
			continue; /* validation has checked the IP matches ipFamilies[i] */
		if (configured(a, ip.family)) {
			fs->fams[fs->nfams++] = ip.family;
			continue;
		}
		char field[32], detail[64];
		char *raw = sa_go_string_slice(fs->ips, fs->nips);
		snprintf(field, sizeof(field), "spec.clusterIPs[%d]", i);
		snprintf(detail, sizeof(detail), "%s is not configured on this cluster",
			 ip_family_name(ip.family));
		sa_add_invalid_raw(errs, field, raw, detail);
		free(raw);
	}
}

/* The checks and defaults after the headless special case. */
static void default_families(const struct svc_alloc *a, struct famspec *fs, struct field_errs *errs)
{
	if (fs->policy == POL_REQUIRE && a->nfamilies < 2)
		sa_add_invalid_str(errs, "spec.ipFamilyPolicy", "RequireDualStack",
				   "this cluster is not configured for dual-stack services");
	for (int i = 0; i < fs->nfams; i++) {
		if (configured(a, fs->fams[i]))
			continue;
		char field[32];
		snprintf(field, sizeof(field), "spec.ipFamilies[%d]", i);
		sa_add_invalid_str(errs, field, ip_family_name(fs->fams[i]),
				   "not configured on this cluster");
	}
	if (fs->nfams == 0)
		fs->fams[fs->nfams++] = a->primary;
	if (fs->policy != POL_SINGLE && fs->nfams == 1 && a->nfamilies == 2)
		fs->fams[fs->nfams++] = other_family(fs->fams[0]);
}

/*
 * Defaults ipFamilyPolicy and ipFamilies of svc for this cluster (old is
 * the stored object on update, else NULL). Returns 0 or -EINVAL with errs.
 */
int sa_init_families(const struct svc_alloc *a, json_t *svc, const json_t *old,
		     struct field_errs *errs)
{
	struct famspec n, o;
	size_t nerr = errs->n;
	int rc = 0;
	if (!needs_cluster_ip(svc))
		return 0;
	sa_famspec_read(svc, &n);
	sa_famspec_read(old, &o);
	if (matching_prefer_dual(old, svc, &o, &n))
		goto out;
	bool headless = n.nips > 0 && strcmp(n.ips[0], "None") == 0;
	if (n.policy == POL_UNSET)
		n.policy = o.policy != POL_UNSET	    ? o.policy
			   : headless && !has_selector(svc) ? POL_REQUIRE
							    : POL_SINGLE;
	if (old)
		check_update_policy(&o, &n, errs);
	infer_from_ips(a, &n, errs);
	if (errs->n > nerr)
		goto out;
	if (headless && !has_selector(svc)) {
		/* Headless without selector may hold both families on any cluster. */
		if (n.nfams == 0)
			n.fams[n.nfams++] = a->primary;
		if (n.nfams < 2 && n.policy != POL_SINGLE)
			n.fams[n.nfams++] = other_family(n.fams[0]);
	} else {
		default_families(a, &n, errs);
	}
	if (errs->n == nerr)
		sa_famspec_write(svc, &n);
out:
	rc = errs->n > nerr ? -EINVAL : 0;
	sa_famspec_free(&n);
	sa_famspec_free(&o);
	return rc;
}
