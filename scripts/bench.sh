#!/usr/bin/env bash
# Runs rooms-bench (bench/loadgen) against a server it starts itself and writes bench/results/latest.md.
#   scripts/bench.sh            the standard set against the all-in-one server (build/rooms serve), < 5 min
#   CLUSTER=1 scripts/bench.sh  the cluster set through nginx (scripts/services.sh + scripts/cluster.sh up)
#   scripts/bench.sh --smoke    each scenario ~2 s at a low rate; exits non-zero unless every one delivered
#                               with 0 missing and 0 errors (CLUSTER=1 works here too); all-in-one, it also
#                               smokes the Centrifugo driver when Centrifugo is built already (scripts/tools.sh)
# Environment: BUILD_DIR (default build), BENCH_OUT (default bench/results), BENCH_KEEP_CLUSTER=1 leaves the
# cluster up afterwards; for the cluster the usual ROOMS_SERVICES_DIR, ROOMS_PG_PORT, ROOMS_REDIS_PORT,
# ROOMS_KAFKA_PORT and ROOMS_NGINX_PORT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
BENCH=$BUILD/rooms-bench
OUT=${BENCH_OUT:-$ROOT/bench/results}
SMOKE=0
[[ ${1:-} == --smoke ]] && SMOKE=1
CLUSTER=${CLUSTER:-0}

LOG_PREFIX=bench
. "$ROOT/scripts/lib.sh"

for bin in "$BUILD/rooms" "$BENCH"; do
    [[ -x $bin ]] || { log "no $bin: build first (make build, or BUILD_DIR=...)"; exit 1; }
done
mkdir -p "$OUT"
RUN_DIR=$(mktemp -d /tmp/rooms-bench.XXXXXX)
ROWS=$RUN_DIR/rows.tsv
: >"$ROWS"
PASSED=0
FAILED=0
SERVER_PID=""
CENTRIFUGO_PID=""

cleanup() {
    stop_process "$SERVER_PID"
    stop_process "$CENTRIFUGO_PID"
    if [[ $CLUSTER == 1 && ${BENCH_KEEP_CLUSTER:-0} != 1 && ${CLUSTER_STARTED:-0} == 1 ]]; then
        "$ROOT/scripts/cluster.sh" down >/dev/null 2>&1 || true
    fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

# run NAME DESCRIPTION ARGS... : one rooms-bench run; its JSON lands in $RUN_DIR/NAME.json.
run() {
    local name=$1 what=$2
    shift 2
    local cmd=("$BENCH" "$@" --json "$RUN_DIR/$name.json")
    log "$name: ${cmd[*]#$ROOT/}"
    local rc=0 load
    load=$(cut -d' ' -f1 /proc/loadavg)
    "${cmd[@]}" || rc=$?
    if ((rc == 0)); then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); log "$name: FAILED (exit $rc)"; fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$what" "$rc" "rooms-bench ${*}" "$load" >>"$ROWS"
}


