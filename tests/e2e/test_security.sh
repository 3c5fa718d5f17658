#!/bin/bash
# Authentication, authorization, TLS, and the admission rules that close
# known Service attacks.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed"

out=$("$SVCNET" apiserver --data-dir "$TMP/x" --listen 0.0.0.0:0 2>&1)
expect_match "a non-loopback listen without TLS and tokens is refused" "needs TLS and token" "$out"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
cat >"$TMP/tokens.csv" <<'CSV'
admin-token,alice,1,"system:masters"
view-token,victor,2,"svcnet:view"
node-token,nora,3,"svcnet:node"
ctl-token,carl,4,"svcnet:controller"
CSV
start_apiserver "$TMP/data" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" \
	--token-file "$TMP/tokens.csv" --allow-external-ips 192.0.2.0/24 || {
	fail "start the API server with TLS and tokens"
	finish
}
S=https://127.0.0.1:$PORT
c() { curl -s --cacert "$TMP/cert.pem" "$@"; }

kubeconfig() { # $1 = token
	cat <<YAML
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "$S", certificate-authority: "$TMP/cert.pem"}
users:
- name: u
  user: {token: "$1"}
contexts:
- name: x
  context: {cluster: c, user: u, namespace: default}
current-context: x
YAML
}
kubeconfig admin-token >"$TMP/admin.kubeconfig"
kubeconfig view-token >"$TMP/view.kubeconfig"
kubeconfig wrong-token >"$TMP/wrong.kubeconfig"

out=$(kubectl --kubeconfig "$TMP/admin.kubeconfig" create service clusterip web --tcp=80 2>&1)
expect_match "kubectl with a token and CA over TLS creates a Service" "service/web created" "$out"
out=$(kubectl --kubeconfig "$TMP/view.kubeconfig" get svc web 2>&1)
expect_match "the view role reads" "^web +ClusterIP" "$out"
out=$(kubectl --kubeconfig "$TMP/view.kubeconfig" delete svc web 2>&1)
expect_match "the view role may not delete (403 with the user named)" \
	'User "victor" cannot delete resource "services"' "$out"
out=$(kubectl --kubeconfig "$TMP/wrong.kubeconfig" get svc 2>&1)
expect_match "a wrong token is 401" "Unauthorized|must be logged in" "$out"

expect_eq "no token: 401" 401 "$(c -o /dev/null -w '%{http_code}' "$S/api/v1/services")"
expect_eq "/healthz needs no token" ok "$(c "$S/healthz")"
expect_eq "/readyz needs no token" ok "$(c "$S/readyz")"
expect_eq "plain HTTP to the TLS port fails" 000 \
	"$(curl -s -o /dev/null -w '%{http_code}' -m 3 "http://127.0.0.1:$PORT/healthz")"

st='{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"}]}}}'
patch_status() { # $1 = token
	c -o /dev/null -w '%{http_code}' -X PATCH -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/merge-patch+json' --data "$st" \
		"$S/api/v1/namespaces/default/services/web/status"
}
c -s -o /dev/null -X PATCH -H "Authorization: Bearer admin-token" -H 'Content-Type: application/merge-patch+json' \
	--data '{"spec":{"type":"LoadBalancer"}}' "$S/api/v1/namespaces/default/services/web"
expect_eq "the node role may not write Service status" 403 "$(patch_status node-token)"
expect_eq "the view role may not write Service status" 403 "$(patch_status view-token)"
expect_eq "the controller role writes Service status" 200 "$(patch_status ctl-token)"
es='{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.244.0.9"}],"ports":[{"port":80}]}]}'
expect_eq "the controller role writes Endpoints" 201 "$(c -o /dev/null -w '%{http_code}' -X POST \
	-H "Authorization: Bearer ctl-token" -H 'Content-Type: application/json' --data "$es" \
	"$S/api/v1/namespaces/default/endpoints")"
