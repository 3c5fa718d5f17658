# Shared by the end-to-end tests: temporary folders, starting the API
# server on a free loopback port, kubectl against it, and PASS/FAIL lines.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SVCNET=${SVCNET:-$ROOT/build/svcnet}
TMP=$(mktemp -d /tmp/svcnet-e2e.XXXXXX)
export KUBECACHEDIR=$TMP/kubecache
export HOME=$TMP
FAILED=0
PIDS=()

pass() { echo "PASS: $*"; }
fail() {
	echo "FAIL: $*"
	FAILED=1
}
skip() {
	echo "SKIP: $*"
	exit 0
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$TMP/check.out" 2>&1; then pass "$desc"; else
		fail "$desc"
		sed 's/^/    | /' "$TMP/check.out" | head -20
	fi
}

# expect_match DESCRIPTION REGEX TEXT: passes when TEXT matches the extended REGEX.
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else
		fail "$1"
		echo "    expected /$2/ in:"
		printf '%s\n' "$3" | head -20 | sed 's/^/    | /'
	fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}

# wait_for SECONDS COMMAND...: runs the command every 0.1 s, its output
# discarded, until it succeeds (returns 0) or SECONDS have passed (returns
# 1). Each try runs it afresh, so what it checks must be computed inside it:
# a function, `sh -c '...'`, or a single string, which is given to eval at
# each try (in this shell, with its functions and variables):
#   wait_for 5 'test "$(slice_count web)" = 0'
# and not `wait_for 5 test "$(slice_count web)" = 0`, where the shell expands
# $(...) once, before wait_for runs, and the test can never change.
wait_for() {
	local _wf_end=$((${EPOCHREALTIME/[.,]/} + $1 * 1000000))
	shift
	while :; do
		if [ $# = 1 ]; then eval "$1"; else "$@"; fi >/dev/null 2>&1 && return 0
		((${EPOCHREALTIME/[.,]/} < _wf_end)) || return 1
		sleep 0.1
	done
}

# Daemon logs are checked for sanitizer reports (make test SANITIZE=1) at exit.
LOGS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for l in "${LOGS[@]}"; do
		if grep -q "Sanitizer" "$l" 2>/dev/null; then
			echo "FAIL: sanitizer report in $(basename "$l")"
			grep -A30 "Sanitizer" "$l" | head -60
			FAILED=1
		fi
	done
	rm -rf "$TMP"
	exit "$FAILED"
}
trap cleanup EXIT

# start_apiserver DATA_DIR [flags...]: starts it on a free port; sets PORT, SERVER, APIPID.
start_apiserver() {
	local dir=$1
	shift
	local log=$TMP/apiserver.$RANDOM.log scheme=http
	case " $* " in *" --tls-cert "*) scheme=https ;; esac
	"$SVCNET" apiserver --data-dir "$dir" --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
	APIPID=$!
	PIDS+=("$APIPID")
	LOGS+=("$log")
	APILOG=$log
	for _ in $(seq 1 100); do
		PORT=$(sed -n 's/.*serving on .* (port \([0-9]*\)).*/\1/p' "$log" | head -1)
		if [ -n "$PORT" ] && curl -kfsS "$scheme://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then
			SERVER=$scheme://127.0.0.1:$PORT
			return 0
		fi
		kill -0 "$APIPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "API server did not start:"
	cat "$log"
	return 1
}

k() { kubectl --server "$SERVER" --request-timeout=20s "$@"; }

finish() { exit "$FAILED"; }
