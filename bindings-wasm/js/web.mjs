/**
 * redkit-wasm for browsers and edge runtimes: the `web` build of wasm-bindgen, an ES module.
 * Call the default export once before anything else — `await init()` fetches
 * `redkit_wasm_bg.wasm` beside the module, or give it `{ module_or_path }` (bytes, a URL, a
 * compiled module) — or `initSync({ module })`, then use `Simulator` as in Node.
 */
import instantiate, * as native from '../pkg/web/redkit_wasm.js'
import { surface } from './surface.mjs'

const ready = surface(native)

/** Loads and instantiates the module (once; later calls resolve at once). */
export default async function init (...args) {
  const out = await instantiate(...args)
  ready()
  return out
}

/** `init` from bytes or a compiled module, synchronously. */
export function initSync (...args) {
  const out = native.initSync(...args)
  ready()
  return out
}

export * from '../pkg/web/redkit_wasm.js'
export * from './errors.mjs'
