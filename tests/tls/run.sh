#!/usr/bin/env bash
# The tls tier: `rooms serve` with TLS, its certificate from a real ACME server on loopback, and the suites over it.
#   1. pebble (Let's Encrypt's test ACME server, scripts/tools.sh) and Debian's certbot: a certificate for
#      `localhost` by http-01 (certbot --standalone; pebble's validation authority fetches the challenge);
#   2. bad input: missing files, a key that does not match, half a configuration, not PEM: a clear error, exit != 0;
#   3. `rooms serve` with certbot's files: verified against pebble's root; TLS 1.1, TLS 1.2 with CBC or RSA key
#      exchange refused; TLS 1.2 ECDHE-AEAD and TLS 1.3 accepted; plain HTTP on the TLS port gets nothing;
#   4. the end-to-end suite (ctest label e2e) and the web UI's browser suite over https/wss against it;
#   5. certbot renew with a deploy hook sending SIGHUP: new connections get the new certificate while a WebSocket
#      opened before stays open and keeps receiving; a bad pair on SIGHUP is refused and the old one kept;
#   6. nginx's HTTPS server (config/nginx/https.conf via scripts/cluster.sh nginx): a certificate by certbot
#      --webroot through nginx's HTTP port, which redirects everything else to HTTPS; HSTS; TLS 1.1 refused.
# Ends with "N passed, M failed" (the e2e tests and browser tests count one each).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
LOG_PREFIX=tls
. scripts/lib.sh

BIN=${ROOMS_BIN:-$ROOT/build/rooms}
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() {  # description command...
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}
finish() {
    echo "$passed passed, $failed failed"
    exit $((failed > 0))
}

W=$(mktemp -d /tmp/rooms-tls-XXXXXX)
chmod 755 "$W"  # nginx's workers (another user) read the web UI's index and the ACME webroot under it
PIDS=()
cleanup() {
    local p
    [[ -f $W/svc/cluster/nginx.pid ]] && ROOMS_SERVICES_DIR=$W/svc scripts/cluster.sh nginx stop >/dev/null 2>&1
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    [[ -n ${ROOMS_TLS_KEEP:-} ]] || rm -rf "$W"
}
trap cleanup EXIT

[[ -x $BIN ]] || { fail "no $BIN: build it first"; finish; }
apt_install certbot libnss3-tools nginx openssl curl || { fail "installing certbot"; finish; }
PEBBLE=$(scripts/tools.sh path pebble) || { fail "building pebble (scripts/tools.sh path pebble)"; finish; }

# ---- pebble ------------------------------------------------------------------------------------------------------
# pebble serves its ACME API over HTTPS with a certificate of ours; its issuing CA is made fresh at each start and
# read from its management port.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=pebble-listener-ca \
    -keyout "$W/listener-ca.key" -out "$W/listener-ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout "$W/listener.key" -out "$W/listener.csr" 2>/dev/null
openssl x509 -req -in "$W/listener.csr" -CA "$W/listener-ca.pem" -CAkey "$W/listener-ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:localhost,IP:127.0.0.1') -out "$W/listener.pem" 2>/dev/null
ACME_PORT=$(free_port)
MGMT_PORT=$(free_port)
HTTP01_PORT=$(free_port)  # where pebble fetches http-01 challenges: certbot --standalone, later nginx's HTTP port
cat >"$W/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME_PORT", "managementListenAddress": "127.0.0.1:$MGMT_PORT",
  "certificate": "$W/listener.pem", "privateKey": "$W/listener.key", "httpPort": $HTTP01_PORT, "tlsPort": $(free_port),
  "ocspResponderURL": "", "externalAccountBindingRequired": false, "keyAlgorithm": "ecdsa",
  "profiles": {"default": {"description": "default", "validityPeriod": 7776000}}}}
