#!/bin/bash
# kill -9 in the middle of a run of creates, then restart: every
# acknowledged object is there and no ClusterIP is allocated twice.
. "$(dirname "$0")/lib.sh"
DATA=$TMP/data
start_apiserver "$DATA" || { fail "start API server"; finish; }

writer() { # $1 = worker id; records the names the server acknowledged (201)
	local i code
	for i in $(seq 1 400); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -X POST \
			-H 'Content-Type: application/json' \
			--data "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"w$1-$i\"},\"spec\":{\"ports\":[{\"port\":80}]}}" \
			"$SERVER/api/v1/namespaces/default/services") || break
		[ "$code" = 201 ] && echo "w$1-$i" >>"$TMP/acked.$1"
	done
}
for w in 1 2 3 4; do writer $w & done
sleep 2
kill -9 "$APIPID"
wait "$APIPID" 2>/dev/null
wait
acked=$(cat "$TMP"/acked.* 2>/dev/null | sort)
n=$(printf '%s\n' "$acked" | grep -c .)
[ "$n" -gt 0 ] && pass "writes were acknowledged before the kill ($n)" || fail "no write acknowledged"

start_apiserver "$DATA" || { fail "restart API server"; finish; }
have=$(curl -s "$SERVER/api/v1/namespaces/default/services" | grep -o '"name":"w[0-9]*-[0-9]*"' |
	sed 's/"name":"\(.*\)"/\1/' | sort)
missing=$(comm -23 <(printf '%s\n' "$acked") <(printf '%s\n' "$have") | grep -c .)
expect_eq "every acknowledged Service survived kill -9" 0 "$missing"

# New creates after the restart must not reuse a ClusterIP held by a survivor.
for i in $(seq 1 50); do
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"after-$i\"},\"spec\":{\"ports\":[{\"port\":80}]}}" \
		"$SERVER/api/v1/namespaces/default/services"
done
ips=$(curl -s "$SERVER/api/v1/services" | grep -o '"clusterIP":"[0-9.]*"' | sort)
dups=$(printf '%s\n' "$ips" | uniq -d | grep -c .)
total=$(printf '%s\n' "$ips" | grep -c .)
[ "$total" -ge $((n + 50)) ] && pass "all Services have a ClusterIP ($total)" ||
	fail "expected at least $((n + 50)) ClusterIPs, got $total"
expect_eq "no ClusterIP is allocated twice" 0 "$dups"
check "integrity_check after kill -9" bash -c \
	"[ \"\$(sqlite3 '$DATA/svcnet.db' 'PRAGMA integrity_check')\" = ok ]"
finish
