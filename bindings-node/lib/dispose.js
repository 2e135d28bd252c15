'use strict'
/**
 * What the disposable patterns (lock, semaphore, redlock) share: a result that knows how to
 * give back what it holds on `Symbol.asyncDispose` (`await using`), and methods added or
 * wrapped on an addon class's prototype.
 */

/** Makes `result` call `release()` on `Symbol.asyncDispose` when `result.acquired`; not an
 * enumerable field, so the result still looks like the core's. */
function disposable (result, release) {
  Object.defineProperty(result, Symbol.asyncDispose, {
    value: async () => { if (result.acquired) await release() }
  })
  return result
}

/** Sets `Class.prototype[name]` to `fn` as a method (non-enumerable, like the addon's own). */
function method (Class, name, fn) {
  Object.defineProperty(Class.prototype, name, { value: fn, writable: true, configurable: true })
}

/** Wraps the async methods `names` of `Class` so each result passes through
 * `settle(handle, result)` (which makes it disposable). */
function settleResults (Class, names, settle) {
  for (const name of names) {
    const base = Class.prototype[name]
    method(Class, name, { async [name] (...args) { return settle(this, await base.apply(this, args)) } }[name])
  }
}

module.exports = { disposable, method, settleResults }
