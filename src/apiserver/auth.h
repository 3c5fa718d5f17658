/*
 * Authentication by bearer token (--token-file, kube-apiserver's CSV form
 * "token,user,uid,\"group1,group2\"") and authorization by role. The role
 * comes from the groups: system:masters or svcnet:admin → admin (everything),
 * svcnet:view → view (read-only), system:nodes or svcnet:node → node (what
 * the proxy, DNS and agent read, node and pod status), svcnet:controller →
 * controller (reads, endpoints, slices, events, service status).
 */
#ifndef SVCNET_APISERVER_AUTH_H
#define SVCNET_APISERVER_AUTH_H

#include "api/resource.h"

#include <stdbool.h>

enum auth_role {
	ROLE_ADMIN = 1 << 0,
	ROLE_VIEW = 1 << 1,
	ROLE_NODE = 1 << 2,
	ROLE_CONTROLLER = 1 << 3,
};

struct auth_user {
	char *token;
	char *name;
	char *uid;
	unsigned roles; /* enum auth_role bits */
};

struct auth_tokens;

/* Reads a token file. Returns 0, or -errno with *err naming the file and line. */
int auth_tokens_load(const char *path, struct auth_tokens **out, char **err)
    __attribute__((warn_unused_result));
/* Parses token file text (for tests and fuzzing); same contract. */
int auth_tokens_parse(const char *text, struct auth_tokens **out, char **err)
    __attribute__((warn_unused_result));
void auth_tokens_free(struct auth_tokens *t);

/* The user an "Authorization" header value names, or NULL. Borrowed from t. */
const struct auth_user *auth_authenticate(const struct auth_tokens *t, const char *header);

/*
 * May user do verb (get, list, watch, create, update, patch, delete,
 * deletecollection) on res (NULL for non-resource paths such as discovery)
 * and subresource sub (NULL or "status")?
 */
bool auth_allowed(const struct auth_user *user, const char *verb, const struct api_resource *res,
		  const char *sub);

#endif
