'use strict'
/**
 * Pub/sub's JavaScript forms: a message has `text()` and `json()` (failing with
 * SerializationError, as the core's decoders do); a subscription is an async iterator of its
 * messages (`for await (const msg of sub)` until it is closed; `sub.listen({ timeout, max })`
 * ends earlier) and, like a requester, disposable (`await using sub = await ps.subscribe(...)`
 * closes it). Leaving a loop does not close the subscription: `close()` does, and wakes every
 * pending read, so nothing is left keeping Node alive.
 */

const { SerializationError, TimeoutError } = require('./errors.js')

const decoder = new TextDecoder('utf-8', { fatal: true })

/** What every message shares: its decoders. */
const MESSAGE = {
  /** The payload as UTF-8 text; SerializationError if it is not. */
  text () {
    try {
      return decoder.decode(this.payload)
    } catch (e) {
      throw new SerializationError(`the payload is not UTF-8: ${e.message}`)
    }
  },
  /** The payload parsed as JSON; SerializationError if it does not parse. */
  json () {
    try {
      return JSON.parse(this.text())
    } catch (e) {
      throw e instanceof SerializationError ? e : new SerializationError(e.message)
    }
  }
}

const message = (m) => (m === null ? m : Object.setPrototypeOf(m, MESSAGE))

/** Messages of `sub` until it is closed, after `max`, or after `timeout` ms without one. */
async function * messages (sub, timeout, max) {
  for (let left = max; left > 0; left--) {
    let m
    try {
      m = await sub.nextMessage(timeout)
    } catch (e) {
      if (timeout !== undefined && e instanceof TimeoutError) return
      throw e
    }
    if (m === null) return
    yield m
  }
}

function define (proto, name, value) {
  Object.defineProperty(proto, name, { value, writable: true, configurable: true })
}

function install ({ Subscription, Requester }) {
  const next = Subscription.prototype.nextMessage
  define(Subscription.prototype, 'nextMessage', async function nextMessage (...args) {
    return message(await next.apply(this, args))
  })
  define(Subscription.prototype, 'listen', function listen (options = {}) {
    const { timeout, max = Infinity } = options ?? {}
    if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout >= 0))) throw new TypeError('listen: timeout must be a number of ms ≥ 0')
    if (typeof max !== 'number' || !(max >= 0)) throw new TypeError('listen: max must be a number ≥ 0')
    return messages(this, timeout, max)
  })
  define(Subscription.prototype, Symbol.asyncIterator, function () { return messages(this, undefined, Infinity) })
  define(Subscription.prototype, Symbol.asyncDispose, function () { return this.close() })
  define(Requester.prototype, Symbol.asyncDispose, function () { return this.close() })
}

module.exports = { install }
