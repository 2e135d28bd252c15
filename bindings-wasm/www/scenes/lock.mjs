/**
 * One lock contended by N simulated clients, each with its own connection and owner token.
 * A client tries the lock (`tryAcquire`, then retries after a jittered pause), works while
 * holding it, writes its result to a fenced store and releases. Some holders crash (they never
 * release: the lease frees the lock) and some stall past their lease (a GC pause): their late
 * write carries an old fencing token and the store refuses it, and their release is refused.
 *
 * Returns each hold (who, fence, when, how it ended), each refused try, each write with whether
 * the store took it, per-client counts, and the checks: one holder at a time, fences strictly
 * increasing, and no write accepted from a holder whose fence was already superseded.
 */
import { around, check, readParams, seeded, virtualClock } from './support.mjs'

export const lock = {
  id: 'lock',
  title: 'Lock + fencing',
  tagline: 'A lock contended by N clients; crashes, stalls and fencing tokens',
  requires: ['lock'],
  params: [
    { name: 'clients', label: 'Clients', min: 1, max: 12, default: 4 },
    { name: 'ttl', label: 'Lease (ms)', min: 20, max: 10000, default: 400, step: 10 },
    { name: 'work', label: 'Work while held (ms)', min: 5, max: 5000, default: 150, step: 5 },
    { name: 'retry', label: 'Retry after (ms)', min: 5, max: 2000, default: 60, step: 5 },
    { name: 'crash', label: 'Holder crashes (%)', min: 0, max: 100, default: 10 },
    { name: 'stall', label: 'Holder stalls past lease (%)', min: 0, max: 100, default: 10 },
    { name: 'duration', label: 'Duration (ms)', min: 100, max: 30000, default: 4000, step: 100 },
    { name: 'seed', label: 'Seed', min: 0, max: 999999, default: 7 }
  ],
  run: runLock
}

async function runLock (redkit, given) {
  const params = readParams(lock.params, given)
  const random = seeded(params.seed)
  const clock = virtualClock(redkit)
  const clients = Array.from({ length: params.clients }, (_, i) => ({
    name: `client-${i + 1}`,
    handle: clock.sim.client().lock('play:lock', { ttl: params.ttl })
  }))
  const agenda = clients.map((c, i) => ({ t: i, client: c, what: 'try' }))
  const store = { highest: 0 }
  const holds = []
  const denied = []
  const writes = []
  for (let steps = 0; agenda.length && steps < 100_000; steps++) {
    agenda.sort((a, b) => a.t - b.t)
    const next = agenda.shift()
    if (next.t >= params.duration) break
    clock.advanceTo(next.t)
    const t = next.t
    const c = next.client
    if (next.what === 'try') {
      const a = await c.handle.tryAcquire()
      if (!a.acquired) {
        denied.push({ t, client: c.name })
        agenda.push({ t: t + around(random, params.retry), client: c, what: 'try' })
        continue
      }
      const hold = { client: c.name, fence: a.fence, at: t, step: steps, leaseEnd: t + params.ttl, end: null, endedAt: null }
      holds.push(hold)
      writes.push(fencedWrite(store, hold, t, steps, 'start'))
      agenda.push(fate(random, params, c, hold, t))
    } else if (next.what === 'crash') {
      next.hold.end = 'crashed'
      next.hold.crashedAt = t
      next.hold.endedAt = next.hold.leaseEnd
      agenda.push({ t: next.hold.leaseEnd + around(random, params.retry), client: c, what: 'try' })
    } else {
      writes.push(fencedWrite(store, next.hold, t, steps, 'commit'))
      const released = await release(c.handle)
      next.hold.end = released ? 'released' : 'lease lost'
      next.hold.endedAt = released ? t : next.hold.leaseEnd
      next.hold.workedUntil = t
      agenda.push({ t: t + around(random, params.retry), client: c, what: 'try' })
    }
  }
  for (const h of holds.filter((h) => h.end === null)) {
    h.end = 'held at end'
    h.endedAt = Math.min(h.leaseEnd, params.duration)
  }
  const counts = lockCounts(clients, holds, denied, writes)
  return { scene: 'lock', params, duration: params.duration, holds, denied, writes, counts, checks: lockChecks(holds, writes) }
}

/** What happens to a fresh hold: finished in time, stalled past the lease, or crashed. */
function fate (random, params, client, hold, t) {
  const roll = random() * 100
  if (roll < params.crash) return { t: t + around(random, params.work, 0.2, 0.9), client, hold, what: 'crash' }
  const work = roll < params.crash + params.stall
    ? params.ttl + around(random, params.work, 0.3, 1.2)
    : around(random, params.work)
  return { t: t + work, client, hold, what: 'finish' }
}

/** The store refuses a write whose fence is older than the newest it has seen. */
function fencedWrite (store, hold, t, step, kind) {
  const accepted = hold.fence >= store.highest
  if (accepted) store.highest = hold.fence
  return { t, step, client: hold.client, fence: hold.fence, kind, accepted }
}

/** Releases; false when the lease had run out and the lock was no longer ours. */
async function release (handle) {
  try {
    await handle.release()
    return true
  } catch (e) {
    if (e?.kind === 'lock_not_owned' || e?.name === 'LockNotOwnedError') return false
    throw e
  }
}

function lockCounts (clients, holds, denied, writes) {
  const row = (name) => {
    const mine = (list) => (name ? list.filter((x) => x.client === name) : list)
    const h = mine(holds)
    return {
      acquired: h.length,
      denied: mine(denied).length,
      released: h.filter((x) => x.end === 'released').length,
      crashed: h.filter((x) => x.end === 'crashed').length,
      leaseLost: h.filter((x) => x.end === 'lease lost').length,
      writesAccepted: mine(writes).filter((w) => w.accepted).length,
      writesRefused: mine(writes).filter((w) => !w.accepted).length
    }
  }
  const counts = {}
  for (const c of clients) counts[c.name] = row(c.name)
  counts.all = { ...row(null), maxHolders: maxHolders(holds), lastFence: holds.at(-1)?.fence ?? 0 }
  return counts
}

/** The most holds whose real ownership ([at, endedAt)) overlaps at any instant. */
function maxHolders (holds) {
  const edges = holds.flatMap((h) => [[h.at, 1], [h.endedAt, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let most = 0
  for (const [, d] of edges) most = Math.max(most, (now += d))
  return most
}

function lockChecks (holds, writes) {
  const fences = holds.map((h) => h.fence)
  const increasing = fences.every((f, i) => i === 0 || f > fences[i - 1])
  const most = maxHolders(holds)
  const stale = writes.filter((w) => w.accepted && holds.some((h) => h.fence > w.fence && h.step < w.step))
  return [
    check('one-holder', 'Never two holders at once', most <= 1, `at most ${most} at a time`),
    check('fences', 'Fencing tokens strictly increase', increasing, fences.length ? `${fences[0]} … ${fences.at(-1)}` : 'no holds'),
    check('stale-writes', 'No write accepted after a newer fence was issued', stale.length === 0,
      `${writes.filter((w) => !w.accepted).length} stale writes refused`)
  ]
}
