/**
 * The cache through the Node API on the simulator and on a redis-server of its own: values as
 * JSON (Buffers, Dates), getOrSet's single flight, loader errors reaching every caller as the
 * same object, callbacks that misbehave, tags/prefix/namespace invalidation, write-through,
 * write-behind with a background drainer, the local tier, cache.wrap, and argument errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { withBackends } from './support/backends.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, connect, InvalidArgumentError, ConnectionError } = redkit

const backends = withBackends()

/** Polls `check` every 10 ms until it is truthy (at most `ms`). */
async function until (check, ms = 3000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await sleep(10)
  }
}

for (const [backend, make] of Object.entries(backends)) {
  describe(`cache on ${backend}`, () => {
    test('set/get/delete keep JSON values, Buffers as Buffers, Dates as ISO strings', async () => {
      const cache = (await make()).cache('values', { ttl: 10_000 })
      const value = { n: 1, list: [1, 'two', null], nested: { ok: true }, bytes: Buffer.from([0, 255, 7]), at: new Date(0) }
      await cache.set('k', value)
      assert.deepEqual(await cache.get('k'), { ...value, at: '1970-01-01T00:00:00.000Z' })
      await cache.set('raw', Buffer.from('hi'), 5000)
      assert.deepEqual(await cache.get('raw'), Buffer.from('hi'))
      assert.equal(await cache.get('missing'), null)
      assert.equal(await cache.delete('k'), true)
      assert.equal(await cache.delete('k'), false)
      assert.equal(cache.name, 'values')
      assert.equal(cache.ttl, 10_000)
      assert.deepEqual(cache.stats(), { hits: 2, misses: 1, loads: 0, stale: 0, earlyRefreshes: 0, localHits: 0, coalesced: 0, waited: 0 })
    })

    test('getOrSet: 50 concurrent callers on a cold key call the loader once', async () => {
      const cache = (await make()).cache('flight', { ttl: 10_000 })
      let calls = 0
      const loader = async () => { calls++; await sleep(30); return { id: 7 } }
      const got = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('user:7', loader)))
      assert.equal(calls, 1)
      assert.ok(got.every((v) => v.id === 7))
      assert.deepEqual(await cache.getOrSet('user:7', () => { throw new Error('not called') }), { id: 7 })
      const s = cache.stats()
      assert.equal(s.loads, 1)
      assert.equal(s.coalesced, 49)
      assert.equal(calls, 1)
    })

    test('a loader error reaches every caller as the very object thrown, and is not cached', async () => {
      const cache = (await make()).cache('errors', { ttl: 10_000 })
      class DbDown extends Error {}
      const thrown = new DbDown('db down')
      thrown.detail = { host: 'db1' }
      const results = await Promise.allSettled(Array.from({ length: 10 }, () =>
        cache.getOrSet('k', async () => { await sleep(20); throw thrown })))
      for (const r of results) {
        assert.equal(r.status, 'rejected')
        assert.equal(r.reason, thrown)
      }
      // a synchronous throw, a rejected Promise, a redkit error: each as itself
      await assert.rejects(cache.getOrSet('k', () => { throw thrown }), (e) => e === thrown)
      await assert.rejects(cache.getOrSet('k', () => Promise.reject(thrown)), (e) => e === thrown)
      const plain = { reason: 'not an Error' }
      await assert.rejects(cache.getOrSet('k', () => { throw plain }), (e) => e === plain)
      await assert.rejects(cache.getOrSet('k', () => Promise.reject('text')), (e) => e === 'text')
      const mine = new ConnectionError('upstream')
      await assert.rejects(cache.getOrSet('k', async () => { throw mine }), (e) => e === mine)
      assert.equal(await cache.get('k'), null)
      assert.equal(await cache.getOrSet('k', () => 3), 3)
    })

    test('a loader returning what JSON cannot hold rejects with TypeError, never crashes', async () => {
      const cache = (await make()).cache('bad', { ttl: 10_000 })
      const cycle = {}
      cycle.self = cycle
      await assert.rejects(cache.getOrSet('a', () => cycle), TypeError)
      await assert.rejects(cache.getOrSet('b', async () => 10n), TypeError)
      await assert.rejects(cache.getOrSet('c', () => ({ $bytes: 'x' })), TypeError)
      assert.equal(await cache.getOrSet('d', () => undefined), null, 'undefined is no value')
      await assert.rejects(cache.getOrSet('e', () => () => 1), { name: 'TypeError', message: 'a function has no JSON form' })
      // wrong arguments reject, as every other failure of an async method does
      await assert.rejects(cache.set('f', cycle), TypeError)
      await assert.rejects(cache.getOrSet('g', 'not a function'), TypeError)
      await assert.rejects(cache.getOrSet('h', () => 1, { tags: 'x' }), TypeError)
      assert.equal(await cache.getOrSet('i', () => 5), 5, 'the cache still works')
    })

    test('tags, prefixes and the whole namespace invalidate', async () => {
      const cache = (await make()).cache('inv', { ttl: 10_000 })
      await cache.set('user:1', 1, { tags: ['users'] })
      await cache.set('user:2', 2)
      await cache.set('order:1', 3, { ttl: 5000, tags: ['orders'] })
      assert.equal(await cache.getOrSet('user:3', () => 4, { tags: ['users'] }), 4)
      assert.equal(await cache.invalidateTag('users'), 2)
      assert.equal(await cache.get('user:1'), null)
      assert.equal(await cache.get('user:2'), 2)
      assert.equal(await cache.invalidatePrefix('user:'), 1)
      assert.equal(await cache.get('order:1'), 3)
      assert.equal(await cache.invalidateAll(), 1)
      assert.equal(await cache.get('order:1'), null)
    })

    test('write-through calls the sink first; a throwing sink drops the key and rejects with its error', async () => {
      const cache = (await make()).cache('wt', { ttl: 10_000 })
      const db = []
      await cache.writeThrough('k', { a: 1 }, async (writes) => { db.push(...writes) })
      assert.deepEqual(db, [{ key: 'k', value: { a: 1 }, deleted: false }])
      assert.deepEqual(await cache.get('k'), { a: 1 })
      const down = new Error('sink down')
      await assert.rejects(cache.writeThrough('k', 2, () => { throw down }), (e) => e === down)
      assert.equal(await cache.get('k'), null)
    })

    test('write-behind: drainBehind reports, a background drainer delivers until stopped', async () => {
      const cache = (await make()).cache('wb', { ttl: 10_000 })
      await cache.writeBehind('a', 1)
      assert.equal(await cache.deleteBehind('a'), true)
      let fail = true
      const db = []
      const sink = (writes) => {
        if (fail) { fail = false; throw new Error('flaky') }
        db.push(...writes)
      }
      assert.deepEqual(await cache.drainBehind(sink, { retryAfter: 30 }), { written: 0, retried: 0, failed: 2, deadLettered: 0, error: 'flaky' })
      await sleep(40)
      const report = await cache.drainBehind(sink, { retryAfter: 30, batch: 10 })
      assert.equal(report.written, 2)
      assert.deepEqual(db, [{ key: 'a', value: 1, deleted: false }, { key: 'a', value: null, deleted: true }])
      const drainer = cache.spawnDrainer(async (writes) => { db.push(...writes) }, { poll: 10 })
      await cache.writeBehind('b', 'two')
      await until(() => db.length === 3)
      drainer.stop()
      assert.deepEqual(db[2], { key: 'b', value: 'two', deleted: false })
      await assert.rejects(cache.drainBehind(sink, { batch: 0 }), InvalidArgumentError)
      assert.throws(() => cache.spawnDrainer(sink, { poll: 0 }), InvalidArgumentError)
    })

    test('a local tier serves repeats from memory', async () => {
      const client = await make()
      const cache = client.cache('local', { ttl: 10_000, localCapacity: 10 })
      await sleep(50) // the tier fills once its invalidation subscription is up
      await cache.set('k', 'v')
      assert.equal(await cache.get('k'), 'v')
      assert.equal(await cache.get('k'), 'v')
      assert.equal(cache.localLen(), 1)
      assert.ok(cache.stats().localHits >= 1)
      cache.close()
      assert.equal(cache.localLen(), 0)
      await assert.rejects(cache.get('k'), InvalidArgumentError)
      assert.equal(await client.cache('local', { ttl: 10_000 }).get('k'), 'v', 'closing keeps the entries')
    })

    test('wrap memoises an async function by its arguments', async () => {
      const cache = (await make()).cache('wrap', { ttl: 10_000 })
      let calls = 0
      async function price (sku, opts) { calls++; return { sku, currency: opts?.currency ?? 'EUR' } }
      const cached = cache.wrap(price)
      assert.equal(cached.key('A1', { z: 1, a: 2 }), 'price:["A1",{"a":2,"z":1}]')
      assert.equal(cached.key('A1'), cached.key('A1', undefined))
      assert.deepEqual(await cached('A1'), { sku: 'A1', currency: 'EUR' })
      assert.deepEqual(await cached('A1', undefined), { sku: 'A1', currency: 'EUR' })
      await cached('A1', { currency: 'USD' })
      assert.equal(calls, 2)
      assert.deepEqual(await Promise.all(Array.from({ length: 20 }, () => cached('B2'))).then((r) => r.length), 20)
      assert.equal(calls, 3, 'concurrent calls share one run')
      assert.equal(await cached.invalidate('A1'), true)
      await cached('A1')
      assert.equal(calls, 4)
      assert.equal(await cached.invalidateAll(), 3)
      const byId = cache.wrap(async (user) => user.id * 2, { name: 'double', key: (user) => `user:${user.id}`, tags: (user) => [`u${user.id}`] })
      assert.equal(await byId({ id: 4, f () {} }), 8)
      assert.equal(await cache.invalidateTag('u4'), 1)
      assert.throws(() => cached.key(() => 1), TypeError)
      assert.throws(() => cache.wrap(async () => 1), TypeError, 'an anonymous function needs a name or key')
      const nottl = (await make()).cache('nottl')
      assert.throws(() => nottl.wrap(price), TypeError)
    })

    test('options are checked', async () => {
      const client = await make()
      assert.throws(() => client.cache('c', { beta: -1 }), InvalidArgumentError)
      assert.throws(() => client.cache('a{b'), InvalidArgumentError)
      assert.throws(() => client.cache('c', { lockTtl: -5 }), InvalidArgumentError)
      const nottl = client.cache('c')
      await assert.rejects(nottl.set('k', 1), TypeError)
      await assert.rejects(nottl.set(1, 1, 100), TypeError)
    })
  })
}

