/*
 * Durations as Go's time.ParseDuration writes them ("250ms", "1.5s",
 * "1m30s", "2h"), for the flags that take one: the proxy's sync periods and
 * UDP timeout, the controllers' leader election timings.
 */
#ifndef SVCNET_BASE_DURATION_H
#define SVCNET_BASE_DURATION_H

#include <stdint.h>

/*
 * Parses s, an optional sign and then one or more <number><unit> ("1m30s"),
 * the number a decimal with an optional fraction ("1.5s", ".5s"), the unit
 * one of ms, s, m, h; or "0" alone. Into *ms the total in milliseconds, a
 * fraction of a millisecond dropped (rounded toward zero). Returns 0,
 * -EINVAL when s is not such a duration (no unit, an unknown unit, spaces,
 * exponents...), or -ERANGE when it does not fit in an int64_t.
 */
int duration_parse_ms(const char *s, int64_t *ms) __attribute__((warn_unused_result));

#endif
