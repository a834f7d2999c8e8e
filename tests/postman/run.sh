#!/usr/bin/env bash
# Runs the Postman collection with newman against a fresh build/rooms: a free loopback port, a temporary data
# directory, the rate limit off. Prints newman's summary and exits with newman's status.
#   tests/postman/run.sh [extra newman arguments]
# Environment: ROOMS_BINARY (default build/rooms), KEEP_DATA=1 keeps the data directory and server log.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BIN="${ROOMS_BINARY:-$ROOT/build/rooms}"
NEWMAN="$HERE/node_modules/.bin/newman"
RESULTS_DIR="$HERE/results"

if [[ ! -x "$BIN" ]]; then
    echo "run.sh: the server binary $BIN does not exist; build it first (cmake --build --preset release)" >&2
    exit 2
fi
if [[ ! -x "$NEWMAN" ]]; then
    echo "run.sh: newman is not installed; run 'npm ci' in tests/postman (or scripts/setup.sh)" >&2
    exit 2
fi

# The server must not pick up a developer's ROOMS_* settings: only ours.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^ROOMS_' || true)

PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();})')"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/rooms-postman-XXXXXX")"
LOG="$DATA/server.log"
BASE_URL="http://127.0.0.1:$PORT"

ROOMS_RATE_LIMIT_RPS=0 "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA" >"$LOG" 2>&1 &
SERVER_PID=$!

server_status=""
stop_server() {
    [[ -n "$server_status" ]] && return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 150); do  # up to 15 s
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "run.sh: the server did not stop within 15 s of SIGTERM; killing it" >&2
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
    fi
    set +e
    wait "$SERVER_PID" 2>/dev/null
    server_status=$?
    set -e
}
cleanup() {
    stop_server
    if [[ "${KEEP_DATA:-}" == 1 ]]; then
        echo "run.sh: kept $DATA"
    else
        rm -rf "$DATA"
    fi
}
trap cleanup EXIT

# Wait (at most 10 s) for GET /healthz to answer 200.
ready=""
for _ in $(seq 1 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: the server exited before it was ready; its log:" >&2
        cat "$LOG" >&2
        exit 2
    fi
    if node -e '
        const req = require("http").get(process.argv[1] + "/healthz", r => process.exit(r.statusCode === 200 ? 0 : 1));
        req.on("error", () => process.exit(1));
        req.setTimeout(500, () => { req.destroy(); process.exit(1); });' "$BASE_URL"; then
        ready=1
        break
    fi
    sleep 0.1
done
if [[ -z "$ready" ]]; then
    echo "run.sh: the server did not answer GET /healthz within 10 s; its log:" >&2
    tail -50 "$LOG" >&2
    exit 2
fi
echo "run.sh: $BIN serving on $BASE_URL (data $DATA)"

mkdir -p "$RESULTS_DIR"
set +e
"$NEWMAN" run "$HERE/rooms.postman_collection.json" \
    --env-var "baseUrl=$BASE_URL" \
    --reporters cli,json \
    --reporter-json-export "$RESULTS_DIR/newman-results.json" \
    --color off \
    "$@"
newman_status=$?
set -e

stop_server
echo "run.sh: newman exited with $newman_status; the server exited with $server_status after SIGTERM; results in $RESULTS_DIR/newman-results.json"
if [[ $newman_status -ne 0 || $server_status -ne 0 ]]; then
    echo "run.sh: last lines of the server log:"
    tail -30 "$LOG"
fi
exit "$newman_status"