JSON
# No sleeps in the validation authority, no deliberately rejected nonces: a deterministic run. The challenges are
# really fetched (PEBBLE_VA_ALWAYS_VALID is not set); `localhost` resolves through /etc/hosts.
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 "$PEBBLE" -config "$W/pebble.json" >"$W/pebble.log" 2>&1 &
PIDS+=($!)
if ! wait_for pebble 20 curl -fsS --cacert "$W/listener-ca.pem" "https://localhost:$ACME_PORT/dir"; then
    fail "pebble starts"
    tail -20 "$W/pebble.log"
    finish
fi
ok "pebble ($PEBBLE) answers on https://localhost:$ACME_PORT/dir"
curl -fsS --cacert "$W/listener-ca.pem" "https://127.0.0.1:$MGMT_PORT/roots/0" >"$W/pebble-root.pem"
check "pebble's root CA read from its management port" openssl x509 -in "$W/pebble-root.pem" -noout

export REQUESTS_CA_BUNDLE=$W/listener-ca.pem  # certbot trusts pebble's listener
LE=$W/letsencrypt
certbot_() {
    certbot --config-dir "$LE" --work-dir "$W/certbot-work" --logs-dir "$W/certbot-logs" \
        --server "https://localhost:$ACME_PORT/dir" --non-interactive --agree-tos --register-unsafely-without-email "$@"
}
if certbot_ certonly --standalone --http-01-address 127.0.0.1 --http-01-port "$HTTP01_PORT" -d localhost \
    >"$W/certbot-1.log" 2>&1; then
    ok "certbot obtains a certificate for localhost from pebble (http-01, --standalone)"
else
    fail "certbot obtains a certificate from pebble"
    tail -30 "$W/certbot-1.log"
    finish
fi
CERT=$LE/live/localhost/fullchain.pem
KEY=$LE/live/localhost/privkey.pem
check "the certificate verifies against pebble's root" \
    openssl verify -CAfile "$W/pebble-root.pem" -untrusted "$CERT" "$LE/live/localhost/cert.pem"

# ---- bad input -----------------------------------------------------------------------------------------------------
# Each must stop `rooms serve` at start with exit status != 0 and an error naming the problem.
refuses() {  # description expected-text env-assignments...
    local what=$1 text=$2 out rc
    shift 2
    out=$(env "$@" timeout 20 "$BIN" serve --listen "127.0.0.1:$(free_port)" --data-dir "$W/bad-data" 2>&1)
    rc=$?
    if ((rc != 0 && rc != 124)) && grep -qF -- "$text" <<<"$out"; then
        ok "$what: exit $rc, \"$(grep -F -- "$text" <<<"$out" | head -1 | cut -c1-150)\""
    else
        fail "$what: exit $rc, wanted \"$text\" in: $(tail -3 <<<"$out")"
    fi
}
echo "not a certificate" >"$W/not-pem.txt"
refuses "missing certificate file" "tls.cert_file $W/missing.pem: No such file or directory" \
    ROOMS_TLS_CERT_FILE="$W/missing.pem" ROOMS_TLS_KEY_FILE="$KEY"
refuses "missing key file" "tls.key_file $W/missing.key: No such file or directory" \
    ROOMS_TLS_CERT_FILE="$CERT" ROOMS_TLS_KEY_FILE="$W/missing.key"
refuses "key of another certificate" "does not match the certificate in tls.cert_file" \
    ROOMS_TLS_CERT_FILE="$CERT" ROOMS_TLS_KEY_FILE="$W/listener.key"
refuses "certificate file that is not PEM" "is not a PEM certificate chain" \
    ROOMS_TLS_CERT_FILE="$W/not-pem.txt" ROOMS_TLS_KEY_FILE="$KEY"
refuses "certificate without a key" "tls.cert_file and tls.key_file go together" ROOMS_TLS_CERT_FILE="$CERT"

# ---- rooms serve over TLS ------------------------------------------------------------------------------------------
PORT=$(free_port)
DATA=$W/data
if [[ ! -f web/dist/index.html ]]; then
    (cd web && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build >/dev/null)
