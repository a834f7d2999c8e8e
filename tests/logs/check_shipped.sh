#!/usr/bin/env bash
# Asks whether the cluster's log shipper (rsyslog, started by scripts/cluster.sh up) delivers the roles' JSON logs:
#   tests/logs/check_shipped.sh     (ROOMS_SERVICES_DIR and ROOMS_NGINX_PORT as for `up`)
# A request through nginx with a path of its own must arrive in $RUN/shipped/rooms.jsonl within 15 s as a parsed
# object: event `http`, the gateway's role and node_id, the file it came from, and the trace id of the traceparent it
# was sent with (trace_id and span_id fields); and every role's log must have been shipped. Closes with
# "N passed, M failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUN=${ROOMS_SERVICES_DIR:-$ROOT/.services}/cluster
SHIPPED=$RUN/shipped/rooms.jsonl
passed=0
failed=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAILED: $*" >&2; failed=$((failed + 1)); }

if [[ -f $RUN/rsyslog.pid ]] && kill -0 "$(cat "$RUN/rsyslog.pid")" 2>/dev/null; then ok "rsyslog runs"; else
    fail "rsyslog runs ($RUN/rsyslog.pid)"; tail -5 "$RUN/rsyslog.log" >&2; fi

marker=shipped-$RANDOM$RANDOM
trace_id=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "traceparent: 00-$trace_id-00f067aa0ba902b7-01" \
    "http://127.0.0.1:${ROOMS_NGINX_PORT:-8080}/api/no/such/$marker")
[[ $status == 404 ]] && ok "a request through nginx to /api/no/such/$marker: $status" ||
    fail "a request through nginx to /api/no/such/$marker: $status, wanted 404"

# Prints "ok: ..." lines for what it finds, "missing: ..." for what it does not; exit 0 when everything is there.
find_shipped() {
    python3 - "$SHIPPED" "$marker" "$trace_id" <<'PY'
import json, re, sys
path, marker, trace_id = sys.argv[1], sys.argv[2], sys.argv[3]
files, request, bad = set(), None, []
try:
    lines = open(path, encoding="utf-8").read().splitlines()
except FileNotFoundError:
    lines = []
for line in lines:
    try:
        o = json.loads(line)
    except ValueError:
        bad.append(line)
        continue
    name = o.get("metadata", {}).get("filename", "")
    files.add(name.rsplit("/", 1)[-1])
    if marker in o.get("msg", ""):
        request = o
missing = []
for f in ("websocket-1.log", "websocket-2.log", "consumer-1.log", "consumer-2.log"):
    if f not in files:
        missing.append(f"nothing shipped from {f}")
if request is None:
    missing.append(f"no shipped line holds {marker}")
else:
    gateway = request.get("metadata", {}).get("filename", "").rsplit("/", 1)[-1]
    want = {"event": "http", "level": "info", "role": "websocket", "trace_id": trace_id}
    wrong = {k: request.get(k) for k, v in want.items() if request.get(k) != v}
    if wrong or request.get("node_id") not in (1, 2) or gateway != f"websocket-{request.get('node_id')}.log" \
            or not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", request.get("time", "")) \
            or not re.fullmatch(r"[0-9a-f]{16}", request.get("span_id", "")):
        missing.append(f"the request's line has wrong fields {wrong}: {json.dumps(request)}")
    else:
        print(f"ok: the request's line, shipped from {gateway}: {json.dumps(request)}")
if bad:
    missing.append(f"{len(bad)} shipped lines are not JSON, the first: {bad[0]}")
for m in missing:
    print("missing:", m)
sys.exit(1 if missing else 0)
PY
}
deadline=$((SECONDS + 15))
until out=$(find_shipped); do
    ((SECONDS < deadline)) || break
    sleep 0.5
done
if find_shipped >/dev/null; then
    ok "$(grep '^ok: ' <<<"$out" | head -1 | cut -c5-)"
    ok "every role's JSON log is shipped to $SHIPPED ($(wc -l <"$SHIPPED") objects)"
else
    fail "shipped to $SHIPPED within 15 s: $(grep '^missing: ' <<<"$out" | tr '\n' ' ')"
fi
echo "$passed passed, $failed failed"
((failed == 0))
