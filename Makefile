# redkit task runner: CI calls the same targets (.ci/run → make test).
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: setup demo test lint test-rust wasm-check bench fmt

setup:
	./scripts/setup.sh

demo:
	$(CARGO) run -q --release -p redkit --example demo

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy -q --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -q --no-deps --workspace

test-rust:
	$(CARGO) test --workspace -- --show-output

wasm-check:
	./scripts/wasm-check.sh

test: setup lint test-rust wasm-check

bench:
	$(CARGO) run -q --release -p redkit-bench --bin engine
	$(CARGO) run -q --release -p redkit-bench --bin patterns

fmt:
	$(CARGO) fmt --all
