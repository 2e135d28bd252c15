/**
 * The WebAssembly package's cache and session store beyond what the shared scenarios check:
 * the JavaScript callbacks (a loader resolving, returning a plain value, returning undefined,
 * throwing or rejecting — what it throws reaches every caller sharing the load as itself — and
 * a sink throwing), options of the wrong type (a TypeError naming the field) or value
 * (InvalidArgumentError), arguments of the wrong type (a rejection, never a synchronous throw),
 * session secrets as a string or a Uint8Array, ids from the CSPRNG, and the host's clock (a
 * drainer's poll and a session's idle TTL run in real time).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import * as wasm from '../../bindings-wasm/js/node.mjs'

const { Simulator, Cache, SessionStore, ConnectionError, InvalidArgumentError, NotFoundError } = wasm

/** A client of a fresh simulator on a manual clock. */
const client = () => new Simulator({ manualClock: true, start: 1_000_000 }).client()

/** Lets pending Promise jobs and wasm-bindgen's tasks run. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 1))

test('loaders: async or plain, undefined is "no value", concurrent callers share one load', async () => {
  const cache = client().cache('c', { ttl: 60_000 })
  assert.ok(cache instanceof Cache)
  assert.equal(cache.name, 'c')
  assert.equal(cache.ttl, 60_000)
  assert.deepEqual(await cache.getOrSet('plain', () => ({ n: 1, list: [1, 'a', null] })), { n: 1, list: [1, 'a', null] })
  assert.deepEqual(await cache.get('plain'), { n: 1, list: [1, 'a', null] })
  assert.equal(await cache.getOrSet('async', async () => { await tick(); return 'v' }, 1000), 'v')
  assert.equal(await cache.get('async'), 'v')

  let loads = 0
  const none = async () => { loads += 1 }
  assert.equal(await cache.getOrSet('none', none), null)
  assert.equal(await cache.getOrSet('none', none), null)
  assert.equal(loads, 2, 'no value is not cached without negativeTtl')

  let release
  const gate = new Promise((resolve) => { release = resolve })
  let slow = 0
  const loader = async () => { slow += 1; await gate; return 42 }
  const calls = [cache.getOrSet('shared', loader), cache.getOrSet('shared', loader), cache.getOrSet('shared', loader)]
  await tick()
  release()
  assert.deepEqual(await Promise.all(calls), [42, 42, 42])
  assert.equal(slow, 1)
  assert.equal(cache.stats().coalesced, 2)
  assert.deepEqual(Object.keys(cache.stats()).sort(),
    ['coalesced', 'earlyRefreshes', 'hits', 'loads', 'localHits', 'misses', 'stale', 'waited'])
})

test('values are JSON as the Node package stores them: Uint8Arrays tagged, Dates as ISO text, cycles refused', async () => {
  const cache = client().cache('json', { ttl: 60_000 })
  const value = { n: 1, bytes: new Uint8Array([0, 255, 7]), at: new Date(0), gone: undefined }
  await cache.set('k', value)
  assert.deepEqual(await cache.get('k'), { n: 1, bytes: new Uint8Array([0, 255, 7]), at: '1970-01-01T00:00:00.000Z' })
  await cache.set('raw', new Uint8Array([104, 105]))
  assert.deepEqual(await cache.get('raw'), new Uint8Array([104, 105]))
  const cyclic = { a: 1 }
  cyclic.self = cyclic
  await assert.rejects(cache.set('c', cyclic), (e) => e instanceof TypeError && /cyclic/.test(e.message))
  await assert.rejects(cache.set('c', { $bytes: 'AA==' }), (e) => e instanceof TypeError && /\$bytes/.test(e.message))
  const store = client().sessions()
  const { session } = await store.create({ data: { key: new Uint8Array([9]) } })
  assert.deepEqual(await store.getField(session.token, 'key'), new Uint8Array([9]))
})

test('negativeTtl caches a loader\'s undefined', async () => {
  const cache = client().cache('neg', { ttl: 60_000, negativeTtl: 5000 })
  let loads = 0
  const none = () => { loads += 1 }
  assert.equal(await cache.getOrSet('k', none), null)
  assert.equal(await cache.getOrSet('k', none), null)
  assert.equal(loads, 1)
})

test('what a loader throws reaches every caller sharing the load as itself, and is not cached', async () => {
  const cache = client().cache('t', { ttl: 60_000 })
  const boom = new ConnectionError('database down')
  let release
  const gate = new Promise((resolve) => { release = resolve })
  const loader = async () => { await gate; throw boom }
  const calls = [cache.getOrSet('k', loader), cache.getOrSet('k', loader)]
  await tick()
  release()
  const settled = await Promise.allSettled(calls)
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected'])
  assert.ok(settled.every((s) => s.reason === boom), 'the same object')
  assert.equal(await cache.get('k'), null)

  const thrownSync = new RangeError('sync')
  await assert.rejects(cache.getOrSet('k', () => { throw thrownSync }), (e) => e === thrownSync)
  const odd = { not: 'an Error' }
  await assert.rejects(cache.getOrSet('k', () => Promise.reject(odd)), (e) => e === odd)
  await assert.rejects(cache.getOrSet('k', () => [() => 1]), TypeError)
  assert.equal(await cache.getOrSet('k', () => 'fine'), 'fine')
})

test('sinks: write-through rejects with what the sink throws and drops the key; drains report it', async () => {
  const sim = new Simulator({ manualClock: true, start: 1_000_000 })
  const cache = sim.client().cache('w', { ttl: 60_000 })
  const db = []
  await cache.writeThrough('a', 1, (writes) => { db.push(...writes) })
  assert.deepEqual(db, [{ key: 'a', value: 1, deleted: false }])
  assert.equal(await cache.get('a'), 1)
  const refused = new ConnectionError('disk full')
  await assert.rejects(cache.writeThrough('a', 2, () => { throw refused }), (e) => e === refused)
  assert.equal(await cache.get('a'), null, 'dropped from the cache')
  await assert.rejects(cache.writeThrough('a', 3, async () => { throw refused }), (e) => e === refused)

  await cache.writeBehind('b', { x: 1 })
  assert.equal(await cache.deleteBehind('a'), false)
  const failed = await cache.drainBehind(() => { throw new Error('sink down') }, { retryAfter: 10 })
  assert.equal(failed.error, 'sink down')
  assert.equal(failed.failed, 2)
  sim.advance(10)
  const got = []
  const report = await cache.drainBehind(async (writes) => { got.push(...writes) }, { retryAfter: 10 })
  assert.deepEqual(report, { written: 2, retried: 2, failed: 0, deadLettered: 0, error: null })
  assert.deepEqual(got, [{ key: 'b', value: { x: 1 }, deleted: false }, { key: 'a', value: null, deleted: true }])
})

test('cache.wrap and close come from the Node package\'s JavaScript and core', async () => {
  const cache = client().cache('wrap', { ttl: 60_000 })
  let calls = 0
  const price = cache.wrap(async function price (sku) { calls += 1; return sku.length })
  assert.equal(await price('abc'), 3)
  assert.equal(await price('abc'), 3)
  assert.equal(calls, 1)
  assert.equal(price.key('abc'), 'price:["abc"]')
  cache.close()
  await assert.rejects(cache.get('k'), InvalidArgumentError)
  assert.throws(() => cache.stats(), InvalidArgumentError)
  assert.equal(cache.localLen(), 0)
})

test('wrong option and argument types: TypeErrors naming the field; wrong values: InvalidArgumentError', async () => {
  const c = client()
  assert.throws(() => c.cache('x', { ttl: 'soon' }), (e) => e instanceof TypeError && /ttl/.test(e.message))
  assert.throws(() => c.cache('x', { lockTtl: '5' }), (e) => e instanceof TypeError && /lockTtl/.test(e.message))
  assert.throws(() => c.cache('x', { localCapacity: 'many' }), (e) => e instanceof TypeError && /localCapacity/.test(e.message))
  assert.throws(() => c.cache('x', { stale: -1 }), InvalidArgumentError)
  assert.throws(() => c.cache('x', 5), TypeError)
  assert.throws(() => c.cache(5), { name: 'TypeError', message: 'Client.cache: name must be a string, got number' })
  const cache = c.cache('x')
  assert.equal(cache.ttl, null)
  await assert.rejects(cache.set('k', 1), (e) => e instanceof TypeError && /no ttl/.test(e.message))
  await assert.rejects(cache.set('k', 1, { tags: 'a' }), (e) => e instanceof TypeError && /tags/.test(e.message))
  await assert.rejects(cache.set('k', 1, -5), InvalidArgumentError)
  const p = cache.get(5)
  assert.ok(p instanceof Promise, 'a wrong argument rejects, never throws')
  await assert.rejects(p, (e) => e instanceof TypeError && /key/.test(e.message))
  await assert.rejects(cache.getOrSet('k', 'not a function', 1000), (e) => e instanceof TypeError && /loader/.test(e.message))
  await assert.rejects(cache.set('k', () => 1, 1000), TypeError)
  await assert.rejects(cache.drainBehind(() => {}, { batch: 'all' }), (e) => e instanceof TypeError && /batch/.test(e.message))
  assert.throws(() => cache.spawnDrainer(null), (e) => e instanceof TypeError && /sink/.test(e.message))
  assert.throws(() => cache.spawnDrainer(() => {}, { maxAttempts: 0 }), InvalidArgumentError)

  assert.throws(() => c.sessions({ idleTtl: 'long' }), (e) => e instanceof TypeError && /idleTtl/.test(e.message))
  assert.throws(() => c.sessions({ maxPerUser: -1 }), (e) => /maxPerUser/.test(e.message))
  assert.throws(() => c.sessions({ secret: 5 }), (e) => e instanceof TypeError && /secret/.test(e.message))
  assert.throws(() => c.sessions({ secret: 'short' }), InvalidArgumentError)
  assert.throws(() => c.sessions({ previousSecrets: 'x'.repeat(32) }), (e) => e instanceof TypeError && /previousSecrets/.test(e.message))
  const store = c.sessions()
  await assert.rejects(store.create({ user: 7 }), (e) => e instanceof TypeError && /user/.test(e.message))
  await assert.rejects(store.get(null), (e) => e instanceof TypeError && /token/.test(e.message))
  await assert.rejects(store.deleteFields('t', 'a'), (e) => e instanceof TypeError && /fields/.test(e.message))
  await assert.rejects(store.save('id', { idleTtl: 'x' }), (e) => e instanceof TypeError && /idleTtl/.test(e.message))
  await assert.rejects(store.save('id', { idleTtl: -1 }), InvalidArgumentError)
  await assert.rejects(store.create({ data: [1, 2] }), InvalidArgumentError)
  await assert.rejects(store.save(7), TypeError)
})

test('session ids come from the CSPRNG; secrets as a string or a Uint8Array sign tokens, rotation keeps old ones', async () => {
  const c = client()
  const store = c.sessions({ name: 'web' })
  assert.ok(store instanceof SessionStore)
  assert.equal(store.name, 'web')
  const ids = new Set()
  for (let i = 0; i < 20; i++) {
    const { session } = await store.create({ user: 'ann', data: { i } })
    assert.match(session.id, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(session.token, session.id)
    ids.add(session.id)
  }
  assert.equal(ids.size, 20)
  assert.equal(await store.count(), 20)

  const bytes = new Uint8Array(32).map((_, i) => i + 1)
  const old = c.sessions({ name: 'signed', secret: bytes })
  const { session } = await old.create({ data: { cart: [1] } })
  assert.match(session.token, /^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]+$/)
  const rotated = c.sessions({ name: 'signed', secret: 'n'.repeat(32), previousSecrets: [bytes] })
  const read = await rotated.get(session.token)
  assert.deepEqual(read.data, { cart: [1] })
  assert.notEqual(read.token, session.token, 'given back signed with the new secret')
  const fresh = c.sessions({ name: 'signed', secret: 'n'.repeat(32) })
  await assert.rejects(fresh.get(session.token), InvalidArgumentError)
  assert.equal((await fresh.get(read.token)).id, session.id)
  await assert.rejects(fresh.save('framework-id', {}), InvalidArgumentError)
})

test('session fields, regenerate, list and revoke resolve to the Node package\'s shapes', async () => {
  const sim = new Simulator({ manualClock: true, start: 1_000_000 })
  const store = sim.client().sessions({ idleTtl: 60_000, lifetime: 600_000, maxPerUser: 2 })
  const { session: a } = await store.create({ user: 'u', data: { theme: 'dark' } })
  assert.deepEqual(Object.keys(a).sort(), ['createdAt', 'data', 'expiresAt', 'id', 'token', 'ttl', 'user'])
  assert.equal(a.createdAt, 1_000_000)
  assert.equal(await store.setField(a.token, 'n', 1), 60_000)
  assert.equal(await store.getField(a.token, 'n'), 1)
  assert.equal(await store.setFields(a.token, { m: [2], theme: undefined }), 60_000)
  sim.advance(1000)
  assert.equal(await store.deleteFields(a.token, ['n']), 60_000)
  const b = await store.regenerate(a.token)
  assert.equal(await store.get(a.token), null)
  assert.deepEqual(b.data, { theme: 'dark', m: [2] })
  await store.create({ user: 'u' })
  const { evicted } = await store.create({ user: 'u' })
  assert.deepEqual(evicted, [b.id])
  assert.deepEqual((await store.list('u')).map((s) => Object.keys(s).sort()), [['createdAt', 'expiresAt', 'id', 'ttl'], ['createdAt', 'expiresAt', 'id', 'ttl']])
  assert.equal(await store.revokeAll('u'), 2)
  await assert.rejects(store.touch(b.token), NotFoundError)
  const { session: saved } = await store.save('framework-id', { data: { x: 1 }, idleTtl: 5000 })
  assert.equal(saved.ttl, 5000)
  assert.deepEqual(await store.ids(), ['framework-id'])
  assert.deepEqual((await store.all()).map((s) => s.data), [{ x: 1 }])
  assert.equal(await store.clear(), 1)
})

test('on the host\'s clock a drainer polls and a session\'s idle TTL ends in real time', async () => {
  const c = new Simulator().client()
  const cache = c.cache('live', { ttl: 60_000 })
  const got = []
  const drainer = cache.spawnDrainer((writes) => { got.push(...writes.map((w) => w.key)) }, { poll: 10 })
  try {
    await cache.writeBehind('a', 1)
    await new Promise((resolve) => setTimeout(resolve, 20))
    await cache.writeBehind('b', 2)
    const t0 = Date.now()
    while (got.length < 2 && Date.now() - t0 < 2000) await new Promise((resolve) => setTimeout(resolve, 5))
    assert.deepEqual(got, ['a', 'b'])
  } finally {
    drainer.stop()
  }

  // A second client's load waits on the first one's cross-client lock, in real time.
  const other = new Simulator().client()
  const first = c.cache('shared', { ttl: 60_000, lockWait: 2000 })
  const firstLoad = first.getOrSet('k', async () => {
    await new Promise((resolve) => setTimeout(resolve, 60))
    return await first.get('missing') ?? 'loaded once'
  })
  await new Promise((resolve) => setTimeout(resolve, 10))
  const sameSim = c.cache('shared', { ttl: 60_000, lockWait: 2000 })
  let secondLoads = 0
  const second = sameSim.getOrSet('k', () => { secondLoads += 1; return 'loaded twice' })
  assert.deepEqual(await Promise.all([firstLoad, second]), ['loaded once', 'loaded once'])
  assert.equal(secondLoads, 0)
  assert.equal(sameSim.stats().waited, 1)
  assert.equal(await other.cache('shared', { ttl: 60_000 }).get('k'), null, 'another simulator shares nothing')

  // A drainer whose sink keeps throwing keeps retrying, and stops when told.
  let calls = 0
  const failing = c.cache('crash', { ttl: 10_000 })
  const stubborn = failing.spawnDrainer(() => { calls++; throw new Error('always') }, { poll: 5, retryAfter: 5 })
  await failing.writeBehind('k', 1)
  const t1 = Date.now()
  while (calls < 3 && Date.now() - t1 < 3000) await new Promise((resolve) => setTimeout(resolve, 10))
  stubborn.stop()
  assert.ok(calls >= 3, `the sink was called ${calls} times`)

  const store = c.sessions({ idleTtl: 50 })
  const { session } = await store.create({ data: { n: 1 } })
  assert.equal((await store.get(session.token)).data.n, 1)
  await new Promise((resolve) => setTimeout(resolve, 120))
  assert.equal(await store.get(session.token), null)
  cache.close()
})

test('on the host\'s clock background work does not keep Node alive; a waiting call does', () => {
  const entry = fileURLToPath(new URL('../../bindings-wasm/js/node.mjs', import.meta.url))
  const script = `
    import { Simulator } from ${JSON.stringify(entry)}
    const c = new Simulator().client()
    const cache = c.cache('bg', { ttl: 1000, localCapacity: 10 })
    await cache.set('k', 1)
    cache.spawnDrainer(() => {}, { poll: 10 })
    console.log(await c.execute('BLPOP', 'q', 0.05) === null ? 'waited' : 'woken', await cache.get('k'))`
  const t0 = Date.now()
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 })
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout.trim(), 'waited 1')
  assert.ok(Date.now() - t0 < 5000, `exited after ${Date.now() - t0} ms`)
})
