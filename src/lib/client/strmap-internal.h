/*
 * Private to the client module: a string-keyed open-addressing hash map
 * (linear probing, tombstones) used by the informer cache and the work
 * queue. Keys are copied; values are the caller's. Not thread safe.
 */
#ifndef SVCNET_CLIENT_STRMAP_INTERNAL_H
#define SVCNET_CLIENT_STRMAP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_ent {
	char *key; /* NULL: empty; strmap_tomb: deleted */
	void *val;
};

struct strmap {
	struct strmap_ent *ents;
	size_t cap;  /* a power of two, or 0 */
	size_t len;  /* live entries */
	size_t used; /* live entries plus tombstones */
};

#define STRMAP_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/* The value under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
bool strmap_has(const struct strmap *m, const char *key);
/* Sets key (copied when new) to val; returns the value it replaced or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *val);
/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key);
/*
 * Iterates: start with *pos = 0; returns false at the end. Entries must not
 * be added while iterating; the current one may be deleted.
 */
bool strmap_next(const struct strmap *m, size_t *pos, const char **key, void **val);
/* Frees the keys and the table (not the values); m is empty afterwards. */
void strmap_clear(struct strmap *m);

#endif