if [[ $CLUSTER == 1 ]]; then
    DIR=${ROOMS_SERVICES_DIR:-$ROOT/.services}
    NGINX_PORT=${ROOMS_NGINX_PORT:-8080}
    for p in 18081 18082 18091 18092 "$NGINX_PORT"; do
        if ss -ltn "sport = :$p" | grep -q LISTEN && [[ ! -f $DIR/cluster/websocket-1.pid ]]; then
            log "port $p is in use by another cluster; stop it or set ROOMS_SERVICES_DIR to its directory"
            exit 1
        fi
    done
    # The gateways inherit the environment: no rate limit for the bench's one client address.
    export ROOMS_RATE_LIMIT_RPS=0 ROOMS_CHAT_USER_MESSAGES_PER_S=0 ROOMS_CHAT_MAX_CONNECTIONS_PER_USER=0 \
        ROOMS_CHAT_MAX_CONNECTIONS_PER_IP=0 ROOMS_HTTP_MAX_CONNECTIONS_PER_IP=0 \
        ROOMS_NGINX_CONN_PER_IP=65000 ROOMS_NGINX_RPS_PER_IP=100000 ROOMS_NGINX_REQ_BURST=100000
    if ! "$ROOT/scripts/cluster.sh" status 2>/dev/null | grep -q "nginx: up"; then
        ROOMS_BIN=$BUILD/rooms "$ROOT/scripts/cluster.sh" up
        CLUSTER_STARTED=1
    fi
    eval "$("$ROOT/scripts/services.sh" env)"
    URL=http://127.0.0.1:$NGINX_PORT
    PIDS=()
    for g in websocket-1 websocket-2; do PIDS+=(--server-pid "$(cat "$DIR/cluster/$g.pid")"); done
    CL="$ROOT/scripts/cluster.sh"
    BEFORE="$CL kill consumer-1; $CL kill consumer-2"
    START="ROOMS_BIN=$BUILD/rooms $CL start consumer-1 & ROOMS_BIN=$BUILD/rooms $CL start consumer-2 & wait"
    COMMON=(--url "$URL" --api-prefix /api "${PIDS[@]}")
    if ((SMOKE)); then
        run fanout-cluster "cluster fan-out through nginx and Kafka (smoke)" fanout "${COMMON[@]}" \
            --rooms 2 --members 5 --senders 2 --rate 100 --duration 2
        run persist "Kafka backlog to PostgreSQL (smoke)" persist "${COMMON[@]}" --messages 2000 \
            --before "$BEFORE" --start-cmd "$START"
        run login-cluster "login through nginx (smoke)" http "${COMMON[@]}" --op login --rate 5 --duration 2
    else
        run fanout-cluster-5k "cluster: 50 rooms x 10 members, 5,000 publishes/s through nginx + Kafka" fanout \
            "${COMMON[@]}" --rooms 50 --members 10 --senders 50 --rate 5000 --duration 15
        run persist-100k "cluster: 100,000-message Kafka backlog to PostgreSQL + Redis by 2 consumers" persist \
            "${COMMON[@]}" --messages 100000 --before "$BEFORE" --start-cmd "$START"
        run login-cluster "cluster: login at 60/s through nginx (2 gateways)" http "${COMMON[@]}" --op login \
            --rate 60 --duration 10
    fi
else
    PORT=$(free_port)
    # Load from one address and a few accounts: the per-IP and per-user limits are off.
    started=0
    start_bench_rooms "$BUILD/rooms" "$PORT" "$RUN_DIR/data" "$RUN_DIR/server.log" && started=1
    SERVER_PID=${BENCH_ROOMS_PID:-}   # stopped by cleanup, also when it never became ready
    ((started)) || exit 1
    COMMON=(--url "http://127.0.0.1:$PORT" --server-pid "$SERVER_PID")
    if ((SMOKE)); then
        run fanout "all-in-one fan-out (smoke)" fanout "${COMMON[@]}" --rooms 2 --members 5 --senders 2 --rate 100 \
            --duration 2
        run connections "idle connections (smoke)" connections "${COMMON[@]}" --connections 200 --hold 1
        run login "login (smoke)" http "${COMMON[@]}" --op login --rate 5 --duration 2
        run rooms "list rooms (smoke)" http "${COMMON[@]}" --op rooms --rate 100 --duration 2
        # rooms-bench's Centrifugo driver (scripts/bench-peers.sh), a few seconds; never builds Centrifugo here.
        if "$ROOT/scripts/tools.sh" list | grep -E '^centrifugo .* built$' >/dev/null; then  # not -q: pipefail
            CF_PORT=$(free_port)
            started=0
            start_bench_centrifugo "$("$ROOT/scripts/tools.sh" path centrifugo)" "$CF_PORT" "$RUN_DIR" \
                "$RUN_DIR/centrifugo.log" && started=1
            CENTRIFUGO_PID=${BENCH_CENTRIFUGO_PID:-}
            if ((started)); then
                CF=(--server centrifugo --url "http://127.0.0.1:$CF_PORT" --server-pid "$CENTRIFUGO_PID")
                run fanout-centrifugo "Centrifugo fan-out (smoke)" fanout "${CF[@]}" --rooms 2 --members 5 \
                    --senders 2 --rate 100 --duration 2
                run connections-centrifugo "Centrifugo idle connections (smoke)" connections "${CF[@]}" \
                    --connections 200 --hold 1
            else
                FAILED=$((FAILED + 1))
            fi
        else
            log "centrifugo is not built (scripts/tools.sh build centrifugo): its driver's smoke is skipped"
        fi
    else
        FD_HARD=$(ulimit -Hn)
        CONNS=100000
        ((FD_HARD - 500 < CONNS)) && CONNS=$((FD_HARD - 500))
        # Rooms of 100: 300 publishes/s is 30,000 deliveries/s, 500/s is 50,000 (about the ceiling measured on
        # the 2-core machine of docs/BENCHMARKS.md; the project's target is 300,000).
        run fanout-100x100 "all-in-one: 10 rooms x 100 members, 10 senders, 300 publishes/s" fanout \
            "${COMMON[@]}" --rooms 10 --members 100 --senders 10 --rate 300 --duration 10
        run fanout-100x100-hi "all-in-one: same at 500 publishes/s" fanout \
            "${COMMON[@]}" --rooms 10 --members 100 --senders 10 --rate 500 --duration 10
        run fanout-idle "all-in-one: chat baseline, 10 rooms x 20 members at 200 publishes/s" fanout \
            "${COMMON[@]}" --rooms 10 --members 20 --senders 10 --rate 200 --duration 15
        # The same chat load during a login storm: both at once, the chat figures are the ones to compare.
        "$BENCH" http "${COMMON[@]}" --op login --rate 60 --duration 15 --json "$RUN_DIR/login-storm.json" \
            >"$RUN_DIR/login-storm.txt" 2>&1 &
        STORM=$!
        sleep 1
        run fanout-storm "all-in-one: chat baseline again during a login storm of 60 logins/s" fanout \
            "${COMMON[@]}" --rooms 10 --members 20 --senders 10 --rate 200 --duration 12
        storm_rc=0
        wait "$STORM" || storm_rc=$?
        cat "$RUN_DIR/login-storm.txt"
        printf '%s\t%s\t%s\t%s\t%s\n' login-storm "all-in-one: the login storm (60/s, with the chat load)" \
            "$storm_rc" "rooms-bench http ${COMMON[*]} --op login --rate 60 --duration 15" \
            "$(cut -d' ' -f1 /proc/loadavg)" >>"$ROWS"
        run rooms-list "all-in-one: list rooms at 2,000/s" http "${COMMON[@]}" --op rooms --rate 2000 --duration 5
        run connections "all-in-one: $CONNS idle WebSockets (the fd hard limit is $FD_HARD)" connections \
            "${COMMON[@]}" --connections "$CONNS" --hold 3
    fi
