#!/bin/bash
# DNS faults: malformed messages over UDP and TCP to svcnet dns on loopback
# (compression pointer loops and forward pointers, truncated headers, names
# over 255 bytes, labels over 63, counts larger than the message, bad EDNS
# options, responses, random bytes, TCP frames cut short or announced longer
# than sent). Each gets FORMERR or no answer, never a crash, and after each
# the server still answers a normal query. DNS traffic stays on loopback.
. "$(dirname "$0")/lib.sh"
command -v dig >/dev/null || skip "dig is not installed (bind9-dnsutils)"
command -v python3 >/dev/null || skip "python3 is not installed"
start_apiserver "$TMP/data" --service-cidr 10.0.0.0/24 || { fail "start API server"; finish; }
curl -sf -X POST -H 'Content-Type: application/json' "$SERVER/api/v1/namespaces/default/services" \
	--data '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}}' \
	>/dev/null || fail "create Service web"
WEBIP=$(curl -s "$SERVER/api/v1/namespaces/default/services/web" | jq -r .spec.clusterIP)

LOG=$TMP/dns.log
LOGS+=("$LOG")
"$SVCNET" dns --server "$SERVER" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 >"$LOG" 2>&1 &
DNSPID=$!
PIDS+=($DNSPID)
P=""
for _ in $(seq 1 100); do
	P=$(sed -n 's/.*dns: serving on .* (port \([0-9]*\)).*/\1/p' "$LOG")
	[ -n "$P" ] && break
	sleep 0.1
done
[ -n "$P" ] || { fail "svcnet dns starts"; cat "$LOG"; finish; }
q() { dig @127.0.0.1 -p "$P" +time=3 +tries=1 "$@" 2>&1; }
wait_for 5 'test "$(q web.default.svc.cluster.local +short)" = "$WEBIP"'
expect_eq "a normal query is answered before the faults" "$WEBIP" \
	"$(q web.default.svc.cluster.local +short)"

