/* A growable byte buffer, always NUL-terminated. */
#ifndef SVCNET_BASE_STRBUF_H
#define SVCNET_BASE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf; /* owned; NULL until the first append */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Appends; aborts on out of memory, as every allocation in svcnet does. */
void sb_append(struct strbuf *sb, const void *data, size_t len);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void sb_json_str(struct strbuf *sb, const char *s);
/* Returns the buffer (caller owns it, "" when empty) and resets sb. */
char *sb_steal(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_free(struct strbuf *sb);

/* malloc/strdup that abort on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
