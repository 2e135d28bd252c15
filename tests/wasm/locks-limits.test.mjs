/**
 * Locks, semaphores and rate limiters of the WebAssembly package in Node, beyond the shared
 * scenarios: the Node package's error classes (`instanceof`), option objects checked field by
 * field (TypeError naming the field, InvalidArgumentError for a wrong value), a Promise method
 * rejecting (not throwing) on a wrong argument, waits that end on the host's clock through the
 * package's cron, the JavaScript forms shared with the Node package (`withLock`,
 * `withPermit`, disposables for `await using`), and a LimiterSet built from limiters that stay usable.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as redkit from '../../bindings-wasm/js/node.mjs'

const { Simulator, LimiterSet, LockNotOwnedError, InvalidArgumentError, RedkitError } = redkit

test('lock: the Node package error classes, and options checked by field', async () => {
  const c = new Simulator({ manualClock: true }).client()
  const owner = c.lock('l', { ttl: 5000 })
  const other = c.lock('l')
  assert.equal((await owner.acquire()).fence, 1)
  const refused = await other.release().catch((e) => e)
  assert.ok(refused instanceof LockNotOwnedError && refused instanceof RedkitError)
  assert.equal(refused.code, 'ERR_REDKIT_LOCK_NOT_OWNED')
  assert.throws(() => c.lock('l', { ttl: 'soon' }), { name: 'TypeError', message: /lock options: ttl: invalid type: string "soon", expected a number/ })
  assert.throws(() => c.lock('l', { ttl: -1 }), (e) => e instanceof InvalidArgumentError && /ttl/.test(e.message))
  assert.throws(() => c.lock('l', 5000), { name: 'TypeError', message: 'lock options must be an object' })
  assert.throws(() => c.lock('l', { watchdog: 'yes' }), { name: 'TypeError', message: /watchdog: invalid type/ })
  // A Promise-returning method rejects on a wrong argument; it never throws.
  const bad = c.semaphore('s').release(42)
  assert.ok(bad instanceof Promise)
  await assert.rejects(bad, { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: 'Semaphore.release: token must be a string, got number' })
  assert.throws(() => c.lock(7), { name: 'TypeError', message: 'Client.lock: name must be a string, got number' })
  assert.throws(() => c.lock(), { name: 'TypeError', message: 'Client.lock: name must be a string, got undefined' })
})

test('lock: a blocked acquire ends on the host clock when the lease runs out', async () => {
  const c = new Simulator().client()
  const holder = c.lock('host', { ttl: 60 })
  assert.ok((await holder.acquire()).acquired)
  const started = Date.now()
  const waited = await c.lock('host').acquire(2000)
  assert.ok(waited.acquired)
  assert.ok(Date.now() - started >= 40, `acquired after ${Date.now() - started} ms`)
  assert.ok(Date.now() - started < 1500)
})

test('lock and semaphore: withLock, withPermit and await using from the Node package', async () => {
  const c = new Simulator({ manualClock: true }).client()
  const lock = c.lock('w')
  assert.equal(await lock.withLock(async (held) => held.fence + 100), 101)
  assert.equal(await lock.isLocked(), false)
  const held = await lock.acquire()
  assert.ok(held.acquired)
  assert.equal(await lock.isOwned(), true)
  await held[Symbol.asyncDispose]() // what `await using` calls at scope end
  assert.equal(await lock.isLocked(), false)
  const sem = c.semaphore('s', { permits: 2, lease: 1000 })
  assert.equal(await sem.withPermit(async () => sem.count()), 1)
  const a = await sem.acquire(0)
  const b = await sem.tryAcquire()
  const full = await sem.tryAcquire()
  assert.deepEqual([a.acquired, b.acquired, full.acquired], [true, true, false])
  assert.ok(full.retryAfter > 0)
  await sem.release(a.token)
  assert.equal(await sem.count(), 1)
})

test('limiter: decisions, option errors, and a set of limiters that stay usable', async () => {
  const sim = new Simulator({ manualClock: true })
  const c = sim.client()
  const perSecond = c.limiter('s', { algorithm: 'fixed_window', limit: 2, window: 1000 })
  const perMinute = c.limiter('m', { algorithm: 'gcra', limit: 3, window: 60000 })
  assert.deepEqual([perSecond.name, perSecond.algorithm, perSecond.limit, perSecond.window], ['s', 'fixed_window', 2, 1000])
  const d = await perSecond.consume('k')
  assert.deepEqual({ allowed: d.allowed, remaining: d.remaining, retryAfter: d.retryAfter }, { allowed: true, remaining: 1, retryAfter: 0 })
  assert.throws(() => c.limiter('x', { algorithm: 'leaky' }), (e) => e instanceof InvalidArgumentError && /unknown limiter algorithm "leaky"/.test(e.message))
  assert.throws(() => c.limiter('x', { limit: '5' }), { name: 'TypeError', message: /limiter options: limit: invalid type/ })
  await assert.rejects(perSecond.consume('k', -1), InvalidArgumentError)

  const set = new LimiterSet([perSecond, perMinute])
  assert.deepEqual(set.names, ['s', 'm'])
  const both = await set.consume('k')
  assert.equal(both.allowed, true)
  assert.equal(both.decisions.length, 2)
  const denied = await set.consume('k')
  assert.equal(denied.allowed, false)
  assert.ok(denied.retryAfter > 0)
  // The limiters given to the set still work on their own.
  assert.equal((await perMinute.peek('k')).allowed, true)
  sim.advance(1000)
  assert.equal((await set.consume('k')).allowed, true)
  assert.throws(() => new LimiterSet([{}]), { name: 'TypeError' })
  assert.deepEqual(set.limiters.map((l) => l.limit), [2, 3])
})

test('redlock over three simulators: a quorum survives one refusing, the clients stay usable', async () => {
  const masters = [0, 1, 2].map(() => new Simulator({ manualClock: true }))
  const clients = masters.map((m) => m.client())
  const rl = redkit.redlock(clients, 'r', { ttl: 5000, retryCount: 0 })
  assert.equal(rl.quorum, 2)
  masters[1].refuseConnections(true)
  masters[2].refuseConnections(true)
  assert.equal((await rl.acquire()).acquired, false)
  masters[1].refuseConnections(false)
  const held = await rl.acquire()
  assert.deepEqual([held.acquired, held.locked], [true, 2])
  assert.equal(await rl.release(), 2)
  // The clients lent their backends only: still theirs.
  assert.equal(await clients[0].execute('SET', 'k', 'v'), 'OK')
  assert.throws(() => redkit.redlock([{}], 'x'), { name: 'TypeError', message: 'redlock takes an array of Clients' })
  assert.throws(() => redkit.redlock(clients, 5), { name: 'TypeError' })
})
