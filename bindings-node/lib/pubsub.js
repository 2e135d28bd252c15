'use strict'
/**
 * Pub/sub's JavaScript forms: a message has `text()` and `json()` (failing with
 * SerializationError, as the core's decoders do); a subscription is an async iterator of its
 * messages (`for await (const msg of sub)` until it is closed; `sub.listen({ timeout, max })`
 * ends earlier) and, like a requester, disposable (`await using sub = await ps.subscribe(...)`
 * closes it). Leaving a loop does not close the subscription: `close()` does, and wakes every
 * pending read, so nothing is left keeping Node alive. `serve(service, handler)` hands the addon
 * the handler wrapped so that its failure arrives as an error kind and message (see
 * src/pubsub.rs); a responder is disposable too (`await using` stops it).
 */

const { RedkitError, SerializationError, TimeoutError } = require('./errors.js')

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

/** What a requester gets for a handler's thrown value `e`: its kind and message. */
function failure (e) {
  if (e instanceof RedkitError) return { kind: e.kind, message: e.message }
  if (e instanceof TypeError || e instanceof RangeError) return { kind: 'invalid_argument', message: e.message }
  if (e instanceof Error) return { kind: 'reply', message: `${e.name}: ${e.message}` }
  return { kind: 'reply', message: String(e) }
}

/** `handler` answering `{ ok }` or `{ error }` (never throwing), as src/pubsub.rs reads it. */
function outcomes (handler) {
  if (typeof handler !== 'function') throw new TypeError('serve: the handler must be a function')
  return async (body) => {
    try {
      return { ok: await handler(body) }
    } catch (e) {
      return { error: failure(e) }
    }
  }
}

function define (proto, name, value) {
  Object.defineProperty(proto, name, { value, writable: true, configurable: true })
}

function install ({ PubSub, Subscription, Requester, Responder }) {
  const nativeServe = PubSub.prototype.serve
  define(PubSub.prototype, 'serve', async function serve (service, handler) {
    return nativeServe.call(this, service, outcomes(handler))
  })
  define(Responder.prototype, Symbol.asyncDispose, function () { return this.stop() })
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
