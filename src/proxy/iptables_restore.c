/*
 * The iptables-restore inputs of the iptables mode: a full one (every
 * svcnet chain rewritten, stale ones deleted, missing jumps added), a
 * partial one (only the chains of the entries that changed, and the chains
 * every entry hangs from when the set of entries changed), and the cleanup
 * one. All go through `iptables-restore --noflush`: a chain declared is
 * flushed, a chain not named is left alone.
 */
#include "proxy/iptables_internal.h"

#include <stdlib.h>
#include <string.h>

const struct ipt_jump ipt_jumps[] = {
    {"nat", "PREROUTING", "SVCNET-SERVICES", ""},
    {"nat", "OUTPUT", "SVCNET-SERVICES", ""},
    {"nat", "POSTROUTING", "SVCNET-POSTROUTING", ""},
    {"filter", "INPUT", "SVCNET-EXTERNAL", "-m conntrack --ctstate NEW "},
    {"filter", "FORWARD", "SVCNET-SERVICES", "-m conntrack --ctstate NEW "},
    {"filter", "FORWARD", "SVCNET-EXTERNAL", "-m conntrack --ctstate NEW "},
    {"filter", "OUTPUT", "SVCNET-SERVICES", "-m conntrack --ctstate NEW "},
};
const size_t ipt_n_jumps = sizeof(ipt_jumps) / sizeof(ipt_jumps[0]);

static void add_jumps(struct strbuf *sb, const char *table, unsigned present)
{
	for (size_t i = 0; i < ipt_n_jumps; i++)
		if (!strcmp(ipt_jumps[i].table, table) && !(present & (1u << i)))
			sb_printf(sb,
				  "-I %s %s-m comment --comment \"" IPT_JUMP_COMMENT "\" -j %s\n",
				  ipt_jumps[i].chain, ipt_jumps[i].match, ipt_jumps[i].target);
}

