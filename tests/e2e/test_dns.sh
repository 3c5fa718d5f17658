#!/bin/bash
# svcnet dns against a real API server, checked with dig: every record form
# of the Kubernetes DNS schema 1.1.0 over UDP and TCP, mixed case, negative
# answers with the SOA, TC and the retry over TCP, EDNS, forwarding (to a
# second svcnet dns on loopback) with the UDP-then-TCP path, REFUSED without
# upstream, SERVFAIL before the first sync, garbage packets, updates, metrics,
# and the system resolver (getent) in a network namespace. DNS traffic stays
# on loopback.
. "$(dirname "$0")/lib.sh"
command -v dig >/dev/null || skip "dig is not installed (bind9-dnsutils)"
start_apiserver "$TMP/data" --service-cidr 10.0.0.0/24 || { fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces/default
ES=$SERVER/apis/discovery.k8s.io/v1/namespaces/default/endpointslices
Z=svc.cluster.local

post() { curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "$1" >/dev/null; }
svc() { # name spec-json
	post "$NS/services" "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\"},\"spec\":$2}"
}
slice() { # name service addressType endpoints-json ports-json
	post "$ES" "{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"$1\",\"labels\":{\"kubernetes.io/service-name\":\"$2\"}},\"addressType\":\"$3\",\"endpoints\":$4,\"ports\":$5}"
}

# start_dns VAR flags...: starts svcnet dns on a free port, sets VAR to the port.
start_dns() {
	local var=$1 log=$TMP/dns.$1.log
	shift
	"$SVCNET" dns --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
	PIDS+=($!)
	eval "${var}_PID=$!"
	for _ in $(seq 1 100); do
		local p m
		p=$(sed -n 's/.*dns: serving on .* (port \([0-9]*\)).*metrics port \([0-9]*\).*/\1 \2/p' "$log")
		if [ -n "$p" ]; then
			eval "$var=${p% *}; ${var}_METRICS=${p#* }"
			return 0
		fi
		sleep 0.1
	done
	echo "svcnet dns did not start:"
	cat "$log"
	return 1
}

# q PORT ARGS...: dig against our server, short timeouts, no retries.
q() {
	local port=$1
	shift
	dig @127.0.0.1 -p "$port" +time=3 +tries=1 "$@" 2>&1
}
status() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1"; }
count() { sed -n "s/.*[;,] $1: \([0-9]*\).*/\1/p" <<<"$2" | head -1; }

# SERVFAIL before the first sync: an API server that is not there.
start_dns EARLY --server http://127.0.0.1:1 || { fail "start svcnet dns"; finish; }
out=$(q "$EARLY" web.default.$Z)
expect_eq "SERVFAIL for cluster names before the first sync" SERVFAIL "$(status "$out")"
expect_eq "/readyz is 503 before the first sync" 503 \
	"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$EARLY_METRICS/readyz")"
kill "$EARLY_PID"

# The objects: ClusterIP with two named ports, headless with a slice (one
# endpoint with a hostname, one without, one not ready), headless IPv6,
# headless without endpoints, ExternalName (out of zone and in zone), and a
# headless Service of 100 ready endpoints.
svc web '{"ports":[{"name":"http","port":80,"protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}],"selector":{"app":"web"}}'
svc db '{"clusterIP":"None","ports":[{"name":"pg","port":5432}],"selector":{"app":"db"}}'
slice db-1 db IPv4 '[{"addresses":["10.1.0.1"],"hostname":"db-0","conditions":{"ready":true}},{"addresses":["10.1.0.2"],"conditions":{"ready":true}},{"addresses":["10.1.0.3"],"conditions":{"ready":false}}]' '[{"name":"pg","port":5432,"protocol":"TCP"}]'
svc six '{"clusterIP":"None","ports":[{"port":80}],"selector":{"app":"six"}}'
slice six-1 six IPv6 '[{"addresses":["fd00::5"]}]' '[{"port":80}]'
svc empty '{"clusterIP":"None","ports":[{"port":80}],"selector":{"app":"none"}}'
svc ext '{"type":"ExternalName","externalName":"db.example.org"}'
svc alias '{"type":"ExternalName","externalName":"web.default.svc.cluster.local"}'
svc big '{"clusterIP":"None","ports":[{"name":"http","port":80}],"selector":{"app":"big"}}'
eps=$(for i in $(seq 1 100); do printf '{"addresses":["10.2.%d.%d"]},' $((i / 200)) $((i % 200 + 1)); done)
slice big-1 big IPv4 "[${eps%,}]" '[{"name":"http","port":80,"protocol":"TCP"}]'
WEBIP=$(curl -s "$NS/services/web" | jq -r .spec.clusterIP)

