/**
 * Scenario adapters for pub/sub (pubsub.json), after tests/python/scenarios/messaging.py: the
 * adapter keeps what a scenario opens by name — subscriptions (`subscribe` / `psubscribe` with
 * `as`, adding to that subscription if it exists; `next` / `next_json` and `unsubscribe` /
 * `punsubscribe` with `subscription`), requesters (`requester` with `as`; `request` with
 * `requester`) and responders (`serve` with `service` and a canned `handler`: `echo`; `add`,
 * which takes `{"a": int, "b": int}` and refuses any other body with a SerializationError;
 * `fail`, which throws InvalidArgumentError; `slow`, which answers its body after `delay_ms` of
 * backend time — then `served`, `resubscribed` and `stop`) — and closes them at the end.
 */
import { Adapter, options, register } from './adapters.mjs'
import { Mismatch } from './matcher.mjs'

/** The canned responder handlers (see the module docs). */
function canned (name, world, delayMs, redkit) {
  const handlers = {
    echo: (body) => body,
    add: (body) => {
      const ok = body !== null && typeof body === 'object' && ['a', 'b'].every((k) => Number.isInteger(body[k]))
      if (!ok) throw new redkit.SerializationError(`expected {"a": int, "b": int}, got ${JSON.stringify(body)}`)
      return body.a + body.b
    },
    fail: () => { throw new redkit.InvalidArgumentError('refused by the handler') },
    slow: async (body) => {
      await world.sleep(delayMs)
      return body
    }
  }
  if (!(name in handlers)) throw new Mismatch(`unknown handler ${name}`)
  return handlers[name]
}

class PubSubAdapter extends Adapter {
  /** `new pubsub {prefix}`: `client.pubsub({ prefix })` (no name). */
  static async construct (kind, args, world) {
    const client = await world.client()
    return new this(client.pubsub(options(args)), world)
  }

  constructor (obj, world) {
    super(obj, world)
    this.subscriptions = new Map()
    this.requesters = new Map()
    this.responders = new Map()
  }

  /** End of the scenario: stops the responders and closes what it left open. */
  async close () {
    for (const r of this.responders.values()) await r.stop()
    for (const s of [...this.subscriptions.values(), ...this.requesters.values()]) await s.close()
    this.responders.clear()
    this.subscriptions.clear()
    this.requesters.clear()
  }

  responder (service) {
    const r = this.responders.get(service)
    if (!r) throw new Mismatch(`no responder named ${service}`)
    return r
  }

  async do_serve ({ service, handler, delay_ms: delay = 0 }) {
    this.responders.set(service, await this.obj.serve(service, canned(handler, this.world, delay, this.world.redkit)))
  }

  async do_served ({ service }) {
    return this.responder(service).served
  }

  async do_resubscribed ({ service }) {
    return this.responder(service).resubscribed
  }

  async do_stop ({ service }) {
    await this.responder(service).stop()
    this.responders.delete(service)
  }

  subscription (name) {
    const sub = this.subscriptions.get(name)
    if (!sub) throw new Mismatch(`no subscription named ${name}`)
    return sub
  }

  async open (name, items, patterns) {
    const sub = this.subscriptions.get(name)
    if (sub) return patterns ? sub.psubscribe(items) : sub.subscribe(items)
    this.subscriptions.set(name, await (patterns ? this.obj.psubscribe(items) : this.obj.subscribe(items)))
  }

  async do_subscribe ({ channels, as }) {
    await this.open(as, channels, false)
  }

  async do_psubscribe ({ patterns, as }) {
    await this.open(as, patterns, true)
  }

  async do_unsubscribe ({ subscription, channels }) {
    await this.subscription(subscription).unsubscribe(channels)
  }

  async do_punsubscribe ({ subscription, patterns }) {
    await this.subscription(subscription).punsubscribe(patterns)
  }

  async do_next ({ subscription, timeout_ms: timeout }) {
    return this.subscription(subscription).nextMessage(timeout)
  }

  async do_next_json ({ subscription, timeout_ms: timeout }) {
    const m = await this.subscription(subscription).nextMessage(timeout)
    return m === null ? null : { channel: m.channel, pattern: m.pattern, data: m.json() }
  }

  async do_requester ({ service, as }) {
    const r = await this.obj.requester(service)
    this.requesters.set(as, r)
    return r.replyChannel
  }

  async do_request ({ timeout_ms: timeout, body = null, service, requester }) {
    if (requester !== undefined) return this.requesters.get(requester).request(body, timeout)
    return this.obj.request(service, body, timeout)
  }
}

register('pubsub', PubSubAdapter)
