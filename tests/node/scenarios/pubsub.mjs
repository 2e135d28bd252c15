/**
 * Scenario adapters for pub/sub (pubsub.json), after tests/python/scenarios/messaging.py: the
 * adapter keeps what a scenario opens by name — subscriptions (`subscribe` / `psubscribe` with
 * `as`, adding to that subscription if it exists; `next` / `next_json` and `unsubscribe` /
 * `punsubscribe` with `subscription`) and requesters (`requester` with `as`; `request` with
 * `requester`) — and closes them at the end of the scenario.
 *
 * Responders (`serve`, `served`, `resubscribed`, `stop`) need a JavaScript handler called from
 * the core, which waits for the binding's callback module: those methods are listed in
 * `PENDING`, and scenarios using them run as todos.
 */
import { Adapter, options, register } from './adapters.mjs'
import { Mismatch } from './matcher.mjs'

class PubSubAdapter extends Adapter {
  /** Methods the Node binding does not offer yet. */
  static PENDING = new Set(['serve', 'served', 'resubscribed', 'stop'])

  /** `new pubsub {prefix}`: `client.pubsub({ prefix })` (no name). */
  static async construct (kind, args, world) {
    const client = await world.client()
    return new this(client.pubsub(options(args)), world)
  }

  constructor (obj, world) {
    super(obj, world)
    this.subscriptions = new Map()
    this.requesters = new Map()
  }

  /** End of the scenario: closes the subscriptions and requesters it left open. */
  async close () {
    for (const s of [...this.subscriptions.values(), ...this.requesters.values()]) await s.close()
    this.subscriptions.clear()
    this.requesters.clear()
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
