/* The table of proxy modes: one line per mode (issue 6 adds iptables, nftables, ipvs). */
#include "proxy/mode.h"

#include <string.h>

const struct proxy_mode_ops *const proxy_modes[] = {
    &proxy_mode_userspace, &proxy_mode_iptables, &proxy_mode_nftables,
    &proxy_mode_ipvs,	   &proxy_mode_ebpf,	 NULL,
};

const struct proxy_mode_ops *proxy_mode_find(const char *name)
{
	for (size_t i = 0; proxy_modes[i]; i++)
		if (!strcmp(proxy_modes[i]->name, name))
			return proxy_modes[i];
	return NULL;
}
