#!/bin/sh
# Installs the Debian packages svcnet builds and tests with, when run as
# root and one is missing. Add every package a build or test needs here.
PKGS="build-essential pkg-config clang libclang-rt-14-dev libsqlite3-dev sqlite3
libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev libyaml-dev libcmocka-dev
dnsutils curl socat jq openssl iproute2 procps
etcd-server etcd-client iptables nftables conntrack
libnftables-dev libnl-genl-3-dev libbpf-dev bpftool"
# `scripts/deps.sh bench` adds what the benchmarks run side by side with svcnet.
[ "${1:-}" = bench ] && PKGS="$PKGS haproxy nginx-light wrk iperf3 dnsperf knot"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 0
fi
echo "deps: installing$missing"
apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >/dev/null
