#!/bin/bash
# The proxy in ipvs mode. On kernels without IPVS (as on these machines) it
# must log its fallback and work as the iptables mode, so this runs the
# kernel-mode test of test_proxy_iptables.sh with --mode ipvs; the fallback
# line is one of its checks.
SVCN_PROXY_MODE=ipvs exec bash "$(dirname "$0")/test_proxy_iptables.sh" "$@"
