/**
 * The lock's JavaScript forms on the simulator and on a redis-server of its own: disposable
 * acquisitions, withLock, fencing tokens across owners, errors and argument checks.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { withBackends } from './support/backends.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, connect, LockNotOwnedError, TimeoutError, InvalidArgumentError } = redkit

const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`lock on ${backend}`, () => {
    test('an acquisition is disposable: disposing releases the hold', async () => {
      const client = await make()
      const a = client.lock('job', { ttl: 5000 })
      const b = client.lock('job', { ttl: 5000, blockingTimeout: 0 })
      const held = await a.acquire()
      assert.equal(held.acquired, true)
      assert.equal(typeof held.fence, 'number')
      assert.ok(held.ttl > 4000 && held.ttl <= 5000, `ttl ${held.ttl}`)
      assert.equal((await b.acquire()).acquired, false)
      await held[Symbol.asyncDispose]()
      assert.equal(await a.isLocked(), false)
      const next = await b.tryAcquire()
      assert.ok(next.acquired && next.fence > held.fence, 'fences grow across owners')
      const refused = await a.tryAcquire()
      assert.equal(refused.acquired, false)
      await refused[Symbol.asyncDispose]() // not acquired: disposing does nothing
      assert.equal(await b.isOwned(), true)
      assert.deepEqual(Object.keys(held).sort(), ['acquired', 'count', 'fence', 'ttl'], 'dispose is not an enumerable field')
    })

    test('withLock runs the work under the lock and releases after it, even when it throws', async () => {
      const client = await make()
      const lock = client.lock('report')
      assert.equal(await lock.withLock(async (held) => {
        assert.equal(await lock.isOwned(), true)
        return held.fence
      }), 1)
      assert.equal(await lock.isLocked(), false)
      await assert.rejects(lock.withLock(() => { throw new Error('work failed') }), /work failed/)
      assert.equal(await lock.isLocked(), false)
      const other = client.lock('report')
      await other.acquire()
      await assert.rejects(lock.withLock(() => 1, 50), TimeoutError)
    })

    test('reentrant holds count; release of a lock not held rejects', async () => {
      const client = await make()
      const lock = client.lock('re', { reentrant: true })
      assert.equal((await lock.acquire()).count, 1)
      assert.equal((await lock.acquire()).count, 2)
      assert.deepEqual(await lock.release(), { released: false, count: 1 })
      assert.deepEqual(await lock.release(), { released: true, count: 0 })
      await assert.rejects(lock.release(), LockNotOwnedError)
      await assert.rejects(lock.extend(1000), LockNotOwnedError)
      assert.equal(await lock.ttl(), null)
    })

    test('a shared token makes two handles one owner; names and tokens are readable', async () => {
      const client = await make()
      const a = client.lock('shared', { token: 'me' })
      const b = client.lock('shared', { token: 'me' })
      await a.acquire()
      assert.equal(await b.isOwned(), true)
      assert.equal(a.name, 'shared')
      assert.equal(a.token, 'me')
      assert.equal(a.lost, false)
    })

    test('bad options are refused clearly', async () => {
      const client = await make()
      assert.throws(() => client.lock('x', { ttl: -1 }), InvalidArgumentError)
      assert.throws(() => client.lock('x', { ttl: 'long' }), TypeError)
      assert.throws(() => client.lock(42), TypeError)
      await assert.rejects(client.lock('x').acquire(NaN), InvalidArgumentError)
    })
  })
}

test('a waiter gets the lock when the holder releases (manual clock)', async () => {
  const sim = new Simulator({ manualClock: true })
  const client = sim.client()
  const holder = client.lock('q', { ttl: 60_000 })
  await holder.acquire()
  const waiting = client.lock('q').acquire(30_000)
  await new Promise((resolve) => setTimeout(resolve, 20))
  await holder.release()
  const got = await waiting
  assert.equal(got.acquired, true)
  assert.equal(got.fence, 2)
})
