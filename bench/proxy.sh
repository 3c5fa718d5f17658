#!/bin/bash
# Proxy benchmark: HTTP (wrk, keep-alive and Connection: close) and bulk
# TCP (iperf3) through svcnet's userspace proxy and through HAProxy
# (mode tcp, one thread) to the same nginx and iperf3 servers, side by side
# with the servers reached directly. Prints requests/s, p99 latency, Gbit/s,
# the proxy's CPU and the ratio svcnet / HAProxy. Then connections per
# second (wrk, Connection: close: one TCP connection per request) to the
# clusterIP through each kernel mode (iptables, nftables, ebpf) against the
# server reached directly, with the ratio mode / direct. The ebpf mode's
# programs attach to a child cgroup the script creates; wrk joins it.
#
# usage: bench/proxy.sh [-d SECONDS] [-c CONNECTIONS]     # defaults: 10, 50
#        KERNEL_MODES="nftables ebpf" bench/proxy.sh     # which kernel modes, in order
#
# Everything runs inside a network namespace this script creates (loopback
# only, plus a Service address the proxy captures there) and deletes at the
# end; the machine's own firewall is never touched. Needs root, nginx,
# haproxy, wrk, iperf3, iptables, conntrack, socat, curl, jq, kubectl.
set -u
dur=10
conns=50
while getopts d:c:h opt; do
	case $opt in
	d) dur=$OPTARG ;;
	c) conns=$OPTARG ;;
	*) echo "usage: $0 [-d SECONDS] [-c CONNECTIONS]" >&2; exit 2 ;;
	esac
done
cd "$(dirname "$0")/.."
ROOT=$PWD
[ "$(id -u)" = 0 ] || { echo "proxy.sh: needs root (network namespaces)" >&2; exit 1; }
for t in nginx haproxy wrk iperf3 iptables curl kubectl conntrack; do
	command -v $t >/dev/null || { echo "proxy.sh: $t is not installed" >&2; exit 1; }
done
if [ "${1:-}" != --inner ] && [ -z "${PROXY_BENCH_INNER:-}" ]; then
	make -j2 build/svcnet >build/bench-make.log 2>&1 || [ -x build/svcnet ] ||
		{ echo "proxy.sh: build failed" >&2; exit 1; }
	NS=svcn-bench-$$
	ip netns add "$NS" || exit 1
	trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null; sleep 0.3; ip netns del "$NS"' EXIT
	ip -n "$NS" link set lo up
	# The servers' address: EndpointSlices may not hold loopback addresses.
	ip -n "$NS" addr add 10.250.0.1/32 dev lo
	ip -n "$NS" link add svc0 type veth peer name svc0p
	ip -n "$NS" link set svc0 up
	ip -n "$NS" route add 10.96.0.0/12 dev svc0
	# Connection: close runs leave tens of thousands of TIME_WAIT sockets, on the
	# server's side too; a NAT mode's random source ports then meet them and the
	# SYN waits a second for its retry: a later run would measure that, not the
	# mode. Client and server share this namespace, so keep few TIME_WAITs.
	ip netns exec "$NS" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.tcp_max_tw_buckets=1024 \
		net.ipv4.ip_local_port_range="1024 65000"
	# nsenter, not ip netns exec: that one mounts a new /sys, hiding cgroup2 and bpffs.
	PROXY_BENCH_INNER=1 nsenter --net=/run/netns/"$NS" bash "$0" -d "$dur" -c "$conns"
	exit $?
fi

TMP=$(mktemp -d /tmp/svcnet-bench.XXXXXX)
export HOME=$TMP KUBECACHEDIR=$TMP/kube
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; sleep 0.3; rm -rf "$TMP"' EXIT
VIP=10.96.0.100

# nginx: one worker, a small body, no logging.
mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx; proxy_temp_path $TMP/nginx;
	fastcgi_temp_path $TMP/nginx; uwsgi_temp_path $TMP/nginx; scgi_temp_path $TMP/nginx;
	keepalive_requests 1000000;
	server { listen 10.250.0.1:8081; location / { return 200 "hello from nginx\n"; } }
}
EOF
nginx -c "$TMP/nginx.conf" -p "$TMP/nginx" 2>>"$TMP/nginx/error.log" &
PIDS+=($!)
iperf3 -s -B 10.250.0.1 -p 5201 >/dev/null 2>&1 &
PIDS+=($!)

