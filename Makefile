# redkit task runner: CI calls the same targets (.ci/run → make test).
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup demo playground test lint test-rust test-python test-node test-wasm wasm-check bench fmt

setup:
	./scripts/setup.sh

# The playground (bindings-wasm/www) served read-only on 127.0.0.1 by scripts/serve-static.mjs:
# it prints the URL and serves until Ctrl-C, or for PLAYGROUND_SECONDS seconds when set;
# PLAYGROUND_PORT picks the port (default: a free one).
SERVE_PLAYGROUND = node scripts/serve-static.mjs --root bindings-wasm --allow www/,js/,pkg/web/,pkg/lib/ --open www/ \
  --port $${PLAYGROUND_PORT:-0} $${PLAYGROUND_SECONDS:+--seconds $$PLAYGROUND_SECONDS}

# The terminal demo (the simulator and every pattern in-process), then the playground in the
# browser: the WebAssembly package built (setup installs its toolchain on a fresh machine) and served.
demo: setup
	$(CARGO) run -q --release -p redkit --example demo
	./scripts/wasm-build.sh
	$(SERVE_PLAYGROUND)

# The playground alone (no terminal demo).
playground: setup
	./scripts/wasm-build.sh
	$(SERVE_PLAYGROUND)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets --features redkit/server -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps --workspace --features redkit/server

# The core's `server` feature (redkit-server) is off by default; its tests (core/tests/server.rs,
# redis-cli, redis-benchmark and raw sockets against it) run with the feature turned on here.
test-rust:
	$(CARGO) test --workspace --features redkit/server -- --show-output

wasm-check:
	./scripts/wasm-check.sh

# The Python package: built into target/python-venv, its tests (simulator and a redis-server of
# their own), the fakeredis-style module again on that redis-server through the pytest plugin's
# --redkit-backend=redis, and the stubs checked against the module with mypy's stubtest.
test-python:
	PY=$$(./scripts/python-env.sh) && \
	  $$PY -m pytest tests/python -q -p no:cacheprovider && \
	  $$PY -m pytest tests/python/test_fakeredis_style.py -q -p no:cacheprovider --redkit-backend=redis && \
	  $$PY -m mypy.stubtest redkit --allowlist bindings-python/stubtest-allowlist.txt

# The Node package: the addon built by napi-rs (generated loader and types checked current
# under CI), a typed usage file through tsc, then node:test over tests/node (scenarios on the
# simulator and on a redis-server of its own, and the JS surface).
test-node:
	./scripts/node-env.sh
	./node_modules/.bin/tsc -p tests/node/types/tsconfig.json
	mkdir -p target && node --test --test-reporter=dot --test-reporter-destination=stdout \
	  --test-reporter=tap --test-reporter-destination=target/node-tests.tap tests/node/; \
	  status=$$?; grep -E '^# (tests|pass|fail|todo)' target/node-tests.tap | tr '\n' ' '; echo; exit $$status

# The WebAssembly package: built for wasm32 (web and nodejs targets, wasm-opt, sizes printed),
# its declarations type-checked over a usage file, then the shared scenarios on its simulator
# through the Node runner (REDKIT_SDK=wasm) and its own tests. (wasm-check, the core alone for
# wasm32, is part of this build.)
test-wasm:
	./scripts/wasm-build.sh
	./node_modules/.bin/tsc -p tests/wasm/types/tsconfig.json
	mkdir -p target && REDKIT_SDK=wasm node --test --test-reporter=dot --test-reporter-destination=stdout \
	  --test-reporter=tap --test-reporter-destination=target/wasm-tests.tap tests/node/scenarios.test.mjs tests/wasm/; \
	  status=$$?; grep -E '^# (tests|pass|fail|todo)' target/wasm-tests.tap | tr '\n' ' '; echo; exit $$status

test: setup lint test-rust test-python test-node test-wasm

# Benchmarks: Rust, then redis-benchmark against redkit-server beside redis-server (ratios), then
# Python, then Node (the release addon against the npm anchors pinned in
# bench/node/package.json; that directory is no workspace of the root package, so make test never
# installs them; `npm install` follows its lock, as scripts/node-env.sh explains).
bench:
	$(CARGO) run -q --release -p redkit-bench --bin engine
	$(CARGO) run -q --release -p redkit-bench --bin patterns
	bench/server/run.sh
	PY=$$(./scripts/python-env.sh --release) && $$PY bench/python/run.py
	./scripts/node-env.sh --release
	if [ ! -d bench/node/node_modules ] || [ bench/node/package-lock.json -nt bench/node/node_modules/.package-lock.json ]; then \
	  (cd bench/node && npm install --no-audit --no-fund --loglevel=error); fi
	node bench/node/run.mjs

fmt:
	$(CARGO) fmt --all