fi

# The table: one row per run with its key figures and the command.
python3 - "$ROWS" "$RUN_DIR" "$OUT" "$SMOKE" "$CLUSTER" <<'PY'
import json, os, subprocess, sys, datetime
rows_file, run_dir, out, smoke, cluster = sys.argv[1:]
keys = {
    "fanout": ["publishes_per_s", "deliveries_per_s", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms",
               "latency_p999_ms", "latency_max_ms", "missing", "out_of_order", "disconnects", "server_cpu_s_total"],
    "connections": ["open", "failed", "connects_per_s", "server_rss_delta_kib", "server_rss_per_connection_kib"],
    "persist": ["preloaded", "rows_per_s", "rows_per_s_incl_start", "first_row_to_all_s"],
    "http": ["ok_per_s", "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "errors"],
}
lines = []
for line in open(rows_file):
    name, what, rc, cmd, load = line.rstrip("\n").split("\t")
    path = os.path.join(run_dir, name + ".json")
    figures = "(no result)"
    if os.path.exists(path):
        j = json.load(open(path))
        ks = keys.get(j.get("scenario"), [])
        parts = []
        for k in ks:
            if k in j:
                v = j[k]
                parts.append(f"{k}={v:,.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else f"{k}={v:,}")
        peak = [f"{v:,} KiB" for k, v in j.items() if k.endswith("_peak_rss_kib")]
        if peak: parts.append("server peak RSS " + " / ".join(peak))
        figures = ", ".join(parts)
    status = "ok" if rc == "0" else f"exit {rc}"
    lines.append(f"| {name} | {what} | {figures} | {status} | {load} | `{cmd}` |")
try:
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except Exception:
    rev = "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
head = [f"# rooms-bench results ({'smoke' if smoke == '1' else 'standard set'}, {'cluster' if cluster == '1' else 'all-in-one'})",
        "",
        f"{datetime.datetime.now().isoformat(timespec='seconds')}, commit {rev}, {os.cpu_count()} CPUs ({cpu}), {mem} memory; "
        "the load generator runs on the same machine.",
        "",
        "| run | what | figures | status | load avg before | command |",
        "|---|---|---|---|---|---|"]
name = "latest" + ("-cluster" if cluster == "1" else "") + ("-smoke" if smoke == "1" else "")
with open(os.path.join(out, name + ".md"), "w") as f:
    f.write("\n".join(head + lines) + "\n")
print(os.path.join(out, name + ".md"))
PY

if ((SMOKE)); then
    log "smoke: $PASSED passed, $FAILED failed"
else
    log "$PASSED runs ok, $FAILED with errors; table in $OUT"
fi
((FAILED == 0))
