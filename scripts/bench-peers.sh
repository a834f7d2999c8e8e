#!/usr/bin/env bash
# Rooms against Centrifugo on this machine, one load generator driving both the same way (rooms-bench
# --server rooms|centrifugo, bench/loadgen/driver.h); writes bench/results/peers.md.
#   scripts/bench-peers.sh   (make bench-peers) about 10 minutes with the defaults
# Each round starts both servers afresh and runs every scenario against Rooms, then against Centrifugo
# (A B A B ...), so that the noise of a shared machine hits both:
#   idle connections: PEERS_CONNECTIONS WebSockets held open, server RSS per connection
#   fan-out: 10 rooms x 100 members, 10 senders, 64-byte messages, at each rate of PEERS_RATES publishes/s
#   saturation search: the rate doubled past the last of PEERS_RATES while the server keeps up (>= 90% of the
#   offered deliveries/s, nothing missing), up to PEERS_MAX_RATE; the figure is the best deliveries/s of all
#   the round's fan-out runs
# Environment: PEERS_RUNS (rounds, 3), PEERS_DURATION (seconds of each fan-out's measured phase, 8),
# PEERS_CONNECTIONS (5000; at most ~19500: the per-process file limit is 20000, for the server and for the
# generator alike), PEERS_RATES ("300 1000 4000"), PEERS_MAX_RATE (32000), PEERS_THREADS (the generator's io
# threads, 2), BUILD_DIR (build), BENCH_OUT (bench/results). Centrifugo comes from scripts/tools.sh (built once
# per machine from the Go module proxy, pinned).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
BENCH=$BUILD/rooms-bench
OUT=${BENCH_OUT:-$ROOT/bench/results}
RUNS=${PEERS_RUNS:-3}
DURATION=${PEERS_DURATION:-8}
CONNECTIONS=${PEERS_CONNECTIONS:-5000}
RATES=(${PEERS_RATES:-300 1000 4000})
MAX_RATE=${PEERS_MAX_RATE:-32000}
THREADS=${PEERS_THREADS:-2}
SERVERS=(rooms centrifugo)

LOG_PREFIX=bench-peers
. "$ROOT/scripts/lib.sh"

for bin in "$BUILD/rooms" "$BENCH"; do
    [[ -x $bin ]] || { log "no $bin: build first (make build, or BUILD_DIR=...)"; exit 1; }
done
FD_HARD=$(ulimit -Hn)
if ((CONNECTIONS + 500 > FD_HARD)); then
    log "PEERS_CONNECTIONS=$CONNECTIONS does not fit the file limit ($FD_HARD) of one process; at most $((FD_HARD - 500))"
    exit 1
fi
CENTRIFUGO=$("$ROOT/scripts/tools.sh" path centrifugo)
mkdir -p "$OUT"
RUN_DIR=$(mktemp -d /tmp/rooms-bench-peers.XXXXXX)
ROWS=$RUN_DIR/rows.tsv
: >"$ROWS"
declare -A PID=([rooms]="" [centrifugo]="")
declare -A URL=()

