# syntax=docker/dockerfile:1
# The `rooms` image: one binary for every role (all | websocket | consumer), the PostgreSQL migrations and
# the web UI; the image of docker-compose.yaml and of the Helm chart (deploy/helm/rooms, whose appVersion is
# its tag). Build from the repository root:
#   docker build -t rooms:local .
# Run the all-in-one server (SQLite and a generated JWT key in the /data volume):
#   docker run --rm -p 8080:8080 -v rooms-data:/data rooms:local
# The distributed topology (PostgreSQL, Redis, Kafka, gateways, consumers, nginx): deploy/README.md.

ARG DEBIAN_IMAGE=debian:bookworm
ARG DEBIAN_SLIM_IMAGE=debian:bookworm-slim
# The web build needs Node.js >= 20.19 (web/package.json); Debian 12's nodejs is 18.
ARG NODE_IMAGE=node:20-bookworm

# ---- web UI: web/dist ---------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build && test -f dist/index.html

# ---- server: build/rooms ------------------------------------------------------------------------------------
FROM ${DEBIAN_IMAGE} AS build
# scripts/setup.sh's Debian packages, less what only the tests need (GoogleTest, chromium, fonts).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake ninja-build ccache pkg-config git curl ca-certificates \
        libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
        libsqlite3-dev libsodium-dev libssl-dev \
        libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev \
        libpq-dev libhiredis-dev librdkafka-dev prometheus-cpp-dev libicu-dev libncurses-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what the server build reads: with ROOMS_BUILD_TESTS=OFF, CMake never looks at tests/.
COPY CMakeLists.txt CMakePresets.json ./
COPY src/ src/
# Parallel jobs: ninja's default (cores + 2) unless BUILD_JOBS is set, e.g. --build-arg BUILD_JOBS=2 on a
# machine short of memory.
ARG BUILD_JOBS=
ENV CCACHE_DIR=/ccache
RUN --mount=type=cache,target=/ccache \
    cmake --preset release -DROOMS_BUILD_TESTS=OFF \
 && cmake --build --preset release --target rooms ${BUILD_JOBS:+--parallel "$BUILD_JOBS"} \
 && strip --strip-debug build/rooms \
 && ./build/rooms version

# ---- runtime ------------------------------------------------------------------------------------------------
FROM ${DEBIAN_SLIM_IMAGE} AS runtime
# The shared libraries build/rooms links (readelf -d: NEEDED) and curl for the health check.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates curl \
        libboost-json1.81.0 libboost-url1.81.0 \
        libsqlite3-0 libsodium23 libssl3 \
        libspdlog1.10 libfmt9 libyaml-cpp0.7 \
        libpq5 libhiredis0.14 librdkafka1 libprometheus-cpp-core1.0 libicu72 libncursesw6 \
 && rm -rf /var/lib/apt/lists/*

ARG ROOMS_UID=10001
RUN useradd --system --uid "$ROOMS_UID" --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin rooms \
 && mkdir -p /data \
 && chown rooms:rooms /data \
 && chmod 0750 /data

# The binary looks for its migrations at <exe>/../share/rooms/migrations/postgres, i.e. here.
COPY migrations/postgres/ /usr/local/share/rooms/migrations/postgres/
# The web UI: beside the binary it would be looked for at /usr/local/web/dist, so name it explicitly.
COPY --from=web /src/web/dist/ /usr/local/share/rooms/web/
COPY --from=build /src/build/rooms /usr/local/bin/rooms
# Fails the build if a runtime library is missing.
RUN rooms version

ENV ROOMS_HTTP_STATIC_DIR=/usr/local/share/rooms/web \
    ROOMS_DATA_DIR=/data

LABEL org.opencontainers.image.title="rooms" \
      org.opencontainers.image.description="Rooms: a real-time rooms messenger (C++20)" \
      org.opencontainers.image.licenses="MIT"

USER rooms
WORKDIR /data
VOLUME /data
EXPOSE 8080
# Liveness of the default command (port 8080). The consumer role answers on its own listen address:
# deploy/docker-compose.yaml sets the check per service. On Kubernetes the chart's probes (/readyz, /healthz on
# each role's port) take its place, and the chart runs the image as this uid 10001 with a read-only root file
# system: rooms writes only to /data and /tmp, which the chart mounts as emptyDirs.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1
# Role all: API, WebSocket gateway, web UI and SQLite storage in one process.
CMD ["rooms", "serve", "--listen", "0.0.0.0:8080", "--data-dir", "/data"]
