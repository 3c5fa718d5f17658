/* STUB: the etcd backend is not built yet. */
#include "store/store.h"

#include "base/strbuf.h"

#include <errno.h>

int store_open_etcd(const struct store_etcd_config *cfg, size_t watch_cache_size,
		    struct store **out, char **err)
{
	*err = xstrdup("the etcd store is not built yet; use --store sqlite");
	return -ENOTSUP;
}
