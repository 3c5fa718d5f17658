/* STUB: to be replaced by the allocator implementation. */
#include "apiserver/svcalloc.h"

#include "base/strbuf.h"

#include <stdlib.h>

struct svc_alloc {
	int unused;
};

int svc_alloc_new(const struct svc_alloc_config *cfg, struct svc_alloc **out, char **err)
{
	*out = xcalloc(1, sizeof(**out));
	return 0;
}
void svc_alloc_free(struct svc_alloc *a)
{
	free(a);
}
void svc_alloc_mark(struct svc_alloc *a, const json_t *svc)
{
}
int svc_alloc_create(struct svc_alloc *a, json_t *svc, struct field_errs *errs)
{
	return 0;
}
int svc_alloc_update(struct svc_alloc *a, const json_t *old_svc, json_t *new_svc,
		     struct field_errs *errs)
{
	return 0;
}
void svc_alloc_update_done(struct svc_alloc *a, const json_t *old_svc, const json_t *new_svc,
			   int committed)
{
}
void svc_alloc_release(struct svc_alloc *a, const json_t *svc)
{
}
void svc_alloc_stats(struct svc_alloc *a, size_t *ips_used, size_t *ips_total,
		     size_t *ports_used, size_t *ports_total)
{
	*ips_used = *ips_total = *ports_used = *ports_total = 0;
}
