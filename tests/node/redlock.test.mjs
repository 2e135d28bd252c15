/**
 * Redlock over several masters: independent simulators (one down), and databases of a
 * redis-server of its own as independent instances. Quorum, disposable acquisitions,
 * withLock, extend, release counts, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { redkit, withBackends } from './support/backends.mjs'

const { redlock, Simulator, LockNotOwnedError, TimeoutError, InvalidArgumentError } = redkit
const backends = withBackends()

const masters = {
  sim: async () => [new Simulator().client(), new Simulator().client(), new Simulator().client()],
  redis: async () => Promise.all([0, 1, 2].map((db) => backends.redis(db)))
}

for (const [backend, make] of Object.entries(masters)) {
  describe(`redlock on ${backend}`, () => {
    test('a quorum grants it; a second owner is refused until release', async () => {
      const clients = await make()
      const a = redlock(clients, 'invoice', { ttl: 5000, retryCount: 0 })
      const b = redlock(clients, 'invoice', { ttl: 5000, retryCount: 0 })
      assert.equal(a.quorum, 2)
      assert.equal(a.name, 'invoice')
      const held = await a.acquire()
      assert.equal(held.acquired, true)
      assert.equal(held.locked, 3)
      assert.equal(held.quorum, 2)
      assert.equal(held.attempts, 1)
      assert.ok(held.validity > 4000 && held.validity <= 5000, `validity ${held.validity}`)
      assert.equal((await b.tryAcquire()).acquired, false)
      assert.equal(await a.release(), 3)
      assert.equal((await b.tryAcquire()).acquired, true)
      await assert.rejects(a.release(), LockNotOwnedError)
    })

    test('acquisitions are disposable and withLock releases after the work', async () => {
      const clients = await make()
      const a = redlock(clients, 'job', { retryCount: 0 })
      const b = redlock(clients, 'job', { retryCount: 0 })
      const held = await a.tryAcquire()
      assert.deepEqual(Object.keys(held).sort(), ['acquired', 'attempts', 'locked', 'quorum', 'validity'])
      await held[Symbol.asyncDispose]()
      assert.equal(await b.withLock(async (h) => h.locked), 3)
      assert.equal(await a.withLock(() => 'mine'), 'mine')
      await assert.rejects(a.withLock(() => { throw new Error('work failed') }), /work failed/)
      await b.acquire()
      await assert.rejects(a.withLock(() => 1), TimeoutError)
    })

    test('extend renews on the quorum; an owner that lost it is refused', async () => {
      const clients = await make()
      const a = redlock(clients, 'ext', { ttl: 2000, retryCount: 0 })
      await a.acquire()
      const ext = await a.extend(8000)
      assert.equal(ext.acquired, true)
      assert.ok(ext.validity > 7000, `validity ${ext.validity}`)
      await a.release()
      await assert.rejects(a.extend(1000), LockNotOwnedError)
    })
  })
}

test('with one master of three down the quorum still holds; with two down it does not', async () => {
  const down = new Simulator()
  down.refuseConnections(true)
  const up = [new Simulator().client(), new Simulator().client()]
  const one = redlock([up[0], up[1], down.client()], 'r', { retryCount: 0, instanceTimeout: 50 })
  const held = await one.acquire()
  assert.equal(held.acquired, true)
  assert.equal(held.locked, 2)
  assert.equal(await one.release(), 2)
  const two = redlock([up[0], down.client(), down.client()], 'r2', { retryCount: 0, instanceTimeout: 50 })
  const refused = await two.acquire()
  assert.equal(refused.acquired, false)
  assert.equal(refused.validity, 0)
})

test('bad arguments are refused clearly', async () => {
  const c = new Simulator().client()
  assert.throws(() => redlock([c], 'x', { ttl: -1 }), InvalidArgumentError)
  assert.throws(() => redlock([c], 'x', { retryCount: 1.5 }), InvalidArgumentError)
  assert.throws(() => redlock([], 'x'), InvalidArgumentError)
  assert.throws(() => redlock(['redis://x'], 'x'), TypeError)
  assert.throws(() => redlock(c, 'x'), TypeError)
})
