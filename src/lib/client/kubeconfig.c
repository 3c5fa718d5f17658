/*
 * kubeconfig files (clusters, users, contexts, current-context) read with
 * libyaml's document loader into a kclient_config, as client-go's
 * clientcmd does for the fields svcnet supports: server, CA file or data,
 * insecure-skip-tls-verify, bearer token or token file, client certificate
 * and key (files or data), and the context's namespace. Relative paths are
 * relative to the kubeconfig file's folder, as in client-go.
 */
#include "client/client.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define KUBECONFIG_MAX (4 << 20) /* larger files are not kubeconfigs */

struct kc {
	yaml_document_t doc;
	const char *dir; /* for relative paths, or NULL */
	struct kclient_config *cfg;
	char **err;
};

static bool scalar_is(yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The value of key in mapping node m, or NULL. */
static yaml_node_t *map_get(struct kc *k, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (scalar_is(yaml_document_get_node(&k->doc, p->key), key))
			return yaml_document_get_node(&k->doc, p->value);
	return NULL;
}

/* The scalar string under key (a copy, caller frees), or NULL when absent or empty. */
static char *map_str(struct kc *k, yaml_node_t *m, const char *key)
{
	yaml_node_t *v = map_get(k, m, key);

	if (!v || v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
		return NULL;
	return strndup((const char *)v->data.scalar.value, v->data.scalar.length);
}

/*
 * Finds {name: NAME, FIELD: {...}} in the sequence list_key of the root and
 * returns its FIELD mapping, or NULL.
 */
static yaml_node_t *named(struct kc *k, const char *list_key, const char *name, const char *field)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	yaml_node_t *seq = map_get(k, root, list_key);

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start; i < seq->data.sequence.items.top;
	     i++) {
		yaml_node_t *ent = yaml_document_get_node(&k->doc, *i);
		if (scalar_is(map_get(k, ent, "name"), name)) {
			yaml_node_t *v = map_get(k, ent, field);
			return v && v->type == YAML_MAPPING_NODE ? v : NULL;
		}
	}
	return NULL;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes base64 (whitespace ignored, padding optional); NULL when malformed. */
static char *b64decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = xmalloc(n * 3 / 4 + 4);
	unsigned acc = 0, bits = 0;
	bool pad = false;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')
			continue;
		if (*s == '=') {
			pad = true;
			continue;
		}
		int v = b64val((unsigned char)*s);
		if (v < 0 || pad) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

/* A path from the file, made absolute against the kubeconfig's folder. */
static char *resolve(struct kc *k, char *path)
{
	if (!path || path[0] == '/' || !k->dir)
		return path;
	char *abs = xasprintf("%s/%s", k->dir, path);
	free(path);
	return abs;
}

/* Decodes the base64 field key of m into *out; 0, or -EINVAL naming what. */
static int data_field(struct kc *k, yaml_node_t *m, const char *key, const char *what, char **out)
{
	char *v = map_str(k, m, key);

	if (!v)
		return 0;
	*out = b64decode(v);
	free(v);
	if (!*out) {
		*k->err = xasprintf("%s of %s is not valid base64", key, what);
		return -EINVAL;
	}
	return 0;
}

static int read_cluster(struct kc *k, const char *name)
{
	struct kclient_config *cfg = k->cfg;
	yaml_node_t *cl = named(k, "clusters", name, "cluster");
	char *what = xasprintf("cluster \"%s\"", name);
	int ret = 0;

	if (!cl) {
		*k->err = xasprintf("cluster \"%s\" not found in kubeconfig", name);
		ret = -ENOENT;
		goto out;
	}
	cfg->server = map_str(k, cl, "server");
	if (!cfg->server) {
		*k->err = xasprintf("cluster \"%s\" has no server", name);
		ret = -EINVAL;
		goto out;
	}
	cfg->ca_file = resolve(k, map_str(k, cl, "certificate-authority"));
	ret = data_field(k, cl, "certificate-authority-data", what, &cfg->ca_data);
	cfg->insecure = scalar_is(map_get(k, cl, "insecure-skip-tls-verify"), "true");
out:
	free(what);
	return ret;
}

/* Reads a token file: its first line, trimmed. */
static int read_token_file(struct kc *k, const char *path, const char *user)
{
	FILE *f = fopen(path, "r");
	char buf[8192];

	if (!f) {
		*k->err = xasprintf("tokenFile %s of user \"%s\": %s", path, user, strerror(errno));
		return -ENOENT;
	}
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	k->cfg->token = xstrdup(buf);
	return 0;
}

static int read_user(struct kc *k, const char *name)
{
	struct kclient_config *cfg = k->cfg;
	yaml_node_t *u = named(k, "users", name, "user");
	char *what = xasprintf("user \"%s\"", name), *tf = NULL;
	int ret = 0;

	if (!u) {
		/* client-go: a user entry without fields is written as "user: {}"; absent is an
		 * error. */
		*k->err = xasprintf("user \"%s\" not found in kubeconfig", name);
		ret = -ENOENT;
		goto out;
	}
	if (map_get(k, u, "exec") || map_get(k, u, "auth-provider")) {
		*k->err = xasprintf("user \"%s\" uses exec or auth-provider credentials, which "
				    "svcnet does not support: use a token or a client certificate",
				    name);
		ret = -EINVAL;
		goto out;
	}
	cfg->token = map_str(k, u, "token");
	tf = resolve(k, map_str(k, u, "tokenFile"));
	if (!cfg->token && tf && (ret = read_token_file(k, tf, name)) < 0)
		goto out;
	cfg->cert_file = resolve(k, map_str(k, u, "client-certificate"));
	cfg->key_file = resolve(k, map_str(k, u, "client-key"));
	if ((ret = data_field(k, u, "client-certificate-data", what, &cfg->cert_data)) < 0 ||
	    (ret = data_field(k, u, "client-key-data", what, &cfg->key_data)) < 0)
		goto out;
	if ((cfg->cert_file || cfg->cert_data) != (cfg->key_file || cfg->key_data)) {
		*k->err =
		    xasprintf("user \"%s\" needs both a client certificate and a client key", name);
		ret = -EINVAL;
	}
out:
	free(tf);
	free(what);
	return ret;
}

/* Follows current-context to its cluster and user. */
static int read_config(struct kc *k)
{
	yaml_node_t *root = yaml_document_get_root_node(&k->doc);
	char *cur = NULL, *cluster = NULL, *user = NULL;
	int ret = -EINVAL;

	if (!root || root->type != YAML_MAPPING_NODE) {
		*k->err = xstrdup("kubeconfig is not a YAML mapping");
		goto out;
	}
	cur = map_str(k, root, "current-context");
	if (!cur) {
		*k->err = xstrdup("kubeconfig has no current-context");
		goto out;
	}
	yaml_node_t *ctx = named(k, "contexts", cur, "context");
	if (!ctx) {
		*k->err = xasprintf("context \"%s\" not found in kubeconfig", cur);
		ret = -ENOENT;
		goto out;
	}
	cluster = map_str(k, ctx, "cluster");
	if (!cluster) {
		*k->err = xasprintf("context \"%s\" names no cluster", cur);
		goto out;
	}
	k->cfg->namespace = map_str(k, ctx, "namespace");
	user = map_str(k, ctx, "user");
	if ((ret = read_cluster(k, cluster)) < 0 || (user && (ret = read_user(k, user)) < 0))
		goto out;
	ret = 0;
out:
	free(cur);
	free(cluster);
	free(user);
	return ret;
}

static int parse(const char *text, size_t len, const char *dir, struct kclient_config *cfg,
		 char **err)
{
	struct kc k = {.dir = dir, .cfg = cfg, .err = err};
	yaml_parser_t parser;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	*err = NULL;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &k.doc)) {
		*err = xasprintf("kubeconfig is not valid YAML: %s at line %zu",
				 parser.problem ? parser.problem : "error",
				 parser.problem_mark.line + 1);
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	ret = read_config(&k);
	yaml_document_delete(&k.doc);
	yaml_parser_delete(&parser);
	if (ret < 0)
		kclient_config_free(cfg);
	return ret;
}