fi
# As the cluster tier's processes: short tokens (refresh is exercised), no per-IP or per-user limits (every test
# client comes from one address; no room or notice rates, no leave grace: the suites join and leave at once).
ROOMS_TLS_CERT_FILE=$CERT ROOMS_TLS_KEY_FILE=$KEY ROOMS_HTTP_STATIC_DIR=$ROOT/web/dist \
    ROOMS_AUTH_ACCESS_TOKEN_TTL_S=90 ROOMS_RATE_LIMIT_RPS=0 ROOMS_CHAT_USER_MESSAGES_PER_S=0 \
    ROOMS_CHAT_MAX_CONNECTIONS_PER_USER=0 ROOMS_CHAT_MAX_CONNECTIONS_PER_IP=0 ROOMS_HTTP_MAX_CONNECTIONS_PER_IP=0 \
    ROOMS_CHAT_USER_ROOMS_PER_MIN=0 ROOMS_CHAT_USER_NOTICES_PER_S=0 ROOMS_CHAT_PRESENCE_GRACE_MS=0 \
    "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" >"$W/rooms.log" 2>&1 &
RPID=$!
PIDS+=($RPID)
URL=https://localhost:$PORT
CA=$W/pebble-root.pem
if wait_for "rooms serve over TLS" 20 curl -fsS --cacert "$CA" "$URL/healthz"; then
    ok "rooms serve answers $URL/healthz, its certificate verified against pebble's root"
else
    fail "rooms serve starts with TLS"
    tail -20 "$W/rooms.log"
    finish
fi
check "the start is logged with https:// and the certificate" grep -q "on https://127.0.0.1:$PORT" "$W/rooms.log"
check "plain HTTP on the TLS port gets no answer" bash -c "! curl -sS --max-time 5 http://127.0.0.1:$PORT/healthz"
check "and the server still answers over TLS" curl -fsS --cacert "$CA" "$URL/healthz"

