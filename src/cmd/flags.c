/* Flag value parsing shared by the sub-commands. */
#include "cmd/flags.h"

#include "base/duration.h"
#include "cmd/commands.h"

#include <errno.h>
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

/* Writes ms into buf (size n) in its largest whole unit: "24h", "90s", "0s". */
static const char *format_ms(long ms, char *buf, size_t n)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(buf, n, "%ldh", ms / 3600000);
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(buf, n, "%ldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, n, "%lds", ms / 1000);
	else
		snprintf(buf, n, "%ldms", ms);
	return buf;
}

/* See flags.h. */
int flag_duration(const char *flag, const char *arg, long lo_ms, long hi_ms, long *out_ms)
{
	char lo[32], hi[32];
	int64_t ms;
	int rc = duration_parse_ms(arg, &ms);

	if (rc == -EINVAL) {
		fprintf(stderr,
			"svcnet: --%s %s: expected a duration such as 500ms, 15s or 1m30s "
			"(units ms, s, m, h)\n",
			flag, arg);
		return -1;
	}
	if (rc < 0 || ms < lo_ms || ms > hi_ms) {
		fprintf(stderr, "svcnet: --%s %s: expected a duration from %s to %s\n", flag, arg,
			format_ms(lo_ms, lo, sizeof(lo)), format_ms(hi_ms, hi, sizeof(hi)));
		return -1;
	}
	*out_ms = (long)ms;
	return 0;
}
