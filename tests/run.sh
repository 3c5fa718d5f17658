#!/bin/bash
# Runs every test: unit binaries (cmocka), end-to-end scripts, fuzz seed
# replays. Ends with "N passed, N failed".
#
# An e2e script (tests/e2e/test_*.sh) prints "PASS: what" or "FAIL: what"
# for each check and exits non-zero when one failed; "SKIP: why" skips.
# Run a subset with: tests/run.sh unit|e2e|fuzz [NAME-SUBSTRING]
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export SVCNET="$PWD/$BUILD/svcnet"
what=${1:-all}
only=${2:-}
pass=0
fail=0
skip=0
failed=()
LOGDIR=$(mktemp -d /tmp/svcnet-test.XXXXXX)

count() { # name log rc
	local p f
	p=$(grep -c '^PASS: ' "$2")
	f=$(grep -c '^FAIL: ' "$2")
	skip=$((skip + $(grep -c '^SKIP: ' "$2")))
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	pass=$((pass + p))
	fail=$((fail + f))
	[ "$f" != 0 ] && failed+=("$1 (log: $2)")
}

run_unit() {
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *"$only"*) ;; *) continue ;; esac
		local log="$LOGDIR/$(basename "$t").log"
		timeout 300 "$t" >"$log" 2>&1
		local rc=$?
		# cmocka: "[       OK ] name" per passing test, "[  FAILED  ] name" per failure.
		sed -n 's/^\[       OK \] \(.*\)/PASS: \1/p; s/^\[  FAILED  \] \([^0-9].*\)/FAIL: \1/p' \
			"$log" >"$log.sum"
		echo "unit $(basename "$t"): $(grep -c ^PASS "$log.sum") passed, $(grep -c ^FAIL "$log.sum") failed"
		count "unit $(basename "$t")" "$log.sum" $rc
	done
}

run_e2e() {
	for t in tests/e2e/test_*.sh; do
		[ -f "$t" ] || continue
		case "$t" in *"$only"*) ;; *) continue ;; esac
		local log="$LOGDIR/$(basename "$t").log"
		timeout 600 bash "$t" >"$log" 2>&1
		local rc=$?
		echo "e2e $(basename "$t"): $(grep -c '^PASS: ' "$log") passed, $(grep -c '^FAIL: ' "$log") failed, rc $rc"
		grep -E '^(FAIL|SKIP): ' "$log" | sed 's/^/    /'
		count "e2e $(basename "$t")" "$log" $rc
	done
}

run_fuzz() {
	for t in "$BUILD"/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		case "$t" in *"$only"*) ;; *) continue ;; esac
		local name seeds log
		name=$(basename "$t")
		seeds=tests/fuzz/seeds/$name
		log="$LOGDIR/$name.log"
		local crashes=()
		mapfile -t crashes < <(ls tests/fuzz/crashes/"$name"-* 2>/dev/null)
		# Seeds as a corpus; saved crashes one by one (files run as single inputs).
		if [ -d "$seeds" ] && timeout 300 "$t" -runs=0 "$seeds" >"$log" 2>&1 &&
			{ [ ${#crashes[@]} = 0 ] || timeout 300 "$t" "${crashes[@]}" >>"$log" 2>&1; }; then
			echo "PASS: fuzz replay $name" >"$log.sum"
		else
			echo "FAIL: fuzz replay $name" >"$log.sum"
		fi
		cat "$log.sum"
		count "fuzz $name" "$log.sum" 0
	done
}

case $what in
unit) run_unit ;;
e2e) run_e2e ;;
fuzz) run_fuzz ;;
*) run_unit; run_e2e; run_fuzz ;;
esac
for f in "${failed[@]}"; do echo "failed: $f"; done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
