/**
 * redkit-wasm for browsers and edge runtimes: the `web` build of wasm-bindgen, an ES module.
 * Call the default export once before anything else — `await init()` fetches
 * `redkit_wasm_bg.wasm` beside the module, or give it the module's bytes or a URL — then use
 * `Simulator` as in Node.
 */
import init, * as native from '../pkg/web/redkit_wasm.js'
import { surface } from './surface.mjs'

export default init
export { initSync } from '../pkg/web/redkit_wasm.js'
export const { Client, Simulator } = surface(native)
