/* A string-keyed open-addressing hash map; see strmap-internal.h. */
#include "client/strmap-internal.h"

#include "base/strbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char tomb_mark;
#define TOMB (&tomb_mark)

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot holding key, or the slot where it would go (first tombstone seen). */
static struct strmap_ent *find(const struct strmap *m, const char *key)
{
	size_t mask = m->cap - 1, i = hash(key) & mask;
	struct strmap_ent *tomb = NULL;

	for (;; i = (i + 1) & mask) {
		struct strmap_ent *e = &m->ents[i];
		if (!e->key)
			return tomb ? tomb : e;
		if (e->key == TOMB) {
			if (!tomb)
				tomb = e;
		} else if (strcmp(e->key, key) == 0) {
			return e;
		}
	}
}

static void resize(struct strmap *m, size_t cap)
{
	struct strmap old = *m;

	m->ents = xcalloc(cap, sizeof(*m->ents));
	m->cap = cap;
	m->len = m->used = 0;
	for (size_t i = 0; i < old.cap; i++) {
		struct strmap_ent *e = &old.ents[i];
		if (!e->key || e->key == TOMB)
			continue;
		struct strmap_ent *d = find(m, e->key);
		*d = *e;
		m->len++;
		m->used++;
	}
	free(old.ents);
}

/* The value under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	struct strmap_ent *e = find(m, key);
	return e->key && e->key != TOMB ? e->val : NULL;
}

/* Whether key is present (its value may be NULL). */
bool strmap_has(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return false;
	struct strmap_ent *e = find(m, key);
	return e->key && e->key != TOMB;
}

/* Sets key to val, copying key when new; returns the replaced value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *val)
{
	if ((m->used + 1) * 4 >= m->cap * 3)
		resize(m, m->cap ? (m->len * 4 >= m->cap ? m->cap * 2 : m->cap) : 16);
	struct strmap_ent *e = find(m, key);
	if (e->key && e->key != TOMB) {
		void *old = e->val;
		e->val = val;
		return old;
	}
	if (!e->key)
		m->used++;
	e->key = xstrdup(key);
	e->val = val;
	m->len++;
	return NULL;
}

/* Removes key; returns its value or NULL. */
void *strmap_del(struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	struct strmap_ent *e = find(m, key);
	if (!e->key || e->key == TOMB)
		return NULL;
	void *val = e->val;
	free(e->key);
	e->key = TOMB;
	e->val = NULL;
	m->len--;
	return val;
}

/* Iterates from *pos (0 at first); false at the end. */
bool strmap_next(const struct strmap *m, size_t *pos, const char **key, void **val)
{
	for (; *pos < m->cap; (*pos)++) {
		struct strmap_ent *e = &m->ents[*pos];
		if (e->key && e->key != TOMB) {
			if (key)
				*key = e->key;
			if (val)
				*val = e->val;
			(*pos)++;
			return true;
		}
	}
	return false;
}

/* Frees the keys and the table, not the values. */
void strmap_clear(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->ents[i].key != TOMB)
			free(m->ents[i].key);
	free(m->ents);
	memset(m, 0, sizeof(*m));
}
