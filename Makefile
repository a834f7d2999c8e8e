# Rooms: `make run` runs the product, `make test` runs every test tier. Both install what they need.
SHELL := /bin/bash
PRESET ?= release
LISTEN ?= 0.0.0.0:8080
DATA_DIR ?= ./data
# ccache shared between checkouts in different folders (CI clones anew): paths relative to the tree.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all setup build build-server build-rooms build-web run test test-lint test-unit test-e2e test-tui test-postman \
	test-web test-integration test-bench test-fuzz test-cluster test-sanitizers test-tls test-deploy test-kube lint docs \
	cluster-up cluster-down services-up services-down bench bench-smoke bench-peers clean

all: build

## Install every Debian and npm package the project needs (idempotent; sudo when not root).
setup:
	@./scripts/setup.sh

## Build everything: the server, the test suites, the benchmarks (build/) and the web UI (web/dist).
build: build-server build-web

build-server:
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET)

## Only the server binary (build/rooms): what `make run` needs.
build-rooms:
	@cmake --preset $(PRESET) >/dev/null
	@cmake --build --preset $(PRESET) --target rooms

build-web:
	@if [[ -f web/package.json ]]; then \
		cd web && { [[ -d node_modules ]] || npm ci --no-audit --no-fund --loglevel=error; } && npm run --silent build; \
	fi

## Run the all-in-one server on http://localhost:8080 with its data under ./data.
run: setup build-rooms build-web
	./build/rooms serve --listen $(LISTEN) --data-dir $(DATA_DIR)

## Every test tier: unit, end-to-end against the real binary, Postman/newman, web unit and browser tests.
test: setup build
	@./scripts/test.sh

test-lint test-unit test-e2e test-tui test-postman test-web test-integration test-bench test-fuzz test-cluster test-sanitizers: build
	@./scripts/test.sh $(@:test-%=%)

## The Helm chart, Flux, workflows and OpenTofu (static; needs build/rooms for the config check), and the chart
## on a local Kubernetes control plane. Tools are built once into ~/.cache/rooms (scripts/tools.sh).
test-deploy: build-server
	@./scripts/test.sh deploy

test-kube:
	@./scripts/test.sh kube

## rooms serve over TLS with a certificate from a local ACME server (pebble + certbot), the e2e and browser
## suites over https/wss, certificate reload on SIGHUP, nginx's HTTPS server (tests/tls/run.sh).
test-tls: build
	@./scripts/test.sh tls

## The distributed topology on loopback: PostgreSQL, Redis, Kafka, 2 websocket + 2 consumer, nginx on :8080.
cluster-up: setup build
	@./scripts/cluster.sh up

cluster-down:
	@./scripts/cluster.sh down

## Load test (bench/loadgen): the standard set against the all-in-one server, or the cluster with CLUSTER=1;
## writes bench/results/latest.md (latest-cluster.md). See docs/BENCHMARKS.md.
bench: setup build
	@CLUSTER=$(CLUSTER) ./scripts/bench.sh

## Every bench scenario for ~2 s at a low rate; fails unless all delivered with 0 missing and 0 errors.
bench-smoke: setup build
	@CLUSTER=$(CLUSTER) ./scripts/bench.sh --smoke

## Rooms against Centrifugo v6.9.1 (scripts/tools.sh builds it once) with the same generator, A B A B, ~10 min;
## writes bench/results/peers.md. PEERS_RUNS, PEERS_DURATION, PEERS_CONNECTIONS...: see scripts/bench-peers.sh.
bench-peers: setup build
	@./scripts/bench-peers.sh

## clang-format and clang-tidy as `make test` runs them; `make lint FIX=1` reformats the tree first.
lint:
	@cmake --preset $(PRESET) >/dev/null
	@./scripts/lint.sh $(if $(FIX),--fix)

## Regenerate what docs/ takes from the code (the settings tables of docs/CONFIGURATION.md).
docs: build-rooms
	@./scripts/gen-docs.sh

## Only PostgreSQL, Redis and Kafka (for the integration tests).
services-up:
	@./scripts/services.sh install && ./scripts/services.sh start

services-down:
	@./scripts/services.sh stop

clean:
	rm -rf build build-debug build-asan build-tsan web/dist