# The upstream: a second svcnet dns for another domain, on loopback.
start_dns UP --server "$SERVER" --domain example.test --threads 1 || { fail "start upstream"; finish; }
start_dns P --server "$SERVER" --upstream "127.0.0.1:$UP" || { fail "start svcnet dns"; finish; }
start_dns NOUP --server "$SERVER" || { fail "start svcnet dns without upstream"; finish; }
readyz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${P_METRICS}/readyz"; }
wait_for 5 'test "$(readyz)" = 200'
expect_eq "/readyz is 200 after the sync" 200 "$(readyz)"

# Positive answers.
expect_eq "A for a ClusterIP Service" "$WEBIP" "$(q "$P" web.default.$Z +short)"
expect_eq "names match case-insensitively" "$WEBIP" "$(q "$P" WeB.DeFaulT.SVC.Cluster.Local +short)"
out=$(q "$P" web.default.$Z)
expect_match "answers are authoritative" 'flags: qr aa rd' "$out"
expect_match "the answer owner keeps the question's case" '^WeB\.default' \
	"$(q "$P" WeB.default.$Z +noall +answer)"
expect_eq "SRV for a named TCP port" "0 100 80 web.default.svc.cluster.local." \
	"$(q "$P" _http._tcp.web.default.$Z SRV +short)"
expect_eq "SRV for a named UDP port" "0 100 53 web.default.svc.cluster.local." \
	"$(q "$P" _dns._udp.web.default.$Z SRV +short)"
out=$(q "$P" _http._tcp.web.default.$Z SRV +noall +additional)
expect_match "SRV carries the target's A in the additional section" \
	"^web\.default\.svc\.cluster\.local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+A[[:space:]]+$WEBIP" "$out"
expect_eq "PTR for a ClusterIP" "web.default.svc.cluster.local." "$(q "$P" -x "$WEBIP" +short)"
expect_eq "headless: one A per ready endpoint" "10.1.0.1 10.1.0.2" \
	"$(q "$P" db.default.$Z +short | sort | xargs)"
expect_eq "headless: A for the endpoint's hostname" "10.1.0.1" "$(q "$P" db-0.db.default.$Z +short)"
expect_eq "headless: A for an endpoint without hostname (dashed address)" "10.1.0.2" \
	"$(q "$P" 10-1-0-2.db.default.$Z +short)"
expect_eq "headless: SRV per endpoint" \
	"0 50 5432 10-1-0-2.db.default.svc.cluster.local. 0 50 5432 db-0.db.default.svc.cluster.local." \
	"$(q "$P" _pg._tcp.db.default.$Z SRV +short | sort | xargs)"
expect_eq "headless: PTR for an endpoint address" "db-0.db.default.svc.cluster.local." \
	"$(q "$P" -x 10.1.0.1 +short)"
expect_eq "headless IPv6: AAAA" "fd00::5" "$(q "$P" six.default.$Z AAAA +short)"
expect_eq "headless IPv6: PTR" "fd00--5.six.default.svc.cluster.local." "$(q "$P" -x fd00::5 +short)"
expect_eq "ExternalName: CNAME for an A query" "db.example.org." \
	"$(q "$P" ext.default.$Z A +short)"
expect_eq "ExternalName in the zone: CNAME and the target's address" \
	"web.default.svc.cluster.local. $WEBIP" "$(q "$P" alias.default.$Z +short | xargs)"
expect_eq "dns-version TXT" '"1.1.0"' "$(q "$P" dns-version.cluster.local TXT +short)"

# Negative answers.
out=$(q "$P" nope.default.$Z)
expect_eq "NXDOMAIN for a missing name" NXDOMAIN "$(status "$out")"
expect_match "NXDOMAIN carries the zone's SOA" \
	'^cluster\.local\.[[:space:]]+5[[:space:]]+IN[[:space:]]+SOA[[:space:]]+ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. [0-9]+ 7200 1800 86400 5' "$out"
out=$(q "$P" web.default.$Z AAAA)
expect_eq "NODATA is NOERROR" NOERROR "$(status "$out")"
expect_eq "NODATA has no answer" 0 "$(count ANSWER "$out")"
expect_match "NODATA carries the SOA" 'IN[[:space:]]+SOA[[:space:]]+ns\.dns\.cluster\.local\.' "$out"
out=$(q "$P" default.$Z)
expect_eq "a namespace with Services is an empty non-terminal (NODATA)" "NOERROR 0" \
	"$(status "$out") $(count ANSWER "$out")"
expect_eq "headless without ready endpoints is NXDOMAIN" NXDOMAIN "$(status "$(q "$P" empty.default.$Z)")"
expect_eq "not-ready endpoint has no name" NXDOMAIN "$(status "$(q "$P" 10-1-0-3.db.default.$Z)")"