cleanup() {
    stop_process "${PID[rooms]}"
    stop_process "${PID[centrifugo]}"
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

start_servers() {  # round
    local rc=0
    URL[rooms]=http://127.0.0.1:$(free_port)
    start_bench_rooms "$BUILD/rooms" "${URL[rooms]##*:}" "$RUN_DIR/rooms-data-$1" "$RUN_DIR/rooms-$1.log" || rc=1
    PID[rooms]=${BENCH_ROOMS_PID:-}
    URL[centrifugo]=http://127.0.0.1:$(free_port)
    start_bench_centrifugo "$CENTRIFUGO" "${URL[centrifugo]##*:}" "$RUN_DIR" "$RUN_DIR/centrifugo-$1.log" || rc=1
    PID[centrifugo]=${BENCH_CENTRIFUGO_PID:-}
    return $rc
}

stop_servers() {
    stop_process "${PID[rooms]}"
    stop_process "${PID[centrifugo]}"
    PID=([rooms]="" [centrifugo]="")
}

# Waits (15 s at most) until both servers together use under 5% of a core over half a second: a backlog the
# last run left behind must not be billed to the next one.
settle() {
    local deadline=$((SECONDS + 15)) hz before after p
    hz=$(getconf CLK_TCK)
    while ((SECONDS < deadline)); do
        before=0 after=0
        for p in "${PID[@]}"; do before=$((before + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
        sleep 0.5
        for p in "${PID[@]}"; do after=$((after + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
        (((after - before) * 40 <= hz)) && return 0
    done
}

# run ROUND SERVER NAME RATE ARGS...: one rooms-bench run; its JSON lands in $RUN_DIR/ROUND-SERVER-NAME.json.
run() {
    local round=$1 server=$2 name=$3 rate=$4
    shift 4
    local file=$RUN_DIR/$round-$server-$name rc=0 load
    settle
    load=$(cut -d' ' -f1 /proc/loadavg)
    log "round $round, $server, $name: rooms-bench $* --server $server"
    "$BENCH" "$@" --server "$server" --url "${URL[$server]}" --server-pid "${PID[$server]}" --threads "$THREADS" \
        --json "$file.json" >"$file.txt" 2>&1 || rc=$?
    if ((rc != 0)); then  # 2: it ran, with losses (a fan-out past the server's ceiling); 1: it could not run
        log "round $round, $server, $name: exit $rc: $(jq -r '"missing \(.missing // "-"), disconnects \(.disconnects // "-"), \(.first_error // "")"' \
            "$file.json" 2>/dev/null || tail -n1 "$file.txt")"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\trooms-bench %s --server %s\n' "$round" "$server" "$name" "$rate" "$rc" "$load" \
        "$*" "$server" >>"$ROWS"
}

fanout() {  # round server name rate
    run "$1" "$2" "$3" "$4" fanout --rooms 10 --members 100 --senders 10 --rate "$4" --duration "$DURATION" \
        --message-bytes 64
}

# Whether a fan-out run fell behind: under 90% of the offered deliveries per second, or anything missing.
behind() {  # json file
    [[ -f $1 ]] || return 0
    jq -e '(.deliveries_per_s < 0.9 * .target_rate * .members_per_room) or (.missing > 0)' "$1" >/dev/null
}

STARTED=$(date +%s)
UPTIME_BEFORE=$(uptime)
log "$RUNS rounds, ${DURATION} s a fan-out, ${CONNECTIONS} idle connections; Centrifugo: $CENTRIFUGO"
for round in $(seq 1 "$RUNS"); do
    start_servers "$round" || { log "a server did not start (logs: $RUN_DIR)"; exit 1; }
    # Idle connections first, on fresh processes: memory a fan-out run left free would hide what they cost.
    for s in "${SERVERS[@]}"; do
        run "$round" "$s" connections "" connections --connections "$CONNECTIONS" --hold 3
    done
    for rate in "${RATES[@]}"; do
        for s in "${SERVERS[@]}"; do fanout "$round" "$s" "fanout-$rate" "$rate"; done
    done
    declare -A climbing=()
    last=${RATES[-1]}
    for s in "${SERVERS[@]}"; do behind "$RUN_DIR/$round-$s-fanout-$last.json" || climbing[$s]=1; done
    rate=$((last * 2))
    while ((rate <= MAX_RATE && ${#climbing[@]} > 0)); do
        for s in "${SERVERS[@]}"; do
            [[ -n ${climbing[$s]:-} ]] || continue
            fanout "$round" "$s" "search-$rate" "$rate"
            behind "$RUN_DIR/$round-$s-search-$rate.json" && unset "climbing[$s]"
        done
        rate=$((rate * 2))
    done
    unset climbing
    stop_servers
done
UPTIME_AFTER=$(uptime)
ELAPSED=$(($(date +%s) - STARTED))

# peers.md: medians per figure with the ratio, then every run.
python3 - "$ROWS" "$RUN_DIR" "$OUT/peers.md" "$RUNS" "$DURATION" "$CONNECTIONS" "${RATES[*]}" "$MAX_RATE" \
    "$UPTIME_BEFORE" "$UPTIME_AFTER" "$ELAPSED" "$THREADS" "$("$CENTRIFUGO" version | head -n1)" <<'PY'
import datetime, json, os, statistics, subprocess, sys

(rows_file, run_dir, out, runs, duration, connections, rates, max_rate, up_before, up_after, elapsed, threads,
 cf_version) = sys.argv[1:]
rates = rates.split()
servers = ["rooms", "centrifugo"]
label = {"rooms": "Rooms", "centrifugo": "Centrifugo"}
runs_table = []
by = {}  # (server, name) -> [json]
for line in open(rows_file):
    rnd, server, name, rate, rc, load, cmd = line.rstrip("\n").split("\t")
    path = os.path.join(run_dir, f"{rnd}-{server}-{name}.json")
    j = json.load(open(path)) if os.path.exists(path) else {}
    j["_rc"], j["_load"], j["_round"], j["_cmd"] = rc, load, rnd, cmd
    by.setdefault((server, name), []).append(j)
    if name != "connections":
        by.setdefault((server, f"round-{rnd}-fanout"), []).append(j)
    runs_table.append((rnd, server, name, rate, j))


def med(server, name, key):
    vals = [j[key] for j in by.get((server, name), []) if key in j]
    return statistics.median(vals) if vals else None


def fmt(v, digits=1):
    if v is None:
        return "–"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b not in (None, 0) else "–"


summary = []


def row(figure, values, digits=1, with_ratio=True):
    a, b = values
    summary.append(f"| {figure} | {fmt(a, digits)} | {fmt(b, digits)} | {ratio(a, b) if with_ratio else '–'} |")


for r in rates:
    n = f"fanout-{r}"
    offered = int(r) * 100
    row(f"{int(r):,} publishes/s ({offered:,} deliveries/s offered): deliveries/s",
        [med(s, n, "deliveries_per_s") for s in servers], 0)
    row(f"{int(r):,}/s: latency p50 (ms)", [med(s, n, "latency_p50_ms") for s in servers], 2)
    row(f"{int(r):,}/s: latency p99 (ms)", [med(s, n, "latency_p99_ms") for s in servers], 2)
    row(f"{int(r):,}/s: missing deliveries (median of runs)", [med(s, n, "missing") for s in servers], 0, False)
    row(f"{int(r):,}/s: server CPU-µs per delivery", [med(s, n, "server_cpu_us_per_delivery") for s in servers], 2)
    row(f"{int(r):,}/s: generator CPU-µs per delivery", [med(s, n, "bench_cpu_us_per_delivery") for s in servers], 2)

# Saturation: per round, the best deliveries/s of all its fan-out runs (and the rate it came at); then medians.
sat, sat_rate = {}, {}
for s in servers:
    best, at = [], []
    for rnd in range(1, int(runs) + 1):
        js = [j for j in by.get((s, f"round-{rnd}-fanout"), []) if "deliveries_per_s" in j]
        if js:
            top = max(js, key=lambda j: j["deliveries_per_s"])
            best.append(top["deliveries_per_s"])
            at.append(top["target_rate"])
    sat[s] = statistics.median(best) if best else None
    sat_rate[s] = statistics.median(at) if at else None
row(f"saturation: best deliveries/s of the round's fan-out runs (search up to {int(max_rate):,} publishes/s)",
    [sat[s] for s in servers], 0)
row("saturation: at publishes/s offered", [sat_rate[s] for s in servers], 0, False)
row(f"idle connections ({int(connections):,}): server RSS per connection (KiB)",
    [med(s, "connections", "server_rss_per_connection_kib") for s in servers], 1)
row(f"idle connections ({int(connections):,}): connects/s", [med(s, "connections", "connects_per_s") for s in servers], 0)

detail = []
bench_below = total_runs = 0
for rnd, server, name, rate, j in runs_table:
    cpu_pid = next((v for k, v in j.items() if k.startswith("server_") and k.endswith("_cpu_pct")), None)
    bench_pct = j.get("bench_cpu_pct")
    if cpu_pid is not None and bench_pct is not None and name != "connections":
        total_runs += 1
        bench_below += bench_pct < cpu_pid
    if name == "connections":
        figures = (f"{j.get('open', '–')} open, {j.get('failed', '–')} failed, "
                   f"{fmt(j.get('server_rss_per_connection_kib'))} KiB/conn, {fmt(j.get('connects_per_s'), 0)} conn/s")
    else:
        figures = (f"{fmt(j.get('deliveries_per_s'), 0)} del/s, p50 {fmt(j.get('latency_p50_ms'), 2)} ms, "
                   f"p99 {fmt(j.get('latency_p99_ms'), 2)} ms, missing {j.get('missing', '–')}, "
                   f"disconnects {j.get('disconnects', '–')}, {fmt(j.get('server_cpu_us_per_delivery'), 2)} CPU-µs/del")
    detail.append(f"| {rnd} | {label[server]} | {name} | {figures} | {fmt(cpu_pid)} | {fmt(bench_pct)} | "
                  f"{j['_load']} | {'ok' if j['_rc'] == '0' else 'exit ' + j['_rc']} |")

rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "?"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
env = (f"PEERS_RUNS={runs} PEERS_DURATION={duration} PEERS_CONNECTIONS={connections} PEERS_RATES=\"{' '.join(rates)}\" "
       f"PEERS_MAX_RATE={max_rate} PEERS_THREADS={threads}")
text = f"""# Rooms and Centrifugo, same box, same generator

{datetime.datetime.now().isoformat(timespec='seconds')}, commit {rev}, {os.cpu_count()} CPUs ({cpu}); {cf_version}
(memory engine); `rooms serve` (embedded store, rate limits off); {runs} rounds in {int(elapsed) // 60} min
{int(elapsed) % 60} s, each round both servers fresh, every scenario against Rooms then Centrifugo.
The generator (`rooms-bench --threads {threads}`) shares the 2 cores with the server it measures and with whatever
else runs on the machine:

- before: `{up_before.strip()}`
- after: `{up_after.strip()}`

Command: `{env} scripts/bench-peers.sh` (`make bench-peers`; these are its defaults unless said otherwise).
Each run: `rooms-bench fanout --server rooms|centrifugo --url $URL --server-pid $PID --threads {threads} --rooms 10
--members 100 --senders 10 --rate R --duration {duration} --message-bytes 64` and `rooms-bench connections
--server rooms|centrifugo --url $URL --server-pid $PID --threads {threads} --connections {connections} --hold 3`.

## Medians of {runs} runs

| figure | Rooms | Centrifugo | Rooms / Centrifugo |
|---|---|---|---|
""" + "\n".join(summary) + f"""

CPU-µs per delivery: the server's utime+stime (`/proc/PID/stat`) over the measured phase and the drain, divided
by the deliveries; the generator's the same from `getrusage`. The generator used less CPU than the server in
{bench_below} of {total_runs} fan-out runs.

## Every run

| round | server | run | figures | server CPU % of a core | generator CPU % | load avg before | status |
|---|---|---|---|---|---|---|---|
""" + "\n".join(detail) + "\n"
open(out, "w").write(text)
print(out)
PY
log "done in ${ELAPSED} s; $OUT/peers.md"