# HAProxy: mode tcp, one thread, to the same servers.
cat >"$TMP/haproxy.cfg" <<EOF
global
	nbthread 1
	maxconn 8000
defaults
	mode tcp
	timeout connect 5s
	timeout client 60s
	timeout server 60s
listen http
	bind 127.0.0.1:8082
	server nginx 10.250.0.1:8081
listen bulk
	bind 127.0.0.1:5202
	server iperf 10.250.0.1:5201
EOF
haproxy -f "$TMP/haproxy.cfg" -db >"$TMP/haproxy.log" 2>&1 &
HAPROXY=$!
PIDS+=($HAPROXY)

# svcnet: an API server, two Services with one endpoint each, the proxy.
./build/svcnet apiserver --data-dir "$TMP/data" --listen 127.0.0.1:0 >"$TMP/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
	PORT=$(sed -n 's/.*serving on .* (port \([0-9]*\)).*/\1/p' "$TMP/api.log" | head -1)
	[ -n "$PORT" ] && curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break
	sleep 0.1
done
kc() { kubectl --server "http://127.0.0.1:$PORT" "$@"; }
for s in "http $VIP 80 8081" "bulk 10.96.0.101 5201 5201"; do
	set -- $s
	kc apply -f - >/dev/null <<EOF
{"apiVersion":"v1","kind":"Service","metadata":{"name":"$1","namespace":"default"},
 "spec":{"clusterIP":"$2","ports":[{"port":$3,"protocol":"TCP"}]}}
EOF
	kc apply -f - >/dev/null <<EOF
{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"$1",
 "namespace":"default","labels":{"kubernetes.io/service-name":"$1"}},"addressType":"IPv4",
 "ports":[{"port":$4,"protocol":"TCP"}],"endpoints":[{"addresses":["10.250.0.1"]}]}
EOF
done
./build/svcnet proxy --server "http://127.0.0.1:$PORT" --mode userspace \
	--metrics-listen 127.0.0.1:10249 >"$TMP/proxy.log" 2>&1 &
