/*
 * svcnet up: the parts `svcnet up` runs beside the API server, in one
 * process, each talking to the API server over loopback like any client:
 * controllers, cluster DNS and the node proxy.
 */
#include "base/log.h"
#include "base/strbuf.h"
#include "cmd/commands.h"
#include "controllers/controllers.h"
#include "dns/dns.h"
#include "proxy/proxy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct up_parts {
	struct controllers *controllers;
	struct dns_server *dns;
	struct proxy *proxy;
	char *server;
};

void up_config_defaults(struct up_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dns_listen = "127.0.0.1:53";
	cfg->proxy_mode = getuid() == 0 ? "userspace" : "none";
}

static int start_controllers(const struct up_config *cfg, struct up_parts *p, char **err)
{
	struct controllers_config cc;
	controllers_config_defaults(&cc);
	cc.server = p->server;
	cc.lb_pool = cfg->lb_pool;
	cc.metrics_listen = "none";
	return controllers_start(&cc, &p->controllers, err);
}

static int start_dns(const struct up_config *cfg, struct up_parts *p, char **err)
{
	if (!strcmp(cfg->dns_listen, "none"))
		return 0;
	struct dns_config dc;
	dns_config_defaults(&dc);
	dc.server = p->server;
	dc.listen = cfg->dns_listen;
	dc.upstreams = cfg->dns_upstream;
	dc.metrics_listen = "none";
	int rc = dns_start(&dc, &p->dns, err);
	if (rc < 0) {
		char *why = *err;
		*err = xasprintf("DNS on %s: %s (choose another address with --dns-listen "
				 "ADDR:PORT, or --dns-listen none)",
				 cfg->dns_listen, why);
		free(why);
	}
	return rc;
}

static int start_proxy(const struct up_config *cfg, struct up_parts *p, char **err)
{
	if (!strcmp(cfg->proxy_mode, "none"))
		return 0;
	struct proxy_config pc;
	proxy_config_defaults(&pc);
	pc.server = p->server;
	pc.mode = cfg->proxy_mode;
	pc.node_name = cfg->node;
	pc.metrics_listen = "none";
	return proxy_start(&pc, &p->proxy, err);
}

int up_start(const struct up_config *cfg, int api_port, struct up_parts **out, char **err)
{
	struct up_parts *p = xcalloc(1, sizeof(*p));
	p->server = xasprintf("http://127.0.0.1:%d", api_port);
	int rc = start_controllers(cfg, p, err);
	if (rc == 0)
		rc = start_dns(cfg, p, err);
	if (rc == 0)
		rc = start_proxy(cfg, p, err);
	if (rc < 0) {
		up_stop(p);
		return rc;
	}
	log_info("svcnet", "up: controllers, DNS %s, proxy %s", cfg->dns_listen, cfg->proxy_mode);
	*out = p;
	return 0;
}

int up_dns_port(const struct up_parts *p)
{
	return p->dns ? dns_port(p->dns) : 0;
}

void up_stop(struct up_parts *p)
{
	if (!p)
		return;
	proxy_stop(p->proxy);
	if (p->dns)
		dns_stop(p->dns);
	controllers_stop(p->controllers);
	free(p->server);
	free(p);
}
