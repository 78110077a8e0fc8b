# Zerolag: `make run` serves it, `make test` runs every test. Both install what is missing
# first (once), so they work on a fresh Debian machine that has only the Rust toolchain.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

CARGO_LEPTOS_VERSION := 0.3.10
TANSU_VERSION := 0.6.0
WASM_BINDGEN_VERSION := 0.2.130
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)

# wasm-opt comes from npm's binaryen (Debian's is too old: its output never hydrates).
export PATH := $(CURDIR)/tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export LEPTOS_SITE_ROOT ?= target/site

ARGS ?=


.PHONY: cluster bench-fanout-cluster
.PHONY: console-bundle
.PHONY: run test tools test-tools tools-postgres tools-redis tools-nginx tools-kafka lint unit e2e release size bench bench-postgres bench-idle bench-fanout bench-bets bench-http bench-interactive bench-smoke clean-data

run: tools release
	@echo "==> Zerolag starting at http://127.0.0.1:3000 (data in ./data; Ctrl-C stops it)"
	./target/release/zerolag $(ARGS)

test: tools test-tools tools-postgres tools-redis tools-nginx tools-kafka lint unit release size e2e bench-smoke

lint:
	@echo "==> formatting and lints (clippy -D warnings; functions over 70 lines are refused)"
	cargo fmt --check
	cargo clippy --locked -p protocol -p engine -p zerolag -p app -p bench --all-targets -- -D warnings
	cargo clippy --locked -p app -p frontend --features app/hydrate --target wasm32-unknown-unknown -- -D warnings
	cargo clippy --locked -p app -p console-frontend --features app/hydrate,app/console --target wasm32-unknown-unknown -- -D warnings

unit: tools-postgres tools-redis tools-nginx tools-kafka
	@echo "==> unit, property and integration tests (real server on port 0, fresh databases; SQLite, and a private PostgreSQL, Redis and Kafka-compatible broker)"
	tools/with-postgres.sh tools/with-redis.sh cargo test -p protocol -p engine -p app -p zerolag --locked

release:
	@echo "==> building the release server and WASM front end"
	@# A fresh bundle directory: only this build's content-named files, on any machine.
	rm -rf $(LEPTOS_SITE_ROOT)/pkg
	cargo leptos build --release --precompress
	$(MAKE) --no-print-directory console-bundle
	@echo "==> recompressing the bundle with gzip -9 (the build's brotli copies stay as they are)"
	gzip -9 --keep --force $(LEPTOS_SITE_ROOT)/pkg/*.wasm $(LEPTOS_SITE_ROOT)/pkg/*.js $(LEPTOS_SITE_ROOT)/pkg/*.css

# The operator console's own bundle: the app with its console pages (console-frontend), linked
# by /admin pages only, so players never download it (app/src/shell.rs). Built, bound and
# optimised as cargo-leptos does the players' one, named after its content; the server reads
# the names from target/release/console-hash.txt.
CONSOLE_WASM := target/front/wasm32-unknown-unknown/wasm-release/console_frontend.wasm
CONSOLE_OUT := target/console-bundle
console-bundle:
	@echo "==> building the operator console's bundle"
	cargo build --locked -p console-frontend --lib --target wasm32-unknown-unknown --profile wasm-release --target-dir target/front
	rm -rf $(CONSOLE_OUT) && mkdir -p $(CONSOLE_OUT)
	wasm-bindgen --target web --no-typescript --out-dir $(CONSOLE_OUT) --out-name zerolag-console $(CONSOLE_WASM)
	wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int $(CONSOLE_OUT)/zerolag-console_bg.wasm -o $(CONSOLE_OUT)/zerolag-console.wasm
	@js=$$(sha256sum $(CONSOLE_OUT)/zerolag-console.js | cut -c1-16); \
	wasm=$$(sha256sum $(CONSOLE_OUT)/zerolag-console.wasm | cut -c1-16); \
	cp $(CONSOLE_OUT)/zerolag-console.js $(LEPTOS_SITE_ROOT)/pkg/zerolag-console.$$js.js; \
	cp $(CONSOLE_OUT)/zerolag-console.wasm $(LEPTOS_SITE_ROOT)/pkg/zerolag-console.$$wasm.wasm; \
	printf 'js: %s\nwasm: %s\n' $$js $$wasm > target/release/console-hash.txt; \
	echo "==> console bundle, gzipped: $$(gzip -9 -c $(CONSOLE_OUT)/zerolag-console.wasm | wc -c) B wasm + $$(gzip -9 -c $(CONSOLE_OUT)/zerolag-console.js | wc -c) B js (only /admin pages load it)"

# The browser bundle's budget: the wasm and js of the release build, gzipped (-9), in bytes.
# `make test` fails when the bundle grows past it (measured 487,314 on 2026-11-28, 523,529 with
# the chat panel, 527,941 with presence, 571,099 with public profiles, 624,729 with leaderboards,
# 667,491 with notifications, 679,857 once the operator console's pages moved to a bundle of
# their own (838,726 with them; players keep the admin flag and the dashboard's event type);
# the goal is 200 KiB, see docs/benchmarks.md).
BUNDLE_GZ_BYTES_MAX := 684000

size:
	@hash() { sed -n "s/^$$1: *//p" target/release/hash.txt; }; \
	wasm=$$(gzip -9 -c $(LEPTOS_SITE_ROOT)/pkg/zerolag.$$(hash wasm).wasm | wc -c); \
	js=$$(gzip -9 -c $(LEPTOS_SITE_ROOT)/pkg/zerolag.$$(hash js).js | wc -c); \
	total=$$((wasm + js)); \
	echo "==> browser bundle, gzipped: $$wasm B wasm + $$js B js = $$total B (budget $(BUNDLE_GZ_BYTES_MAX) B)"; \
	if [ "$$total" -gt "$(BUNDLE_GZ_BYTES_MAX)" ]; then \
		echo "The browser bundle grew past its budget of $(BUNDLE_GZ_BYTES_MAX) bytes gzipped."; \
		echo "Find what added weight (a new dependency in app/ or protocol/?) or raise the budget in the Makefile with a reason."; \
		exit 1; fi

