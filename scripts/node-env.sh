#!/usr/bin/env bash
# Builds the Node addon (bindings-node) with napi-rs's CLI, installing the root package.json's
# pinned devDependencies first when node_modules is missing or older than package-lock.json
# (`npm install`, which follows the lock: `npm ci` refuses this lock because npm leaves other
# platforms' optional packages of @napi-rs/cli's dependencies out of it, then asks for them).
# `--release` builds optimised (benchmarks); the default is the dev profile (tests). Under CI the
# generated loader and types (bindings-node/index.js, index.d.ts) and the list of asynchronous
# entry points drawn from the types (bindings-node/lib/async-methods.json) must equal the committed ones.
set -euo pipefail
cd "$(dirname "$0")/.."

release=()
[ "${1:-}" = "--release" ] && release=(--release)

if [ ! -x node_modules/.bin/napi ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund --loglevel=error
fi
(cd bindings-node && ../node_modules/.bin/napi build --platform "${release[@]}" >/dev/null)
node scripts/node-async-methods.mjs

generated=(bindings-node/index.js bindings-node/index.d.ts bindings-node/lib/async-methods.json)
if [ -n "${CI:-}" ] && ! git diff --quiet -- "${generated[@]}"; then
  git --no-pager diff --stat -- "${generated[@]}"
  echo "node-env: the generated ${generated[*]} are stale: run scripts/node-env.sh and commit them" >&2
  exit 1
fi
