#!/usr/bin/env bash
# Builds the core crate for wasm32-unknown-unknown with Debian's Rust (rustup cannot add targets
# here): the simulator must stay free of threads, sockets and tokio. See shared notes/toolchains.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
/usr/bin/cargo build -q -p redkit --no-default-features --release \
  --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --target-dir target/wasm
lib=target/wasm/wasm32-unknown-unknown/release/libredkit.rlib
test -s "$lib"
echo "wasm32 build of the core: ok ($(du -h "$lib" | cut -f1) rlib)"