s_client() { openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" </dev/null 2>&1; }
out=$(s_client -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')
if grep -q "alert protocol version" <<<"$out"; then ok "TLS 1.1 refused (protocol version alert)"; else
    fail "TLS 1.1 refused: $(grep -m3 -E 'Protocol|Cipher|alert|error' <<<"$out")"; fi
for cipher in ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384 AES128-GCM-SHA256 AES256-SHA; do
    out=$(s_client -tls1_2 -cipher "$cipher")
    if grep -qE "alert handshake failure|no ciphers available" <<<"$out" && ! grep -q "^New, TLSv1.2" <<<"$out"; then
        ok "TLS 1.2 with $cipher (CBC or RSA key exchange) refused"
    else
        fail "TLS 1.2 with $cipher refused: $(grep -m2 -E 'Cipher|alert' <<<"$out")"
    fi
done
for cipher in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305; do
    out=$(s_client -tls1_2 -cipher "$cipher" -CAfile "$CA" -verify_return_error -verify_hostname localhost)
    if grep -q "Cipher is $cipher" <<<"$out" && grep -q "Verify return code: 0 (ok)" <<<"$out"; then
        ok "TLS 1.2 with $cipher accepted, verified"
    else
        fail "TLS 1.2 with $cipher accepted: $(grep -m2 -E 'Cipher|Verify|alert' <<<"$out")"
    fi
done
out=$(s_client -tls1_3 -CAfile "$CA" -verify_return_error -verify_hostname localhost)
if grep -q "^New, TLSv1.3" <<<"$out" && grep -q "Verify return code: 0 (ok)" <<<"$out"; then
    ok "TLS 1.3 accepted, verified ($(grep -m1 -o 'Cipher is [A-Z0-9_-]*' <<<"$out"))"
else
    fail "TLS 1.3 accepted: $(grep -m2 -E 'Cipher|Verify|alert' <<<"$out")"
fi

# ---- the suites over https/wss -------------------------------------------------------------------------------------
junit=$W/e2e.xml
ROOMS_E2E_BASE_URL=$URL ROOMS_E2E_CA_FILE=$CA ROOMS_E2E_DATA_DIR=$DATA ROOMS_E2E_ACCESS_TOKEN_TTL_S=90 \
    ctest --test-dir "${CTEST_DIR:-build}" -L '^e2e$' --output-on-failure --timeout 300 -j2 --output-junit "$junit" \
    >"$W/e2e.log" 2>&1
read -r p f < <(python3 scripts/junit_counts.py "$junit" 2>/dev/null || echo "0 1")
grep -E "tests passed|Failed|\*\*\*" "$W/e2e.log" | tail -15
if ((p + f == 0)); then fail "e2e suite over https/wss ran no test"; else
    echo "e2e suite over https/wss (ctest -L e2e): $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
fi

SKIP_BUILD=1 ROOMS_E2E_CA_FILE=$CA web/scripts/e2e.sh "$URL" >"$W/browser.log" 2>&1
read -r p f < <(awk '/^ℹ pass [0-9]+$/ {p=$3} /^ℹ (fail|skipped|todo|cancelled) [0-9]+$/ {f+=$3} END {print p+0, f+0}' \
    "$W/browser.log")
grep -E "^ℹ |not ok|✖" "$W/browser.log" | head -15
if ((p + f == 0)); then
    fail "browser suite over https/wss ran no test"
    tail -20 "$W/browser.log"
else
    echo "browser suite over https/wss (chromium): $p passed, $f failed"
    passed=$((passed + p))
    failed=$((failed + f))
fi

# ---- renewal and SIGHUP --------------------------------------------------------------------------------------------
nick=tls_$RANDOM$RANDOM
password="correct horse battery"
body="{\"nickname\":\"$nick\",\"password\":\"$password\"}"
curl -sS --cacert "$CA" -X POST "$URL/user/register" -H 'Content-Type: application/json' -d "$body" >/dev/null
token=$(curl -sS --cacert "$CA" -X POST "$URL/user/login" -H 'Content-Type: application/json' -d "$body" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
room=$(curl -sS --cacert "$CA" -X POST "$URL/chat/rooms" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d '{"name":"tls reload"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# certbot renew as in production: a forced renewal (the certificate is fresh) whose deploy hook sends SIGHUP. The
# hook also notes the new serial for the checker (certbot takes one --deploy-hook).
renew=(env REQUESTS_CA_BUNDLE="$REQUESTS_CA_BUNDLE" certbot --config-dir "$LE" --work-dir "$W/certbot-work"
    --logs-dir "$W/certbot-logs" --non-interactive renew --force-renewal --no-random-sleep-on-renew
    --deploy-hook "openssl x509 -in $LE/live/localhost/cert.pem -noout -serial >$W/new-serial && kill -HUP $RPID")
if [[ -n $room ]]; then
    python3 tests/tls/wss_reload.py localhost "$PORT" "$CA" "$nick" "$password" "$room" "$W/new-serial" -- \
        "${renew[@]}" >"$W/reload.log" 2>&1
    cat "$W/reload.log"
    passed=$((passed + $(grep -c '^ok: ' "$W/reload.log")))
    failed=$((failed + $(grep -c '^FAIL: ' "$W/reload.log")))
    grep -qE '^(ok|FAIL): ' "$W/reload.log" || fail "the reload check ran"
else
    fail "a user and a room for the reload check (room '$room')"
fi
check "the reload is logged" grep -q "received SIGHUP: TLS reloaded" "$W/rooms.log"
serial=$(openssl x509 -in "$LE/live/localhost/cert.pem" -noout -serial)
# A broken pair on SIGHUP (a key of another certificate) is refused; the server keeps serving the current one.
kill -HUP "$RPID"  # the same files again: a reload that succeeds, then the broken one below
sleep 0.5
cp "$KEY" "$W/good.key" && cp "$W/listener.key" "$KEY"  # through certbot's live/ link into its archive
kill -HUP "$RPID"
sleep 0.5
check "a mismatched pair on SIGHUP is refused and logged" grep -q "TLS reload refused" "$W/rooms.log"
served=$(openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null)
if [[ -n $served && $served == "$serial" ]] && kill -0 "$RPID"; then ok "and the server keeps serving the current certificate ($served)"; else
    fail "the server keeps the current certificate after a refused reload (served '$served', wanted '$serial')"; fi
cp "$W/good.key" "$KEY"

# ---- nginx ---------------------------------------------------------------------------------------------------------
NGINX_HTTPS=$(free_port)
nginx_() {  # cert key
    ROOMS_SERVICES_DIR=$W/svc ROOMS_NGINX_PORT=$HTTP01_PORT ROOMS_NGINX_HTTPS_PORT=$NGINX_HTTPS \
        ROOMS_NGINX_TLS_CERT=$1 ROOMS_NGINX_TLS_KEY=$2 scripts/cluster.sh nginx
}
if nginx_ "$CERT" "$KEY" >"$W/nginx.log" 2>&1 &&
    wait_for nginx 10 curl -fsS --cacert "$CA" "https://localhost:$NGINX_HTTPS/"; then
    ok "nginx serves HTTPS (config/nginx/https.conf) with the certificate of rooms serve"
    if certbot_ certonly --webroot -w "$W/svc/cluster/acme" -d localhost --cert-name nginx >"$W/certbot-nginx.log" 2>&1; then
        ok "certbot --webroot obtains a certificate through nginx's HTTP port (the challenge is not redirected)"
        nginx_ "$LE/live/nginx/fullchain.pem" "$LE/live/nginx/privkey.pem" >>"$W/nginx.log" 2>&1
        sleep 1
        want=$(openssl x509 -in "$LE/live/nginx/cert.pem" -noout -serial)
        got=$(openssl s_client -connect "127.0.0.1:$NGINX_HTTPS" -servername localhost </dev/null 2>/dev/null |
            openssl x509 -noout -serial 2>/dev/null)
        if [[ $got == "$want" ]]; then ok "after nginx -s reload it serves the new certificate"; else
            fail "nginx serves the new certificate after a reload (served '$got', wanted '$want')"; fi
    else
        fail "certbot --webroot through nginx"
        tail -20 "$W/certbot-nginx.log"
    fi
    loc=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://localhost:$HTTP01_PORT/rooms/5?x=1")
    if [[ $loc == "301 https://localhost:$NGINX_HTTPS/rooms/5?x=1" ]]; then ok "HTTP redirects to HTTPS: $loc"; else
        fail "HTTP redirects to HTTPS with the same path and query (got '$loc')"; fi
    hsts=$(curl -sS -D - -o /dev/null --cacert "$CA" "https://localhost:$NGINX_HTTPS/" | tr -d '\r' |
        grep -i '^strict-transport-security:')
    if [[ $hsts == *max-age=63072000* ]]; then ok "HSTS: $hsts"; else fail "HSTS header over HTTPS (got '$hsts')"; fi
    out=$(openssl s_client -connect "127.0.0.1:$NGINX_HTTPS" -servername localhost -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
        </dev/null 2>&1)
    if grep -q "alert protocol version" <<<"$out"; then ok "nginx refuses TLS 1.1"; else fail "nginx refuses TLS 1.1"; fi
    out=$(openssl s_client -connect "127.0.0.1:$NGINX_HTTPS" -servername localhost -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA \
        </dev/null 2>&1)
    if ! grep -q "^New, TLSv1.2" <<<"$out"; then ok "nginx refuses TLS 1.2 with a CBC suite"; else
        fail "nginx refuses TLS 1.2 with a CBC suite"; fi
else
    fail "nginx starts with config/nginx/https.conf"
    cat "$W/nginx.log" "$W/svc/cluster/nginx-error.log" 2>/dev/null | tail -20
fi

# ---- the server's log ----------------------------------------------------------------------------------------------
check "rooms serve was still running at the end" kill -0 "$RPID"
finish
