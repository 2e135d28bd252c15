/**
 * The Node surface of the simulator and raw commands: values in and out, errors as redkit's
 * classes (and TypeError for wrong types), the manual clock, snapshots, faults, connect(), and
 * both module systems. Runs on the simulator and on a redis-server of its own.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startRedis } from './support/redis-server.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, Client, connect, ResponseError, RedkitError, InvalidArgumentError, ConnectionError, StorageError } = redkit

let server
before(async () => { server = await startRedis() })
after(async () => { await server?.stop() })

const backends = {
  sim: async () => new Simulator().client(),
  redis: async () => {
    const c = await connect(server.url)
    await c.execute('FLUSHALL')
    return c
  }
}

for (const [backend, make] of Object.entries(backends)) {
  describe(`raw commands on ${backend}`, () => {
    test('strings, numbers and Buffers in; strings, numbers, null and arrays out', async () => {
      const c = await make()
      assert.equal(await c.execute('SET', 'k', 'v'), 'OK')
      assert.equal(await c.execute('GET', 'k'), 'v')
      assert.equal(await c.execute('GET', 'missing'), null)
      assert.equal(await c.execute('INCRBY', 'n', 41), 41)
      assert.equal(await c.execute('INCRBYFLOAT', 'f', 1.5), '1.5')
      assert.equal(await c.execute('SET', Buffer.from('bin'), Buffer.from([0, 255, 1])), 'OK')
      assert.deepEqual(await c.executeBuffer('GET', 'bin'), Buffer.from([0, 255, 1]))
      assert.equal(await c.execute('RPUSH', 'l', 'a', 'b', 3), 3)
      assert.deepEqual(await c.execute('LRANGE', 'l', 0, -1), ['a', 'b', '3'])
      assert.equal(await c.execute('ZADD', 'z', 'inf', 'top', -Infinity, 'bottom'), 2)
      assert.deepEqual(await c.execute('ZRANGE', 'z', 0, -1, 'WITHSCORES'), ['bottom', '-inf', 'top', 'inf'])
      assert.equal(await c.execute('SET', 'big', 2 ** 52), 'OK')
      assert.equal(await c.execute('GET', 'big'), String(2 ** 52))
      assert.equal(await c.execute('PING', 'x'.repeat(5)), 'xxxxx')
    })

    test('an error reply rejects with ResponseError carrying Redis\'s text', async () => {
      const c = await make()
      await c.execute('SET', 'k', 'v')
      await assert.rejects(c.execute('INCR', 'k'), (e) => {
        assert.ok(e instanceof ResponseError && e instanceof RedkitError && e instanceof Error)
        assert.equal(e.message, 'ERR value is not an integer or out of range')
        assert.equal(e.kind, 'reply')
        assert.equal(e.code, 'ERR_REDKIT_REPLY')
        assert.equal(e.name, 'ResponseError')
        return true
      })
      await assert.rejects(c.execute('NOSUCHCOMMAND'), ResponseError)
    })

    test('executeMany: replies in order, error replies in place, transactions', async () => {
      const c = await make()
      const replies = await c.executeMany([['SET', 'a', 1], ['LPUSH', 'a', 'x'], ['INCR', 'a']])
      assert.equal(replies[0], 'OK')
      assert.ok(replies[1] instanceof ResponseError)
      assert.match(replies[1].message, /^WRONGTYPE/)
      assert.equal(replies[2], 2)
      assert.deepEqual(await c.executeMany([['INCR', 'a'], ['GET', 'a']], { transaction: true }), [3, '3'])
      assert.deepEqual(await c.executeMany([]), [])
    })

    test('MULTI/EXEC through execute: nested errors are ResponseError objects', async () => {
      const c = await make()
      if (backend === 'redis') return // one connection per call on the pool: MULTI state is per connection
      await c.execute('SET', 's', 'text')
      assert.equal(await c.execute('MULTI'), 'OK')
      assert.equal(await c.execute('INCR', 's'), 'QUEUED')
      assert.equal(await c.execute('SET', 't', 1), 'QUEUED')
      const [bad, ok] = await c.execute('EXEC')
      assert.ok(bad instanceof ResponseError)
      assert.equal(ok, 'OK')
    })

    test('wrong argument types throw TypeError, never crash', async () => {
      const c = await make()
      for (const bad of [{}, [], null, undefined, true, () => 1, Symbol('s'), 10n]) {
        await assert.rejects(async () => c.execute('SET', 'k', bad), TypeError, `argument ${String(bad)}`)
      }
      await assert.rejects(async () => c.execute(), TypeError)
      await assert.rejects(async () => c.execute(NaN), TypeError)
      await assert.rejects(async () => c.executeMany('SET k v'), TypeError)
      await assert.rejects(async () => c.executeMany([['GET', 'k']], { transaction: 'yes' }), TypeError)
    })

    test('blocking commands wait and time out', async () => {
      const c = await make()
      const waiting = c.execute('BLPOP', 'q', 5)
      const other = backend === 'sim' ? c : await connect(server.url)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await other.execute('RPUSH', 'q', 'job')
      assert.deepEqual(await waiting, ['q', 'job'])
      assert.equal(await c.execute('BLPOP', 'q', 0.05), null)
    })
  })
}

describe('Simulator', () => {
  test('a manual clock moves only when advanced; keys expire with it', async () => {
    const sim = new Simulator({ manualClock: true, start: 1_700_000_000_000 })
    assert.equal(sim.manualClock, true)
    assert.equal(sim.now(), 1_700_000_000_000)
    const c = sim.client()
    await c.execute('SET', 'session', 'x', 'PX', 1000)
    sim.advance(999)
    assert.equal(await c.execute('GET', 'session'), 'x')
    sim.advance(1)
    assert.equal(await c.execute('GET', 'session'), 'x', 'as in Redis, a key lives through its last millisecond')
    sim.advance(1)
    assert.equal(await c.execute('GET', 'session'), null)
    assert.equal(sim.now(), 1_700_000_001_001)
    assert.deepEqual(await c.execute('TIME'), ['1700000001', '1000'])
  })

  test('a system clock cannot be advanced or started elsewhere', () => {
    const sim = new Simulator()
    assert.equal(sim.manualClock, false)
    assert.ok(Math.abs(sim.now() - Date.now()) < 1000)
    assert.throws(() => sim.advance(10), InvalidArgumentError)
    assert.throws(() => new Simulator({ start: 5 }), InvalidArgumentError)
    assert.throws(() => new Simulator({ manualClock: true }).advance(-1), InvalidArgumentError)
    assert.throws(() => new Simulator({ manualClock: 'yes' }), TypeError)
    assert.throws(() => sim.advance('10'), TypeError)
  })

  test('databases are separate; the count is bounded', async () => {
    const sim = new Simulator()
    await sim.client(0).execute('SET', 'k', 'zero')
    await sim.client(3).execute('SET', 'k', 'three')
    assert.equal(await sim.client(0).execute('GET', 'k'), 'zero')
    assert.equal(await sim.client(3).execute('GET', 'k'), 'three')
    assert.throws(() => sim.client(16), InvalidArgumentError)
  })

  test('snapshot/restore and save/load round-trip the keyspace', async () => {
    const sim = new Simulator()
    const c = sim.client()
    await c.execute('HSET', 'h', 'f', 'v')
    await c.execute('ZADD', 'z', 1, 'm')
    const snap = sim.snapshot()
    assert.ok(Buffer.isBuffer(snap))
    await c.execute('FLUSHALL')
    sim.restore(snap)
    assert.deepEqual(await c.execute('HGETALL', 'h'), ['f', 'v'])
    const dir = mkdtempSync(join(tmpdir(), 'redkit-'))
    try {
      sim.save(join(dir, 'dump.rks'))
      await c.execute('FLUSHALL')
      sim.load(join(dir, 'dump.rks'))
      assert.deepEqual(await c.execute('ZRANGE', 'z', 0, -1), ['m'])
      assert.throws(() => sim.load(join(dir, 'missing.rks')), StorageError)
    } finally {
      rmSync(dir, { recursive: true })
    }
    assert.throws(() => sim.restore(Buffer.from('not a snapshot')), RedkitError)
    assert.deepEqual(await c.execute('HGETALL', 'h'), ['f', 'v'], 'a refused snapshot leaves the data alone')
  })

  test('faults: injected errors, refused connections, heal', async () => {
    const sim = new Simulator()
    const c = sim.client()
    sim.failNext(1, 'ERR boom')
    await assert.rejects(c.execute('PING'), { message: 'ERR boom' })
    assert.equal(await c.execute('PING'), 'PONG')
    sim.refuseConnections(true)
    await assert.rejects(sim.client(1).execute('PING'), ConnectionError)
    sim.heal()
    assert.equal(await sim.client(1).execute('PING'), 'PONG')
  })

  test('a blocked command is parked on the manual clock and times out with it', async () => {
    const sim = new Simulator({ manualClock: true })
    const c = sim.client()
    const waiting = c.execute('BLPOP', 'q', 2)
    const deadline = Date.now() + 1000
    while (sim.parked() === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1))
    assert.equal(sim.parked(), 1)
    sim.advance(2000)
    assert.equal(await waiting, null)
  })
})

describe('connect', () => {
  test('memory:// is a fresh simulator; redis:// a real server', async () => {
    const m = await connect('memory://')
    assert.ok(m instanceof Client)
    assert.equal(m.backendName, 'sim')
    assert.ok(m.simulator instanceof Simulator)
    const r = await connect(server.url)
    assert.equal(r.backendName, 'redis')
    assert.equal(r.simulator, null)
  })

  test('bad URLs and unreachable servers reject clearly', async () => {
    await assert.rejects(connect('http://127.0.0.1'), InvalidArgumentError)
    await assert.rejects(connect('memory://somewhere'), InvalidArgumentError)
    const port = await freePort()
    await assert.rejects(connect(`redis://127.0.0.1:${port}`, { connectTimeout: 500, retries: 0 }), ConnectionError)
    await assert.rejects(connect(server.url, { callTimeout: -1 }), InvalidArgumentError)
    await assert.rejects(async () => connect(42), TypeError)
  })
})

test('ES module import gives the same classes', async () => {
  const esm = await import('redkit')
  assert.equal(esm.Simulator, redkit.Simulator)
  assert.equal(esm.ResponseError, redkit.ResponseError)
  assert.equal(esm.default.connect, redkit.connect)
  assert.equal(await new esm.Simulator().client().execute('PING'), 'PONG')
})

describe('raw commands on a simulator run on the JavaScript thread', () => {
  /** What a call gave, comparable across runs: a value (errors inside it as class and text) or a rejection. */
  const shape = (v) => v instanceof Error ? { error: v.constructor.name, message: v.message } : Array.isArray(v) ? v.map(shape) : v
  async function outcomes (c) {
    const calls = [
      () => c.execute('SET', 'k', 'v'),
      () => c.execute('GET', 'k'),
      () => c.execute('INCR', 'k'),
      () => c.execute('NOSUCHCOMMAND', 'x'),
      () => c.execute('RPUSH', 'l', 'a', 2, Buffer.from('b')),
      () => c.execute('LRANGE', 'l', 0, -1),
      () => c.executeBuffer('LPOP', 'l'),
      () => c.execute('BLPOP', 'l', 1),
      () => c.execute('HSET', 'h', 'f', 1.5),
      () => c.execute('HGETALL', 'h'),
      () => c.execute(),
      () => c.executeMany([['SET', 'a', 1], ['LPUSH', 'a', 'x'], ['INCR', 'a']]),
      () => c.executeMany([['INCR', 'a'], ['GET', 'a']], { transaction: true }),
      () => c.executeMany([['INCR', 'a'], ['NOSUCHCOMMAND']], { transaction: true }),
      () => c.executeMany([['GET', 'a'], []]),
      () => c.executeMany([])
    ]
    const out = []
    for (const call of calls) {
      const p = call()
      assert.ok(p instanceof Promise, 'a Promise, never a synchronous throw, for a well-typed call')
      out.push(await p.then(shape, (e) => ({ rejected: e.constructor.name, message: e.message })))
    }
    return out
  }

  test('the same replies and errors as through the runtime', async () => {
    const fast = new Simulator()
    const slow = new Simulator()
    slow.setLatency(1) // injected latency takes the runtime path
    const expected = await outcomes(slow.client())
    assert.deepEqual(await outcomes(fast.client()), expected)
    assert.deepEqual(expected[2], { rejected: 'ResponseError', message: 'ERR value is not an integer or out of range' })
    assert.equal(expected[10].rejected, 'TypeError')
    assert.deepEqual(expected[11][1], { error: 'ResponseError', message: 'WRONGTYPE Operation against a key holding the wrong kind of value' })
    assert.equal(expected[13].rejected, 'ResponseError')
    assert.equal(expected[14].rejected, 'TypeError')
  })

  test('commands run in call order, done when the call returns', async () => {
    const sim = new Simulator()
    const c = sim.client()
    const pending = []
    for (let i = 0; i < 100; i++) pending.push(c.execute('RPUSH', 'order', i))
    const other = sim.client()
    assert.equal(await other.execute('LLEN', 'order'), 100)
    assert.deepEqual(await Promise.all(pending), Array.from({ length: 100 }, (_, i) => i + 1))
    assert.deepEqual(await c.execute('LRANGE', 'order', 0, -1), Array.from({ length: 100 }, (_, i) => String(i)))
  })

  test('blocking commands still wait off the thread, alone or in a pipeline', async () => {
    const sim = new Simulator()
    const c = sim.client()
    const alone = c.execute('BLPOP', 'q1', 5)
    const piped = c.executeMany([['SET', 'before', 1], ['BLPOP', 'q2', 5]])
    let settled = false
    Promise.all([alone, piped]).then(() => { settled = true }, () => { settled = true })
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(settled, false)
    await c.execute('RPUSH', 'q1', 'one')
    await c.execute('RPUSH', 'q2', 'two')
    assert.deepEqual(await alone, ['q1', 'one'])
    assert.deepEqual(await piped, ['OK', ['q2', 'two']])
  })

  test('injected latency is spent off the JavaScript thread', async () => {
    const sim = new Simulator()
    const c = sim.client()
    sim.setLatency(200)
    const t0 = Date.now()
    const reply = c.execute('PING')
    assert.ok(Date.now() - t0 < 150, 'execute returned before the latency passed')
    assert.equal(await reply, 'PONG')
    assert.ok(Date.now() - t0 >= 190)
  })
})
