/*
 * Pods: the defaults of SetDefaults_PodSpec/Container and a correct subset of
 * ValidatePodCreate/ValidatePodUpdate (containers, ports, policies, the
 * fields an update may change).
 */
#include "api/validate-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROTOCOLS "\"SCTP\", \"TCP\", \"UDP\""

static bool unset(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
}

/* Always for ":latest" or no tag (and no digest), else IfNotPresent. */
static const char *pull_policy(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *last = slash ? slash + 1 : image;
	if (strchr(last, '@'))
		return "IfNotPresent";
	const char *colon = strrchr(last, ':');
	if (!colon || !strcmp(colon + 1, "latest"))
		return "Always";
	return "IfNotPresent";
}

static void default_containers(json_t *list, bool host_network)
{
	for (size_t i = 0; i < jlen(list); i++) {
		json_t *c = json_array_get(list, i);
		if (!json_is_object(c))
			continue;
		const char *image = jstr(c, "image");
		if (unset(c, "imagePullPolicy"))
			json_object_set_new(c, "imagePullPolicy",
					    json_string(pull_policy(image ? image : "")));
		if (unset(c, "terminationMessagePath"))
			json_object_set_new(c, "terminationMessagePath",
					    json_string("/dev/termination-log"));
		if (unset(c, "terminationMessagePolicy"))
			json_object_set_new(c, "terminationMessagePolicy", json_string("File"));
		json_t *ports = json_object_get(c, "ports");
		for (size_t j = 0; j < jlen(ports); j++) {
			json_t *p = json_array_get(ports, j);
			if (!json_is_object(p))
				continue;
			if (unset(p, "protocol"))
				json_object_set_new(p, "protocol", json_string("TCP"));
			json_t *hp = json_object_get(p, "hostPort");
			if (host_network && (!hp || json_integer_value(hp) == 0) &&
			    json_is_integer(json_object_get(p, "containerPort")))
				json_object_set_new(p, "hostPort",
						    json_copy(json_object_get(p, "containerPort")));
		}
	}
}

void default_pod(json_t *obj)
{
	json_t *spec = json_object_get(obj, "spec");
	if (!json_is_object(spec))
		return;
	if (unset(spec, "dnsPolicy"))
		json_object_set_new(spec, "dnsPolicy", json_string("ClusterFirst"));
	if (unset(spec, "restartPolicy"))
		json_object_set_new(spec, "restartPolicy", json_string("Always"));
	if (unset(spec, "schedulerName"))
		json_object_set_new(spec, "schedulerName", json_string("default-scheduler"));
	if (!json_object_get(spec, "terminationGracePeriodSeconds"))
		json_object_set_new(spec, "terminationGracePeriodSeconds", json_integer(30));
	if (!json_object_get(spec, "securityContext"))
		json_object_set_new(spec, "securityContext", json_object());
	if (!json_object_get(spec, "enableServiceLinks"))
		json_object_set_new(spec, "enableServiceLinks", json_true());
	bool hn = json_is_true(json_object_get(spec, "hostNetwork"));
	default_containers(json_object_get(spec, "containers"), hn);
	default_containers(json_object_get(spec, "initContainers"), hn);
	json_t *status = json_object_get(obj, "status");
	if (!status) {
		status = json_object();
		json_object_set_new(obj, "status", status);
	}
	if (json_is_object(status) && unset(status, "phase"))
		json_object_set_new(status, "phase", json_string("Pending"));
}

static void validate_container_ports(const json_t *ports, const char *base, struct field_errs *errs)
{
	char pb[VPATH], f[VPATH];
	json_t *names = json_object();
	for (size_t i = 0; i < jlen(ports); i++) {
		const json_t *p = json_array_get(ports, i);
		json_int_t v;
		vindex(pb, base, "ports", i);
		const char *name = vstr(errs, p, "name", vpath(f, pb, "name"), NULL);
		if (name && *name) {
			struct vmsgs m = {0};
			is_port_name(name, &m);
			json_t *jn = json_string(name);
			if (m.n)
				add_msgs(errs, f, name, &m);
			else if (json_object_get(names, name))
				field_errs_add(errs, FE_DUPLICATE, f, jn, NULL);
			else
				json_object_set_new(names, name, json_true());
			json_decref(jn);
		}
		vint(errs, p, "containerPort", vpath(f, pb, "containerPort"), &v);
		if (v == 0)
			field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		else
			check_port_num(errs, f, v);
		if (vint(errs, p, "hostPort", vpath(f, pb, "hostPort"), &v) && v != 0)
			check_port_num(errs, f, v);
		const char *proto = vstr(errs, p, "protocol", vpath(f, pb, "protocol"), NULL);
		if (!proto || !*proto) {
			field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		} else if (strcmp(proto, "TCP") && strcmp(proto, "UDP") && strcmp(proto, "SCTP")) {
			json_t *jp = json_string(proto);
			field_errs_add(errs, FE_NOT_SUPPORTED, f, jp, PROTOCOLS);
			json_decref(jp);
		}
	}
	json_decref(names);
}

