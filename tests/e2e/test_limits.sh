#!/bin/bash
# Limits of the API server: header size, request smuggling, slow clients,
# in-flight limits; the server keeps serving through all of them.
. "$(dirname "$0")/lib.sh"
start_apiserver "$TMP/data" --idle-timeout 2 --max-mutating-requests-inflight 1 ||
	{ fail "start API server"; finish; }
NS=$SERVER/api/v1/namespaces/default

printf 'X-Big: %s\r\n' "$(head -c 200000 /dev/zero | tr '\0' a)" >"$TMP/hdr"
expect_eq "headers over the limit get 431" 431 \
	"$(curl -s -o /dev/null -w '%{http_code}' -H @"$TMP/hdr" "$SERVER/healthz")"

out=$(curl -s -D "$TMP/h" -H 'Content-Length: 5' -H 'Transfer-Encoding: chunked' \
	--data-binary $'5\r\nhello\r\n0\r\n\r\n' "$NS/services")
expect_eq "Content-Length with Transfer-Encoding is 400" 400 "$(jq -r .code <<<"$out")"
expect_match "... and the connection is closed" "^Connection: close" "$(tr -d '\r' <"$TMP/h")"

# A client that sends its headers too slowly is cut off by the idle timeout.
reply=$(
	exec 3<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3
	sleep 4
	printf '\r\n' >&3 2>/dev/null
	timeout 2 head -c 12 <&3
)
expect_eq "a slow client is disconnected" "" "$reply"
expect_eq "the server answers others meanwhile" ok "$(curl -s -m 2 "$SERVER/healthz")"

# Over the mutating in-flight limit (1 here): 429 with Retry-After.
cpids=()
for i in $(seq 1 40); do
	curl -s -o /dev/null -D - -X POST -H 'Content-Type: application/json' \
		--data "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"f$i\"},\"spec\":{\"ports\":[{\"port\":80}]}}" \
		"$NS/services" >"$TMP/r$i" &
	cpids+=($!)
done
wait "${cpids[@]}"
codes=$(cat "$TMP"/r* | grep -E '^HTTP/' | awk '{print $2}' | sort | uniq -c)
expect_match "some concurrent creates over the limit get 429" " 429$" "$codes"
expect_match "others succeed" " 201$" "$codes"
expect_match "429 carries Retry-After" "^Retry-After: 1" "$(cat "$TMP"/r* | tr -d '\r')"
m=$(curl -s "$SERVER/metrics")
expect_match "throttled requests are counted" "apiserver_dropped_requests_total [1-9]" "$m"
finish