# TCP, several queries on one connection.
expect_eq "A over TCP" "$WEBIP" "$(q "$P" web.default.$Z +tcp +short)"
conns() { curl -s "http://127.0.0.1:${P_METRICS}/metrics" | sed -n 's/^svcnet_dns_tcp_connections_total //p'; }
before=$(conns)
out=$(q "$P" +tcp +keepopen +short web.default.$Z db-0.db.default.$Z _http._tcp.web.default.$Z SRV)
expect_eq "three queries over TCP get three answers" "$WEBIP 10.1.0.1 0 100 80 web.default.svc.cluster.local." "$(echo $out)"
expect_eq "... on one connection" 1 $(($(conns) - before))

# Idle TCP connections are closed.
start_dns IDLE --server "$SERVER" --tcp-idle 1 --threads 1 || fail "start svcnet dns"
exec 3<>/dev/tcp/127.0.0.1/"$IDLE"
sleep 1.5
timeout 3 cat <&3 >/dev/null
expect_eq "an idle TCP connection is closed by the server" 0 "$?"
exec 3<&-
kill "$IDLE_PID"

# Truncation: 100 A records do not fit in 512 bytes.
out=$(q "$P" big.default.$Z +ignore +noedns)
expect_match "TC set on a large answer without EDNS" 'flags: qr aa tc rd' "$out"
expect_eq "... with no records" 0 "$(count ANSWER "$out")"
out=$(q "$P" big.default.$Z +ignore +bufsize=512)
expect_match "TC set on a large answer with EDNS size 512" 'flags: qr aa tc rd' "$out"
expect_eq "TCP carries all 100 records" 100 "$(q "$P" big.default.$Z +tcp +short | wc -l)"
expect_eq "dig retries over TCP after TC and gets all 100" 100 "$(q "$P" big.default.$Z +short | wc -l)"
expect_eq "SRV N x M over TCP" 100 "$(q "$P" _http._tcp.big.default.$Z SRV +tcp +short | wc -l)"

# EDNS.
out=$(q "$P" web.default.$Z +bufsize=4096)
expect_match "EDNS: our OPT says 1232" 'EDNS: version: 0, flags:; udp: 1232' "$out"
out=$(q "$P" web.default.$Z +noedns)
expect_eq "no EDNS in, no OPT out" 0 "$(count ADDITIONAL "$out")"
out=$(q "$P" web.default.$Z +edns=1 +noednsnegotiation)
expect_eq "EDNS version 1 gets BADVERS" BADVERS "$(status "$out")"

# Forwarding and REFUSED.
expect_eq "REFUSED outside the zone without upstream" REFUSED "$(status "$(q "$NOUP" web.default.svc.example.test)")"
expect_eq "forwarded to the upstream (UDP)" "$WEBIP" "$(q "$P" web.default.svc.example.test +short)"
expect_eq "forwarded over TCP from the client" "$WEBIP" "$(q "$P" web.default.svc.example.test +tcp +short)"
out=$(q "$P" big.default.svc.example.test +ignore +noedns)
expect_match "forwarded, too big for the client: TC" 'flags: qr tc rd ra' "$out"
expect_eq "forwarded large answer: upstream TC, retried over TCP, full answer to a TCP client" 100 \
	"$(q "$P" big.default.svc.example.test +tcp +short | wc -l)"
expect_eq "forwarded large SRV answer over UDP: TC, dig retries over TCP, all 100" 100 \
	"$(q "$P" _http._tcp.big.default.svc.example.test SRV +bufsize=4096 +short | wc -l)"
expect_eq "NXDOMAIN from the upstream passes through" NXDOMAIN \
	"$(status "$(q "$P" nope.default.svc.example.test)")"
fwd() { curl -s "http://127.0.0.1:${P_METRICS}/metrics" | sed -n 's/^svcnet_dns_forwarded_total //p'; }
before=$(fwd)
out=$(q "$P" -x 10.9.9.9)
expect_eq "unknown reverse names are forwarded (and refused by this upstream)" "REFUSED 1" \
	"$(status "$out") $(($(fwd) - before))"

start_dns DEAD --server "$SERVER" --upstream 127.0.0.1:9,127.0.0.1:9 --threads 1 || fail "start svcnet dns"
out=$(q "$DEAD" example.org +time=8)
expect_eq "SERVFAIL when no upstream answers" SERVFAIL "$(status "$out")"
expect_match "... with recursion available" 'flags: qr rd ra' "$out"
kill "$DEAD_PID"

