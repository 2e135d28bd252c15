/**
 * What the wasm-bindgen exports need to speak like the Node package, added to the generated
 * classes in place: `execute(...args)` and `executeBuffer(...args)` taking rest arguments
 * (wasm-bindgen exports take an array), the Node package's JavaScript forms of the patterns
 * (disposable acquisitions, `withLock` …) from the same source files (bindings-node/lib, made
 * ES modules under pkg/lib by scripts/wasm-build.sh), and — once the module is instantiated —
 * the Node package's error classes as the ones the module builds its errors with, so
 * `instanceof LockNotOwnedError` holds. Both entry points (web.mjs for browsers and edge
 * runtimes, node.mjs for Node) hand their generated module here.
 */
import { ofKind } from '../pkg/lib/errors.mjs'
import { method } from '../pkg/lib/dispose.mjs'
import lock from '../pkg/lib/lock.mjs'

/** The Node package's JavaScript forms, each installed on the classes it names. */
const FORMS = [lock]

/** Adds the JavaScript forms to the generated classes; returns `ready()`, to call once the
 * module is instantiated (it installs the error classes). */
export function surface (native) {
  method(native.Client, 'execute', function execute (...args) { return this.executeArgs(args) })
  method(native.Client, 'executeBuffer', function executeBuffer (...args) { return this.executeBufferArgs(args) })
  for (const form of FORMS) form.install(native)
  return () => native.setErrorFactory(ofKind)
}
