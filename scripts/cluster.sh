#!/usr/bin/env bash
# The distributed topology on one machine, as plain processes on loopback (no Docker):
# PostgreSQL, Redis, Kafka (scripts/services.sh), 2 `websocket` gateways, 2 `consumer` workers and nginx
# on http://127.0.0.1:8080 (/api/ to the gateways, / to the web UI), and Prometheus scraping every role's /metrics on
# http://127.0.0.1:${ROOMS_PROMETHEUS_PORT:-19090} (config/prometheus/; Debian's `prometheus`, data in $RUN/prometheus),
# rsyslog shipping every role's JSON log to $RUN/shipped/rooms.jsonl (config/rsyslog/), and Jaeger (v1.76.0, built once
# by scripts/tools.sh) taking every role's spans over OTLP/HTTP on 127.0.0.1:${ROOMS_JAEGER_OTLP_PORT:-4318}, its UI and
# query API on http://127.0.0.1:${ROOMS_JAEGER_PORT:-16686} (config/jaeger/; traces kept in memory; every trace sampled
# unless ROOMS_TRACING_SAMPLE_RATIO says otherwise; ROOMS_JAEGER=0: no Jaeger, no tracing).
#   scripts/cluster.sh up       starts everything; returns when every process answers /readyz
#   scripts/cluster.sh down     stops everything
#   scripts/cluster.sh status
#   scripts/cluster.sh kill NAME     kill -9 one process (websocket-1, consumer-2, ...) — for fault tests
#   scripts/cluster.sh stop NAME     stop one process gracefully (SIGTERM), or a service: pg, redis, kafka
#   scripts/cluster.sh start NAME    start one process or service again
#   scripts/cluster.sh nginx [stop]  (re)start or stop nginx alone (the tls tier checks its HTTPS server so)
# HTTPS: set ROOMS_NGINX_TLS_CERT and ROOMS_NGINX_TLS_KEY (and optionally ROOMS_NGINX_HTTPS_PORT, default 8443) for
# `up` or `nginx`: HTTPS with HSTS on that port, the HTTP port redirecting to it (config/nginx/https.conf).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${ROOMS_SERVICES_DIR:-$ROOT/.services}
RUN=$DIR/cluster
BIN=${ROOMS_BIN:-$ROOT/build/rooms}
NGINX_PORT=${ROOMS_NGINX_PORT:-8080}
PROMETHEUS_PORT=${ROOMS_PROMETHEUS_PORT:-19090}
JAEGER_PORT=${ROOMS_JAEGER_PORT:-16686}
JAEGER_OTLP_PORT=${ROOMS_JAEGER_OTLP_PORT:-4318}
JAEGER_GRPC_PORT=${ROOMS_JAEGER_GRPC_PORT:-16685}
JAEGER_HEALTH_PORT=${ROOMS_JAEGER_HEALTH_PORT:-13133}
PROCESSES=(websocket-1 websocket-2 consumer-1 consumer-2)

LOG_PREFIX=cluster
. "$ROOT/scripts/lib.sh"

