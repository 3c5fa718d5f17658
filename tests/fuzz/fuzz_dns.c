/*
 * Fuzz target for the DNS message parser and the answer path: bytes ->
 * dns_parse_query -> dns_answer against a small database, over UDP and TCP
 * limits, and the name unpacker on every offset of the input.
 */
#include "dns/answer.h"
#include "dns/db.h"
#include "dns/records.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static struct dns_db *db;
static uint8_t out[DNS_TCP_MAX];

static void add(const char *key, const char *svc_json, const char *slice_json)
{
	uint8_t zone[DNS_NAME_MAX];
	int zl = dns_name_from_text("cluster.local", zone);
	json_t *svc = json_loads(svc_json, 0, NULL);
	json_t *slice = slice_json ? json_loads(slice_json, 0, NULL) : NULL;
	const json_t *slices[] = {slice};
	struct dns_records r = DNS_RECORDS_INIT;
	dns_records_build(svc, slices, slice ? 1 : 0, zone, (size_t)zl, 5, &r);
	dns_db_set_service(db, key, &r);
	json_decref(svc);
	json_decref(slice);
}

static void init(void)
{
	db = dns_db_new("cluster.local", 5);
	add("default/web",
	    "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":"
	    "\"10.0.0.11\",\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
	    NULL);
	add("default/db",
	    "{\"metadata\":{\"name\":\"db\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":"
	    "\"None\"}}",
	    "{\"addressType\":\"IPv4\",\"ports\":[{\"name\":\"pg\",\"port\":5432}],\"endpoints\":"
	    "[{\"addresses\":[\"10.1.0.1\"],\"hostname\":\"db-0\"},{\"addresses\":[\"10.1.0.2\"]}]"
	    "}");
	add("default/ext",
	    "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"default\"},\"spec\":{\"type\":"
	    "\"ExternalName\",\"externalName\":\"web.default.svc.cluster.local\"}}",
	    NULL);
	dns_db_set_synced(db, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q;
	size_t len;
	int rcode;
	uint8_t name[DNS_NAME_MAX];

	if (!db)
		init();
	dns_db_rdlock(db);
	dns_answer(db, data, size, false, size & 1, out, &len, &q, &rcode);
	dns_answer(db, data, size, true, false, out, &len, &q, &rcode);
	dns_db_unlock(db);
	for (size_t i = 0; i < size && i < 64; i++) {
		size_t pos = i;
		dns_name_unpack(data, size, &pos, name);
	}
	return 0;
}