static void base_chains(struct strbuf *decl, struct strbuf *rules)
{
	sb_puts(decl, ":SVCNET-MARK-MASQ - [0:0]\n:SVCNET-POSTROUTING - [0:0]\n");
	sb_puts(rules, "-A SVCNET-MARK-MASQ -j MARK --or-mark " IPT_MASQ_MARK "\n"
		       "-A SVCNET-POSTROUTING -m mark ! --mark " IPT_MASQ_MARK "/" IPT_MASQ_MARK
		       " -j RETURN\n"
		       "-A SVCNET-POSTROUTING -j MARK --xor-mark " IPT_MASQ_MARK "\n"
		       "-A SVCNET-POSTROUTING -m comment --comment \"svcnet service traffic "
		       "requiring SNAT\" -j MASQUERADE --random-fully\n");
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The sorted names of every entry chain of family f (caller frees). */
static char (*wanted_chains(const struct svcmap *m, enum ip_family f, size_t *n))[IPT_CHAIN_LEN]
{
	size_t max = 0, k = 0;
	for (size_t i = 0; i < m->n_ports; i++)
		if (m->ports[i].family == f)
			max += ipt_entry_max_chains(&m->ports[i]);
	char(*names)[IPT_CHAIN_LEN] = xcalloc(max + 1, IPT_CHAIN_LEN);
	for (size_t i = 0; i < m->n_ports; i++)
		if (m->ports[i].family == f)
			k += ipt_entry_chains(&m->ports[i], names + k, max - k);
	qsort(names, k, IPT_CHAIN_LEN, cmp_name);
	*n = k;
	return names;
}

char *ipt_restore_full(const struct svcmap *m, const struct ipt_opts *o)
{
	struct strbuf out = STRBUF_INIT, decl = STRBUF_INIT, rules = STRBUF_INIT;
	struct strbuf del = STRBUF_INIT, filter = STRBUF_INIT;
	base_chains(&decl, &rules);
	for (size_t i = 0; i < m->n_ports; i++)
		if (m->ports[i].family == o->family)
			ipt_entry_rules(&decl, &rules, &m->ports[i], o);
	size_t n = 0;
	char(*wanted)[IPT_CHAIN_LEN] = wanted_chains(m, o->family, &n);
	for (size_t i = 0; i < o->n_existing; i++) {
		if (strlen(o->existing[i]) >= IPT_CHAIN_LEN ||
		    bsearch(o->existing[i], wanted, n, IPT_CHAIN_LEN, cmp_name))
			continue;
		sb_printf(&decl, ":%s - [0:0]\n", o->existing[i]);
		sb_printf(&del, "-X %s\n", o->existing[i]);
	}
	free(wanted);
	sb_printf(&out, "*nat\n%s", decl.buf);
	ipt_top_rules(&out, &filter, m, o);
	add_jumps(&out, "nat", o->jumps_present);
	sb_printf(&out, "%s%sCOMMIT\n*filter\n%s", rules.buf, del.buf ? del.buf : "", filter.buf);
	add_jumps(&out, "filter", o->jumps_present);
	sb_puts(&out, "COMMIT\n");
	sb_free(&decl);
	sb_free(&rules);
	sb_free(&del);
	sb_free(&filter);
	return sb_steal(&out);
}

/* Whether the chains every entry hangs from must change for d. */
static bool top_changes(const struct svcmap_delta *d)
{
	if (d->what & (SVCMAP_ADDED | SVCMAP_REMOVED | SVCMAP_SERVICE))
		return true;
	return !d->old->n_cluster_eps != !d->new->n_cluster_eps ||
	       !d->old->n_external_eps != !d->new->n_external_eps;
}

/* Declares and deletes the chains of old that new (may be NULL) lacks. */
static void stale_chains(struct strbuf *decl, struct strbuf *del, const struct svcmap_port *old,
			 const struct svcmap_port *new)
{
	size_t no = ipt_entry_max_chains(old), nn = new ? ipt_entry_max_chains(new) : 0;
	char(*o)[IPT_CHAIN_LEN] = xcalloc(no + nn + 1, IPT_CHAIN_LEN);
	char(*n)[IPT_CHAIN_LEN] = o + no;
	no = ipt_entry_chains(old, o, no);
	nn = new ? ipt_entry_chains(new, n, nn) : 0;
	qsort(n, nn, IPT_CHAIN_LEN, cmp_name);
	for (size_t i = 0; i < no; i++) {
		if (bsearch(o[i], n, nn, IPT_CHAIN_LEN, cmp_name))
			continue;
		sb_printf(decl, ":%s - [0:0]\n", o[i]);
		sb_printf(del, "-X %s\n", o[i]);
	}
	free(o);
}

char *ipt_restore_partial(const struct svcmap *old, const struct svcmap *new,
			  const struct ipt_opts *o)
{
	struct svcmap_delta *d = NULL;
	size_t nd = svcmap_diff(old, new, &d);
	struct strbuf decl = STRBUF_INIT, rules = STRBUF_INIT, del = STRBUF_INIT;
	bool top = false, any = false;
	for (size_t i = 0; i < nd; i++) {
		const struct svcmap_port *p = d[i].new ? d[i].new : d[i].old;
		if (p->family != o->family)
			continue;
		any = true;
		top = top || top_changes(&d[i]);
		if (d[i].new)
			ipt_entry_rules(&decl, &rules, d[i].new, o);
		if (d[i].old)
			stale_chains(&decl, &del, d[i].old, d[i].new);
	}
	free(d);
	char *res = NULL;
	if (any) {
		struct strbuf out = STRBUF_INIT, filter = STRBUF_INIT;
		sb_printf(&out, "*nat\n%s", decl.buf ? decl.buf : "");
		if (top)
			ipt_top_rules(&out, &filter, new, o);
		sb_printf(&out, "%s%sCOMMIT\n", rules.buf ? rules.buf : "", del.buf ? del.buf : "");
		if (top)
			sb_printf(&out, "*filter\n%sCOMMIT\n", filter.buf);
		sb_free(&filter);
		res = sb_steal(&out);
	}
	sb_free(&decl);
	sb_free(&rules);
	sb_free(&del);
	return res;
}

/* Which of ipt_jumps the -A line of table is (its bit), or 0. */
static unsigned jump_bit(const char *table, const char *line)
{
	if (strncmp(line, "-A ", 3) || !strstr(line, "\"" IPT_JUMP_COMMENT "\""))
		return 0;
	const char *j = strstr(line, " -j ");
	for (size_t i = 0; i < ipt_n_jumps && j; i++) {
		size_t cl = strlen(ipt_jumps[i].chain);
		if (!strcmp(table, ipt_jumps[i].table) &&
		    !strncmp(line + 3, ipt_jumps[i].chain, cl) && line[3 + cl] == ' ' &&
		    !strcmp(j + 4, ipt_jumps[i].target))
			return 1u << i;
	}
	return 0;
}

size_t ipt_parse_save(const char *save, char ***names, unsigned *jumps)
{
	char *copy = xstrdup(save ? save : ""), *saveptr = NULL;
	const char *table = "";
	size_t n = 0, cap = 0;
	*names = NULL;
	*jumps = 0;
	for (char *l = strtok_r(copy, "\n", &saveptr); l; l = strtok_r(NULL, "\n", &saveptr)) {
		if (l[0] == '*') {
			table = l + 1;
		} else if (!strcmp(table, "nat") &&
			   (!strncmp(l, ":SVCNET-SVC-", 12) || !strncmp(l, ":SVCNET-EXT-", 12) ||
			    !strncmp(l, ":SVCNET-SEP-", 12))) {
			char *sp = strchr(l, ' ');
			if (sp)
				*sp = 0;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				*names = xrealloc(*names, cap * sizeof(**names));
			}
			(*names)[n++] = xstrdup(l + 1);
		} else {
			*jumps |= jump_bit(table, l);
		}
	}
	free(copy);
	return n;
}

