# Helpers shared by the scripts in this folder. Source it: `. "$(dirname "$0")/lib.sh"`; set LOG_PREFIX first.

ROOMS_ROOT=${ROOMS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"

log() { printf '%s: %s\n' "${LOG_PREFIX:-rooms}" "$*" >&2; }

# wait_for DESCRIPTION SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds; fails after SECONDS.
wait_for() {
    local what=$1 secs=$2
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            log "$what did not come up within ${secs}s"
            return 1
        fi
        sleep 0.2
    done
}

# A free TCP port on 127.0.0.1 (bound, then released).
# A free loopback port below the kernel's ephemeral range (32768-60999 here): a port the kernel hands out (bind to 0)
# may be taken again by any outgoing connection before its server binds it (etcd's "address already in use" in CI
# once). Tries random ports in 21000-29999 (none of ours is fixed there), bounded.
free_port() {
    python3 -c '
import random, socket, sys
for _ in range(200):
    p = random.randint(21000, 29999)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    sys.exit(0)
sys.exit("no free port in 21000-29999")'
}

# apt_install PACKAGE...: installs those not installed yet (one apt-get update first), with sudo when not root.
# apt's output goes to stderr: callers may print a result on stdout (scripts/tools.sh path).
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# start_bench_rooms BIN PORT DATA_DIR LOG: `BIN serve` (the all-in-one server, embedded store) on 127.0.0.1:PORT
# with the limits a load generator trips from one address and a few accounts switched off (per-IP request rate,
# connections per IP and per user, messages and room creations per user); waits for /readyz. Sets BENCH_ROOMS_PID.
start_bench_rooms() {
    local bin=$1 port=$2 data=$3 logfile=$4
    mkdir -p "$data"
    ROOMS_RATE_LIMIT_RPS=0 ROOMS_HTTP_MAX_CONNECTIONS=1000000 ROOMS_CHAT_USER_MESSAGES_PER_S=0 ROOMS_CHAT_USER_ROOMS_PER_MIN=0 \
        ROOMS_CHAT_MAX_CONNECTIONS_PER_USER=0 ROOMS_CHAT_MAX_CONNECTIONS_PER_IP=0 ROOMS_HTTP_MAX_CONNECTIONS_PER_IP=0 "$bin" serve \
        --listen "127.0.0.1:$port" --data-dir "$data" --log-level warn >"$logfile" 2>&1 &
    BENCH_ROOMS_PID=$!
    wait_for "rooms serve on :$port" 30 curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz"
}

# stop_process PID: SIGTERM, up to 10 s to exit, then SIGKILL. Quiet when it is gone already.
stop_process() {
    local pid=$1
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

# start_bench_centrifugo BIN PORT DIR LOG: Centrifugo (scripts/tools.sh path centrifugo) on 127.0.0.1:PORT as
# rooms-bench --server centrifugo drives it: memory engine, connection tokens signed with the HMAC secret
# $ROOMS_BENCH_CENTRIFUGO_SECRET (made up and exported when unset), client-side subscribe and publish allowed on
# top-level channels, no history, presence or join/leave (Rooms keeps no history in memory for the fan-out
# either), HTTP API and admin off, /health on; config in DIR/centrifugo.json. Sets BENCH_CENTRIFUGO_PID.
start_bench_centrifugo() {
    local bin=$1 port=$2 dir=$3 logfile=$4
    if [[ -z ${ROOMS_BENCH_CENTRIFUGO_SECRET:-} ]]; then
        ROOMS_BENCH_CENTRIFUGO_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        export ROOMS_BENCH_CENTRIFUGO_SECRET
    fi
    mkdir -p "$dir"
    cat >"$dir/centrifugo.json" <<JSON
{
  "http_server": {"address": "127.0.0.1", "port": $port},
  "log": {"level": "warn"},
  "engine": {"type": "memory"},
  "client": {"token": {"hmac_secret_key": "$ROOMS_BENCH_CENTRIFUGO_SECRET"}},
  "channel": {"without_namespace": {"allow_subscribe_for_client": true, "allow_publish_for_client": true}},
  "http_api": {"disabled": true},
  "admin": {"enabled": false},
  "health": {"enabled": true},
  "usage_stats": {"disabled": true}
}
JSON
    chmod 600 "$dir/centrifugo.json"
    "$bin" --config "$dir/centrifugo.json" >"$logfile" 2>&1 &
    BENCH_CENTRIFUGO_PID=$!
    wait_for "centrifugo on :$port" 30 curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health"
}
