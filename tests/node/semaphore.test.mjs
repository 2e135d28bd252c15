/**
 * The semaphore on the simulator and on a redis-server of its own: permits as leases with
 * tokens, disposable permits, withPermit, extend, expiry on the manual clock, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { manual, redkit, withBackends } from './support/backends.mjs'

const { LockNotOwnedError, TimeoutError, InvalidArgumentError } = redkit
const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`semaphore on ${backend}`, () => {
    test('permits up to the limit, each with its own token; release frees one', async () => {
      const client = await make()
      const sem = client.semaphore('pool', { permits: 2, lease: 5000 })
      const a = await sem.tryAcquire()
      const b = await sem.tryAcquire()
      assert.equal(a.acquired, true)
      assert.equal(typeof a.token, 'string')
      assert.notEqual(a.token, b.token)
      assert.equal(b.available, 0)
      const refused = await sem.tryAcquire()
      assert.deepEqual({ ...refused, retryAfter: refused.retryAfter > 0 }, { acquired: false, token: null, available: 0, retryAfter: true })
      assert.ok(refused.retryAfter <= 5000)
      assert.equal(await sem.count(), 2)
      await sem.release(a.token)
      assert.equal(await sem.count(), 1)
      assert.equal((await sem.acquire(0)).acquired, true)
      assert.equal(sem.name, 'pool')
    })

    test('a granted permit is disposable; a refused one disposes to nothing', async () => {
      const client = await make()
      const sem = client.semaphore('disp', { permits: 1 })
      // What `await using permit = await sem.acquire()` does at scope end (Node 20 lacks the syntax).
      const permit = await sem.acquire()
      assert.equal(permit.acquired, true)
      assert.equal(await sem.count(), 1)
      const refused = await sem.tryAcquire()
      assert.equal(refused.acquired, false)
      await refused[Symbol.asyncDispose]()
      assert.equal(await sem.count(), 1)
      await permit[Symbol.asyncDispose]()
      assert.equal(await sem.count(), 0)
      const p = await sem.tryAcquire()
      assert.deepEqual(Object.keys(p).sort(), ['acquired', 'available', 'retryAfter', 'token'])
    })

    test('withPermit runs the work holding a permit and releases it, even when it throws', async () => {
      const client = await make()
      const sem = client.semaphore('work', { permits: 1 })
      assert.equal(await sem.withPermit(async (permit) => {
        assert.equal(permit.acquired, true)
        return sem.count()
      }), 1)
      assert.equal(await sem.count(), 0)
      await assert.rejects(sem.withPermit(() => { throw new Error('work failed') }), /work failed/)
      assert.equal(await sem.count(), 0)
      await sem.acquire()
      await assert.rejects(sem.withPermit(() => 1, 30), TimeoutError)
    })

    test('release and extend of a token not held reject with LockNotOwnedError', async () => {
      const client = await make()
      const sem = client.semaphore('own')
      await assert.rejects(sem.release('nope'), LockNotOwnedError)
      await assert.rejects(sem.extend('nope', 1000), LockNotOwnedError)
      const p = await sem.acquire()
      await sem.extend(p.token, 20_000)
      await sem.release(p.token)
      await assert.rejects(sem.release(p.token), LockNotOwnedError)
    })

    test('bad arguments are refused clearly', async () => {
      const client = await make()
      assert.throws(() => client.semaphore('x', { permits: -1 }), InvalidArgumentError)
      assert.throws(() => client.semaphore('x', { permits: 1.5 }), InvalidArgumentError)
      assert.throws(() => client.semaphore('x', { lease: 'long' }), TypeError)
      assert.throws(() => client.semaphore(7), TypeError)
      await assert.rejects(client.semaphore('x').release(5), TypeError)
      await assert.rejects(client.semaphore('x').acquire(-5), InvalidArgumentError)
    })
  })
}

test('leases run out on the manual clock unless extended; a waiter gets a freed permit', async () => {
  const { sim, client } = manual()
  const sem = client.semaphore('lease', { permits: 1, lease: 1000 })
  const p = await sem.acquire()
  sim.advance(800)
  await sem.extend(p.token, 1000)
  sim.advance(800)
  assert.equal(await sem.count(), 1, 'extended: still held')
  sim.advance(300)
  assert.equal(await sem.count(), 0, 'the lease ran out')
  await assert.rejects(sem.release(p.token), LockNotOwnedError)
  const holder = await sem.acquire()
  const waiting = sem.acquire(30_000)
  await new Promise((resolve) => setTimeout(resolve, 20))
  await sem.release(holder.token)
  assert.equal((await waiting).acquired, true)
})