test('cache on a manual clock: entries expire when time is advanced', async () => {
  const sim = new Simulator({ manualClock: true })
  const cache = sim.client().cache('clock', { ttl: 1000 })
  await cache.set('k', 1)
  sim.advance(999)
  assert.equal(await cache.get('k'), 1)
  sim.advance(2)
  assert.equal(await cache.get('k'), null)
})

test('a drainer whose sink keeps throwing never crashes the process', async () => {
  const cache = new Simulator().client().cache('crash', { ttl: 10_000 })
  let calls = 0
  const drainer = cache.spawnDrainer(() => { calls++; throw new Error('always') }, { poll: 5, retryAfter: 5 })
  await cache.writeBehind('k', 1)
  await until(() => calls >= 3)
  drainer.stop()
})

test('a sink whose worker thread is gone is an error for the drainer, not a crash', async () => {
  const { Worker } = await import('node:worker_threads')
  const addon = createRequire(import.meta.url).resolve('../../bindings-node')
  const code = `
    const redkit = require(${JSON.stringify(addon)})
    const cache = new redkit.Simulator().client().cache('gone', { ttl: 10000 })
    cache.spawnDrainer(() => { throw new Error('sink') }, { poll: 5, retryAfter: 5 })
    cache.writeBehind('k', 1).then(() => require('node:worker_threads').parentPort.postMessage('ready'))
  `
  const worker = new Worker(code, { eval: true })
  await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject) })
  await sleep(30)
  await worker.terminate()
  await sleep(100) // the drainer keeps calling a sink whose environment is gone
  const cache = new Simulator().client().cache('after', { ttl: 1000 })
  assert.equal(await cache.getOrSet('k', () => 'still alive'), 'still alive')
})
