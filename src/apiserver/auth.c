#include "apiserver/auth.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct auth_tokens {
	struct auth_user *users;
	size_t n;
};

static const struct {
	const char *group;
	unsigned role;
} group_roles[] = {
    {"system:masters", ROLE_ADMIN},
    {"svcnet:admin", ROLE_ADMIN},
    {"svcnet:view", ROLE_VIEW},
    {"system:nodes", ROLE_NODE},
    {"svcnet:node", ROLE_NODE},
    {"svcnet:controller", ROLE_CONTROLLER},
    {"system:kube-controller-manager", ROLE_CONTROLLER},
};

/* Splits one CSV line into at most max fields (quotes as RFC 4180); returns the count or -1. */
static int csv_fields(const char *line, char **fields, int max)
{
	int n = 0;
	const char *p = line;
	for (;;) {
		struct strbuf f = STRBUF_INIT;
		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				sb_append(&f, p, 1);
			}
			if (*p != '"') {
				sb_free(&f);
				goto bad;
			}
			p++;
		} else {
			while (*p && *p != ',')
				sb_append(&f, p++, 1);
		}
		if (n == max || (*p && *p != ',')) {
			sb_free(&f);
			goto bad;
		}
		fields[n++] = sb_steal(&f);
		if (!*p)
			return n;
		p++;
	}
bad:
	while (n)
		free(fields[--n]);
	return -1;
}

static unsigned roles_of(const char *groups)
{
	unsigned roles = 0;
	char *copy = xstrdup(groups), *save = NULL;
	for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save))
		for (size_t i = 0; i < sizeof(group_roles) / sizeof(group_roles[0]); i++)
			if (!strcmp(g, group_roles[i].group))
				roles |= group_roles[i].role;
	free(copy);
	return roles;
}

/* Adds one line's user; returns -EINVAL with *err for a malformed line. */
static int add_line(struct auth_tokens *t, char *line, int lineno, char **err)
{
	char *f[4] = {0};
	line[strcspn(line, "\r\n")] = '\0';
	if (!*line || *line == '#')
		return 0;
	int n = csv_fields(line, f, 4);
	if (n < 3 || !*f[0] || !*f[1]) {
		*err = xasprintf("line %d: expected token,user,uid[,\"group1,group2\"]", lineno);
		for (int i = 0; i < n; i++)
			free(f[i]);
		return -EINVAL;
	}
	t->users = xrealloc(t->users, (t->n + 1) * sizeof(*t->users));
	t->users[t->n++] = (struct auth_user){f[0], f[1], f[2], n == 4 ? roles_of(f[3]) : 0};
	free(f[3]);
	return 0;
}

int auth_tokens_parse(const char *text, struct auth_tokens **out, char **err)
{
	struct auth_tokens *t = xcalloc(1, sizeof(*t));
	char *copy = xstrdup(text), *save = NULL;
	int lineno = 0, rc = 0;
	for (char *line = strtok_r(copy, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save))
		rc = add_line(t, line, ++lineno, err);
	free(copy);
	if (rc == 0 && t->n == 0) {
		*err = xstrdup("no tokens in the file");
		rc = -EINVAL;
	}
	if (rc < 0) {
		auth_tokens_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int auth_tokens_load(const char *path, struct auth_tokens **out, char **err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		*err = xasprintf("--token-file %s: %s", path, strerror(e));
		return -e;
	}
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	char *perr = NULL;
	int rc = auth_tokens_parse(sb.buf ? sb.buf : "", out, &perr);
	if (rc < 0) {
		*err = xasprintf("--token-file %s: %s", path, perr);
		free(perr);
	}
	sb_free(&sb);
	return rc;
}

void auth_tokens_free(struct auth_tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->users[i].token);
		free(t->users[i].name);
		free(t->users[i].uid);
	}
	free(t->users);
	free(t);
}

/* Compares in time independent of where the first difference is. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

const struct auth_user *auth_authenticate(const struct auth_tokens *t, const char *header)
{
	if (!t || !header || strncasecmp(header, "Bearer ", 7))
		return NULL;
	const char *token = header + 7;
	while (*token == ' ')
		token++;
	for (size_t i = 0; i < t->n; i++)
		if (same_secret(t->users[i].token, token))
			return &t->users[i];
	return NULL;
}

static bool is_read(const char *verb)
{
	return !strcmp(verb, "get") || !strcmp(verb, "list") || !strcmp(verb, "watch");
}

static bool is_write(const char *verb)
{
	return !strcmp(verb, "create") || !strcmp(verb, "update") || !strcmp(verb, "patch");
}

static bool node_allowed(const char *verb, const char *kind, const char *sub)
{
	if (is_read(verb))
		return true;
	if (!strcmp(kind, "Node"))
		return is_write(verb);
	if (!strcmp(kind, "Pod"))
		return (sub && is_write(verb)) || !strcmp(verb, "delete");
	if (!strcmp(kind, "Event"))
		return is_write(verb);
	return false;
}

static bool controller_allowed(const char *verb, const char *kind, const char *sub)
{
	if (is_read(verb))
		return true;
	if (!strcmp(kind, "Endpoints") || !strcmp(kind, "EndpointSlice") || !strcmp(kind, "Lease"))
		return true;
	if (!strcmp(kind, "Service"))
		return sub && is_write(verb);
	if (!strcmp(kind, "Event"))
		return is_write(verb);
	return false;
}

bool auth_allowed(const struct auth_user *user, const char *verb, const struct api_resource *res,
		  const char *sub)
{
	if (user->roles & ROLE_ADMIN)
		return true;
	if (!res) /* discovery, OpenAPI, version, metrics: any authenticated user */
		return true;
	if ((user->roles & (ROLE_VIEW | ROLE_NODE | ROLE_CONTROLLER)) && is_read(verb))
		return true;
	if ((user->roles & ROLE_NODE) && node_allowed(verb, res->kind, sub))
		return true;
	if ((user->roles & ROLE_CONTROLLER) && controller_allowed(verb, res->kind, sub))
		return true;
	return false;
}
