#!/bin/bash
# svcnet env: the seed's redis-master example prints exactly its seven
# lines; named ports, several Services, headless and ExternalName Services,
# another namespace, kubeconfig, and errors on stderr only.
. "$(dirname "$0")/lib.sh"
start_apiserver "$TMP/data" --service-cidr 10.0.0.0/24 || { fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces

post() { curl -sf -X POST -H 'Content-Type: application/json' --data "$2" "$1" >/dev/null; }
svc() { # namespace name spec
	post "$NS/$1/services" "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$2\"},\"spec\":$3}"
}

svc default redis-master '{"clusterIP":"10.0.0.11","ports":[{"port":6379,"protocol":"TCP"}],"selector":{"app":"redis"}}'
want='REDIS_MASTER_SERVICE_HOST=10.0.0.11
REDIS_MASTER_SERVICE_PORT=6379
REDIS_MASTER_PORT=tcp://10.0.0.11:6379
REDIS_MASTER_PORT_6379_TCP=tcp://10.0.0.11:6379
REDIS_MASTER_PORT_6379_TCP_PROTO=tcp
REDIS_MASTER_PORT_6379_TCP_PORT=6379
REDIS_MASTER_PORT_6379_TCP_ADDR=10.0.0.11'
out=$("$SVCNET" env --server "$SERVER" --namespace default 2>"$TMP/err")
expect_eq "redis-master gives the seed's seven lines exactly" "$want" "$out"
expect_eq "nothing on stderr" "" "$(cat "$TMP/err")"

# Named ports, a second protocol, Services sorted by name; headless and
# ExternalName Services give nothing; other namespaces are not included.
svc default api-gw '{"clusterIP":"10.0.0.20","ports":[{"name":"http","port":80},{"name":"dns-udp","port":53,"protocol":"UDP"}],"selector":{"app":"gw"}}'
svc default headless '{"clusterIP":"None","ports":[{"port":80}],"selector":{"app":"h"}}'
svc default ext '{"type":"ExternalName","externalName":"example.org"}'
curl -sf -X POST -H 'Content-Type: application/json' --data '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}' "$NS" >/dev/null
svc other elsewhere '{"clusterIP":"10.0.0.30","ports":[{"port":8080}],"selector":{"app":"e"}}'
want_gw='API_GW_SERVICE_HOST=10.0.0.20
API_GW_SERVICE_PORT=80
API_GW_SERVICE_PORT_HTTP=80
API_GW_SERVICE_PORT_DNS_UDP=53
API_GW_PORT=tcp://10.0.0.20:80
API_GW_PORT_80_TCP=tcp://10.0.0.20:80
API_GW_PORT_80_TCP_PROTO=tcp
API_GW_PORT_80_TCP_PORT=80
API_GW_PORT_80_TCP_ADDR=10.0.0.20
API_GW_PORT_53_UDP=udp://10.0.0.20:53
API_GW_PORT_53_UDP_PROTO=udp
API_GW_PORT_53_UDP_PORT=53
API_GW_PORT_53_UDP_ADDR=10.0.0.20'
out=$("$SVCNET" env --server "$SERVER" --namespace default)
expect_eq "named ports and UDP, Services sorted by name" "$want_gw
$want" "$out"
expect_eq "no variables for headless or ExternalName Services" "" "$(grep -E '^(HEADLESS|EXT)_' <<<"$out")"
out=$("$SVCNET" env --server "$SERVER" --namespace other)
expect_eq "another namespace has its own Services" "ELSEWHERE_SERVICE_HOST=10.0.0.30" "$(head -1 <<<"$out")"

# A kubeconfig, with its context's namespace.
cat >"$TMP/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $SERVER
contexts:
- name: c
  context:
    cluster: c
    user: u
    namespace: other
current-context: c
users:
- name: u
  user: {}
KC
out=$("$SVCNET" env --kubeconfig "$TMP/kubeconfig")
expect_eq "--kubeconfig with the context's namespace" "ELSEWHERE_SERVICE_HOST=10.0.0.30" "$(head -1 <<<"$out")"

# Errors: on stderr, nothing on stdout, non-zero exit.
"$SVCNET" env --server http://127.0.0.1:1 --namespace default >"$TMP/out" 2>"$TMP/err"
rc=$?
expect_eq "an unreachable server exits non-zero" 1 "$rc"
expect_eq "... with nothing on stdout" "" "$(cat "$TMP/out")"
expect_match "... and a sentence on stderr" 'svcnet env: cannot reach the API server' "$(cat "$TMP/err")"
"$SVCNET" env --namespace default >"$TMP/out" 2>"$TMP/err"
expect_eq "no --server is a usage error" 2 "$?"
finish
