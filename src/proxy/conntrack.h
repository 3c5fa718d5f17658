/*
 * Stale UDP conntrack entries: after the endpoints of a UDP Service change,
 * flows still pinned to a removed endpoint (or to the REJECT the Service had
 * without endpoints) keep going there until they idle out; deleting them
 * moves the clients to live backends. Private to src/proxy/.
 */
#ifndef SVCNET_PROXY_CONNTRACK_H
#define SVCNET_PROXY_CONNTRACK_H

#include "proxy/servicemap.h"

/*
 * Deletes the conntrack entries that the change from old to new left stale
 * (UDP and SCTP entries only), with Debian's conntrack tool. Best effort:
 * returns the number of deletions attempted; failures are logged once.
 */
size_t proxy_conntrack_clear_stale(const struct svcmap *old, const struct svcmap *new);

/*
 * A copy of m's UDP and SCTP entries (NULL when m is NULL), for a mode to
 * remember what it installed: a full sync is given no old map, and passes
 * this one to proxy_conntrack_clear_stale instead. Free with svcmap_free.
 */
struct svcmap *proxy_conntrack_snapshot(const struct svcmap *m);

/*
 * After a kernel mode's sync of new succeeded: clears what the change from
 * old (or, for a full sync given no old map, from *last) left stale, and
 * makes *last new's snapshot.
 */
void proxy_conntrack_synced(struct svcmap **last, const struct svcmap *old,
			    const struct svcmap *new);

#endif
