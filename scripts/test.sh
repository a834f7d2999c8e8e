#!/usr/bin/env bash
# Runs the test tiers against the built tree and prints one closing line: "N passed, M failed".
# Usage: scripts/test.sh [unit|observability|e2e|tui|postman|web|bench|integration|cluster|lint|sanitizers|fuzz|tls|deploy|kube ...]
# (the cluster tier also runs the fault tests; default: all tiers, in that order)
#        scripts/test.sh --prepare DIR STEP...   (internal: the background builds, see start_prepare)
set -uo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=test
. scripts/lib.sh

# The builds of the sanitizer tier, shared by the tier and the background preparation.
build_asan() {
    cmake --preset asan -DROOMS_BUILD_BENCH=OFF >/dev/null &&
        cmake --build --preset asan --target rooms rooms_unit_test rooms_client_unit_test
}
build_tsan() {
    cmake --preset tsan -DROOMS_BUILD_BENCH=OFF >/dev/null && cmake --build --preset tsan --target rooms_tsan_test
}

# One background preparation step: what a later tier builds before it tests, so that the tier finds it done.
prepare_step() {  # step
    case $1 in
        observability) scripts/tools.sh build grafana-sdk jaeger ;;  # jaeger: the cluster tier's collector
        lint) scripts/lint.sh ;;   # fills clang-tidy's verdict cache; the lint tier then checks in seconds
        asan) build_asan ;;
        tsan) build_tsan ;;
        fuzz) scripts/fuzz.sh --build ;;
        tls) scripts/tools.sh build pebble ;;
        deploy) scripts/tools.sh build helm kubeconform actionlint tofu checkov k8s-schemas crd-schemas ;;
        kube) scripts/tools.sh build etcd kube-apiserver kwok kwok-stages helm crd-schemas ;;
    esac
}

if [[ ${1:-} == --prepare ]]; then
    dir=$2
    shift 2
    for step in "$@"; do
        start=$SECONDS
        prepare_step "$step" >"$dir/$step.log" 2>&1
        rc=$?
        echo "$step: $((SECONDS - start)) s, exit $rc" >>"$dir/times"
        echo "$rc" >"$dir/$step.done"
    done
    exit 0
fi

