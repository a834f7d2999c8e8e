#!/usr/bin/env bash
# Local PostgreSQL, Redis and Kafka (KRaft) as plain processes on loopback, no Docker.
# Everything lives under $ROOMS_SERVICES_DIR (default: .services in the repo).
#   scripts/services.sh install            Debian packages + Kafka jars from Maven Central (idempotent)
#   scripts/services.sh start [pg|redis|kafka ...]
#   scripts/services.sh stop  [pg|redis|kafka ...]
#   scripts/services.sh status
#   scripts/services.sh env                prints the connection settings as ROOMS_* exports
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${ROOMS_SERVICES_DIR:-$ROOT/.services}
PG_PORT=${ROOMS_PG_PORT:-55432}
REDIS_PORT=${ROOMS_REDIS_PORT:-56379}
KAFKA_PORT=${ROOMS_KAFKA_PORT:-59092}
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
LOG_PREFIX=services
. "$ROOT/scripts/lib.sh"

# Runs a command as the PostgreSQL owner: postgres when we are root (initdb refuses root), else ourselves.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
    apt_install postgresql redis-server nginx maven openjdk-17-jre-headless
    # Debian starts a system cluster and redis on their default ports; we run our own and leave those be.
    if [[ ! -f $DIR/kafka/libs/.complete ]]; then
        log "fetching the Kafka broker from Maven Central"
        mkdir -p "$DIR/kafka/libs"
        mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$DIR/kafka/libs"
        touch "$DIR/kafka/libs/.complete"
    fi
}

start_pg() {
    mkdir -p "$DIR/pg"
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$DIR/pg" && chmod 700 "$DIR/pg"
    if [[ ! -f $DIR/pg/data/PG_VERSION ]]; then
        as_pg "$PG_BIN/initdb" -D "$DIR/pg/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" status >/dev/null 2>&1; then
        as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/postgres.log" -w -t 30 start \
            -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DIR/pg -c fsync=off -c max_connections=200" >/dev/null
    fi
    wait_for "PostgreSQL" 30 "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
    as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='rooms'" |
        grep -q 1 || as_pg psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE rooms"
    log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

stop_pg() {
    [[ -f $DIR/pg/data/PG_VERSION ]] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg/data" -m fast -w stop >/dev/null 2>&1 || true
}

start_redis() {
    mkdir -p "$DIR/redis"
    if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR/redis" --save "" --appendonly no \
            --daemonize yes --pidfile "$DIR/redis/redis.pid" --logfile "$DIR/redis/redis.log"
    fi
    wait_for "Redis" 15 redis-cli -p "$REDIS_PORT" ping
    log "Redis on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

kafka_java() {
    java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
        -Dlog4j.configuration="file:$DIR/kafka/log4j.properties" -cp "$DIR/kafka/libs/*" "$@"
}

start_kafka() {
    [[ -f $DIR/kafka/libs/.complete ]] || install
    local k=$DIR/kafka
    mkdir -p "$k/data"
    cat >"$k/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$k/data
num.partitions=6
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.ms=1000
PROPS
    cat >"$k/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$k/kafka.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
    if [[ ! -f $k/data/meta.properties ]]; then
        kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
            -c "$k/server.properties" >/dev/null
    fi
    if ! kafka_up; then
        nohup bash -c "exec java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
            -Dlog4j.configuration=file:$k/log4j.properties -cp '$k/libs/*' kafka.Kafka $k/server.properties" \
            >"$k/stdout.log" 2>&1 &
        echo $! >"$k/kafka.pid"
    fi
    wait_for "Kafka" 90 kafka_up
    log "Kafka on 127.0.0.1:$KAFKA_PORT"
}

kafka_up() {
    # The broker answers once it has registered with its controller.
    grep -q "Kafka Server started\|\[BrokerServer id=1\] Transition from STARTING to STARTED" \
        "$DIR/kafka/kafka.log" 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/"$KAFKA_PORT") 2>/dev/null
}

stop_kafka() {
    local pidfile=$DIR/kafka/kafka.pid
    [[ -f $pidfile ]] || return 0
    local pid
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
    : >"$DIR/kafka/kafka.log"
}

services=("${@:2}")
((${#services[@]})) || services=(pg redis kafka)
case ${1:-} in
    install) install ;;
    start) for s in "${services[@]}"; do "start_$s"; done ;;
    stop) for ((i = ${#services[@]} - 1; i >= 0; i--)); do "stop_${services[i]}"; done ;;
    status)
        "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1 && echo "pg: up" || echo "pg: down"
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && echo "redis: up" || echo "redis: down"
        kafka_up && echo "kafka: up" || echo "kafka: down"
        ;;
    env)
        echo "export ROOMS_POSTGRES_DSN='postgresql://postgres@127.0.0.1:$PG_PORT/rooms'"
        echo "export ROOMS_REDIS_ADDRESS='127.0.0.1:$REDIS_PORT'"
        echo "export ROOMS_KAFKA_BROKERS='127.0.0.1:$KAFKA_PORT'"
        ;;
    *)
        echo "usage: $0 install|start|stop|status|env [pg|redis|kafka ...]" >&2
        exit 2
        ;;
esac
