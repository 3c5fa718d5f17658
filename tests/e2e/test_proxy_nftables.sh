#!/bin/bash
# The proxy in nftables mode: the kernel-mode test of test_proxy_iptables.sh
# (clusterIP over three backends, UDP, readiness, affinity, NodePort but not
# on loopback, refusal without endpoints, conntrack, --cleanup) with
# --mode nftables, reading the rules from `nft list table ip svcnet`.
SVCN_PROXY_MODE=nftables exec bash "$(dirname "$0")/test_proxy_iptables.sh" "$@"