tiers=("$@")
((${#tiers[@]})) || tiers=(unit observability e2e tui postman web bench integration cluster lint sanitizers fuzz tls deploy kube)

# Background preparation. What the later tiers build before they test (clang-tidy's verdicts, the ASan and TSan
# configurations, the fuzz targets, the pinned tools) is built in the background while the earlier tiers run,
# scheduled SCHED_IDLE: it gets a core only when no test process wants one. The earlier tiers mostly wait on
# sockets, timers and the services, and on a fresh machine that idle time covers much of the later builds. A tier
# still runs its own build, a no-op when the background finished it, and reports its failure: the background only
# fills the caches (build trees, ccache, tools/, the clang-tidy cache). Off with ROOMS_TEST_PREPARE=0.
prepare_dir=$(mktemp -d)
prepare_pid=
start_prepare() {
    local steps=() t
    [[ ${ROOMS_TEST_PREPARE:-1} == 1 ]] || return 0
    for t in "${tiers[@]}"; do
        case $t in
            observability | lint | tls | deploy | kube | fuzz) steps+=("$t") ;;
            sanitizers) steps+=(asan tsan) ;;
        esac
    done
    # The first tier's own step is no head start: it runs in the foreground anyway.
    [[ ${steps[0]:-} == "${tiers[0]}" ]] && steps=("${steps[@]:1}")
    ((${#steps[@]})) || return 0
    local idle=()
    chrt --idle 0 true 2>/dev/null && idle=(chrt --idle 0)
    # setsid: a process group of its own, so that the exit trap stops every build it started.
    setsid "${idle[@]}" nice -n 19 scripts/test.sh --prepare "$prepare_dir" "${steps[@]}" </dev/null \
        >"$prepare_dir/prepare.log" 2>&1 &
    prepare_pid=$!
    echo "background preparation (pid $prepare_pid): ${steps[*]}"
}
# Waits until the background finished STEP (or stopped): a tier must not build in a tree the background builds in.
wait_prepared() {  # step
    [[ -n $prepare_pid ]] || return 0
    local start=$SECONDS
    while [[ ! -e $prepare_dir/$1.done ]] && kill -0 "$prepare_pid" 2>/dev/null; do sleep 2; done
    ((SECONDS - start < 3)) || echo "waited $((SECONDS - start)) s for the background build of $1"
}
stop_prepare() {
    [[ -n $prepare_pid ]] && kill -0 "$prepare_pid" 2>/dev/null && kill -TERM -- "-$prepare_pid" 2>/dev/null
    prepare_pid=
}

# Service-backed tiers share one set of services, started once and stopped on exit.
services_started=0
start_services() {
    ((services_started)) && return 0
    scripts/services.sh install && scripts/services.sh start || return 1
    eval "$(scripts/services.sh env)"
    export ROOMS_TEST_POSTGRES_DSN=$ROOMS_POSTGRES_DSN ROOMS_TEST_REDIS_ADDRESS=$ROOMS_REDIS_ADDRESS \
        ROOMS_TEST_KAFKA_BROKERS=$ROOMS_KAFKA_BROKERS
    services_started=1
}
trap 'stop_prepare; ((services_started)) && scripts/services.sh stop; rm -rf "$prepare_dir"' EXIT

passed=0
failed=0
summary=()

# Adds one tier's counts. A tier that ran no test counts as a failure: a skipped tier is not a pass.
record() {  # name passed failed
    local name=$1 p=$2 f=$3
    if ((p + f == 0)); then
        f=1
        summary+=("$name: ran no test (counted as 1 failure)")
    else
        summary+=("$name: $p passed, $f failed")
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

# Runners that close with "N passed, M failed" (scripts/fuzz.sh, scripts/bench.sh --smoke).
record_summary_line() {  # name log
    local p f
    read -r p f < <(sed -nE 's/.*\b([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$2" | tail -1)
    record "$1" "${p:-0}" "${f:-0}"
}

# Passes when no password or token the tests used (ROOMS_E2E_SECRETS_FILE, one per line; those shorter than 8
# characters are too common to search for) appears in any of the log files.
check_logs_for_secrets() {  # name secrets-file log-files...
    local name=$1 secrets=$2 patterns found
    shift 2
    patterns=$(mktemp)
    awk 'length($0) >= 8' "$secrets" 2>/dev/null | sort -u >"$patterns"
    if [[ ! -s $patterns ]] || (($# == 0)); then
        record "$name (no secrets or no logs to search)" 0 1
    elif found=$(grep -F -h -o -f "$patterns" -- "$@" | sort -u | head -3) && [[ -n $found ]]; then
        echo "$name: secrets found in the logs, e.g. ${found%%$'\n'*}" >&2
        record "$name" 0 1
    else
        echo "$name: none of $(wc -l <"$patterns") passwords and tokens in $# log files"
        record "$name" 1 0
    fi
    rm -f "$patterns"
}

# node --test closes with "ℹ pass N", "ℹ fail N", "ℹ skipped N", ...; skipped ones count as failed.
record_node_test() {  # name log
    local p f
    read -r p f < <(awk '/^ℹ pass [0-9]+$/ {p=$3} /^ℹ (fail|skipped|todo|cancelled) [0-9]+$/ {f+=$3}
                         END {print p+0, f+0}' "$2")
    record "$1" "$p" "$f"
}

# Runs the ctest tests of a label (a regex, as ctest -L takes it) and records what ctest's JUnit report says: a
# test that failed, was skipped or did not run counts as failed.
run_ctest() {  # label [parallel jobs [name [ctest arguments...]]]   ($CTEST_DIR: the build tree, default build)
    local label=$1 jobs=${2:-2} name=${3:-"$1 (ctest)"} junit p f
    shift $(($# < 3 ? $# : 3))
    junit=$(mktemp --suffix=.xml)
    ctest --test-dir "${CTEST_DIR:-build}" -L "$label" --output-on-failure --timeout 300 -j"$jobs" \
        --output-junit "$junit" "$@"
    read -r p f < <(python3 scripts/junit_counts.py "$junit" 2>/dev/null || echo "0 1")
    record "$name" "$p" "$f"
    rm -f "$junit"
}

# Seconds of CPU time used (all cores, every process) since boot, from /proc/stat.
cpu_busy_s() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {print int(($2 + $3 + $4 + $7 + $8) / hz)}' /proc/stat; }

start_prepare
times=()
for tier in "${tiers[@]}"; do
    echo "=== tier: $tier ($(date +%T), ${SECONDS} s in) ==="
    tier_start=$SECONDS tier_cpu=$(cpu_busy_s)
    case $tier in
        lint)
            # The checked-in style: clang-format on every C++ file, clang-tidy on src/ (scripts/lint.sh).
            out=$(mktemp)
            wait_prepared lint
            scripts/lint.sh 2>&1 | tee "$out"
            record_summary_line "lint (clang-format, clang-tidy)" "$out"
            rm -f "$out"
            ;;
        unit) run_ctest '^unit$' 2 "unit (ctest)" ;;
        observability)
            # Prometheus's config and alert rules (config/prometheus/) checked by promtool, offline, and the rules'
            # unit tests (tests/prometheus/*.test.yml): each alert fires on the series it should, and only there.
            for check in "check config config/prometheus/prometheus.yml" "check rules config/prometheus/rules.yml" \
                tests/prometheus/*.test.yml; do
                [[ $check == *.test.yml ]] && check="test rules $check"
                # shellcheck disable=SC2086  # the words of $check are promtool's arguments
                if promtool $check; then record "promtool $check" 1 0; else record "promtool $check" 0 1; fi
            done
            # The Grafana dashboards (deploy/grafana/): generated, parsed by the Grafana Foundation SDK, their PromQL
            # checked by promtool (tests/grafana/check_dashboards.py).
            out=$(mktemp)
            if sdk=$(scripts/tools.sh path grafana-sdk); then
                "$sdk" tests/grafana/check_dashboards.py 2>&1 | tee "$out"
                record_summary_line "grafana dashboards" "$out"
            else
                record "grafana dashboards (installing grafana-foundation-sdk)" 0 1
            fi
            rm -f "$out"
            ;;
        e2e)
            secrets=$(mktemp -d)
            ROOMS_E2E_SECRETS_FILE=$secrets/secrets ROOMS_E2E_LOG_DIR=$secrets/logs run_ctest '^e2e' 2 "e2e (ctest)"
            check_logs_for_secrets "e2e: no password or token in the servers' logs" "$secrets/secrets" \
                "$secrets"/logs/*.log
            rm -rf "$secrets"
            ;;
        tui)
            # `rooms chat` driven in tmux and in --plain mode against `rooms serve` (tests/tui/run.sh).
            out=$(mktemp)
            tests/tui/run.sh 2>&1 | tee "$out"
            record_summary_line "tui (rooms chat in tmux)" "$out"
            rm -f "$out"
            ;;
        bench)
            # rooms-bench keeps working: each scenario a few seconds against the all-in-one server.
            out=$(mktemp)
            scripts/bench.sh --smoke 2>&1 | tee "$out"
            record_summary_line "bench smoke (all-in-one)" "$out"
            rm -f "$out"
            ;;
        sanitizers)
            # The unit and end-to-end tests again, on a build with AddressSanitizer and UBSan (preset asan);
            # any report ends the process, so it fails its test.
            wait_prepared asan
            if build_asan; then
                export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
                CTEST_DIR=build-asan run_ctest '^unit$' 2 "asan+ubsan: unit (ctest)"
                # The release build's end-to-end suite against the ASan server: the suite is a client, its own
                # sanitizing would find nothing in the server and cost a third of this build.
                ROOMS_E2E_BINARY=$PWD/build-asan/rooms run_ctest '^e2e' 2 "asan+ubsan: e2e against build-asan/rooms (ctest)"
                unset ASAN_OPTIONS UBSAN_OPTIONS
            else
                record "asan+ubsan (build failed)" 0 1
            fi
            # The hub and bus tests, whose threads share the hub, the in-process bus, the send queues and the
            # memory adapters, on a build with ThreadSanitizer (preset tsan: executable rooms_tsan_test, label
            # tsan; nothing in it links librdkafka, which cannot run under TSan). A report ends the test, failed.
            wait_prepared tsan
            if build_tsan; then
                TSAN_OPTIONS=halt_on_error=1 CTEST_DIR=build-tsan run_ctest '^tsan$' 2 "tsan: hub and bus (ctest)"
            else
                record "tsan: hub and bus (build failed)" 0 1
            fi
            ;;
        fuzz)
            # The libFuzzer targets (clang, ASan + UBSan), each for a bounded time.
            out=$(mktemp)
            wait_prepared fuzz
            scripts/fuzz.sh "${ROOMS_FUZZ_SECONDS:-20}" 2>&1 | tee "$out"
            record_summary_line "fuzz (libFuzzer targets)" "$out"
            rm -f "$out"
            ;;
        integration)
            if start_services; then
                run_ctest '^integration$' 2 "integration (ctest)"
            else
                record "integration (services did not start)" 0 1
            fi
            ;;
        postman)
            rm -f tests/postman/results/newman-results.json
            tests/postman/run.sh
            read -r p f < <(node -e '
                const r = require(process.argv[1]).run.stats.assertions;
                console.log(r.total - r.failed, r.failed);' "$PWD/tests/postman/results/newman-results.json" \
                2>/dev/null || echo "0 1")
            record "postman (newman assertions)" "$p" "$f"
            ;;
        web)
            if [[ ! -f web/package.json ]]; then
                echo "no web UI in this tree"
                continue
            fi
            out=$(mktemp -d)
            (cd web && npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json")
            read -r p f < <(node -e '
                const r = require(process.argv[1]);
                console.log(r.numPassedTests, r.numFailedTests + (r.numPendingTests || 0) + (r.numTodoTests || 0));' \
                "$out/vitest.json" 2>/dev/null || echo "0 1")
            record "web unit (vitest)" "$p" "$f"
            SKIP_BUILD=1 web/scripts/e2e.sh 2>&1 | tee "$out/browser.log"
            record_node_test "web browser (chromium)" "$out/browser.log"
            rm -rf "$out"
            ;;
        cluster)
            # The whole topology (2 gateways, 2 consumers, nginx) with the web UI's browser suite through
            # nginx: two browsers usually land on different gateways. Short tokens so refresh is exercised.
            out=$(mktemp -d)
            # Settings of every process of the cluster, also those the fault tests restart: short tokens, so
            # that refresh is exercised, yet longer than the longest test that holds a room socket (a socket is
            # closed with 4001 when its token expires; the PostgreSQL fault test holds its senders' ~65 s); no per-IP or per-user limits, as every test client comes from one
            # address and some tests send thousands of messages at once.
            export ROOMS_AUTH_ACCESS_TOKEN_TTL_S=90 ROOMS_RATE_LIMIT_RPS=0 ROOMS_CHAT_USER_MESSAGES_PER_S=0 \
                ROOMS_CHAT_MAX_CONNECTIONS_PER_USER=0 ROOMS_CHAT_MAX_CONNECTIONS_PER_IP=0 \
                ROOMS_CHAT_USER_ROOMS_PER_MIN=0 ROOMS_CHAT_USER_NOTICES_PER_S=0 ROOMS_CHAT_PRESENCE_GRACE_MS=0 \
                ROOMS_HTTP_MAX_CONNECTIONS_PER_IP=0 ROOMS_NGINX_CONN_PER_IP=65000 ROOMS_NGINX_RPS_PER_IP=100000 ROOMS_NGINX_REQ_BURST=100000
            if start_services && (cd web && npm run --silent build >/dev/null) &&
                scripts/cluster.sh up; then
                SKIP_BUILD=1 web/scripts/e2e.sh http://127.0.0.1:${ROOMS_NGINX_PORT:-8080} 2>&1 | tee "$out/browser.log"
                record_node_test "cluster: web browser through nginx" "$out/browser.log"
                # The all-in-one server's end-to-end suite, through nginx (only /api/... exists there): the tests
                # labelled e2e; those labelled e2e-local need a server of their own (tests/e2e/CMakeLists.txt says
                # which and why).
                ROOMS_E2E_BASE_URL=http://127.0.0.1:${ROOMS_NGINX_PORT:-8080}/api \
                    ROOMS_E2E_DATA_DIR=${ROOMS_SERVICES_DIR:-$PWD/.services}/cluster ROOMS_E2E_ACCESS_TOKEN_TTL_S=90 \
                    ROOMS_E2E_SECRETS_FILE=$out/secrets \
                    run_ctest '^e2e$' 2 "cluster: e2e suite through nginx (ctest)"
                check_logs_for_secrets "cluster: no password or token in the gateways', consumers' and nginx's logs" \
                    "$out/secrets" "${ROOMS_SERVICES_DIR:-$PWD/.services}"/cluster/*.log \
                    "${ROOMS_SERVICES_DIR:-$PWD/.services}"/cluster/shipped/*
                # rooms-bench against the cluster: fan-out through nginx and Kafka, a Kafka backlog persisted
                # by restarted consumers, login through nginx.
                CLUSTER=1 BENCH_KEEP_CLUSTER=1 scripts/bench.sh --smoke 2>&1 | tee "$out/bench.log"
                record_summary_line "cluster: bench smoke" "$out/bench.log"
                # Cross-gateway chat, /clients across instances, kill -9 of a consumer during 10,000 messages,
                # kill -9 of a gateway (its users leave /clients within the presence TTL); then the faults of
                # docs/RELIABILITY.md (Kafka, PostgreSQL and Redis stopped, gateways killed, every role shut
                # down, a slow client in a busy room). One at a time: they kill and stop shared processes.
                export ROOMS_CLUSTER_URL=http://127.0.0.1:${ROOMS_NGINX_PORT:-8080} \
                    ROOMS_CLUSTER_GATEWAYS=http://127.0.0.1:18081,http://127.0.0.1:18082 \
                    ROOMS_CLUSTER_POSTGRES_DSN=$ROOMS_POSTGRES_DSN ROOMS_CLUSTER_REDIS_ADDRESS=$ROOMS_REDIS_ADDRESS \
                    ROOMS_CLUSTER_KAFKA_BROKERS=$ROOMS_KAFKA_BROKERS ROOMS_CLUSTER_SCRIPT=$PWD/scripts/cluster.sh \
                    ROOMS_CLUSTER_RUN_DIR=${ROOMS_SERVICES_DIR:-$PWD/.services}/cluster \
                    ROOMS_CLUSTER_JAEGER_URL=http://127.0.0.1:${ROOMS_JAEGER_PORT:-16686}
                # Prometheus (started by cluster.sh up) scrapes every role: its API finds them up, with rooms_* values.
                tests/prometheus/check_live.sh 2>&1 | tee "$out/prometheus.log"
                record_summary_line "cluster: Prometheus scrapes every role" "$out/prometheus.log"
                # rsyslog (started by cluster.sh up) ships the roles' JSON logs: a request's line is found where it delivers.
                tests/logs/check_shipped.sh 2>&1 | tee "$out/logs.log"
                record_summary_line "cluster: rsyslog ships every role's JSON log" "$out/logs.log"
                # Every panel query of the Grafana dashboards returns series from that Prometheus.
                if sdk=$(scripts/tools.sh path grafana-sdk); then
                    "$sdk" tests/grafana/check_dashboards.py --live "http://127.0.0.1:${ROOMS_PROMETHEUS_PORT:-19090}" 2>&1 |
                        tee "$out/grafana.log"
                    record_summary_line "cluster: every dashboard panel's query returns series" "$out/grafana.log"
                else
                    record "cluster: dashboards (installing grafana-foundation-sdk)" 0 1
                fi
                run_ctest '^cluster$' 1 "cluster (ctest)"
                run_ctest '^faults$' 1 "faults (ctest)"
            else
                record "cluster (did not come up)" 0 1
            fi
            scripts/cluster.sh down || true
            services_started=0
            rm -rf "$out"
            ;;
        tls)
            # rooms serve with TLS: a certificate from pebble by certbot, bad input, modern ciphers only, the e2e and
            # browser suites over https/wss, renewal + SIGHUP under an open WebSocket, nginx's HTTPS server.
            out=$(mktemp)
            tests/tls/run.sh 2>&1 | tee "$out"
            record_summary_line "tls (tests/tls/run.sh)" "$out"
            rm -f "$out"
            ;;
        deploy | kube)
            # deploy: the Helm chart, Flux, workflows and OpenTofu checked statically (tests/deploy/static.sh);
            # kube: the chart on a local Kubernetes control plane with kwok nodes (tests/deploy/kube.sh).
            script=tests/deploy/static.sh
            [[ $tier == kube ]] && script=tests/deploy/kube.sh
            out=$(mktemp)
            "$script" 2>&1 | tee "$out"
            record_summary_line "$tier ($script)" "$out"
            rm -f "$out"
            ;;
        *)
            echo "unknown tier: $tier" >&2
            exit 2
            ;;
    esac
    times+=("$tier $((SECONDS - tier_start)) s, CPU $(((($(cpu_busy_s) - tier_cpu) * 100) / (($(nproc) * (SECONDS - tier_start)) + 1)))% busy")
done
stop_prepare

echo
echo "=== summary ==="
for line in "${summary[@]}"; do echo "  $line"; done
echo "time per tier (wall; the machine's CPU use while it ran, background builds included): ${times[*]/%/;}"
[[ -s $prepare_dir/times ]] && echo "background preparation: $(paste -sd';' "$prepare_dir/times")"
echo "total: ${SECONDS} s"
echo "$passed passed, $failed failed"
((failed == 0))
