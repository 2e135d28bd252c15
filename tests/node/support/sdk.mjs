/**
 * The package a JavaScript test runs against, chosen by `REDKIT_SDK`: `native` (default) the
 * Node package (bindings-node, the napi-rs addon), `wasm` the WebAssembly package
 * (bindings-wasm, built by scripts/wasm-build.sh). Tests that drive both through one API
 * (the shared scenarios, the playground's scenes) import it from here.
 */
import { createRequire } from 'node:module'

/** `native` or `wasm`. */
export const SDK = process.env.REDKIT_SDK ?? 'native'
if (!['native', 'wasm'].includes(SDK)) throw new Error(`REDKIT_SDK must be native or wasm, not ${SDK}`)

/** The selected package's exports. */
export const redkit = SDK === 'wasm'
  ? await import('../../../bindings-wasm/js/node.mjs')
  : createRequire(import.meta.url)('../../../bindings-node')
