#!/bin/bash
# Faults: a full disk, repeated kill -9, watches cut and resumed many times.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "mounting a small tmpfs needs root"
svc() { echo "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"ports\":[{\"port\":80}]}}"; }
create() { curl -s -o "$TMP/last" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	--data "$(svc "$1")" "$SERVER/api/v1/namespaces/default/services"; }

# A full disk: 507 with a message, nothing corrupted, and freeing space heals.
DISK=$TMP/disk
mkdir -p "$DISK"
mount -t tmpfs -o size=3m tmpfs "$DISK" || skip "cannot mount tmpfs"
trap 'umount "$DISK" 2>/dev/null; cleanup' EXIT
head -c 1500000 /dev/zero >"$DISK/filler"
start_apiserver "$DISK/data" || { fail "start API server on tmpfs"; finish; }
code=201
for i in $(seq 1 3000); do
	code=$(create "full-$i")
	[ "$code" = 201 ] || break
done
expect_eq "a full disk answers 507" 507 "$code"
expect_match "... with a message saying so" "out of space" "$(jq -r .message "$TMP/last")"
expect_match "/readyz reports the store failure" "store failed" "$(curl -s "$SERVER/readyz")"
n_before=$(curl -s "$SERVER/api/v1/namespaces/default/services" | jq '.items | length')
rm -f "$DISK/filler"
expect_eq "after freeing space a create succeeds" 201 "$(create healed)"
expect_eq "/readyz is ok again" ok "$(curl -s "$SERVER/readyz")"
n_after=$(curl -s "$SERVER/api/v1/namespaces/default/services" | jq '.items | length')
expect_eq "nothing acknowledged was lost" $((n_before + 1)) "$n_after"
kill "$APIPID"
wait "$APIPID" 2>/dev/null
check "integrity_check after a full disk" \
	bash -c "[ \"\$(sqlite3 '$DISK/data/svcnet.db' 'PRAGMA integrity_check')\" = ok ]"

# kill -9 during writes, several trials: every acknowledged create survives.
DATA=$TMP/kill
lost=0
for trial in 1 2 3 4 5; do
	start_apiserver "$DATA" || { fail "start API server (trial $trial)"; break; }
	: >"$TMP/acked"
	(for i in $(seq 1 300); do
		[ "$(create "k$trial-$i")" = 201 ] && echo "k$trial-$i" >>"$TMP/acked"
	done) &
	writer=$!
	sleep 0.$((RANDOM % 8 + 2))
	kill -9 "$APIPID"
	wait "$writer" 2>/dev/null
	start_apiserver "$DATA" || { fail "restart API server (trial $trial)"; break; }
	have=$(curl -s "$SERVER/api/v1/namespaces/default/services" | jq -r '.items[].metadata.name' | sort)
	miss=$(comm -23 <(sort "$TMP/acked") <(printf '%s\n' "$have") | grep -c .)
	lost=$((lost + miss))
	kill "$APIPID"
	wait "$APIPID" 2>/dev/null
done
expect_eq "kill -9 in 5 trials lost no acknowledged write" 0 "$lost"
check "integrity_check after the kill -9 trials" \
	bash -c "[ \"\$(sqlite3 '$DATA/svcnet.db' 'PRAGMA integrity_check')\" = ok ]"

# Watches cut and resumed from their last resourceVersion see every event once, in order.
start_apiserver "$TMP/watch" || { fail "start API server for the watch check"; finish; }
W=$SERVER/api/v1/namespaces/default/services
rv0=$(curl -s "$W?limit=1" | jq -r .metadata.resourceVersion)
(for i in $(seq 1 200); do create "w$i" >/dev/null; done) &
writer=$!
rv=$rv0
: >"$TMP/seen"
for cut in $(seq 1 40); do
	# Each stream lives 0.1-0.3 s, then the client drops it and resumes.
	timeout 0.$((RANDOM % 3 + 1)) curl -sN "$W?watch=1&resourceVersion=$rv" >"$TMP/part" 2>/dev/null
	jq -r 'select(.type=="ADDED") | "\(.object.metadata.resourceVersion) \(.object.metadata.name)"' \
		<"$TMP/part" 2>/dev/null >>"$TMP/seen"
	last=$(tail -1 "$TMP/seen" | cut -d' ' -f1)
	[ -n "$last" ] && rv=$last
done
wait "$writer"
curl -sN -m 2 "$W?watch=1&resourceVersion=$rv" | jq -r 'select(.type=="ADDED") |
	"\(.object.metadata.resourceVersion) \(.object.metadata.name)"' >>"$TMP/seen"
expect_eq "40 cut watches resumed saw all 200 creates" 200 "$(cut -d' ' -f2 "$TMP/seen" | sort -u | wc -l)"
expect_eq "... none twice" 0 "$(cut -d' ' -f2 "$TMP/seen" | sort | uniq -d | wc -l)"
expect_eq "... in revision order" "$(cut -d' ' -f1 "$TMP/seen" | sort -n | paste -sd,)" \
	"$(cut -d' ' -f1 "$TMP/seen" | paste -sd,)"
finish