/*
 * Parses a kubeconfig held in memory; relative paths stay relative to the
 * working folder. Returns 0 with cfg filled (free with
 * kclient_config_free), or a negative errno with a sentence in *err.
 */
int kclient_config_parse(const char *text, size_t len, struct kclient_config *cfg, char **err)
{
	return parse(text, len, NULL, cfg, err);
}

/* Reads the kubeconfig file path into cfg; see client.h. */
int kclient_config_from_kubeconfig(const char *path, struct kclient_config *cfg, char **err)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[65536], *dir = NULL;
	int ret = 0;
	size_t n;

	memset(cfg, 0, sizeof(*cfg));
	FILE *f = fopen(path, "r");
	if (!f) {
		*err = xasprintf("kubeconfig %s: %s", path, strerror(errno));
		return errno == ENOENT ? -ENOENT : -EINVAL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= KUBECONFIG_MAX)
		sb_append(&sb, buf, n);
	fclose(f);
	if (sb.len > KUBECONFIG_MAX) {
		*err = xasprintf("kubeconfig %s is larger than %d bytes", path, KUBECONFIG_MAX);
		ret = -EINVAL;
		goto out;
	}
	const char *slash = strrchr(path, '/');
	dir = slash ? strndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
	ret = parse(sb.buf ? sb.buf : "", sb.len, dir, cfg, err);
	if (ret < 0) {
		char *e = xasprintf("kubeconfig %s: %s", path, *err);
		free(*err);
		*err = e;
	}
out:
	free(dir);
	sb_free(&sb);
	return ret;
}

/*
 * The configuration of a component's flags: the kubeconfig file (when
 * kubeconfig is non-NULL), with server (when non-NULL) overriding its
 * server, as kubectl's --server. Returns 0, or a negative errno with a
 * sentence in *err (caller frees), also when neither is given.
 */
int kclient_config_load(const char *server, const char *kubeconfig, struct kclient_config *cfg,
			char **err)
{
	memset(cfg, 0, sizeof(*cfg));
	if (kubeconfig && *kubeconfig) {
		int rc = kclient_config_from_kubeconfig(kubeconfig, cfg, err);
		if (rc < 0)
			return rc;
	}
	if (server && *server) {
		free(cfg->server);
		cfg->server = xstrdup(server);
	}
	if (!cfg->server) {
		*err = xstrdup("no API server given: use --server URL or --kubeconfig FILE");
		return -EINVAL;
	}
	return 0;
}
