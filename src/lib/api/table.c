/*
 * Server-side printing: the meta.k8s.io/v1 Table objects kube-apiserver
 * returns to `kubectl get`. The columns and cell formats follow the
 * apiserver's printers (pkg/printers/internalversion), which it always runs
 * in wide mode: the priority-1 columns carry cells too and kubectl hides
 * them unless asked for -o wide.
 *
 * This file builds the Table and holds the printers of the smaller kinds;
 * table_service.c and table_pod.c hold the others, table_time.c the times
 * (see table-internal.h).
 */
#include "api/table.h"

#include "api/table-internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- string lists (see table-internal.h) ---- */

void strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

static bool strlist_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

void strlist_insert(struct strlist *l, const char *s)
{
	if (!strlist_has(l, s))
		strlist_add(l, s);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strlist_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
}

void strlist_join(const struct strlist *l, const char *sep, struct strbuf *sb)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_puts(sb, sep);
		sb_puts(sb, l->v[i]);
	}
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static const struct column namespace_cols[] = {
    {NAME_FIELDS},
    {"Status", "string", "", 0, "The status of the namespace"},
    {AGE_FIELDS},
};

static const struct column node_cols[] = {
    {NAME_FIELDS},
    {"Status", "string", "", 0, "The status of the node"},
    {"Roles", "string", "", 0, "The roles of the node"},
    {AGE_FIELDS},
    {"Version", "string", "", 0, "Kubelet Version reported by the node."},
    {"Internal-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"External-IP", "string", "", 1, "List of addresses reachable to the node."},
    {"OS-Image", "string", "", 1,
     "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy))."},
    {"Kernel-Version", "string", "", 1,
     "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)."},
    {"Container-Runtime", "string", "", 1,
     "ContainerRuntime Version reported by the node through runtime remote API (e.g. "
     "containerd://1.4.2)."},
};

static const struct column event_cols[] = {
    {"Last Seen", "string", "", 0,
     "The time at which the most recent occurrence of this event was recorded."},
    {"Type", "string", "", 0,
     "Type of this event (Normal, Warning), new types could be added "
     "in the future"},
    {"Reason", "string", "", 0,
     "This should be a short, machine understandable string that gives the reason for the "
     "transition into the object's current status."},
    {"Object", "string", "", 0, "The object that this event is about."},
    {"Subobject", "string", "", 1,
     "If referring to a piece of an object instead of an entire object, this string should "
     "contain a valid JSON/Go field access statement, such as desiredState.manifest."
     "containers[2]."},
    {"Source", "string", "", 1,
     "The component reporting this event. Should be a short machine understandable string."},
    {"Message", "string", "", 0, "A human-readable description of the status of this operation."},
    {"First Seen", "string", "", 1,
     "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)"},
    {"Count", "string", "", 1, "The number of times this event has occurred."},
    {"Name", "string", "name", 1, DESC_NAME},
};

static const struct column lease_cols[] = {
    {NAME_FIELDS},
    {"Holder", "string", "", 0, "The holder of the lease."},
    {AGE_FIELDS},
};

static const struct column generic_cols[] = {
    {NAME_FIELDS},
    {AGE_FIELDS},
};

/* ---- Namespace and the generic fallback ---- */

static void namespace_row(const json_t *ns, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(ns, "metadata", "name", NULL)));
	add_str(cells, str(at(ns, "status", "phase", NULL)));
	add_own(cells, table_age(ns, now));
}

static void generic_row(const json_t *obj, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(obj, "metadata", "name", NULL)));
	add_own(cells, table_age(obj, now));
}

/* The Lease printer of kube-apiserver: name, spec.holderIdentity, age. */
static void lease_row(const json_t *lease, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");

	add_str(cells, str(at(lease, "metadata", "name", NULL)));
	add_str(cells, str(at(lease, "spec", "holderIdentity", NULL)));
	add_own(cells, table_age(lease, now));
}

/* ---- Node ---- */

/* "Ready", "NotReady" or "Unknown" from the Ready condition, then ",SchedulingDisabled". */
static char *node_status(const json_t *node)
{
	struct strbuf sb = STRBUF_INIT;
	const char *ready = NULL;
	size_t i;
	json_t *c;

	/* The apiserver keys conditions by type: the last Ready condition wins. */
	json_array_foreach((json_t *)at(node, "status", "conditions", NULL), i, c)
	{
		if (!strcmp(str(json_object_get(c, "type")), "Ready"))
			ready = str(json_object_get(c, "status"));
	}
	if (!ready)
		sb_puts(&sb, "Unknown");
	else
		sb_puts(&sb, strcmp(ready, "True") ? "NotReady" : "Ready");
	if (truthy(at(node, "spec", "unschedulable", NULL)))
		sb_puts(&sb, ",SchedulingDisabled");
	return sb_steal(&sb);
}

