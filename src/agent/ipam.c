/*
 * Pod address management: the addresses of one CIDR handed to pods, kept in
 * a small text file (one "ADDRESS OWNER" line each) rewritten whole through
 * a temporary file and rename, so a restarted agent gives every pod the
 * address it had.
 */
#include "agent/agent-internal.h"

#include "base/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether offset i may be handed out: not the network, node, or broadcast address. */
static bool usable(const struct agent_ipam *ipam, uint64_t i)
{
	return i >= 2 && i + 1 < ipam->size;
}

static int save(const struct agent_ipam *ipam)
{
	char *tmp = xasprintf("%s.tmp", ipam->path);
	FILE *f = fopen(tmp, "w");
	int rc = 0;
	if (!f) {
		rc = -errno;
		goto out;
	}
	for (uint64_t i = 0; i < ipam->size; i++) {
		struct ip_addr a;
		char buf[IP_STRLEN];
		if (!ipam->owner[i] || ip_add(&ipam->cidr.addr, i, &a) < 0)
			continue;
		fprintf(f, "%s %s\n", ip_addr_format(&a, buf), ipam->owner[i]);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) == -1)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, ipam->path) == -1)
		rc = -errno;
out:
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Reads the file; a missing file is an empty IPAM. */
static int load(struct agent_ipam *ipam)
{
	FILE *f = fopen(ipam->path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	char line[512], addr[64], owner[400];
	while (fgets(line, sizeof(line), f)) {
		struct ip_addr a;
		uint64_t off;
		if (sscanf(line, "%63s %399s", addr, owner) != 2 || ip_addr_parse(addr, &a) < 0 ||
		    !ip_cidr_contains(&ipam->cidr, &a) ||
		    ip_offset(&ipam->cidr.addr, &a, &off) < 0 || !usable(ipam, off) ||
		    ipam->owner[off])
			continue;
		ipam->owner[off] = xstrdup(owner);
	}
	fclose(f);
	return 0;
}

int agent_ipam_open(struct agent_ipam *ipam, const char *path, const char *cidr, char **err)
{
	memset(ipam, 0, sizeof(*ipam));
	if (ip_cidr_parse(cidr, false, &ipam->cidr) < 0 || ipam->cidr.addr.family != IP_V4 ||
	    ipam->cidr.prefix < 16 || ipam->cidr.prefix > 30) {
		*err = xasprintf("pod CIDR \"%s\": expected an IPv4 CIDR from /16 to /30", cidr);
		return -EINVAL;
	}
	ipam->size = ip_cidr_size(&ipam->cidr);
	ipam->path = xstrdup(path);
	ipam->owner = xcalloc(ipam->size, sizeof(char *));
	int rc = load(ipam);
	if (rc < 0) {
		*err = xasprintf("reading %s: %s", path, strerror(-rc));
		agent_ipam_close(ipam);
	}
	return rc;
}

int agent_ipam_alloc(struct agent_ipam *ipam, const char *owner, struct ip_addr *out)
{
	uint64_t free_at = 0;
	for (uint64_t i = 2; i + 1 < ipam->size; i++) {
		if (ipam->owner[i] && !strcmp(ipam->owner[i], owner))
			return ip_add(&ipam->cidr.addr, i, out);
		if (!ipam->owner[i] && !free_at)
			free_at = i;
	}
	if (!free_at)
		return -ENOSPC;
	ipam->owner[free_at] = xstrdup(owner);
	int rc = save(ipam);
	if (rc < 0) {
		free(ipam->owner[free_at]);
		ipam->owner[free_at] = NULL;
		return rc;
	}
	return ip_add(&ipam->cidr.addr, free_at, out);
}

int agent_ipam_release(struct agent_ipam *ipam, const char *owner)
{
	bool changed = false;
	for (uint64_t i = 0; i < ipam->size; i++) {
		if (ipam->owner[i] && !strcmp(ipam->owner[i], owner)) {
			free(ipam->owner[i]);
			ipam->owner[i] = NULL;
			changed = true;
		}
	}
	return changed ? save(ipam) : 0;
}

void agent_ipam_gateway(const struct agent_ipam *ipam, struct ip_addr *out)
{
	if (ip_add(&ipam->cidr.addr, 1, out) < 0)
		*out = ipam->cidr.addr;
}

void agent_ipam_close(struct agent_ipam *ipam)
{
	for (uint64_t i = 0; ipam->owner && i < ipam->size; i++)
		free(ipam->owner[i]);
	free(ipam->owner);
	free(ipam->path);
	memset(ipam, 0, sizeof(*ipam));
}