expect_eq "the controller role may not create Services" 403 "$(c -o /dev/null -w '%{http_code}' -X POST \
	-H "Authorization: Bearer ctl-token" -H 'Content-Type: application/json' \
	--data '{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"},"spec":{"ports":[{"port":80}]}}' \
	"$S/api/v1/namespaces/default/services")"

# The components take the same kind of kubeconfig: token + CA over TLS.
kubeconfig node-token >"$TMP/node.kubeconfig"
kubeconfig ctl-token >"$TMP/ctl.kubeconfig"
"$SVCNET" dns --kubeconfig "$TMP/node.kubeconfig" --listen 127.0.0.1:0 --metrics-listen none \
	>"$TMP/dns.log" 2>&1 &
PIDS+=($!)
LOGS+=("$TMP/dns.log")
"$SVCNET" controllers --kubeconfig "$TMP/ctl.kubeconfig" --metrics-listen none \
	--leader-elect=false >"$TMP/ctl.log" 2>&1 &
PIDS+=($!)
LOGS+=("$TMP/ctl.log")
dns_port() { sed -n 's/.*serving on .* (port \([0-9]*\)).*/\1/p' "$TMP/dns.log" | head -1; }
wait_for 10 '[ -n "$(dns_port)" ] &&
	dig +short +time=1 +tries=1 @127.0.0.1 -p "$(dns_port)" web.default.svc.cluster.local | grep -q .'
dport=$(dns_port)
expect_match "svcnet dns --kubeconfig (node token, CA) answers from the API" \
	'^10\.' "$(dig +short @127.0.0.1 -p "${dport:-53}" web.default.svc.cluster.local)"
web_slice() { # "web" once the admin reads a slice of the Service web
	c -s -H "Authorization: Bearer admin-token" "$S/apis/discovery.k8s.io/v1/namespaces/default/endpointslices" |
		jq -r '[.items[].metadata.labels["kubernetes.io/service-name"]] | map(select(.=="web")) | .[0]'
}
wait_for 10 'test "$(web_slice)" = web'
expect_eq "svcnet controllers --kubeconfig (controller token, CA) writes slices" web "$(web_slice)"

# CVE-2020-8554: externalIPs only inside --allow-external-ips.
A=(-H "Authorization: Bearer admin-token" -H 'Content-Type: application/json')
svc_ext() { echo "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$1\"},\"spec\":{\"externalIPs\":[\"$2\"],\"ports\":[{\"port\":80}]}}"; }
out=$(c -X POST "${A[@]}" --data "$(svc_ext ext-bad 8.8.8.8)" "$S/api/v1/namespaces/default/services")
expect_match "an externalIP outside the allowed range is refused" \
	'spec.externalIPs\[0\]: Forbidden' "$(jq -r .message <<<"$out")"
out=$(c -X POST "${A[@]}" --data "$(svc_ext ext-ok 192.0.2.50)" "$S/api/v1/namespaces/default/services")
expect_eq "an externalIP inside the allowed range is kept" 192.0.2.50 "$(jq -r '.spec.externalIPs[0]' <<<"$out")"

# CVE-2021-25740: endpoints may not point into the service range, loopback or link-local.
for ip in 10.96.0.10 127.0.0.1 169.254.169.254; do
	ep="{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"e$RANDOM\"},\"subsets\":[{\"addresses\":[{\"ip\":\"$ip\"}],\"ports\":[{\"port\":80}]}]}"
	out=$(c -X POST "${A[@]}" --data "$ep" "$S/api/v1/namespaces/default/endpoints")
	expect_eq "an Endpoints address $ip is refused" 422 "$(jq -r .code <<<"$out")"
done
sl='{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s"},"addressType":"IPv4","endpoints":[{"addresses":["10.100.0.1"]}],"ports":[{"port":80}]}'
out=$(c -X POST "${A[@]}" --data "$sl" "$S/apis/discovery.k8s.io/v1/namespaces/default/endpointslices")
expect_match "an EndpointSlice address in the service range is refused" \
	"may not be in the Service IP range" "$(jq -r .message <<<"$out")"
finish