e2e: test-tools tools-postgres tools-redis tools-nginx tools-kafka
	@echo "==> end-to-end tests in Debian's Chromium (Playwright): one node, then a cluster (two nodes behind nginx)"
	cd end2end && npx playwright test
	@cd end2end && node summary.js
	cd end2end && npx playwright test -c playwright.cluster.config.ts
	@cd end2end && node summary.js test-results/cluster-results.json

bench:
	@echo "==> ledger benchmark (durable dice bets through the engine)"
	cargo run --release -p bench --locked -- ledger

# The same on PostgreSQL (a private server with fsync and synchronous_commit on), one node and
# two nodes sharing the database.
bench-postgres: tools-postgres
	tools/with-postgres.sh --durable sh -c 'cargo run --release -p bench --locked -- ledger --database-url "$$ZEROLAG_TEST_POSTGRES" $(LEDGER_ARGS)'
	tools/with-postgres.sh --durable sh -c 'cargo run --release -p bench --locked -- ledger --database-url "$$ZEROLAG_TEST_POSTGRES" --nodes 2 $(LEDGER_ARGS)'

LEDGER_ARGS ?=

bench-idle: release
	@echo "==> server memory per idle WebSocket connection (a fresh release server)"
	cargo build --release -p bench --locked
	bench/with-server.sh idle --url ws://{addr}/ws --pid {pid} --connections 2000

# Side by side: Zerolag, npm `ws` and socket.io, each pinned to core 0 with the load generator on
# core 1, alternating (docs/benchmarks.md). BENCH_CLIENTS, BENCH_SECONDS and BENCH_ROUNDS tune it.
BENCH_CLIENTS ?= 2000
BENCH_SECONDS ?= 20
BENCH_ROUNDS ?= 2

bench-fanout: release bench/peers/node_modules/.installed
	cargo build --release -p bench --locked
	bench/fanout.sh $(BENCH_CLIENTS) $(BENCH_SECONDS) $(BENCH_ROUNDS)

# The same ticks to clients of a node that does not drive the game (through Redis), next to one
# that does (in-process); docs/benchmarks.md.
bench-fanout-cluster: release tools-postgres tools-redis
	cargo build --release -p bench --locked
	tools/with-postgres.sh tools/with-redis.sh bench/fanout-cluster.sh $(BENCH_CLIENTS) $(BENCH_SECONDS) $(BENCH_ROUNDS)

# Dice bets over real WebSockets at a fixed rate (BENCH_RATE a second, BENCH_PLAYERS players,
# BENCH_SECONDS); the server pinned to core 0, the players to core 1.
BENCH_RATE ?= 1000
BENCH_PLAYERS ?= 200

bench-bets: release
	cargo build --release -p bench --locked
	bench/with-server.sh bets --addr {addr} --pid {pid} \
		--players $(BENCH_PLAYERS) --rate $(BENCH_RATE) --seconds $(BENCH_SECONDS)

