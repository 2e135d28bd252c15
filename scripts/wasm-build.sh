#!/usr/bin/env bash
# Builds the WebAssembly package (bindings-wasm) into bindings-wasm/pkg/{web,nodejs}: the crate
# for wasm32-unknown-unknown with Debian's Rust and a rebuilt std (rustup cannot add targets
# here: see shared notes/toolchains.md) in the `wasm` profile (size first, panics abort), then
# wasm-bindgen for the `web` (ES module) and `nodejs` targets, then binaryen's wasm-opt (npm;
# Debian's is too old). Prints the module's size raw and gzipped beside the issue's target
# (≤ 600 KB raw, ≤ 200 KB gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."

# The files of bindings-node/lib the WebAssembly package shares (see scripts/esm-from-cjs.mjs).
SHARED_JS="errors dispose lock semaphore redlock cache stream pubsub queue"

export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
/usr/bin/cargo build -q -p redkit-wasm --profile wasm \
  --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort --target-dir target/wasm
built=target/wasm/wasm32-unknown-unknown/wasm/redkit_wasm.wasm

if [ ! -x node_modules/.bin/wasm-opt ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi

for target in web nodejs; do
  out=bindings-wasm/pkg/$target
  rm -rf "$out"
  wasm-bindgen --target "$target" --out-dir "$out" "$built"
  node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals "$out/redkit_wasm_bg.wasm" -o "$out/redkit_wasm_bg.wasm"
done
# Options and results are declared once, by the Node package (scripts/wasm-types.mjs).
node scripts/wasm-types.mjs bindings-wasm/pkg/{web,nodejs}/redkit_wasm.d.ts
# The package is ESM ("type": "module"); the nodejs build is CommonJS.
echo '{ "type": "commonjs" }' > bindings-wasm/pkg/nodejs/package.json

# The Node package's JavaScript forms (errors, disposables, withLock …) as ES modules: one
# source for both packages (js/surface.mjs installs them), with their declarations.
rm -rf bindings-wasm/pkg/lib
node scripts/esm-from-cjs.mjs bindings-wasm/pkg/lib $(printf 'bindings-node/lib/%s.js ' $SHARED_JS)
cp bindings-node/lib/errors.d.ts bindings-wasm/pkg/lib/errors.d.mts
# The methods' signatures, checked before a call reaches the module (scripts/wasm-signatures.mjs).
node scripts/wasm-signatures.mjs bindings-wasm/pkg/web/redkit_wasm.d.ts bindings-wasm/pkg/lib/signatures.mjs

module=bindings-wasm/pkg/web/redkit_wasm_bg.wasm
raw=$(stat -c %s "$module")
gz=$(gzip -9 -c "$module" | wc -c)
kb() { echo "$(( ($1 + 512) / 1024 )) KB"; }
verdict=ok
[ "$raw" -gt $((600 * 1024)) ] || [ "$gz" -gt $((200 * 1024)) ] && verdict=ABOVE
echo "wasm package: redkit_wasm_bg.wasm $(kb "$raw") raw, $(kb "$gz") gzipped (target ≤ 600 KB / ≤ 200 KB: $verdict)"
