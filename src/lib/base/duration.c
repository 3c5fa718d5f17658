/*
 * Go duration parsing (see duration.h), in integers: a double would make
 * "1.005s" 1004 ms. Go also knows ns, us and µs; no flag of svcnet is that
 * fine, so they are refused rather than rounded to nothing.
 */
#include "base/duration.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* Fraction digits kept: more cannot change a whole millisecond of an hour. */
#define MAX_SCALE 1000000000LL

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The unit at *p in milliseconds, *p moved past it; 0 when there is none. */
static int64_t unit_ms(const char **p)
{
	static const struct {
		const char *name;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t n = strlen(units[i].name);

		if (!strncmp(*p, units[i].name, n)) {
			*p += n;
			return units[i].ms;
		}
	}
	return 0;
}

/* One <number><unit> term at *p into *ms, *p moved past it. 0, -EINVAL or -ERANGE. */
static int parse_term(const char **p, int64_t *ms)
{
	const char *s = *p;
	int64_t whole = 0, frac = 0, scale = 1, unit;
	bool digits = false;

	for (; is_digit(*s); s++, digits = true) {
		if (whole > (INT64_MAX - (*s - '0')) / 10)
			return -ERANGE;
		whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; is_digit(*s); s++, digits = true) {
			if (scale < MAX_SCALE) {
				frac = frac * 10 + (*s - '0');
				scale *= 10;
			}
		}
	}
	unit = digits ? unit_ms(&s) : 0;
	if (!unit)
		return -EINVAL;
	if (whole > INT64_MAX / unit || frac * unit / scale > INT64_MAX - whole * unit)
		return -ERANGE;
	*ms = whole * unit + frac * unit / scale;
	*p = s;
	return 0;
}

/* See duration.h. */
int duration_parse_ms(const char *s, int64_t *ms)
{
	int64_t total = 0, term;
	bool neg = false;
	int rc;

	if (!s)
		return -EINVAL;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		rc = parse_term(&s, &term);
		if (rc < 0)
			return rc;
		if (term > INT64_MAX - total)
			return -ERANGE;
		total += term;
	}
	*ms = neg ? -total : total;
	return 0;
}
