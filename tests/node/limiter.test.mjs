/**
 * Rate limiters through the Node API on the simulator and a redis-server of its own: every
 * algorithm, decisions as objects in ms, cost, peek, reset, concurrency leases, LimiterSet,
 * fail policies, manual-clock windows, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { manual, redkit, withBackends } from './support/backends.mjs'

const { LimiterSet, Simulator, ConnectionError, InvalidArgumentError } = redkit
const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`limiter on ${backend}`, () => {
    test('a fixed window allows the limit, then denies with retryAfter in ms', async () => {
      const client = await make()
      const l = client.limiter('api', { limit: 2, window: 60_000 })
      assert.equal(l.name, 'api')
      assert.equal(l.algorithm, 'fixed_window')
      assert.equal(l.limit, 2)
      assert.equal(l.window, 60_000)
      const first = await l.consume('u')
      assert.deepEqual(Object.keys(first).sort(), ['allowed', 'lease', 'limit', 'remaining', 'resetAfter', 'retryAfter'])
      assert.equal(first.allowed, true)
      assert.equal(first.remaining, 1)
      assert.equal(first.retryAfter, 0)
      assert.equal(first.lease, null)
      assert.equal((await l.consume('u')).remaining, 0)
      const denied = await l.consume('u')
      assert.equal(denied.allowed, false)
      assert.ok(denied.retryAfter > 0 && denied.retryAfter <= 60_000, `retryAfter ${denied.retryAfter}`)
      assert.equal((await l.consume('other')).allowed, true, 'keys are independent')
      await l.reset('u')
      assert.equal((await l.consume('u')).allowed, true)
    })

    test('every algorithm limits; cost and peek', async () => {
      const client = await make()
      for (const algorithm of ['fixed_window', 'sliding_log', 'sliding_window', 'token_bucket', 'gcra']) {
        const l = client.limiter(`every-${algorithm}`, { algorithm, limit: 5, window: 60_000 })
        assert.equal(l.algorithm, algorithm)
        assert.equal((await l.peek('k', 5)).allowed, true, algorithm)
        assert.equal((await l.consume('k', 5)).allowed, true, algorithm)
        assert.equal((await l.peek('k')).allowed, false, algorithm)
        assert.equal((await l.consume('k')).allowed, false, algorithm)
      }
    })

    test('concurrency leases: admitted calls carry a lease; release frees a slot', async () => {
      const client = await make()
      const l = client.limiter('conc', { algorithm: 'concurrency', limit: 1, window: 30_000 })
      const a = await l.consume('k')
      assert.equal(typeof a.lease, 'string')
      assert.equal((await l.consume('k')).allowed, false)
      assert.equal(await l.release('k', a.lease), true)
      assert.equal(await l.release('k', a.lease), false)
      assert.equal((await l.consume('k')).allowed, true)
    })

    test('a LimiterSet allows only if every limit does and consumes from none otherwise', async () => {
      const client = await make()
      const perSecond = client.limiter('s', { limit: 3, window: 1000 })
      const perMinute = client.limiter('m', { limit: 2, window: 60_000 })
      const set = new LimiterSet([perSecond, perMinute])
      assert.deepEqual(set.names, ['s', 'm'])
      assert.deepEqual(set.limiters.map((l) => [l.name, l.limit, l.window]), [['s', 3, 1000], ['m', 2, 60_000]])
      const ok = await set.consume('u')
      assert.equal(ok.allowed, true)
      assert.equal(ok.retryAfter, 0)
      assert.deepEqual(ok.decisions.map((d) => d.remaining), [2, 1])
      assert.ok('resetAfter' in ok.decisions[0], 'nested decisions are camelCase too')
      await set.consume('u')
      const denied = await set.consume('u')
      assert.equal(denied.allowed, false)
      assert.ok(denied.retryAfter > 0)
      assert.deepEqual(denied.decisions.map((d) => d.remaining), [1, 0], 'the denied call consumed nothing')
      assert.equal((await set.peek('u')).allowed, false)
      await set.reset('u')
      assert.equal((await set.consume('u', 2)).allowed, true)
    })

    test('bad arguments are refused clearly', async () => {
      const client = await make()
      assert.throws(() => client.limiter('x', { algorithm: 'leaky' }), InvalidArgumentError)
      assert.throws(() => client.limiter('x', { onUnreachable: 'maybe' }), InvalidArgumentError)
      assert.throws(() => client.limiter('x', { limit: -1 }), InvalidArgumentError)
      assert.throws(() => client.limiter('x', { window: 'long' }), TypeError)
      await assert.rejects(client.limiter('x').consume('k', -2), InvalidArgumentError)
      await assert.rejects(client.limiter('x').consume(3), TypeError)
      assert.throws(() => new LimiterSet([{}]), TypeError)
      assert.throws(() => new LimiterSet([]), InvalidArgumentError)
    })
  })
}

test('windows and buckets move with the manual clock', async () => {
  const { sim, client } = manual()
  const fixed = client.limiter('f', { limit: 1, window: 1000 })
  const bucket = client.limiter('b', { algorithm: 'token_bucket', limit: 2, refill: 1, refillInterval: 500 })
  assert.equal((await fixed.consume('k')).allowed, true)
  const denied = await fixed.consume('k')
  assert.equal(denied.allowed, false)
  sim.advance(denied.retryAfter)
  assert.equal((await fixed.consume('k')).allowed, true)
  assert.equal((await bucket.consume('k', 2)).allowed, true)
  assert.equal((await bucket.consume('k')).allowed, false)
  sim.advance(500)
  assert.equal((await bucket.consume('k')).allowed, true)
  const blocking = client.limiter('blk', { limit: 1, window: 1000, blockFor: 10_000 })
  await blocking.consume('k')
  await blocking.consume('k')
  sim.advance(2000)
  assert.equal((await blocking.consume('k')).allowed, false, 'blocked for 10 s after a denial')
})

test('an unreachable backend: error by default, or fail open / closed', async () => {
  const dead = new Simulator()
  dead.refuseConnections(true)
  const client = dead.client()
  await assert.rejects(client.limiter('e').consume('k'), ConnectionError)
  assert.equal((await client.limiter('o', { onUnreachable: 'open' }).consume('k')).allowed, true)
  assert.equal((await client.limiter('c', { onUnreachable: 'closed' }).consume('k')).allowed, false)
})