/* findNodeRoles: node-role.kubernetes.io/<role> keys and kubernetes.io/role values. */
static char *node_roles(const json_t *node)
{
	static const char prefix[] = "node-role.kubernetes.io/";
	struct strlist l = {0};
	struct strbuf sb = STRBUF_INIT;
	const char *key;
	json_t *val;

	json_object_foreach((json_t *)at(node, "metadata", "labels", NULL), key, val)
	{
		if (!strncmp(key, prefix, sizeof(prefix) - 1) && key[sizeof(prefix) - 1])
			strlist_insert(&l, key + sizeof(prefix) - 1);
		else if (!strcmp(key, "kubernetes.io/role") && *str(val))
			strlist_insert(&l, str(val));
	}
	strlist_sort(&l);
	strlist_join(&l, ",", &sb);
	if (!l.n)
		sb_puts(&sb, "<none>");
	strlist_free(&l);
	return sb_steal(&sb);
}

/* The first address of the type, "<none>" when the node has none. */
static const char *node_address(const json_t *node, const char *type)
{
	size_t i;
	json_t *a;

	json_array_foreach((json_t *)at(node, "status", "addresses", NULL), i, a)
	{
		if (!strcmp(str(json_object_get(a, "type")), type))
			return str(json_object_get(a, "address"));
	}
	return "<none>";
}

static const char *or_unknown(const char *s)
{
	return *s ? s : "<unknown>";
}

static void node_row(const json_t *node, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	const json_t *info = at(node, "status", "nodeInfo", NULL);

	add_str(cells, str(at(node, "metadata", "name", NULL)));
	add_own(cells, node_status(node));
	add_own(cells, node_roles(node));
	add_own(cells, table_age(node, now));
	add_str(cells, str(json_object_get(info, "kubeletVersion")));
	add_str(cells, node_address(node, "InternalIP"));
	add_str(cells, node_address(node, "ExternalIP"));
	add_str(cells, or_unknown(str(json_object_get(info, "osImage"))));
	add_str(cells, or_unknown(str(json_object_get(info, "kernelVersion"))));
	add_str(cells, or_unknown(str(json_object_get(info, "containerRuntimeVersion"))));
}

/* ---- Event ---- */