# Each case: NAME PROTO EXPECT (FORMERR, NONE, or FORMERR|NONE) and the
# message; prints "NAME got=RCODE|NONE healthy=yes|no", where healthy says
# a well-formed query over the same protocol was answered right after.
cat >"$TMP/cases.py" <<'EOF'
import os, random, socket, struct, sys, time
port = int(sys.argv[1])
H = lambda qd=1, an=0, ns=0, ar=0, flags=0x0100, id=0x1234: struct.pack(">HHHHHH", id, flags, qd, an, ns, ar)
Q = b"\x03web\x07default\x03svc\x07cluster\x05local\x00\x00\x01\x00\x01"
cases = [
    ("empty message", "udp", "NONE", b""),
    ("truncated header (5 bytes)", "udp", "NONE", H()[:5]),
    ("truncated header (11 bytes)", "udp", "NONE", H()[:11]),
    ("header only, qdcount 1", "udp", "FORMERR", H()),
    ("qdcount 0", "udp", "FORMERR", H(qd=0)),
    ("qdcount 2 with one question", "udp", "FORMERR", H(qd=2) + Q),
    ("qdcount 65535", "udp", "FORMERR", H(qd=65535) + Q),
    ("pointer to itself", "udp", "FORMERR", H() + b"\xc0\x0c\x00\x01\x00\x01"),
    ("two pointers in a loop", "udp", "FORMERR", H() + b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01"),
    ("label then pointer back to it", "udp", "FORMERR", H() + b"\x01a\xc0\x0c\x00\x01\x00\x01"),
    ("forward pointer", "udp", "FORMERR", H() + b"\xc0\x20\x00\x01\x00\x01" + b"\x00" * 30),
    ("pointer past the end", "udp", "FORMERR", H() + b"\xff\xff\x00\x01\x00\x01"),
    ("pointer cut in half", "udp", "FORMERR", H() + b"\xc0"),
    ("pointer into the header", "udp", "FORMERR|NOERROR|NXDOMAIN|REFUSED", H() + b"\xc0\x00\x00\x01\x00\x01"),
    ("name over 255 bytes", "udp", "FORMERR", H() + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01"),
    ("name of 256 bytes exactly", "udp", "FORMERR", H() + (b"\x3f" + b"a" * 63) * 3 + b"\x3e" + b"a" * 62 + b"\x00\x00\x01\x00\x01"),
    ("name over 255 bytes through pointers", "udp", "FORMERR",
        H() + (b"\x3f" + b"a" * 63) * 3 + b"\x00" + b"\x3f" + b"b" * 63 + b"\xc0\x0c\x00\x01\x00\x01"),
    ("label of 64 (0x40 type)", "udp", "FORMERR", H() + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01"),
    ("label of 128 (0x80 type)", "udp", "FORMERR", H() + b"\x80" + b"a" * 128 + b"\x00\x00\x01\x00\x01"),
    ("label longer than the message", "udp", "FORMERR", H() + b"\x3fabc"),
    ("name without its end", "udp", "FORMERR", H() + b"\x03web\x07default"),
    ("question without type and class", "udp", "FORMERR", H() + Q[:-4]),
    ("question with half a type", "udp", "FORMERR", H() + Q[:-3]),
    ("ancount 65535, no answers", "udp", "FORMERR", H(an=65535) + Q),
    ("nscount 65535, no records", "udp", "FORMERR", H(ns=65535) + Q),
    ("arcount 65535, no records", "udp", "FORMERR", H(ar=65535) + Q),
    ("record rdlength past the end", "udp", "FORMERR", H(ar=1) + Q + b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\xff\xff"),
    ("two OPT records", "udp", "FORMERR", H(ar=2) + Q + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00" * 2),
    ("OPT option longer than its record", "udp", "FORMERR", H(ar=1) + Q + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x04\x00\x0a\xff\xff"),
    ("OPT option header cut", "udp", "FORMERR", H(ar=1) + Q + b"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x02\x00\x0a"),
    ("OPT with a non-root name", "udp", "FORMERR", H(ar=1) + Q + b"\x01a\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00"),
    ("trailing garbage", "udp", "FORMERR", H() + Q + b"garbage"),
    ("a response (QR set)", "udp", "NONE", H(flags=0x8180) + Q),
    ("64 KiB of zeros", "udp", "FORMERR|NONE", H() + b"\x00" * 65000),
    # TCP: a 2-byte length, then the message.
    ("tcp: pointer loop", "tcp", "FORMERR", H() + b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01"),
    ("tcp: name over 255 bytes", "tcp", "FORMERR", H() + (b"\x3f" + b"a" * 63) * 4 + b"\x00\x00\x01\x00\x01"),
    ("tcp: arcount 65535", "tcp", "FORMERR", H(ar=65535) + Q),
    ("tcp: truncated header", "tcp", "NONE", H()[:7]),
    ("tcp: empty frame", "tcp", "NONE", b""),
    ("tcp: 64 KiB frame of junk", "tcp", "FORMERR|NONE", bytes(random.Random(7).randrange(256) for _ in range(65535))),
]
def rcode(resp):
    if resp is None or len(resp) < 12:
        return "NONE"
    return {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}.get(resp[3] & 15, "RCODE%d" % (resp[3] & 15))
def udp(msg, wait=0.5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(msg, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    except OSError:
        return None
    finally:
        s.close()
def tcp_frames(frames, wait=1.0):
    """Sends raw bytes; returns the first framed answer or None (EOF, reset, time-out)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(frames)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            b = s.recv(65535)
            if not b:
                return None
            buf += b
        return buf[2:2 + struct.unpack(">H", buf[:2])[0]]
    except OSError:
        return None
    finally:
        s.close()
def tcp(msg, wait=1.0):
    return tcp_frames(struct.pack(">H", len(msg)) + msg, wait)
def healthy(proto):
    msg = H(id=0x4242) + Q
    r = udp(msg, 2) if proto == "udp" else tcp(msg, 2)
    return "yes" if r and r[:2] == b"\x42\x42" and rcode(r) == "NOERROR" and struct.unpack(">H", r[6:8])[0] >= 1 else "no"
def report(name, got, ok, proto):
    print("%s\t%s\t%s\t%s" % (name, got, "ok" if ok else "bad", healthy(proto)), flush=True)
for name, proto, want, msg in cases:
    got = rcode(udp(msg) if proto == "udp" else tcp(msg))
    report(name, got, got in want.split("|"), proto)
# TCP framing faults.
got = rcode(tcp_frames(b"\x00\x40" + H() + Q[:10], 1.0))
report("tcp: frame announced longer than sent, then idle", got, got == "NONE", "tcp")
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(b"\x00\x40" + H()[:4]); s.close()
report("tcp: frame cut short by close", "NONE", True, "tcp")
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(b"\x00"); s.close()
report("tcp: length cut in half by close", "NONE", True, "tcp")
# Pipelined: a good query, a loop, a good query on one connection.
good = H(id=1) + Q
bad = H(id=2) + b"\xc0\x0e\xc0\x0c\x00\x01\x00\x01"
s = socket.create_connection(("127.0.0.1", port), timeout=2)
s.sendall(b"".join(struct.pack(">H", len(m)) + m for m in (good, bad, H(id=3) + Q)))
answers, buf = [], b""
try:
    while len(answers) < 3:
        b = s.recv(65535)
        if not b:
            break
        buf += b
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
            n = struct.unpack(">H", buf[:2])[0]
            answers.append(buf[2:2 + n]); buf = buf[2 + n:]
except OSError:
    pass
s.close()
got = " ".join("%d:%s" % (struct.unpack(">H", a[:2])[0], rcode(a)) for a in answers)
report("tcp: good, loop, good pipelined", got or "NONE", got in ("1:NOERROR 2:FORMERR 3:NOERROR", "1:NOERROR 2:FORMERR", "1:NOERROR"), "tcp")
# Random bytes: N messages of random length, over UDP; then some with a valid header.
rnd = random.Random(int(sys.argv[2]))
counts = {}
for i in range(int(sys.argv[3])):
    msg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 600)))
    if i % 2:
        msg = H(flags=rnd.choice([0x0100, 0x0000, 0x0110])) + msg
    g = rcode(udp(msg, 0.1))
    counts[g] = counts.get(g, 0) + 1
bad = {k: v for k, v in counts.items() if k not in ("FORMERR", "NONE", "NXDOMAIN", "REFUSED", "NOTIMP", "NOERROR", "SERVFAIL")}
report("random bytes: %s" % " ".join("%s=%d" % kv for kv in sorted(counts.items())), "-", not bad, "udp")
# And over TCP, random frames on one connection each.
for i in range(int(sys.argv[4])):
    msg = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
    tcp(msg, 0.3)
report("random tcp frames: %s sent" % sys.argv[4], "-", True, "tcp")
EOF

SEED=${SEED:-$RANDOM}
echo "random seed $SEED"
timeout 240 python3 "$TMP/cases.py" "$P" "$SEED" 1000 100 >"$TMP/results" 2>"$TMP/cases.err" ||
	{ fail "the fault cases ran to the end"; cat "$TMP/cases.err"; }
n=0
while IFS=$'\t' read -r name got ok healthy; do
	n=$((n + 1))
	[ "$ok" = ok ] && pass "$name: $got" || fail "$name: got $got"
	[ "$healthy" = yes ] || fail "... no normal answer after: $name"
done <"$TMP/results"
expect_eq "every case ran" 46 "$n"
expect_eq "a normal answer followed every case" 0 "$(cut -f4 "$TMP/results" | grep -vc yes)"
kill -0 $DNSPID 2>/dev/null && pass "svcnet dns is still running" || fail "svcnet dns died"
expect_eq "dig gets the answer over UDP after the faults" "$WEBIP" "$(q web.default.svc.cluster.local +short)"
expect_eq "dig gets the answer over TCP after the faults" "$WEBIP" \
	"$(q web.default.svc.cluster.local +tcp +short)"
if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG"; then
	fail "the sanitizers found a fault in svcnet dns"
	grep -E -A12 'AddressSanitizer|LeakSanitizer|runtime error' "$LOG" | head -40
fi
finish
