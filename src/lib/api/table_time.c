/*
 * Times in Table cells: RFC 3339 timestamps as the API holds them, and the
 * durations of the AGE column as kubectl prints them
 * (apimachinery's duration.HumanDuration).
 */
#include "api/table.h"

#include "api/table-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC     1000000000LL
#define DURATION_SZ    32
#define MAX_EPOCH_SECS 4500000000LL

static int parse_2(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Parses the offset at s ("Z", "+01:00"), in seconds east of UTC; -EINVAL if malformed. */
static int parse_zone(const char *s, long *offset)
{
	int h, m;

	if ((s[0] == 'Z' || s[0] == 'z') && !s[1]) {
		*offset = 0;
		return 0;
	}
	if ((s[0] != '+' && s[0] != '-') || strlen(s) != 6 || s[3] != ':')
		return -EINVAL;
	h = parse_2(s + 1);
	m = parse_2(s + 4);
	if (h < 0 || m < 0 || h > 23 || m > 59)
		return -EINVAL;
	*offset = (h * 3600L + m * 60L) * (s[0] == '-' ? -1 : 1);
	return 0;
}

/* Fills tm from the "2026-11-26T10:40:25" at s; -EINVAL unless exactly that layout. */
static int parse_date_time(const char *s, struct tm *tm)
{
	static const char layout[] = "dddd-dd-ddTdd:dd:dd";
	int year, mon, day, hh, mm, ss;

	for (size_t i = 0; i < sizeof(layout) - 1; i++) {
		bool digit = isdigit((unsigned char)s[i]);

		if (layout[i] == 'd' ? !digit : toupper((unsigned char)s[i]) != layout[i])
			return -EINVAL;
	}
	year = parse_2(s) * 100 + parse_2(s + 2);
	mon = parse_2(s + 5);
	day = parse_2(s + 8);
	hh = parse_2(s + 11);
	mm = parse_2(s + 14);
	ss = parse_2(s + 17);
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
		return -EINVAL;
	*tm = (struct tm){.tm_year = year - 1900,
			  .tm_mon = mon - 1,
			  .tm_mday = day,
			  .tm_hour = hh,
			  .tm_min = mm,
			  .tm_sec = ss};
	return 0;
}

/* RFC 3339 to nanoseconds since the epoch; 0 or -EINVAL. See table.h. */
int api_time_parse(const char *s, int64_t *ns_out)
{
	struct tm tm;
	int64_t frac = 0, scale = NS_PER_SEC, secs;
	long offset;

	if (parse_date_time(s, &tm) < 0)
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return -EINVAL;
		for (s++; isdigit((unsigned char)*s); s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
		}
	}
	if (parse_zone(s, &offset) < 0)
		return -EINVAL;
	secs = (int64_t)timegm(&tm) - offset;
	/* Years 1827 to 2112: ages stay within int64 nanoseconds. */
	if (secs < -MAX_EPOCH_SECS || secs > MAX_EPOCH_SECS)
		return -EINVAL;
	*ns_out = secs * NS_PER_SEC + frac;
	return 0;
}

/* duration.HumanDuration of d_ns into buf (caller's); returns buf. See table.h. */
char *api_human_duration(int64_t d_ns, char *buf, size_t n)
{
	/* Go's int(d.Seconds()) and d/time.Minute both truncate toward zero. */
	int64_t secs = d_ns / NS_PER_SEC, mins = secs / 60, hours = mins / 60, days = hours / 24;

	if (secs < -1)
		snprintf(buf, n, "<invalid>");
	else if (secs < 0)
		snprintf(buf, n, "0s");
	else if (secs < 120)
		snprintf(buf, n, "%llds", (long long)secs);
	else if (mins < 10 && secs % 60)
		snprintf(buf, n, "%lldm%llds", (long long)mins, (long long)(secs % 60));
	else if (mins < 180)
		snprintf(buf, n, "%lldm", (long long)mins);
	else if (hours < 8 && mins % 60)
		snprintf(buf, n, "%lldh%lldm", (long long)hours, (long long)(mins % 60));
	else if (hours < 48)
		snprintf(buf, n, "%lldh", (long long)hours);
	else if (hours < 24 * 8 && hours % 24)
		snprintf(buf, n, "%lldd%lldh", (long long)days, (long long)(hours % 24));
	else if (hours < 24 * 365 * 2)
		snprintf(buf, n, "%lldd", (long long)days);
	else if (hours < 24 * 365 * 8 && days % 365)
		snprintf(buf, n, "%lldy%lldd", (long long)(days / 365), (long long)(days % 365));
	else
		snprintf(buf, n, "%lldy", (long long)(days / 365));
	return buf;
}

/* See table-internal.h. */
int64_t table_time_of(const json_t *v)
{
	int64_t ns;
	const char *s = json_string_value(v);

	if (!s || !*s || api_time_parse(s, &ns) < 0)
		return TIME_ZERO;
	return ns;
}

/* See table-internal.h. */
char *table_since(int64_t t, int64_t now)
{
	char buf[DURATION_SZ];

	if (t == TIME_ZERO)
		return xstrdup("<unknown>");
	return xstrdup(api_human_duration(now - t, buf, sizeof(buf)));
}

/* See table-internal.h. */
char *table_age(const json_t *obj, int64_t now)
{
	return table_since(table_time_of(at(obj, "metadata", "creationTimestamp", NULL)), now);
}

/* See table-internal.h. */
int64_t table_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