# Connection settings and the shared JWT key, exported for every rooms process.
export_env() {
    eval "$("$ROOT/scripts/services.sh" env)"
    mkdir -p "$RUN"
    if [[ ! -s $RUN/jwt.key ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$RUN/jwt.key")
    fi
    ROOMS_AUTH_JWT_SECRET=$(cat "$RUN/jwt.key")
    export ROOMS_AUTH_JWT_SECRET
    if [[ ${ROOMS_JAEGER:-1} != 0 ]]; then
        export ROOMS_TRACING_ENDPOINT=http://127.0.0.1:$JAEGER_OTLP_PORT/v1/traces
        export ROOMS_TRACING_SAMPLE_RATIO=${ROOMS_TRACING_SAMPLE_RATIO:-1}
    fi
}

port_of() {  # the listen port in a config file
    sed -nE 's/^listen: *[^:]+:([0-9]+).*/\1/p' "$ROOT/config/$1.yaml"
}

ready() {  # name
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$(port_of "$1")/readyz" 2>/dev/null
}

start_one() {
    local name=$1
    if [[ -f $RUN/$name.pid ]] && kill -0 "$(cat "$RUN/$name.pid")" 2>/dev/null; then return 0; fi
    "$BIN" serve --config "$ROOT/config/$name.yaml" >>"$RUN/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
}

wait_ready() {  # name seconds
    local deadline=$((SECONDS + $2))
    until ready "$1"; do
        if ! kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; then
            log "$1 exited; last lines of $RUN/$1.log:"
            tail -n 20 "$RUN/$1.log" >&2
            return 1
        fi
        if ((SECONDS >= deadline)); then
            log "$1 not ready within $2 s: $(curl -sS --max-time 2 "http://127.0.0.1:$(port_of "$1")/readyz" 2>&1)"
            return 1
        fi
        sleep 0.2
    done
}

stop_one() {  # name [signal]
    local pidfile=$RUN/$1.pid
    [[ -f $pidfile ]] || return 0
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "-${2:-TERM}" "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

# nginx.conf and the files it includes, rendered into $RUN. With ROOMS_NGINX_TLS_CERT and ROOMS_NGINX_TLS_KEY (PEM
# chain and key) nginx serves HTTPS on ROOMS_NGINX_HTTPS_PORT (default 8443) and its HTTP port answers ACME http-01
# challenges from $RUN/acme (certbot --webroot) and redirects the rest to HTTPS; without them, plain HTTP.
# Per client address: ROOMS_NGINX_CONN_PER_IP connections (default 1000, at most 65535: nginx's limit), ROOMS_NGINX_RPS_PER_IP requests a second
# to /api/ (default 10, as rate_limit.rps) with bursts of ROOMS_NGINX_REQ_BURST (default 20).
nginx_render() {
    mkdir -p "$RUN/tmp" "$RUN/acme"
    local web=$ROOT/web/dist servers=$RUN/http.conf f
    [[ -d $web ]] || web=$RUN/empty-web && mkdir -p "$web"
    if [[ -n ${ROOMS_NGINX_TLS_CERT:-} || -n ${ROOMS_NGINX_TLS_KEY:-} ]]; then
        [[ -r ${ROOMS_NGINX_TLS_CERT:-} && -r ${ROOMS_NGINX_TLS_KEY:-} ]] ||
            { log "ROOMS_NGINX_TLS_CERT and ROOMS_NGINX_TLS_KEY must both name readable PEM files"; return 1; }
        servers=$RUN/https.conf
    fi
    for f in nginx.conf http.conf https.conf locations.conf; do
        sed -e "s#@RUN_DIR@#$RUN#g" -e "s#@WEB_DIR@#$web#g" -e "s#@SERVERS_CONF@#$servers#g" \
            -e "s#@HTTP_PORT@#$NGINX_PORT#g" -e "s#@HTTPS_PORT@#${ROOMS_NGINX_HTTPS_PORT:-8443}#g" \
            -e "s#@ACME_WEBROOT@#$RUN/acme#g" -e "s#@TLS_CERT@#${ROOMS_NGINX_TLS_CERT:-}#g" \
            -e "s#@TLS_KEY@#${ROOMS_NGINX_TLS_KEY:-}#g" -e "s#@CONN_PER_IP@#${ROOMS_NGINX_CONN_PER_IP:-1000}#g" \
            -e "s#@RPS_PER_IP@#${ROOMS_NGINX_RPS_PER_IP:-10}#g" -e "s#@REQ_BURST@#${ROOMS_NGINX_REQ_BURST:-20}#g" \
            "$ROOT/config/nginx/$f" >"$RUN/$f"
    done
}

nginx_up() {
    nginx_render
    if [[ -f $RUN/nginx.pid ]] && kill -0 "$(cat "$RUN/nginx.pid")" 2>/dev/null; then
        nginx -p "$RUN" -c "$RUN/nginx.conf" -s reload
    else
        nginx -p "$RUN" -c "$RUN/nginx.conf"
    fi
}

nginx_down() {
    if [[ -f $RUN/nginx.pid ]]; then
        nginx -p "$RUN" -c "$RUN/nginx.conf" -s quit 2>/dev/null || true
        for _ in $(seq 1 50); do [[ -f $RUN/nginx.pid ]] || break; sleep 0.1; done
    fi
}

# Waits until a helper process started with $RUN/NAME.pid and $RUN/NAME.log answers URL; fails, with its log's
# last lines, when it exits or SECONDS pass.
wait_http() {  # name url seconds
    local deadline=$((SECONDS + $3))
    until curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null; do
        if ((SECONDS >= deadline)) || ! kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; then
            log "$1 did not come up; last lines of $RUN/$1.log:"
            tail -n 20 "$RUN/$1.log" >&2
            return 1
        fi
        sleep 0.2
    done
}

# Prometheus as a plain process, scraping the roles listed in config/prometheus/prometheus.yml; ready in about a second.
prometheus_up() {
    command -v prometheus >/dev/null || { log "no prometheus binary (scripts/setup.sh installs it): not scraping"; return 0; }
    if [[ -f $RUN/prometheus.pid ]] && kill -0 "$(cat "$RUN/prometheus.pid")" 2>/dev/null; then return 0; fi
    mkdir -p "$RUN/prometheus"
    prometheus --config.file "$ROOT/config/prometheus/prometheus.yml" --storage.tsdb.path "$RUN/prometheus" \
        --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" >>"$RUN/prometheus.log" 2>&1 &
    echo $! >"$RUN/prometheus.pid"
    wait_http prometheus "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 20
}

# Jaeger as a plain process (config/jaeger/jaeger.yml, traces in memory); built from the Go module proxy the first
# time (scripts/tools.sh, several minutes once, then cached); ready in about a second. Before the roles, so that
# their first spans find it.
jaeger_up() {
    [[ ${ROOMS_JAEGER:-1} != 0 ]] || return 0
    if [[ -f $RUN/jaeger.pid ]] && kill -0 "$(cat "$RUN/jaeger.pid")" 2>/dev/null; then return 0; fi
    local jaeger
    "$ROOT/scripts/tools.sh" list | grep -Eq '^jaeger .* built$' ||
        log "building Jaeger once (scripts/tools.sh build jaeger: several minutes; ROOMS_JAEGER=0 skips it)"
    jaeger=$("$ROOT/scripts/tools.sh" path jaeger) || { log "could not build Jaeger"; return 1; }
    sed -e "s#@HEALTH_PORT@#$JAEGER_HEALTH_PORT#g" -e "s#@QUERY_PORT@#$JAEGER_PORT#g" \
        -e "s#@QUERY_GRPC_PORT@#$JAEGER_GRPC_PORT#g" -e "s#@OTLP_PORT@#$JAEGER_OTLP_PORT#g" \
        "$ROOT/config/jaeger/jaeger.yml" >"$RUN/jaeger.yml"
    "$jaeger" --config "$RUN/jaeger.yml" >>"$RUN/jaeger.log" 2>&1 &
    echo $! >"$RUN/jaeger.pid"
    wait_http jaeger "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" 30
}

# The log shipper: Debian's rsyslog tails every role's JSON log into $RUN/shipped/rooms.jsonl (config/rsyslog/).
rsyslog_up() {
    command -v rsyslogd >/dev/null || { log "no rsyslogd (scripts/setup.sh installs it): not shipping logs"; return 0; }
    if [[ -f $RUN/rsyslog.pid ]] && kill -0 "$(cat "$RUN/rsyslog.pid")" 2>/dev/null; then return 0; fi
    mkdir -p "$RUN/rsyslog" "$RUN/shipped"
    sed -e "s#@RUN_DIR@#$RUN#g" "$ROOT/config/rsyslog/rooms.conf" >"$RUN/rsyslog.conf"
    rsyslogd -N1 -f "$RUN/rsyslog.conf" >>"$RUN/rsyslog.log" 2>&1 ||
        { log "rsyslog refuses $RUN/rsyslog.conf:"; tail -n 20 "$RUN/rsyslog.log" >&2; return 1; }
    rm -f "$RUN/rsyslog.pid"
    rsyslogd -n -f "$RUN/rsyslog.conf" -i "$RUN/rsyslog.pid" >>"$RUN/rsyslog.log" 2>&1 &
    local pid=$! deadline=$((SECONDS + 10))
    until [[ -s $RUN/rsyslog.pid ]]; do
        if ((SECONDS >= deadline)) || ! kill -0 "$pid" 2>/dev/null; then
            log "rsyslog did not come up; last lines of $RUN/rsyslog.log:"
            tail -n 20 "$RUN/rsyslog.log" >&2
            return 1
        fi
        sleep 0.1
    done
}

case ${1:-} in
    up)
        started=$SECONDS
        [[ -x $BIN ]] || { log "no $BIN: run make build first"; exit 1; }
        "$ROOT/scripts/services.sh" install
        "$ROOT/scripts/services.sh" start
        export_env
        jaeger_up
        "$BIN" migrate up --config "$ROOT/config/websocket-1.yaml"
        "$BIN" topic create --config "$ROOT/config/websocket-1.yaml"
        for p in "${PROCESSES[@]}"; do start_one "$p"; done
        for p in "${PROCESSES[@]}"; do wait_ready "$p" 60; done
        nginx_up
        url=http://127.0.0.1:$NGINX_PORT
        # Over HTTPS the probe only asks whether the gateways answer through nginx: the certificate is the caller's.
        [[ -n ${ROOMS_NGINX_TLS_CERT:-} ]] && url="-k https://127.0.0.1:${ROOMS_NGINX_HTTPS_PORT:-8443}"
        deadline=$((SECONDS + 20))
        # shellcheck disable=SC2086  # $url carries -k when over HTTPS
        until curl -fsS -o /dev/null --max-time 2 $url/api/readyz; do
            ((SECONDS < deadline)) || { log "nginx does not answer"; exit 1; }
            sleep 0.2
        done
        prometheus_up
        rsyslog_up
        log "up in $((SECONDS - started)) s: ${url#-k } (logs in $RUN)"
        [[ -f $RUN/prometheus.pid ]] &&
            log "prometheus: http://127.0.0.1:$PROMETHEUS_PORT (API /api/v1/query, alerts /alerts; every role's /metrics)"
        [[ -f $RUN/rsyslog.pid ]] && log "rsyslog: every role's JSON log shipped to $RUN/shipped/rooms.jsonl"
        [[ -f $RUN/jaeger.pid ]] &&
            log "jaeger: UI and query API http://127.0.0.1:$JAEGER_PORT (/api/traces?service=rooms-websocket), OTLP/HTTP 127.0.0.1:$JAEGER_OTLP_PORT"
        ;;
    down)
        nginx_down
        stop_one prometheus
        stop_one rsyslog
        for p in "${PROCESSES[@]}"; do stop_one "$p"; done
        stop_one jaeger  # after the roles: it takes the spans they export as they stop
        "$ROOT/scripts/services.sh" stop
        log "down"
        ;;
    status)
        "$ROOT/scripts/services.sh" status
        for p in "${PROCESSES[@]}"; do
            if ready "$p"; then echo "$p: ready"; else echo "$p: not ready"; fi
        done
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$NGINX_PORT/api/readyz" && echo "nginx: up" ||
            echo "nginx: down"
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" &&
            echo "prometheus: up (http://127.0.0.1:$PROMETHEUS_PORT)" || echo "prometheus: down"
        [[ -f $RUN/rsyslog.pid ]] && kill -0 "$(cat "$RUN/rsyslog.pid")" 2>/dev/null &&
            echo "rsyslog: up ($RUN/shipped/rooms.jsonl)" || echo "rsyslog: down"
        curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" &&
            echo "jaeger: up (http://127.0.0.1:$JAEGER_PORT)" || echo "jaeger: down"
        ;;
    kill) stop_one "$2" KILL ;;
    stop)
        case $2 in
            pg | redis | kafka) "$ROOT/scripts/services.sh" stop "$2" ;;
            *) stop_one "$2" TERM ;;
        esac
        ;;
    start)
        case $2 in
            pg | redis | kafka) "$ROOT/scripts/services.sh" start "$2" ;;
            *)
                export_env
                start_one "$2"
                wait_ready "$2" 60
                ;;
        esac
        ;;
    nginx)
        if [[ ${2:-} == stop ]]; then nginx_down; else nginx_up; fi
        ;;
    *)
        echo "usage: $0 up|down|status|kill NAME|stop NAME|start NAME|nginx [stop]" >&2
        exit 2
        ;;
esac
