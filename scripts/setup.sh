#!/usr/bin/env bash
# Installs what the test suites need on a fresh Debian machine, and only what is missing:
# redis-server 7.0 with redis-cli and redis-benchmark (differential tests, the cluster test,
# the benchmarks), openssl (certificates for the TLS test), Debian's Rust with its std source
# (the wasm32 build of the core), Chromium (the browser test), Python's venv, Node.js with npm,
# rustfmt and clippy. Safe to run again: it checks before
# installing.
set -euo pipefail

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v redis-cli >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 || need_apt+=(redis-tools)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
# Python 3.9+ with venv and pip (the Python package's tests build into their own virtualenv).
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv python3-pip)
# Node.js 18+ with npm (the Node package; napi-rs's CLI and TypeScript come from npm).
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
# Chromium for the WebAssembly package's browser test (driven by playwright-core from npm).
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
for pkg in rustc-web cargo-web rust-web-src rust-web-llvm lld-22; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${need_apt[@]}"
fi

# The Debian package may start a system redis on 6379; the tests never use it (they start their
# own on free ports), so it is left alone.

# wasm-bindgen's CLI, at exactly the version of the wasm-bindgen crate in Cargo.lock (the two must
# match): it turns the WebAssembly build into the JS package (scripts/wasm-build.sh). Built from
# crates.io (~3.5 min once); its own lockfile is not used (--locked asks for a crate this index lacks).
wasm_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if [ -n "$wasm_bindgen" ] && [ "$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$wasm_bindgen" ]; then
  echo "setup: installing wasm-bindgen-cli $wasm_bindgen"
  cargo install -q wasm-bindgen-cli --version "=$wasm_bindgen" --force
fi

# rustfmt and clippy ship with the machine's rustup toolchain; add them only if truly missing.
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
echo "setup: ok (redis-server $(redis-server --version | sed -E 's/.*v=([0-9.]+).*/\1/'), wasm rustc $(/usr/bin/rustc --version | cut -d' ' -f2))"
