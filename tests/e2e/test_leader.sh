#!/bin/bash
# Leader election of svcnet controllers over a coordination.k8s.io/v1 Lease:
# the API server serves Lease (kubectl get, discovery, validation); of two
# controllers only the holder of the Lease writes; kill -9 of the leader
# hands over within the lease duration (plus a retry) and the new leader keeps
# the EndpointSlices up to date; a frozen leader that wakes up deposed exits
# without writing; SIGTERM releases the Lease.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "jq is not installed"
command -v kubectl >/dev/null || skip "kubectl is not installed"
start_apiserver "$TMP/data" || { fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces/default
SLICES=$SERVER/apis/discovery.k8s.io/v1/namespaces/default/endpointslices
LEASES=$SERVER/apis/coordination.k8s.io/v1
LEASE=$LEASES/namespaces/kube-system/leases/svcnet-controllers
ELECT=(--leader-elect-lease-duration 3s --leader-elect-renew-deadline 2s
	--leader-elect-retry-period 500ms)

# start_ctl N: starts controllers instance N; sets PID_N, LOG_N, MPORT_N, ID_N.
start_ctl() {
	local log=$TMP/controllers.$1.log
	"$SVCNET" controllers --server "$SERVER" --metrics-listen 127.0.0.1:0 "${ELECT[@]}" \
		>"$log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	LOGS+=("$log")
	printf -v "PID_$1" %s "$pid"
	printf -v "LOG_$1" %s "$log"
	local mport="" id=""
	for _ in $(seq 1 100); do
		mport=$(sed -n 's/.*metrics on .* (port \([0-9]*\)).*/\1/p' "$log" | head -1)
		id=$(sed -n 's/.*leader election \([^ ]*\)$/\1/p' "$log" | head -1)
		[ -n "$mport" ] && [ -n "$id" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf -v "MPORT_$1" %s "$mport"
	printf -v "ID_$1" %s "$id"
	[ -n "$mport" ] && [ -n "$id" ] || {
		cat "$log"
		return 1
	}
}

holder() { curl -s "$LEASE" | jq -r '.spec.holderIdentity // ""'; }
transitions() { curl -s "$LEASE" | jq -r '.spec.leaseTransitions // 0'; }
holder_is() { [ "$(holder)" = "$1" ]; }
# metric PORT NAME: the value of a metric line starting with NAME (summed).
metric() { curl -s "http://127.0.0.1:$1/metrics" | awk -v n="$2" 'index($0, n) == 1 { s += $NF } END { print s + 0 }'; }
master() { metric "$1" leader_election_master_status; }
slice_writes() { metric "$1" endpoint_slice_controller_changes; }

set_status() { # NAME IP READY
	curl -s -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		--data "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$2\",\"podIPs\":[{\"ip\":\"$2\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"$3\"}]}}" \
		"$NS/pods/$1/status"
}
make_pod() { # NAME IP
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' "$NS/pods" --data \
		"{\"metadata\":{\"name\":\"$1\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"ports\":[{\"containerPort\":8080}]}]}}"
	set_status "$1" "$2" True
}
# ready_of IP: conditions.ready of the endpoint with that address in web's slices.
ready_of() {
	curl -s "$SLICES?labelSelector=kubernetes.io%2Fservice-name%3Dweb" | jq -r --arg ip "$1" \
		'[.items[].endpoints[]? | select(.addresses[0] == $ip) | .conditions.ready][0]'
}
ready_is() { [ "$(ready_of "$1")" = "$2" ]; }

# ---- the Lease resource ----
expect_match "/apis lists coordination.k8s.io" '"name":"coordination.k8s.io"' "$(curl -s "$SERVER/apis")"
expect_match "discovery lists leases" '"name":"leases"' "$(curl -s "$LEASES")"
expect_match "OpenAPI v3 of coordination.k8s.io/v1" 'io.k8s.api.coordination.v1.LeaseSpec' \
	"$(curl -s "$SERVER/openapi/v3/apis/coordination.k8s.io/v1" | jq -r '.components.schemas | keys[]')"
out=$(curl -s -X POST -H 'Content-Type: application/json' "$LEASES/namespaces/default/leases" \
	--data '{"metadata":{"name":"bad"},"spec":{"leaseDurationSeconds":0,"leaseTransitions":-1}}')
expect_match "a Lease with leaseDurationSeconds 0 is refused" 'spec.leaseDurationSeconds: Invalid value: 0' "$out"
expect_match "a Lease with leaseTransitions -1 is refused" 'spec.leaseTransitions: Invalid value: -1' "$out"

# ---- two candidates: one leader ----
start_ctl 1 || { fail "start controllers 1"; finish; }
wait_for 5 holder_is "$ID_1" && pass "the first instance takes the Lease" ||
	fail "the first instance takes the Lease (holder '$(holder)')"
start_ctl 2 || { fail "start controllers 2"; finish; }
wait_for 5 grep -q "is held by $ID_1" "$LOG_2" && pass "the second instance waits" ||
	fail "the second instance waits"
expect_eq "leader_election_master_status of the leader" 1 "$(master "$MPORT_1")"
expect_eq "leader_election_master_status of the candidate" 0 "$(master "$MPORT_2")"
expect_match "kubectl get leases -A" "kube-system +svcnet-controllers +$ID_1 " "$(k get leases -A 2>&1)"
expect_match "kubectl get lease -o yaml" "holderIdentity: $ID_1" \
	"$(k get lease -n kube-system svcnet-controllers -o yaml 2>&1)"

# ---- only the leader writes ----
k create service clusterip web --tcp=80:8080 >/dev/null 2>&1 || fail "create Service web"
make_pod web-0 10.244.0.10
make_pod web-1 10.244.0.11
wait_for 5 ready_is 10.244.0.11 true && pass "the leader writes the slice" || fail "the leader writes the slice"
sleep 1
expect_eq "the candidate wrote no EndpointSlice" 0 "$(slice_writes "$MPORT_2")"
expect_match "the leader wrote the EndpointSlice" '^[1-9]' "$(slice_writes "$MPORT_1")"
expect_eq "one 'became the leader' line in all" 1 "$(cat "$LOG_1" "$LOG_2" | grep -c 'became the leader')"

# ---- kill -9 of the leader: handover within the lease duration + retry ----
t0=$(date +%s%N)
kill -9 "$PID_1"
if wait_for 8 holder_is "$ID_2"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	# The 3 s lease runs from when the candidate saw the last renewal, up to
	# one jittered retry (1.1 s) late, and it looks again one retry later.
	[ "$ms" -le 6000 ] && pass "the candidate takes over in $ms ms" ||
		fail "the candidate takes over in $ms ms (more than 6000)"
else
	fail "the candidate takes over (holder '$(holder)')"
fi
expect_eq "leaseTransitions after the takeover" 1 "$(transitions)"
wait_for 3 sh -c "[ \"\$(curl -s http://127.0.0.1:$MPORT_2/metrics | grep '^leader_election_master_status' | awk '{print \$2}')\" = 1 ]" &&
	pass "the new leader reports master status 1" || fail "the new leader reports master status 1"
set_status web-0 10.244.0.10 False
wait_for 5 ready_is 10.244.0.10 false && pass "the new leader follows a readiness change" ||
	fail "the new leader follows a readiness change"
make_pod web-2 10.244.0.12
wait_for 5 ready_is 10.244.0.12 true && pass "the new leader adds a new pod" ||
	fail "the new leader adds a new pod"

# ---- a frozen leader wakes up deposed: it exits without writing ----
start_ctl 3 || { fail "start controllers 3"; finish; }
kill -STOP "$PID_2"
wait_for 8 holder_is "$ID_3" && pass "a third instance takes over from a frozen leader" ||
	fail "a third instance takes over from a frozen leader (holder '$(holder)')"
expect_eq "leaseTransitions after the second takeover" 2 "$(transitions)"
kill -CONT "$PID_2"
if wait_for 5 sh -c "! kill -0 $PID_2"; then
	wait "$PID_2"
	expect_eq "the deposed leader exits with status 1" 1 "$?"
else
	fail "the deposed leader exits"
fi
expect_match "the deposed leader says why" 'leader election lost' "$(cat "$LOG_2")"
set_status web-1 10.244.0.11 False
wait_for 5 ready_is 10.244.0.11 false && pass "the third leader follows a readiness change" ||
	fail "the third leader follows a readiness change"

# ---- SIGTERM releases the Lease ----
kill -TERM "$PID_3"
wait "$PID_3"
expect_eq "SIGTERM: clean exit" 0 "$?"
expect_eq "SIGTERM: the Lease is released" "" "$(holder)"
expect_match "SIGTERM: the release is logged" 'released the lease' "$(cat "$LOG_3")"
finish
