#!/usr/bin/env bash
# Asks the cluster's live Prometheus (scripts/cluster.sh up started it) whether it scrapes every role:
#   tests/prometheus/check_live.sh [PORT]     (default ${ROOMS_PROMETHEUS_PORT:-19090})
# Checks, each within a bounded wait (the first scrapes come within a few seconds): `up` is 1 for the 2 gateways and
# the 2 consumers; every role serves rooms_process_resident_memory_bytes with a value; the gateways count HTTP
# requests; the consumers report their assigned partitions; the gateways time Kafka produces; the alert rules are loaded. Closes with "N passed, M failed".
set -uo pipefail
PORT=${1:-${ROOMS_PROMETHEUS_PORT:-19090}}
API=http://127.0.0.1:$PORT/api/v1/query
passed=0
failed=0

# Prints "<instance> <value>" per series of an instant query.
query() {
    curl -fsS --max-time 5 --data-urlencode "query=$1" "$API" 2>/dev/null |
        python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["status"] == "success", d
for r in d["data"]["result"]:
    print(r["metric"].get("instance", "-"), r["value"][1])'
}

# check NAME QUERY COUNT: passes once QUERY returns COUNT series, each with a value > 0 (waits up to 60 s).
check() {
    local name=$1 q=$2 want=$3 out="" deadline=$((SECONDS + 60))
    while ((SECONDS < deadline)); do
        out=$(query "$q")
        if [[ $(grep -c . <<<"$out") -eq $want ]] && ! awk '$2 + 0 <= 0 {bad = 1} END {exit !bad}' <<<"$out"; then
            echo "ok: $name"
            echo "$out" | sed 's/^/    /'
            passed=$((passed + 1))
            return
        fi
        sleep 1
    done
    echo "FAILED: $name: $q gave:" >&2
    echo "${out:-(nothing)}" | sed 's/^/    /' >&2
    failed=$((failed + 1))
}

check "every role is up" 'up{job=~"rooms-.*"} == 1' 4
check "every role serves rooms_process_resident_memory_bytes" 'rooms_process_resident_memory_bytes' 4
check "both gateways count their HTTP requests" 'sum by (instance) (rooms_http_requests_total{job="rooms-websocket"})' 2
check "both consumers report their partitions" 'rooms_consumer_assigned_partitions + 1' 2
check "both gateways time Kafka produces" 'rooms_kafka_produce_duration_seconds_count + 1' 2
# The alert rules of config/prometheus/rules.yml are loaded and evaluated without error.
want=$(grep -c '^ *- alert:' "$(dirname "$0")/../../config/prometheus/rules.yml")
got=$(curl -fsS --max-time 5 "http://127.0.0.1:$PORT/api/v1/rules" 2>/dev/null | python3 -c 'import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
print(sum(1 for r in rules if r.get("health") != "err"))' 2>/dev/null)
if [[ $got == "$want" ]]; then
    echo "ok: the $want alert rules are loaded and healthy"
    passed=$((passed + 1))
else
    echo "FAILED: alert rules: ${got:-none} of $want loaded and healthy" >&2
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
((failed == 0))