# Pages and a server function over kept-alive connections: one connection, then 32.
HTTP_PATHS := --path / --path /crash --path /register --path POST:{server-fn} --path /api/rounds/crash

bench-http: release
	cargo build --release -p bench --locked
	bench/with-server.sh http --addr {addr} $(HTTP_PATHS) --connections 1 --seconds 10
	bench/with-server.sh http --addr {addr} $(HTTP_PATHS) --connections 32 --seconds 10

# Time to interactive of each game's first page in Chromium, CPU 4x slower, Fast 3G (reported).
bench-interactive: release test-tools
	bench/with-server.sh --run node end2end/perf/interactive.mjs http://{addr} 3

# What `make test` runs so the harness keeps working: a few clients for two seconds per server.
bench-smoke: release test-tools bench/peers/node_modules/.installed
	@echo "==> benchmark harness smoke (not a benchmark: 20 clients, 2 s per server; 5 players betting for 2 s; each page for 1 s; each page opened once in a throttled Chromium)"
	cargo build --release -p bench --locked
	bench/fanout.sh 20 2 1 --strict
	bench/with-server.sh bets --addr {addr} --pid {pid} --players 5 --rate 20 --seconds 2
	bench/with-server.sh http --addr {addr} $(HTTP_PATHS) --seconds 1
	bench/with-server.sh --run node end2end/perf/interactive.mjs http://{addr} 1

bench/peers/node_modules/.installed: bench/peers/package.json bench/peers/package-lock.json
	@echo "==> installing the benchmark's peer servers (npm ws and socket.io)"
	cd bench/peers && npm ci --no-audit --no-fund
	touch $@

tools: tools/node_modules/.installed
	@if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then \
		echo "==> installing the wasm32-unknown-unknown target"; \
		rustup target add wasm32-unknown-unknown; fi
	@if ! cargo leptos --version 2>/dev/null | grep -q "$(CARGO_LEPTOS_VERSION)"; then \
		echo "==> installing cargo-leptos $(CARGO_LEPTOS_VERSION) (once; about 15 minutes on 2 cores)"; \
		cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked; fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -q "$(WASM_BINDGEN_VERSION)"; then \
		echo "==> installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (once; a few minutes)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi

tools/node_modules/.installed: tools/package.json tools/package-lock.json
	@echo "==> installing wasm-opt (npm binaryen)"
	cd tools && npm ci --no-audit --no-fund
	touch $@

test-tools: end2end/node_modules/.installed
	@if ! command -v chromium >/dev/null; then \
		echo "==> installing Chromium from Debian"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; fi

end2end/node_modules/.installed: end2end/package.json end2end/package-lock.json
	@echo "==> installing Playwright (uses Debian's Chromium; downloads no browser)"
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# The scaled-out topology on this machine: a private PostgreSQL and Redis, two nodes and nginx
# (deploy/nginx.conf) in front of them at http://127.0.0.1:$(CLUSTER_PORT); Ctrl-C stops it all.
CLUSTER_PORT ?= 8080

cluster: tools tools-postgres tools-redis tools-nginx tools-kafka release
	tools/with-postgres.sh --durable tools/with-redis.sh tools/cluster.sh ./target/release/zerolag $(CLUSTER_PORT)

# PostgreSQL for the tests of the scaled-out mode (Debian's package; the tests run a private
# server of their own in a temporary directory, never the package's). `make run` never needs it.
tools-postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "==> installing PostgreSQL from Debian (for the tests of the scaled-out mode)"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; fi

# Redis for the tests of the scaled-out mode (Debian's package; the tests run a private server
# of their own on a free port, never the package's). `make run` never needs it.
tools-redis:
	@if ! command -v redis-server >/dev/null; then \
		echo "==> installing Redis from Debian (for the tests of the scaled-out mode)"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq redis-server; fi

# nginx for the load balancer's tests (Debian's package; the tests run their own instance from a
# temporary directory with deploy/nginx.conf, never the package's). `make run` never needs it.
tools-nginx:
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		echo "==> installing nginx from Debian (for the load balancer's tests)"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx-light; fi

# A Kafka-compatible broker for the export's tests and `make cluster`: tansu (crates.io), with
# in-memory storage; each test starts its own on a free port. `make run` never needs it.
tools-kafka:
	@if ! tansu --version 2>/dev/null | grep -qx "tansu $(TANSU_VERSION)"; then \
		echo "==> installing tansu $(TANSU_VERSION), a Kafka-compatible broker, for the export's tests (once; about 10 minutes on 2 cores)"; \
		cargo install tansu --version $(TANSU_VERSION) --features dynostore --locked; fi

clean-data:
	rm -rf data