/* Containers of one list (containers or initContainers); names unique across both. */
static void validate_containers(const json_t *list, const char *field, json_t *names,
				struct field_errs *errs)
{
	char base[VPATH], f[VPATH];
	for (size_t i = 0; i < jlen(list); i++) {
		const json_t *c = json_array_get(list, i);
		snprintf(base, sizeof(base), "spec.%s[%zu]", field, i);
		const char *name = vstr(errs, c, "name", vpath(f, base, "name"), NULL);
		if (!name || !*name) {
			field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		} else {
			check_dns1123_label(errs, f, name);
			json_t *jn = json_string(name);
			if (json_object_get(names, name))
				field_errs_add(errs, FE_DUPLICATE, f, jn, NULL);
			json_object_set_new(names, name, json_true());
			json_decref(jn);
		}
		const char *image = vstr(errs, c, "image", vpath(f, base, "image"), NULL);
		if (!image || !*image)
			field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		validate_container_ports(varr(errs, c, "ports", vpath(f, base, "ports")), base,
					 errs);
	}
}

static void check_enum(struct field_errs *errs, const json_t *spec, const char *key,
		       const char *const *allowed, const char *list)
{
	char f[VPATH];
	const char *v = vstr(errs, spec, key, vpath(f, "spec", key), NULL);
	if (!v || !*v) {
		field_errs_add(errs, FE_REQUIRED, f, NULL, NULL);
		return;
	}
	for (; *allowed; allowed++)
		if (!strcmp(v, *allowed))
			return;
	field_errs_add(errs, FE_NOT_SUPPORTED, f, json_object_get(spec, key), "%s", list);
}

/* The spec with the fields a pod update may change set to those of old. */
static json_t *mutable_masked(const json_t *spec, const json_t *old_spec)
{
	static const char *const keys[] = {"activeDeadlineSeconds", "tolerations",
					   "terminationGracePeriodSeconds"};
	static const char *const lists[] = {"containers", "initContainers"};
	json_t *m = json_deep_copy(spec);
	for (size_t i = 0; i < 3; i++) {
		json_t *ov = json_object_get(old_spec, keys[i]);
		if (ov)
			json_object_set_new(m, keys[i], json_deep_copy(ov));
		else
			json_object_del(m, keys[i]);
	}
	for (size_t l = 0; l < 2; l++) {
		json_t *cs = json_object_get(m, lists[l]);
		const json_t *ocs = json_object_get(old_spec, lists[l]);
		for (size_t i = 0; i < jlen(cs) && i < jlen(ocs); i++) {
			json_t *img = json_object_get(json_array_get(ocs, i), "image");
			if (json_is_object(json_array_get(cs, i)) && img)
				json_object_set_new(json_array_get(cs, i), "image",
						    json_deep_copy(img));
		}
	}
	return m;
}

void validate_pod(const json_t *obj, const json_t *old, struct field_errs *errs)
{
	static const char *const restart[] = {"Always", "OnFailure", "Never", NULL};
	static const char *const dns[] = {"ClusterFirstWithHostNet", "ClusterFirst", "Default",
					  "None", NULL};
	const json_t *spec = vobj(errs, obj, "spec", "spec");
	if (!spec) {
		field_errs_add(errs, FE_REQUIRED, "spec.containers", NULL, NULL);
		return;
	}
	const json_t *cs = varr(errs, spec, "containers", "spec.containers");
	if (!jlen(cs))
		field_errs_add(errs, FE_REQUIRED, "spec.containers", NULL, NULL);
	json_t *names = json_object();
	validate_containers(varr(errs, spec, "initContainers", "spec.initContainers"),
			    "initContainers", names, errs);
	validate_containers(cs, "containers", names, errs);
	json_decref(names);
	check_enum(errs, spec, "restartPolicy", restart, "\"Always\", \"OnFailure\", \"Never\"");
	check_enum(errs, spec, "dnsPolicy", dns,
		   "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"");
	const char *node = vstr(errs, spec, "nodeName", "spec.nodeName", NULL);
	if (node && *node)
		check_dns1123_subdomain(errs, "spec.nodeName", node);
	const json_t *ospec = json_object_get(old, "spec");
	if (!json_is_object(ospec))
		return;
	json_t *masked = mutable_masked(spec, ospec);
	if (!json_equal(masked, (json_t *)ospec))
		field_errs_add(errs, FE_FORBIDDEN, "spec", NULL,
			       "pod updates may not change fields other than "
			       "`spec.containers[*].image`,`spec.initContainers[*].image`,"
			       "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
			       "to existing tolerations),`spec.terminationGracePeriodSeconds` "
			       "(allow it to be set to 1 if it was previously negative)");
	json_decref(masked);
}
