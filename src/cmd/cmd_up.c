/*
 * svcnet up: the parts `svcnet up` runs beside the API server, in one
 * process, each talking to the API server over loopback like any client:
 * controllers, cluster DNS and the node proxy.
 */
#include "agent/agent.h"
#include "base/ip.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cmd/commands.h"
#include "controllers/controllers.h"
#include "dns/dns.h"
#include "proxy/proxy.h"
#include "client/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct up_parts {
	char *proxy_mode; /* for removing its rules at exit, NULL: keep them */
	struct controllers *controllers;
	struct agent *agent;
	struct dns_server *dns;
	struct dns_server *pod_dns; /* the same DNS on the node's pod-side address */
	char gateway[IP_STRLEN];    /* that address: the first of the pod CIDR */
	char api_ip[IP_STRLEN];	    /* default/kubernetes: the first service address */
	char dns_ip[IP_STRLEN];	    /* kube-system/kube-dns: the tenth (10.96.0.10) */
	struct proxy *proxy;
	char *server;
};

void up_config_defaults(struct up_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->dns_listen = "127.0.0.1:53";
	cfg->proxy_mode = getuid() == 0 ? "nftables" : "none";
	cfg->proxy_default = true;
	cfg->pod_cidr = "10.244.0.0/24";
	cfg->run_agent = getuid() == 0;
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

static int start_one_dns(const struct up_config *cfg, const char *server, const char *listen,
			 struct dns_server **out, char **err)
{
	struct dns_config dc;
	dns_config_defaults(&dc);
	dc.server = server;
	dc.listen = listen;
	dc.upstreams = cfg->dns_upstream;
	dc.metrics_listen = "none";
	int rc = dns_start(&dc, out, err);
	if (rc < 0) {
		char *why = *err;
		*err = xasprintf("DNS on %s: %s (choose another address with --dns-listen "
				 "ADDR:PORT, or --dns-listen none)",
				 listen, why);
		free(why);
	}
	return rc;
}

/* DNS for the operator on --dns-listen, and for local pods on the node's pod-side address. */
static int start_dns(const struct up_config *cfg, struct up_parts *p, char **err)
{
	if (!strcmp(cfg->dns_listen, "none"))
		return 0;
	int rc = start_one_dns(cfg, p->server, cfg->dns_listen, &p->dns, err);
	if (rc == 0 && p->agent) {
		char *listen = xasprintf("%s:53", p->gateway);
		rc = start_one_dns(cfg, p->server, listen, &p->pod_dns, err);
		free(listen);
	}
	return rc;
}

/* Address n of the first service CIDR into buf. */
static int service_ip(const struct up_config *cfg, uint64_t n, char *buf, char **err)
{
	char first[64];
	struct ip_cidr cidr;
	struct ip_addr a;
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(cfg->service_cidrs, ","),
		 cfg->service_cidrs);
	if (ip_cidr_parse(first, false, &cidr) < 0 || ip_add(&cidr.addr, n, &a) < 0) {
		*err = xasprintf("--service-cidr %s: not a CIDR", cfg->service_cidrs);
		return -EINVAL;
	}
	ip_addr_format(&a, buf);
	return 0;
}

static int start_agent(const struct up_config *cfg, struct up_parts *p, char **err)
{
	if (!cfg->run_agent)
		return 0;
	struct ip_cidr cidr;
	struct ip_addr gw;
	if (ip_cidr_parse(cfg->pod_cidr, false, &cidr) < 0 || ip_add(&cidr.addr, 1, &gw) < 0) {
		*err = xasprintf("--pod-cidr %s: not a CIDR", cfg->pod_cidr);
		return -EINVAL;
	}
	ip_addr_format(&gw, p->gateway);
	struct agent_config ac;
	agent_config_defaults(&ac);
	ac.server = p->server;
	ac.node_name = cfg->node;
	ac.zone = cfg->zone;
	ac.pod_cidr = cfg->pod_cidr;
	ac.cluster_dns = p->dns_ip;
	ac.data_dir = cfg->data_dir;
	return agent_start(&ac, &p->agent, err);
}

/* POSTs obj to path unless it exists (409 is fine). Takes ownership of obj. */
static int ensure(struct kclient *c, const char *path, json_t *obj, char **err)
{
	json_t *out = NULL;
	int code = kclient_post(c, path, obj, &out);
	if (code != 201 && code != 409)
		*err = xasprintf("cannot create %s: %s", path,
				 code < 0 ? strerror(-code)
					  : json_string_value(json_object_get(out, "message")));
	json_decref(out);
	json_decref(obj);
	return code == 201 || code == 409 ? 0 : -EIO;
}

