/* Flag value parsing shared by the sub-commands. */
#include "cmd/commands.h"

#include <stdio.h>
#include <stdlib.h>

int flag_number(const char *flag, const char *arg, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < lo || v > hi) {
		fprintf(stderr, "svcnet: --%s %s: expected a number from %ld to %ld\n", flag, arg,
			lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}
