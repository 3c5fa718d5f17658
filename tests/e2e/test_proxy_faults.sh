#!/bin/bash
# Proxy faults, userspace mode, in network namespaces this test makes (a node
# namespace with the API server and the proxy, two backend namespaces, a
# client namespace; no route anywhere else). Checks: a backend that resets
# mid-stream (SO_LINGER 0) resets the client, in buffered and in spliced
# mode, instead of a clean EOF after truncated data; a storm of 600
# connections against a proxy limited to 256 descriptors neither stops the
# accept loop nor spins on it, new connections are proxied normally after
# the storm and the descriptor count returns to its baseline; with every
# backend gone (processes dead, or endpoints removed) a connection is
# refused at once, not after a time-out.
. "$(dirname "$0")/proxy_lib.sh"
MODE=userspace
proxy_names f 2

if [ "${1:-}" != --inner ]; then
	proxy_need iptables curl kubectl prlimit python3
	proxy_netns 10.96.0.0/12
	proxy_inner 300
fi

. "$ROOT/tests/e2e/lib.sh"

# The backend: one process serving many connections. Port 8080 says "b1"
# and holds the connection until the client closes; 8082 sends 1000 bytes,
# 8083 sends 4 MiB (the proxy splices), each then closes with RST.
cat >"$TMP/backend.py" <<'EOF'
import socket, struct, sys, threading, time
name = sys.argv[1]
def hold(c):
    try:
        c.sendall(name.encode() + b"\n")
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
def reset(c, n):
    try:
        c.sendall(b"x" * n)
        time.sleep(0.3)
    except OSError:
        pass
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
def serve(port, fn, *args):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(4096)
    while True:
        c, _ = s.accept()
        threading.Thread(target=fn, args=(c, *args), daemon=True).start()
threading.Thread(target=serve, args=(8082, reset, 1000), daemon=True).start()
threading.Thread(target=serve, args=(8083, reset, 4 << 20), daemon=True).start()
serve(8080, hold)
EOF

# The client of the reset checks: "reset N" (bytes before the reset) or "eof N".
cat >"$TMP/readall.py" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
n = 0
try:
    while True:
        b = s.recv(65536)
        if not b:
            print("eof", n); break
        n += len(b)
        time.sleep(0.001)
except ConnectionResetError:
    print("reset", n)
except OSError as e:
    print("error", n, e)
EOF

# The storm: opens N connections at once, holds them HOLD seconds, closes
# them; prints how many connected and how many got the backend's greeting.
cat >"$TMP/storm.py" <<'EOF'
import selectors, socket, sys, time
host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
sel = selectors.DefaultSelector()
socks = []
for _ in range(n):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((host, port))
    socks.append(s)
    sel.register(s, selectors.EVENT_READ)
greeted = 0
end = time.time() + hold
while time.time() < end:
    for key, _ in sel.select(timeout=max(0.01, end - time.time())):
        try:
            if key.fileobj.recv(100):
                greeted += 1
        except OSError:
            pass
        sel.unregister(key.fileobj)
connected = 0
for s in socks:
    try:
        s.getpeername()
        connected += 1
    except OSError:
        pass
    s.close()
print(connected, greeted)
EOF

for i in 1 2; do
	inb "$(backend_ns $i)" bash -c "ulimit -n 4096; exec python3 $TMP/backend.py b$i" >/dev/null 2>&1 &
	PIDS+=($!)
	echo $! >"$TMP/b$i.pid"
done

start_apiserver "$TMP/data" || { fail "start API server"; finish; }
svc hold 10.96.200.10 80 TCP
slice hold-1 hold 8080 TCP 10.244.1.2
svc rst 10.96.200.11 80 TCP
slice rst-1 rst 8082 TCP 10.244.1.2
svc bulk 10.96.200.12 80 TCP
slice bulk-1 bulk 8083 TCP 10.244.1.2
svc gone 10.96.200.13 80 TCP
slice gone-1 gone 8080 TCP 10.244.2.2

PROXY_WRAP=(prlimit --nofile=256)
start_proxy --sync-period 2s
proxy_started "proxy (256 descriptors) starts and syncs" wait_rule "10.96.200.13/32 .*REDIRECT"
expect_eq "the proxy runs with a limit of 256 descriptors" 256 \
	"$(awk '/Max open files/ {print $4}' /proc/$PROXY/limits)"
get() { cl timeout 5 python3 -c "import socket; s=socket.create_connection(('$1',80),timeout=3); print(s.recv(100).decode().strip())" 2>&1; }
expect_eq "a connection through the proxy reaches the backend" b1 "$(get 10.96.200.10)"

# A backend that resets mid-stream resets the client.
expect_match "a backend reset after 1000 bytes resets the client (buffered)" '^reset ' \
	"$(cl timeout 10 python3 "$TMP/readall.py" 10.96.200.11 80 2>&1)"
