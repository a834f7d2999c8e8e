#!/usr/bin/env bash
# Browser end-to-end tests of the web UI (Debian's chromium driven by playwright-core).
#
#   scripts/e2e.sh                 build web/dist, start build/rooms on a free loopback port with a fresh
#                                  data dir, run the tests against it, stop it
#   scripts/e2e.sh BASE_URL        run the tests against a running deployment (e.g. nginx in front); for an
#                                  https URL set ROOMS_E2E_CA_FILE to the CA that issued its certificate (the
#                                  browser trusts it through an NSS database of its own; certutil, libnss3-tools)
#   scripts/e2e.sh --screenshots [BASE_URL]
#                                  instead of the tests, save screenshots to docs/screenshots/
#
# Environment: ROOMS_BIN (default build/rooms), ROOMS_E2E_CHROMIUM (default /usr/bin/chromium),
# SKIP_BUILD=1 (use the existing web/dist), ROOMS_E2E_TOKEN_TTL_S (access token lifetime of the
# started server, default 20: short so the token refresh is exercised), SCREENSHOT_DIR.
set -euo pipefail
WEB_DIR=$(cd "$(dirname "$0")/.." && pwd)
ROOT_DIR=$(cd "$WEB_DIR/.." && pwd)
cd "$WEB_DIR"

MODE=test
if [[ ${1:-} == --screenshots ]]; then MODE=screenshots; shift; fi
BASE_URL=${1:-}
CHROMIUM=${ROOMS_E2E_CHROMIUM:-/usr/bin/chromium}

if [[ ! -x $CHROMIUM ]]; then
    echo "e2e: $CHROMIUM not found (apt-get install -y chromium)" >&2
    exit 2
fi
if [[ ! -d node_modules/playwright-core ]]; then
    echo "e2e: installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
fi

SERVER_PID=""
WORK_DIR=""
cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $rc -ne 0 && -n $WORK_DIR && -f $WORK_DIR/server.log ]]; then
        echo "e2e: last lines of the server log:" >&2
        tail -n 40 "$WORK_DIR/server.log" >&2 || true
    fi
    [[ -n $WORK_DIR ]] && rm -rf "$WORK_DIR"
    exit $rc
}
trap cleanup EXIT INT TERM

if [[ -z $BASE_URL ]]; then
    ROOMS_BIN=${ROOMS_BIN:-$ROOT_DIR/build/rooms}
    if [[ ! -x $ROOMS_BIN ]]; then
        echo "e2e: $ROOMS_BIN not found; build it: cmake --preset release && cmake --build --preset release --target rooms" >&2
        exit 2
    fi
    if [[ ${SKIP_BUILD:-0} != 1 || ! -f dist/index.html ]]; then
        echo "e2e: building web/dist"
        npm run build --silent >/dev/null
    fi
    WORK_DIR=$(mktemp -d)
    PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    BASE_URL="http://127.0.0.1:$PORT"
    echo "e2e: starting $ROOMS_BIN on $BASE_URL"
    # The scroll-back test fills a room with 130 messages at once: no per-user message rate here.
    ROOMS_RATE_LIMIT_RPS=0 ROOMS_CHAT_USER_MESSAGES_PER_S=0 \
        ROOMS_HTTP_STATIC_DIR="$WEB_DIR/dist" \
        ROOMS_AUTH_ACCESS_TOKEN_TTL_S=${ROOMS_E2E_TOKEN_TTL_S:-20} \
        "$ROOMS_BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK_DIR/data" >"$WORK_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    ready=0
    for _ in $(seq 1 100); do
        if curl -fsS --max-time 1 "$BASE_URL/healthz" >/dev/null 2>&1; then ready=1; break; fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ $ready != 1 ]]; then
        echo "e2e: the server did not become healthy within 10 s" >&2
        exit 1
    fi
fi

export ROOMS_E2E_BASE_URL=$BASE_URL ROOMS_E2E_CHROMIUM=$CHROMIUM
if [[ $MODE == screenshots ]]; then
    export SCREENSHOT_DIR=${SCREENSHOT_DIR:-$ROOT_DIR/docs/screenshots}
    timeout 300 node e2e/screenshots.mjs
else
    # The whole run is bounded too, in case a browser hangs outside any test's own timeout.
    timeout 900 node --test --test-reporter=spec e2e/*.test.mjs
fi
