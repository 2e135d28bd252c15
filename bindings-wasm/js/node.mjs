/**
 * redkit-wasm for Node: the `nodejs` build of wasm-bindgen (which loads its module
 * synchronously from disk), with the package's JavaScript forms (surface.mjs).
 */
import native from '../pkg/nodejs/redkit_wasm.js'
import { surface } from './surface.mjs'

surface(native)()

export * from '../pkg/nodejs/redkit_wasm.js'
export * from './errors.mjs'
