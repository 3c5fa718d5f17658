/*
 * What svcnet's own code parses of an HTTP request (libmicrohttpd parses
 * the protocol): the URL path routing and an Authorization header checked
 * against a token file; the input is also tried as a token file.
 */
#include "apiserver/apiserver-internal.h"
#include "apiserver/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	struct req r = {0};
	r.path = s;
	route_parse(&r);
	free(r.ns);
	free(r.name);
	free(r.sub);

	struct auth_tokens *t = NULL;
	char *err = NULL;
	if (auth_tokens_parse("tok,user,1,\"system:masters\"\n", &t, &err) == 0) {
		const struct auth_user *u = auth_authenticate(t, s);
		if (u)
			auth_allowed(u, "get", r.res, NULL);
		auth_tokens_free(t);
	}
	t = NULL;
	if (auth_tokens_parse(s, &t, &err) == 0)
		auth_tokens_free(t);
	free(err);
	free(s);
	return 0;
}