static bool ours(const char *chain)
{
	return !strncmp(chain, "SVCNET-", 7) && strncmp(chain, "SVCNET-USERSPACE", 16);
}

/* Appends the cleanup of one table's save lines (a NUL-separated copy). */
static void cleanup_table(struct strbuf *out, const char *table, char **lines, size_t n)
{
	struct strbuf decl = STRBUF_INIT, body = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		const char *l = lines[i];
		if (l[0] == ':' && ours(l + 1)) {
			sb_printf(&decl, "%.*s - [0:0]\n", (int)strcspn(l, " "), l);
			sb_printf(&body, "-X %.*s\n", (int)strcspn(l + 1, " "), l + 1);
		} else if (!strncmp(l, "-A ", 3) && !ours(l + 3)) {
			const char *j = strstr(l, " -j ");
			if (j && ours(j + 4))
				sb_printf(&decl, "-D %s\n", l + 3);
		}
	}
	if (decl.len)
		sb_printf(out, "*%s\n%s%sCOMMIT\n", table, decl.buf, body.buf ? body.buf : "");
	sb_free(&decl);
	sb_free(&body);
}

char *ipt_cleanup_input(const char *save)
{
	char *copy = xstrdup(save ? save : ""), *saveptr = NULL, *table = NULL;
	char **lines = NULL;
	size_t n = 0, cap = 0;
	struct strbuf out = STRBUF_INIT;
	for (char *l = strtok_r(copy, "\n", &saveptr); l; l = strtok_r(NULL, "\n", &saveptr)) {
		if (l[0] == '*' || !strcmp(l, "COMMIT")) {
			if (table)
				cleanup_table(&out, table, lines, n);
			table = l[0] == '*' ? l + 1 : NULL;
			n = 0;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			lines = xrealloc(lines, cap * sizeof(*lines));
		}
		lines[n++] = l;
	}
	free(lines);
	free(copy);
	return out.len ? sb_steal(&out) : (sb_free(&out), NULL);
}
