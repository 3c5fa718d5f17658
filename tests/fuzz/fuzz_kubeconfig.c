/*
 * Parses arbitrary bytes as a kubeconfig held in memory and frees the
 * result: a kubeconfig is outside input (any user's file).
 */
#include "client/client.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kclient_config cfg;
	char *err = NULL;

	if (kclient_config_parse((const char *)data, size, &cfg, &err) == 0)
		kclient_config_free(&cfg);
	free(err);
	return 0;
}
