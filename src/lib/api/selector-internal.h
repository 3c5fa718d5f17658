/*
 * Private to selector.c (label selectors) and selector_field.c (field
 * selectors); not a public interface (that is selector.h).
 */
#ifndef SVCNET_API_SELECTOR_INTERNAL_H
#define SVCNET_API_SELECTOR_INTERNAL_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid. */
size_t selector_utf8_len(const unsigned char *s, size_t n);

/* Hands msg (owned) to *err, or frees it when err is NULL. */
void selector_set_err(char **err, char *msg);

/* qsort comparison of two char * by strcmp. */
int selector_cmp_str(const void *a, const void *b);

#endif