expect_match "a backend reset after 4 MiB resets the client (spliced)" '^reset ' \
	"$(cl timeout 20 python3 "$TMP/readall.py" 10.96.200.12 80 2>&1)"
out=$(cl timeout 10 python3 "$TMP/readall.py" 10.96.200.11 80 2>&1)
expect_match "... and the bytes sent before the reset reach the client" '^reset 1000$' "$out"

# A storm beyond the descriptor limit.
sleep 0.5
base=$(ls /proc/$PROXY/fd | wc -l)
lines0=$(wc -l <"$PLOG")
cpu0=$(awk '{print $14 + $15}' /proc/$PROXY/stat)
storm=$(cl bash -c "ulimit -n 4096; timeout 30 python3 $TMP/storm.py 10.96.200.10 80 600 4" 2>&1)
cpu1=$(awk '{print $14 + $15}' /proc/$PROXY/stat)
read -r connected greeted <<<"$storm"
expect_match "the storm ran (600 connections: connected, greeted)" '^[0-9]+ [0-9]+$' "$storm"
[ "${greeted:-0}" -gt 50 ] && pass "during the storm the proxy served $greeted connections" ||
	fail "during the storm only ${greeted:-0} connections were served ($storm)"
expect_match "the proxy hit its descriptor limit" 'Too many open files' "$(cat "$PLOG")"
kill -0 $PROXY 2>/dev/null && pass "the proxy survived the storm" || fail "the proxy died in the storm"
warns=$(grep -c 'accept: Too many open files' "$PLOG")
[ "$warns" -lt 100 ] && pass "the accept loop rests at the limit instead of spinning ($warns log lines)" ||
	fail "$warns log lines about accept at the limit (spinning on accept)"
# The periodic sync runs iptables-restore, which fails without descriptors to spare.
syncs=$(sed -n "$((lines0 + 1)),\$p" "$PLOG" | grep -c 'sync failed')
[ "$syncs" -le 10 ] && pass "failed syncs at the limit are retried at most once a second ($syncs in 4 s)" ||
	fail "$syncs failed syncs in a 4 s storm: retried without pause"
ticks=$((cpu1 - cpu0))
[ "$ticks" -lt 100 ] && pass "the proxy stays mostly idle in the storm ($ticks ticks of CPU in 4 s)" ||
	fail "the proxy used $ticks ticks of CPU in a 4 s storm"
ok=0
for _ in $(seq 1 20); do [ "$(get 10.96.200.10)" = b1 ] && ok=$((ok + 1)); done
expect_eq "after the storm, 20 of 20 new connections are proxied" 20 "$ok"
fds() { ls /proc/$PROXY/fd | wc -l; }
wait_for 5 'test "$(fds)" -le "$base"'
now=$(fds)
[ "$now" -le "$base" ] && pass "descriptors back to the baseline ($now <= $base): no leak" ||
	fail "descriptors: $now after the storm, $base before"

# Every backend gone: the processes dead (endpoints still listed), then the endpoints removed.
# python3 may be a wrapper that forks the interpreter: stop the whole namespace.
ip netns pids "$(backend_ns 2)" | xargs -r kill -9
sleep 0.2
expect_match "b2's server is down" 'refused' \
	"$(timeout 5 python3 -c "import socket; socket.create_connection(('10.244.2.2', 8080), timeout=2)" 2>&1)"
refused() { # VIP: prints "refused MS" or what happened instead
	cl timeout 5 python3 -c "
import socket, time
t = time.monotonic()
try:
    s = socket.create_connection(('$1', 80), timeout=3)
    b = s.recv(100)
    print('eof' if not b else 'data', int((time.monotonic() - t) * 1000))
except (ConnectionRefusedError, ConnectionResetError):
    print('refused', int((time.monotonic() - t) * 1000))
except OSError as e:
    print('error', int((time.monotonic() - t) * 1000), e)
" 2>&1
}
out=$(refused 10.96.200.13)
expect_match "the only backend dead: the client is refused or reset" '^refused ' "$out"
ms=${out#* }
[ "${ms:-9999}" -lt 100 ] 2>/dev/null && pass "... at once ($ms ms)" || fail "refusal took: $out"
kubectl delete endpointslice gone-1 >/dev/null
wait_no_rule "10.96.200.13/32"
out=$(refused 10.96.200.13)
expect_match "endpoints removed: the client is refused" '^refused ' "$out"
ms=${out#* }
[ "${ms:-9999}" -lt 100 ] 2>/dev/null && pass "... at once ($ms ms)" || fail "refusal took: $out"
expect_eq "the other Services still work" b1 "$(get 10.96.200.10)"

proxy_finish
