#!/usr/bin/env bash
# Installs everything Rooms needs to build, run and test: Debian packages with apt-get and npm packages.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG_PREFIX=setup
. scripts/lib.sh

DEB_PACKAGES=(
    build-essential cmake ninja-build ccache pkg-config git curl ca-certificates python3 iproute2
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libsqlite3-dev libsodium-dev libssl-dev zlib1g-dev
    libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev
    libpq-dev libhiredis-dev librdkafka-dev libicu-dev prometheus-cpp-dev prometheus
    libgtest-dev libgmock-dev libbenchmark-dev
    libncurses-dev tmux openssl
    clang libclang-rt-14-dev clang-format clang-tidy
    chromium fonts-noto-color-emoji libnss3-tools certbot rsyslog
)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || DEB_PACKAGES+=(nodejs npm)
apt_install "${DEB_PACKAGES[@]}"

# npm packages: newman runs the Postman collection.
if [[ ! -x tests/postman/node_modules/.bin/newman ]] || [[ tests/postman/package-lock.json -nt tests/postman/node_modules/.package-lock.json ]]; then
    echo "setup: installing npm packages in tests/postman"
    (cd tests/postman && npm ci --no-audit --no-fund --loglevel=error)
fi
# npm packages of the web UI (React, Vite, vitest, playwright-core driving Debian's chromium).
if [[ ! -d web/node_modules/.bin ]] || [[ web/package-lock.json -nt web/node_modules/.package-lock.json ]]; then
    echo "setup: installing npm packages in web"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: done"