SVCNET=$!
PIDS+=($SVCNET)
for _ in $(seq 1 100); do
	curl -fs -o /dev/null "http://$VIP/" 2>/dev/null && curl -fs -o /dev/null "http://127.0.0.1:8082/" &&
		break
	sleep 0.1
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# run NAME PID URL [wrk flags...]: one wrk run; prints "req/s p99 cpu%".
run() {
	local pid=$2 url=$3 c0 c1 out rps p99
	shift 3
	c0=$([ "$pid" != - ] && cpu_ticks "$pid" || echo 0)
	out=$(wrk -t1 -c"$conns" -d"${dur}s" --latency "$@" "$url" 2>&1)
	c1=$([ "$pid" != - ] && cpu_ticks "$pid" || echo 0)
	rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	echo "$rps ${p99:--} $(((c1 - c0) * 100 / HZ / dur))"
}
# bulk NAME PID HOST PORT: prints "Gbit/s cpu%".
bulk() {
	local pid=$1 host=$2 port=$3 c0 c1 g
	c0=$([ "$pid" != - ] && cpu_ticks "$pid" || echo 0)
	g=$(iperf3 -c "$host" -p "$port" -t "$dur" -J 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | floor / 100')
	c1=$([ "$pid" != - ] && cpu_ticks "$pid" || echo 0)
	echo "${g:-0} $(((c1 - c0) * 100 / HZ / dur))"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo "HTTP: wrk -t1 -c$conns -d${dur}s, nginx (1 worker); bulk: iperf3 -t $dur"
read -r d_ka d_ka99 _ <<<"$(run direct - http://10.250.0.1:8081/)"
read -r h_ka h_ka99 h_kacpu <<<"$(run haproxy $HAPROXY http://127.0.0.1:8082/)"
read -r s_ka s_ka99 s_kacpu <<<"$(run svcnet $SVCNET http://$VIP/)"
read -r d_cl d_cl99 _ <<<"$(run direct - http://10.250.0.1:8081/ -H 'Connection: close')"
read -r h_cl h_cl99 h_clcpu <<<"$(run haproxy $HAPROXY http://127.0.0.1:8082/ -H 'Connection: close')"
read -r s_cl s_cl99 s_clcpu <<<"$(run svcnet $SVCNET http://$VIP/ -H 'Connection: close')"
read -r d_bk _ <<<"$(bulk - 10.250.0.1 5201)"
read -r h_bk h_bkcpu <<<"$(bulk $HAPROXY 127.0.0.1 5202)"
read -r s_bk s_bkcpu <<<"$(bulk $SVCNET 10.96.0.101 5201)"

printf '\n%-28s %12s %12s %12s %14s\n' "" direct "HAProxy" "svcnet" "svcnet/HAProxy"
printf '%-28s %12s %12s %12s %14s\n' "keep-alive req/s" "$d_ka" "$h_ka" "$s_ka" "$(ratio "$s_ka" "$h_ka")"
printf '%-28s %12s %12s %12s\n' "keep-alive p99" "$d_ka99" "$h_ka99" "$s_ka99"
printf '%-28s %12s %11s%% %11s%%\n' "keep-alive proxy CPU" "" "$h_kacpu" "$s_kacpu"
printf '%-28s %12s %12s %12s %14s\n' "Connection: close req/s" "$d_cl" "$h_cl" "$s_cl" "$(ratio "$s_cl" "$h_cl")"
printf '%-28s %12s %12s %12s\n' "Connection: close p99" "$d_cl99" "$h_cl99" "$s_cl99"
printf '%-28s %12s %11s%% %11s%%\n' "Connection: close proxy CPU" "" "$h_clcpu" "$s_clcpu"
printf '%-28s %12s %12s %12s %14s\n' "bulk Gbit/s" "$d_bk" "$h_bk" "$s_bk" "$(ratio "$s_bk" "$h_bk")"
printf '%-28s %12s %11s%% %11s%%\n' "bulk proxy CPU" "" "$h_bkcpu" "$s_bkcpu"

# Kernel modes: connections per second to the clusterIP, one mode at a time.
kill $SVCNET 2>/dev/null
wait $SVCNET 2>/dev/null
CG=/sys/fs/cgroup/unified/svcnet-bench-$$
export SVCNET_BPF_PIN_DIR=/sys/fs/bpf/svcnet-bench-$$
mkdir -p "$CG"
trap 'for p in "${PIDS[@]}"; do kill $p 2>/dev/null; done; sleep 0.3
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do echo $p >/sys/fs/cgroup/unified/cgroup.procs; done
	./build/svcnet proxy --cleanup --mode ebpf >/dev/null 2>&1; rmdir "$CG"; rm -rf "$TMP"' EXIT
# in_cg CMD...: runs CMD inside the test cgroup.
in_cg() { bash -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
cps() { # WRAPPER URL: connections/s, the client run through WRAPPER (env or in_cg)
	wrk_out=$("$1" wrk -t1 -c"$conns" -d"${dur}s" -H 'Connection: close' "$2" 2>&1)
	awk '/Requests\/sec/ {printf "%d", $2}' <<<"$wrk_out"
}
printf '\n%-28s %12s %12s %12s\n' "connections/s (close)" "direct" "via mode" "mode/direct"
for mode in ${KERNEL_MODES:-iptables nftables ebpf}; do
	./build/svcnet proxy --server "http://127.0.0.1:$PORT" --mode $mode --cgroup-path "$CG" \
		--metrics-listen 127.0.0.1:10249 >"$TMP/proxy-$mode.log" 2>&1 &
	MP=$!
	PIDS+=($MP)
	wrap=env
	[ $mode = ebpf ] && wrap=in_cg
	ok=
	for _ in $(seq 1 100); do
		$wrap curl -fs -o /dev/null -m 1 "http://$VIP/" 2>/dev/null && { ok=1; break; }
		sleep 0.1
	done
	if [ -z "$ok" ]; then
		printf '%-28s %12s\n' "$mode" "failed: $(tail -1 "$TMP/proxy-$mode.log")"
	else
		# Each mode starts from an empty connection table: the one before left
		# ~100,000 entries whose tuples a masquerade must then step around.
		conntrack -F >/dev/null 2>&1
		d=$(cps $wrap http://10.250.0.1:8081/)
		m=$(cps $wrap http://$VIP/)
		printf '%-28s %12s %12s %12s\n' "$mode" "$d" "$m" "$(ratio "$m" "$d")"
	fi
	kill $MP 2>/dev/null
	wait $MP 2>/dev/null
	./build/svcnet proxy --cleanup --mode $mode >/dev/null 2>&1
done
