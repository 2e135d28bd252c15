/**
 * What the wasm-bindgen exports need to speak like the Node package, added to the generated
 * classes in place: `execute(...args)` and `executeBuffer(...args)` taking rest arguments
 * (wasm-bindgen exports take an array), the Node package's JavaScript forms of the patterns
 * (disposable acquisitions, `withLock` …) from the same source files (bindings-node/lib, made
 * ES modules under pkg/lib by scripts/wasm-build.sh), arguments checked against the
 * declarations before they reach the module (a `TypeError` naming the parameter; a
 * Promise-returning method rejects, never throws), and — once the module is instantiated —
 * the Node package's error classes as the ones the module builds its errors with, so
 * `instanceof LockNotOwnedError` holds. Both entry points (web.mjs for browsers and edge
 * runtimes, node.mjs for Node) hand their generated module here.
 */
import { ofKind } from '../pkg/lib/errors.mjs'
import { method } from '../pkg/lib/dispose.mjs'
import SIGNATURES from '../pkg/lib/signatures.mjs'
import lock from '../pkg/lib/lock.mjs'
import semaphore from '../pkg/lib/semaphore.mjs'
import redlock from '../pkg/lib/redlock.mjs'
import cache from '../pkg/lib/cache.mjs'
import stream from '../pkg/lib/stream.mjs'
import pubsub from '../pkg/lib/pubsub.mjs'
import queue from '../pkg/lib/queue.mjs'

/** The Node package's JavaScript forms, each installed on the classes it names. */
const FORMS = [lock, semaphore, redlock, cache, stream, pubsub, queue]

/** Why `args` do not fit `params` (see scripts/wasm-signatures.mjs), or null. */
function misfit (where, params, args) {
  for (const [index, name, kind, optional] of params) {
    const arg = args[index]
    if (optional && (arg === undefined || arg === null)) continue
    if (typeof arg !== kind) return `${where}: ${name} must be a ${kind}, got ${arg === null ? 'null' : typeof arg}`
  }
  return null
}

/** Wraps each declared method: its arguments checked first, and a Promise-returning one
 * rejecting with what it would throw. */
function checkArguments (native) {
  for (const [owner, methods] of Object.entries(SIGNATURES)) {
    const Class = native[owner]
    for (const [name, [isAsync, params]] of Object.entries(methods)) {
      const base = Class?.prototype[name]
      if (typeof base !== 'function') continue
      const where = `${owner}.${name}`
      method(Class, name, { [name] (...args) {
        try {
          const wrong = misfit(where, params, args)
          if (wrong) throw Object.assign(new TypeError(wrong), { code: 'ERR_INVALID_ARG_TYPE' })
          return base.apply(this, args)
        } catch (e) {
          if (isAsync) return Promise.reject(e)
          throw e
        }
      } }[name])
    }
  }
}

/** Adds the JavaScript forms to the generated classes; returns `ready()`, to call once the
 * module is instantiated (it installs the error classes). */
export function surface (native) {
  method(native.Client, 'execute', function execute (...args) { return this.executeArgs(args) })
  method(native.Client, 'executeBuffer', function executeBuffer (...args) { return this.executeBufferArgs(args) })
  checkArguments(native)
  for (const form of FORMS) form.install(native)
  return () => native.setErrorFactory(ofKind)
}