# Garbage does not stop the server.
for i in $(seq 1 50); do head -c $((i * 7)) /dev/urandom >/dev/udp/127.0.0.1/"$P"; done
printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01' >/dev/udp/127.0.0.1/"$P"
printf '\x12\x34' >/dev/udp/127.0.0.1/"$P"
(printf '\x00\x05hello\xff\xff'; sleep 0.2) | timeout 3 socat - TCP:127.0.0.1:"$P" >/dev/null 2>&1
expect_eq "answers after garbage packets (UDP)" "$WEBIP" "$(q "$P" web.default.$Z +short)"
expect_eq "answers after garbage packets (TCP)" "$WEBIP" "$(q "$P" web.default.$Z +tcp +short)"
out=$(q "$P" web.default.$Z +header-only +opcode=notify)
expect_eq "NOTIFY gets NOTIMP" NOTIMP "$(status "$out")"

# Changes reach DNS.
curl -s -X DELETE "$NS/services/web" >/dev/null
wait_for 5 'test "$(status "$(q "$P" web.default.$Z)")" = NXDOMAIN'
expect_eq "a deleted Service is NXDOMAIN" NXDOMAIN "$(status "$(q "$P" web.default.$Z)")"
expect_eq "... and its PTR is gone" "" "$(q "$P" -x "$WEBIP" +short)"
curl -s -X DELETE "$ES/six-1" >/dev/null
wait_for 5 'test "$(status "$(q "$P" six.default.$Z AAAA)")" = NXDOMAIN'
expect_eq "a headless Service whose slice is deleted is NXDOMAIN" NXDOMAIN \
	"$(status "$(q "$P" six.default.$Z AAAA)")"
svc web2 '{"clusterIP":"10.0.0.200","ports":[{"port":80}]}'
wait_for 5 'test -n "$(q "$P" web2.default.$Z +short)"'
expect_eq "a new Service resolves" 10.0.0.200 "$(q "$P" web2.default.$Z +short)"

# Metrics.
m=$(curl -s "http://127.0.0.1:${P_METRICS}/metrics")
expect_match "metrics: queries by type and rcode" 'svcnet_dns_queries_total\{type="A",rcode="NXDOMAIN"\} [1-9]' "$m"
expect_match "metrics: latency histogram" 'svcnet_dns_request_duration_seconds_bucket\{le="\+Inf"\} [1-9]' "$m"
expect_match "metrics: forwarded" 'svcnet_dns_forwarded_total [1-9]' "$m"
expect_match "metrics: truncated" 'svcnet_dns_truncated_total [1-9]' "$m"

# The system resolver in a network namespace: resolv.conf names our server
# (inside the namespace, on its own loopback), the API server is reached
# through a Unix socket that socat bridges across the namespaces.
nsname=svcnet-dns-$$
if [ "$(id -u)" = 0 ] && command -v socat >/dev/null && ip netns add "$nsname" 2>/dev/null; then
	mkdir -p "/etc/netns/$nsname"
	printf 'nameserver 127.0.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:2 attempts:1\n' \
		>"/etc/netns/$nsname/resolv.conf"
	ip netns exec "$nsname" ip link set lo up
	socat UNIX-LISTEN:"$TMP/api.sock",fork TCP:127.0.0.1:"$PORT" 2>/dev/null &
	PIDS+=($!)
	ip netns exec "$nsname" socat TCP-LISTEN:8080,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:"$TMP/api.sock" 2>/dev/null &
	PIDS+=($!)
	ip netns exec "$nsname" "$SVCNET" dns --server http://127.0.0.1:8080 --listen 127.0.0.1:53 \
		--metrics-listen none >"$TMP/dns.netns.log" 2>&1 &
	PIDS+=($!)
	hosts() { ip netns exec "$nsname" getent hosts "$1" | awk '{print $1}'; }
	wait_for 10 'test -n "$(hosts web2)"'
	expect_eq "getent hosts with the search path resolves a Service's ClusterIP" 10.0.0.200 "$(hosts web2)"
	expect_eq "getent hosts resolves a headless endpoint's hostname" 10.1.0.1 "$(hosts db-0.db)"
	kill "${PIDS[-1]}" "${PIDS[-2]}" "${PIDS[-3]}" 2>/dev/null
	wait "${PIDS[-1]}" "${PIDS[-2]}" "${PIDS[-3]}" 2>/dev/null
	ip netns del "$nsname"
	rm -rf "/etc/netns/$nsname"
else
	echo "SKIP: getent in a network namespace (needs root, socat and ip netns)"
fi

# SIGTERM stops it cleanly.
kill -TERM "$P_PID"
wait_for 5 '! kill -0 "$P_PID"'
wait "$P_PID"
expect_eq "exits 0 on SIGTERM" 0 "$?"
expect_match "logs its stop" 'dns: stopped' "$(cat "$TMP/dns.P.log")"
finish
