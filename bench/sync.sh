#!/bin/bash
# Rule-sync benchmark of the kernel proxy modes (notes/dataplane-costs.md):
# 1,000, 5,000 and 10,000 Services × 10 endpoints, iptables (legacy and nft
# back ends), nftables and ebpf: time of a full sync, of one endpoint change
# (the network programming latency the mode adds), of a periodic full sync,
# and the number of rules or map elements in the kernel. Each run happens in
# a network namespace this script creates and deletes; the machine's own
# firewall is never touched. The ebpf mode attaches to a child cgroup the
# script creates (no process joins it) and pins its maps in a directory of
# its own; both are removed after the run.
#
# usage: bench/sync.sh [SIZES] [MODES]   # defaults: "1000 5000 10000" "iptables iptables-nft nftables ebpf"
set -u
cd "$(dirname "$0")/.."
sizes=${1:-1000 5000 10000}
modes=${2:-iptables iptables-nft nftables ebpf}
[ "$(id -u)" = 0 ] || { echo "sync.sh: needs root (network namespaces)" >&2; exit 1; }
make -j2 build/svcnet >/dev/null 2>&1 || { echo "sync.sh: build failed" >&2; exit 1; }
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
cc -O2 -D_GNU_SOURCE -Isrc/lib -Isrc bench/sync_bench.c build/libsvcnet.a \
	$(pkg-config --libs $PKGS) $(grep -q bpf Makefile && pkg-config --libs libbpf 2>/dev/null) \
	-lpthread -lm -o build/sync_bench || exit 1
for n in $sizes; do
	for m in $modes; do
		NS=svcn-sync-$$
		ip netns add "$NS" || exit 1
		env=""
		mode=$m
		case $m in iptables-nft) env="SVCNET_IPTABLES=nft" mode=iptables ;; esac
		run="ip netns exec $NS"
		if [ "$m" = ebpf ]; then
			# nsenter: ip netns exec mounts a new /sys, hiding cgroup2 and bpffs.
			CG=/sys/fs/cgroup/unified/svcnet-bench-$$ PIN=/sys/fs/bpf/svcnet-bench-$$
			mkdir -p "$CG"
			env="SVCNET_CGROUP_PATH=$CG SVCNET_BPF_PIN_DIR=$PIN"
			run="nsenter --net=/run/netns/$NS"
		fi
		out=$(timeout 900 $run env $env build/sync_bench "$mode" "$n" 10 2>&1)
		case $m in
		ebpf)
			count="$(bpftool -j map dump pinned "$PIN/svcnet_services" 2>/dev/null | jq length) services, $(bpftool -j map dump pinned "$PIN/svcnet_backends" 2>/dev/null | jq length) backends in maps"
			env $env build/svcnet proxy --cleanup --mode ebpf >/dev/null 2>&1
			rmdir "$CG"
			;;
		nftables) count="$(ip netns exec "$NS" nft list table ip svcnet 2>/dev/null | grep -o ' : ' | wc -l) map elements" ;;
		iptables) count="$(ip netns exec "$NS" iptables-legacy-save 2>/dev/null | grep -c '^-A') rules" ;;
		*) count="$(ip netns exec "$NS" iptables-nft-save 2>/dev/null | grep -c '^-A') rules" ;;
		esac
		echo "$m: ${out}; $count"
		ip netns del "$NS"
	done
done