/* "pod/web-1", or just "node" for an object without a name. */
static char *event_target(const json_t *ev)
{
	const char *kind = str(at(ev, "involvedObject", "kind", NULL));
	const char *name = str(at(ev, "involvedObject", "name", NULL));
	char *s = *name ? xasprintf("%s/%s", kind, name) : xstrdup(kind);

	for (char *p = s; *p && *p != '/'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* formatEventSource: component (else reportingController), then ", host" if any. */
static char *event_source(const json_t *ev)
{
	const char *comp = str(at(ev, "source", "component", NULL));
	const char *host = str(at(ev, "source", "host", NULL));

	if (!*comp)
		comp = str(json_object_get(ev, "reportingController"));
	if (!*host)
		host = str(json_object_get(ev, "reportingInstance"));
	return *host ? xasprintf("%s, %s", comp, host) : xstrdup(comp);
}

/* strings.TrimSpace on an ASCII string. */
static char *trim(const char *s)
{
	size_t n;
	char *out;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	out = xmalloc(n + 1);
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

static void event_row(const json_t *ev, int64_t now, json_t *row)
{
	json_t *cells = json_object_get(row, "cells");
	const json_t *series = json_object_get(ev, "series");
	int64_t first_t = table_time_of(json_object_get(ev, "firstTimestamp"));
	int64_t last_t = table_time_of(json_object_get(ev, "lastTimestamp"));
	json_int_t count = num(json_object_get(ev, "count"));
	char *first, *last;

	first = table_since(
	    first_t == TIME_ZERO ? table_time_of(json_object_get(ev, "eventTime")) : first_t, now);
	last = last_t == TIME_ZERO ? xstrdup(first) : table_since(last_t, now);
	if (json_is_object(series)) {
		free(last);
		last = table_since(table_time_of(json_object_get(series, "lastObservedTime")), now);
		count = num(json_object_get(series, "count"));
	} else if (!count) {
		count = 1; /* singleton events of the events.k8s.io API carry no count */
	}
	add_own(cells, last);
	add_str(cells, str(json_object_get(ev, "type")));
	add_str(cells, str(json_object_get(ev, "reason")));
	add_own(cells, event_target(ev));
	add_str(cells, str(at(ev, "involvedObject", "fieldPath", NULL)));
	add_own(cells, event_source(ev));
	add_own(cells, trim(str(json_object_get(ev, "message"))));
	add_own(cells, first);
	json_array_append_new(cells, json_integer(count));
	add_str(cells, str(at(ev, "metadata", "name", NULL)));
}

/* ---- the Table ---- */

static const struct table_printer namespace_printer =
    PRINTER("Namespace", namespace_cols, namespace_row);
static const struct table_printer node_printer = PRINTER("Node", node_cols, node_row);
static const struct table_printer event_printer = PRINTER("Event", event_cols, event_row);
static const struct table_printer lease_printer = PRINTER("Lease", lease_cols, lease_row);
static const struct table_printer generic = PRINTER("", generic_cols, generic_row);

static const struct table_printer *const printers[] = {
    &table_service_printer,   &table_pod_printer,
    &table_endpoints_printer, &table_endpointslice_printer,
    &namespace_printer,	      &node_printer,
    &event_printer,	      &lease_printer,
};

static const struct table_printer *printer_for(const struct api_resource *r)
{
	for (size_t i = 0; r && i < NCOLS(printers); i++)
		if (!strcmp(printers[i]->kind, r->kind))
			return printers[i];
	return &generic;
}

static json_t *column_definitions(const struct table_printer *p)
{
	json_t *cols = json_array();

	for (size_t i = 0; i < p->ncolumns; i++) {
		const struct column *c = &p->columns[i];

		json_array_append_new(cols,
				      json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name,
						"type", c->type, "format", c->format, "description",
						c->description, "priority", c->priority));
	}
	return cols;
}

/*
 * The Table's ListMeta: from list_meta, or for a single object (a GET, or
 * one watch event) without one, the object's resourceVersion, as the
 * apiserver does.
 */
static json_t *table_metadata(const json_t *list_meta, const json_t *items)
{
	static const char *const keys[] = {"resourceVersion", "continue", "remainingItemCount"};
	json_t *meta = json_object();
	const json_t *rv;

	if (!list_meta) {
		rv = at(json_array_get(items, 0), "metadata", "resourceVersion", NULL);
		if (json_array_size(items) == 1 && json_is_string(rv) && *json_string_value(rv))
			json_object_set_new(meta, "resourceVersion", json_copy((json_t *)rv));
		return meta;
	}
	for (size_t i = 0; i < NCOLS(keys); i++) {
		const json_t *v = json_object_get(list_meta, keys[i]);

		/* Go omits the empty values of these omitempty fields. */
		if (v && !json_is_null(v) && !(json_is_string(v) && !*json_string_value(v)))
			json_object_set_new(meta, keys[i], json_deep_copy(v));
	}
	return meta;
}

enum include { INCLUDE_NONE, INCLUDE_METADATA, INCLUDE_OBJECT, INCLUDE_INVALID };

static enum include parse_include(const char *s)
{
	if (!s || !*s || !strcmp(s, "Metadata"))
		return INCLUDE_METADATA;
	if (!strcmp(s, "None"))
		return INCLUDE_NONE;
	if (!strcmp(s, "Object"))
		return INCLUDE_OBJECT;
	return INCLUDE_INVALID;
}

/* Whether include_object is a value the apiserver accepts. See table.h. */
bool api_table_include_valid(const char *include_object)
{
	return parse_include(include_object) != INCLUDE_INVALID;
}

/* The row's "object": a PartialObjectMetadata, the whole object, or nothing. */
static json_t *row_object(const struct api_resource *r, const json_t *obj, enum include inc)
{
	json_t *out, *meta;

	if (inc == INCLUDE_NONE)
		return NULL;
	if (inc == INCLUDE_OBJECT) {
		out = json_deep_copy(obj);
		/* List items may lack their type; the embedded object carries it. */
		if (r && !json_object_get(out, "kind"))
			json_object_set_new(out, "kind", json_string(r->kind));
		if (r && !json_object_get(out, "apiVersion"))
			json_object_set_new(out, "apiVersion", json_string(r->api_version));
		return out;
	}
	meta = json_deep_copy(json_object_get(obj, "metadata"));
	if (!json_is_object(meta)) {
		json_decref(meta);
		meta = json_object();
	}
	return json_pack("{s:s, s:s, s:o}", "kind", "PartialObjectMetadata", "apiVersion",
			 "meta.k8s.io/v1", "metadata", meta);
}

/*
 * The Table of items (borrowed) printed at now_ns; list_meta (borrowed, may
 * be NULL) gives its metadata. Returns a new reference. See table.h.
 */
json_t *api_table_at(const struct api_resource *r, const json_t *items, const char *include_object,
		     const json_t *list_meta, int64_t now_ns)
{
	const struct table_printer *p = printer_for(r);
	enum include inc = parse_include(include_object);
	json_t *table, *rows = json_array(), *item, *row, *obj;
	size_t i;

	/* An invalid value is the caller's to reject; print as the default. */
	if (inc == INCLUDE_INVALID)
		inc = INCLUDE_METADATA;
	json_array_foreach((json_t *)items, i, item)
	{
		if (!json_is_object(item))
			continue;
		row = json_pack("{s:[]}", "cells");
		p->row(item, now_ns, row);
		obj = row_object(r, item, inc);
		if (obj)
			json_object_set_new(row, "object", obj);
		json_array_append_new(rows, row);
	}
	table = json_pack("{s:s, s:s, s:o, s:o, s:o}", "kind", "Table", "apiVersion",
			  "meta.k8s.io/v1", "metadata", table_metadata(list_meta, items),
			  "columnDefinitions", column_definitions(p), "rows", rows);
	return table;
}

/* api_table_at at the current time. Returns a new reference. */
json_t *api_table(const struct api_resource *r, const json_t *items, const char *include_object,
		  const json_t *list_meta)
{
	return api_table_at(r, items, include_object, list_meta, table_now_ns());
}
