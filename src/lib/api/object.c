#include "api/object.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

char *api_object_encode(json_t *obj, size_t *len)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	json_t *rv = json_incref(json_object_get(meta, "resourceVersion"));
	json_object_del(meta, "resourceVersion");
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (rv)
		json_object_set_new(meta, "resourceVersion", rv);
	if (!s)
		abort();
	*len = strlen(s);
	return s;
}

void api_object_append_with_rv(struct strbuf *out, const char *json, size_t len, int64_t rev)
{
	static const char needle[] = "\"metadata\":{";
	const char *p = memmem(json, len, needle, sizeof(needle) - 1);
	if (!p) {
		sb_append(out, json, len);
		return;
	}
	size_t head = (size_t)(p - json) + sizeof(needle) - 1;
	sb_append(out, json, head);
	sb_printf(out, "\"resourceVersion\":\"%lld\"", (long long)rev);
	if (json[head] != '}')
		sb_append(out, ",", 1);
	sb_append(out, json + head, len - head);
}

json_t *api_object_decode(const char *json, size_t len, int64_t rev)
{
	json_t *obj = json_loadb(json, len, 0, NULL);
	if (!obj)
		return NULL;
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)rev);
	json_object_set_new(api_meta(obj), "resourceVersion", json_string(buf));
	return obj;
}

const char *api_meta_str(const json_t *obj, const char *field)
{
	const char *s = json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
	return s ? s : "";
}

json_t *api_meta(json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	return meta;
}

void api_format_time(time_t t, char *buf)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t api_parse_time(const char *s)
{
	struct tm tm = {0};
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	if (*rest == '.')
		while (*++rest >= '0' && *rest <= '9')
			;
	time_t t = timegm(&tm);
	if (*rest == 'Z' && !rest[1])
		return t;
	int hh, mm;
	char sign;
	if (sscanf(rest, "%c%2d:%2d", &sign, &hh, &mm) == 3 && (sign == '+' || sign == '-'))
		return sign == '+' ? t - (hh * 3600 + mm * 60) : t + (hh * 3600 + mm * 60);
	return -1;
}

static void random_bytes(unsigned char *b, size_t n)
{
	if (getrandom(b, n, 0) != (ssize_t)n)
		for (size_t i = 0; i < n; i++)
			b[i] = (unsigned char)rand();
}

void api_new_uid(char *buf)
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

void api_random_suffix(char *buf, size_t n)
{
	/* The alphabet of apimachinery's rand.String: no vowels, no confusables. */
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char b[64];
	if (n > sizeof(b))
		n = sizeof(b);
	random_bytes(b, n);
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[b[i] % (sizeof(alphabet) - 1)];
	buf[n] = '\0';
}
