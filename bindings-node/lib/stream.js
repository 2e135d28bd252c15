'use strict'
/**
 * The stream's JavaScript form: `stream.iterate({ group, consumer, ... })`, a bounded async
 * iterator of entries over a consumer group (new entries of the group) or a tail (entries after
 * `after`). Each read waits up to `block` ms of the backend's time; the iteration ends when a
 * read finds nothing, after `max` entries, or on `break` / `return()` — never with a read left
 * pending. With `ack: true` an entry is acked once the loop asks for the next one, so an entry
 * the loop broke on (and the rest of its batch) stays pending for `readOwnPending` or
 * `claimIdle`.
 *
 * Every entry a method returns has `json()`: the event `addJson` wrote, decoded; `ack` takes
 * entries as well as ids.
 */

const { SerializationError } = require('./errors.js')

/** The field `addJson` writes an event to. */
const EVENT_FIELD = 'data'

/** What every entry shares: its decoder. */
const ENTRY = {
  /** The event this entry carries (written by `addJson`), decoded; SerializationError if it
   * has none or it does not parse. */
  json () {
    const raw = this.fields[EVENT_FIELD]
    if (raw === undefined) throw new SerializationError(`entry ${this.id} has no "${EVENT_FIELD}" field`)
    try {
      return JSON.parse(raw)
    } catch (e) {
      throw new SerializationError(`entry ${this.id}: ${e.message}`)
    }
  }
}

const entry = (e) => Object.setPrototypeOf(e, ENTRY)

/** Methods resolving to entries, and where in the result they are. */
const RETURNING = {
  range: (r) => r.forEach(entry),
  revRange: (r) => r.forEach(entry),
  tail: (r) => r.forEach(entry),
  readGroup: (r) => r.forEach(entry),
  readOwnPending: (r) => r.forEach(entry),
  deadLetters: (r) => r.forEach(entry),
  claimIdle: (r) => r.entries.forEach(entry)
}

const OPTIONS = new Set(['group', 'consumer', 'block', 'max', 'count', 'after', 'ack'])

/** The entries, one by one (see the module docs). */
async function * entries (stream, { group, consumer, block, max, count, after, ack }) {
  let yielded = 0
  let cursor = after
  while (yielded < max) {
    const want = Math.min(count, max - yielded)
    const batch = group === undefined
      ? await stream.tail(cursor, want, block)
      : await stream.readGroup(group, consumer, want, block)
    if (batch.length === 0) return
    for (const entry of batch) {
      cursor = entry.id
      yielded++
      yield entry
      if (ack) await stream.ack(group, entry.id)
      if (yielded >= max) return
    }
  }
}

function install ({ Stream }) {
  for (const [name, mark] of Object.entries(RETURNING)) {
    const base = Stream.prototype[name]
    Object.defineProperty(Stream.prototype, name, {
      value: { async [name] (...args) { const r = await base.apply(this, args); mark(r); return r } }[name],
      writable: true,
      configurable: true
    })
  }
  const baseAck = Stream.prototype.ack
  const idOf = (x) => (x !== null && typeof x === 'object' && typeof x.id === 'string' ? x.id : x)
  Object.defineProperty(Stream.prototype, 'ack', {
    /** Acks ids or entries (`stream.ack(group, entries)`). */
    value: function ack (group, ids) {
      return baseAck.call(this, group, Array.isArray(ids) ? ids.map(idOf) : idOf(ids))
    },
    writable: true,
    configurable: true
  })
  Object.defineProperty(Stream.prototype, 'iterate', {
    /** A bounded async iterator of entries (see the module docs); options are checked now. */
    value: function iterate (options = {}) {
      if (options === null || typeof options !== 'object') throw new TypeError('iterate options must be an object')
      for (const k of Object.keys(options)) if (!OPTIONS.has(k)) throw new TypeError(`iterate: unknown option ${k}`)
      const { group, consumer, block = 0, max = Infinity, count = 10, after = '$', ack = false } = options
      if ((group === undefined) !== (consumer === undefined)) throw new TypeError('iterate needs both group and consumer, or neither')
      if (ack && group === undefined) throw new TypeError('ack: true needs a group and a consumer')
      for (const [name, v] of [['block', block], ['max', max], ['count', count]]) {
        if (typeof v !== 'number' || Number.isNaN(v) || v < 0) throw new TypeError(`iterate: ${name} must be a number ≥ 0`)
      }
      return entries(this, { group, consumer, block, max, count, after, ack: Boolean(ack) })
    },
    writable: true,
    configurable: true
  })
}

module.exports = { install }