/*
 * The Services every cluster has: default/kubernetes, and kube-system/kube-dns
 * (ClusterIP 10.96.0.10, the address pods' resolv.conf names) whose endpoint
 * is the DNS server on the node's pod-side address.
 */
static int create_cluster_services(struct up_parts *p, char **err)
{
	struct kclient_config kc = {.server = p->server};
	struct kclient *c;
	int rc = kclient_new(&kc, &c, err);
	if (rc < 0)
		return rc;
	rc = ensure(c, "/api/v1/namespaces/default/services",
		    json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:[{s:s, s:i, s:i}]}}", "apiVersion",
			      "v1", "kind", "Service", "metadata", "name", "kubernetes", "spec",
			      "clusterIP", p->api_ip, "ports", "name", "https", "port", 443,
			      "targetPort", 8080),
		    err);
	if (rc == 0 && p->pod_dns)
		rc = ensure(c, "/api/v1/namespaces/kube-system/services",
			    json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s, s:i}, "
				      "{s:s, s:s, s:i}]}}",
				      "apiVersion", "v1", "kind", "Service", "metadata", "name",
				      "kube-dns", "labels", "k8s-app", "kube-dns", "spec",
				      "clusterIP", p->dns_ip, "ports", "name", "dns", "protocol",
				      "UDP", "port", 53, "name", "dns-tcp", "protocol", "TCP",
				      "port", 53),
			    err);
	if (rc == 0 && p->pod_dns)
		rc = ensure(c, "/api/v1/namespaces/kube-system/endpoints",
			    json_pack("{s:s, s:s, s:{s:s}, s:[{s:[{s:s}], s:[{s:s, s:s, s:i}, "
				      "{s:s, s:s, s:i}]}]}",
				      "apiVersion", "v1", "kind", "Endpoints", "metadata", "name",
				      "kube-dns", "subsets", "addresses", "ip", p->gateway, "ports",
				      "name", "dns", "protocol", "UDP", "port", 53, "name",
				      "dns-tcp", "protocol", "TCP", "port", 53),
			    err);
	kclient_free(c);
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
	if (cfg->service_cidrs)
		pc.service_cidr = cfg->service_cidrs;
	pc.metrics_listen = "none";
	int rc = proxy_start(&pc, &p->proxy, err);
	if (rc < 0 && cfg->proxy_default && strcmp(pc.mode, "userspace")) {
		log_warn("svcnet", "up: the %s proxy cannot start (%s); using the userspace proxy",
			 pc.mode, *err);
		free(*err);
		*err = NULL;
		pc.mode = "userspace";
		rc = proxy_start(&pc, &p->proxy, err);
	}
	if (rc == 0 && !cfg->keep_rules)
		p->proxy_mode = xstrdup(pc.mode);
	return rc;
}

int up_start(const struct up_config *cfg, int api_port, struct up_parts **out, char **err)
{
	struct up_parts *p = xcalloc(1, sizeof(*p));
	p->server = xasprintf("http://127.0.0.1:%d", api_port);
	int rc = service_ip(cfg, 1, p->api_ip, err);
	if (rc == 0)
		rc = service_ip(cfg, 10, p->dns_ip, err);
	if (rc == 0)
		rc = start_controllers(cfg, p, err);
	if (rc == 0)
		rc = start_proxy(cfg, p, err);
	if (rc == 0)
		rc = start_agent(cfg, p, err);
	if (rc == 0)
		rc = start_dns(cfg, p, err);
	if (rc == 0)
		rc = create_cluster_services(p, err);
	if (rc < 0) {
		up_stop(p);
		return rc;
	}
	log_info("svcnet", "up: controllers, DNS %s, proxy %s, local pods %s", cfg->dns_listen,
		 p->proxy_mode ? p->proxy_mode : cfg->proxy_mode, p->agent ? cfg->pod_cidr : "off");
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
	agent_stop(p->agent);
	proxy_stop(p->proxy);
	char *err = NULL;
	if (p->proxy && p->proxy_mode && proxy_cleanup(p->proxy_mode, &err) < 0)
		log_warn("svcnet", "removing the %s proxy's rules: %s", p->proxy_mode, err);
	free(err);
	free(p->proxy_mode);
	if (p->dns)
		dns_stop(p->dns);
	if (p->pod_dns)
		dns_stop(p->pod_dns);
	controllers_stop(p->controllers);
	free(p->server);
	free(p);
}
