/**
 * The WebAssembly package (bindings-wasm, built by scripts/wasm-build.sh) in Node, beyond what
 * the shared scenarios check: both builds load (`nodejs`, and the `web` ES module initialised
 * from its bytes as a browser would after a fetch), raw commands with their replies and errors
 * (the same `name`/`kind`/`code` as the Node package's), blocking commands woken by another
 * client, by `advance` on a manual clock and by the host's clock through the package's cron,
 * snapshots and faults, and EVAL's clear error (no Lua in this build).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import * as wasm from '../../bindings-wasm/js/node.mjs'

const { Simulator } = wasm

test('replies: strings, numbers, null, arrays, Uint8Arrays, and errors in place', async () => {
  const c = new Simulator().client()
  assert.equal(await c.execute('SET', 'k', 'v'), 'OK')
  assert.equal(await c.execute('GET', 'k'), 'v')
  assert.equal(await c.execute('GET', 'missing'), null)
  assert.equal(await c.execute('INCRBY', 'n', 41), 41)
  assert.equal(await c.execute('INCRBYFLOAT', 'f', 1.5), '1.5')
  assert.equal(await c.execute('SET', new Uint8Array([98]), new Uint8Array([0, 255])), 'OK')
  assert.deepEqual(await c.executeBuffer('GET', 'b'), new Uint8Array([0, 255]))
  const replies = await c.executeMany([['RPUSH', 'l', 'a', 'b'], ['LRANGE', 'l', 0, -1], ['GET', 'l']])
  assert.deepEqual(replies.slice(0, 2), [2, ['a', 'b']])
  assert.equal(replies[2].name, 'ResponseError')
  assert.match(replies[2].message, /^WRONGTYPE/)
  assert.deepEqual(await c.executeMany([['INCR', 'n'], ['INCR', 'n']], { transaction: true }), [42, 43])
  assert.equal(c.backendName, 'sim')
})

test('errors carry the Node package\'s name, kind and code; wrong types are TypeErrors', async () => {
  const sim = new Simulator({ manualClock: true })
  const c = sim.client()
  await assert.rejects(c.execute('GET'), { name: 'ResponseError', kind: 'reply', code: 'ERR_REDKIT_REPLY',
    message: "ERR wrong number of arguments for 'get' command" })
  await assert.rejects(c.execute('BLPOP', 'q', 0), { name: 'InvalidArgumentError', kind: 'invalid_argument' })
  await assert.rejects(c.execute({}), TypeError)
  await assert.rejects(c.execute(), TypeError)
  await assert.rejects(c.execute('SET', 'k', NaN), TypeError)
  await assert.rejects(c.executeMany([['PING'], 'PING']), TypeError)
  assert.throws(() => new Simulator({ start: 5 }), { name: 'InvalidArgumentError' })
  assert.throws(() => new Simulator(5), TypeError)
  assert.throws(() => sim.client(16), { name: 'InvalidArgumentError' })
  assert.throws(() => new Simulator().advance(1), { name: 'InvalidArgumentError' })
  sim.refuseConnections(true)
  await assert.rejects(sim.client().execute('PING'), { name: 'ConnectionError', kind: 'connection' })
  sim.refuseConnections(false)
  sim.failNext(1, 'ERR boom')
  await assert.rejects(c.execute('PING'), { kind: 'reply', message: 'ERR boom' })
  assert.equal(await c.execute('PING'), 'PONG')
})

test('a blocking command is served by another client, or times out on the manual clock', async () => {
  const sim = new Simulator({ manualClock: true, start: 1_000_000 })
  const [a, b] = [sim.client(), sim.client()]
  const served = a.execute('BLPOP', 'q', 5)
  assert.equal(await b.execute('RPUSH', 'q', 'job'), 1)
  assert.deepEqual(await served, ['q', 'job'])
  const waiting = a.execute('BLPOP', 'q', 2)
  let done = false
  waiting.then(() => { done = true })
  sim.advance(1999)
  await new Promise((resolve) => setTimeout(resolve, 5))
  assert.equal(done, false, 'not before its timeout')
  sim.advance(1)
  assert.equal(await waiting, null)
  assert.equal(sim.now(), 1_002_000)
})

test('on the host\'s clock a blocking command times out in real time', async () => {
  const c = new Simulator().client()
  const t0 = Date.now()
  assert.equal(await c.execute('BLPOP', 'nothing', 0.05), null)
  const took = Date.now() - t0
  assert.ok(took >= 45 && took < 1000, `took ${took} ms`)
})

test('EVAL answers a clear error: the WebAssembly build has no Lua', async () => {
  const c = new Simulator().client()
  const unavailable = { name: 'ResponseError', kind: 'reply', message: /scripting is not available/ }
  await assert.rejects(c.execute('EVAL', 'return 1', 0), unavailable)
  await assert.rejects(c.execute('FCALL', 'f', 0), unavailable)
})

test('snapshot and restore carry the keyspace', async () => {
  const a = new Simulator()
  await a.client().execute('HSET', 'h', 'f', 'v')
  const bytes = a.snapshot()
  assert.ok(bytes instanceof Uint8Array && bytes.length > 0)
  const b = new Simulator()
  b.restore(bytes)
  assert.deepEqual(await b.client().execute('HGETALL', 'h'), ['f', 'v'])
  assert.throws(() => b.restore(new Uint8Array([1, 2, 3])), { name: 'SerializationError', kind: 'serialization' })
})

test('the web build loads as an ES module from its bytes, as a browser does after a fetch', async () => {
  const web = await import('../../bindings-wasm/js/web.mjs')
  web.initSync({ module: readFileSync(new URL('../../bindings-wasm/pkg/web/redkit_wasm_bg.wasm', import.meta.url)) })
  const c = new web.Simulator({ manualClock: true }).client()
  assert.equal(await c.execute('ECHO', 'hi'), 'hi')
})

test('client.simulator is the simulator behind the client', async () => {
  const sim = new Simulator({ manualClock: true, start: 1000 })
  const c = sim.client()
  await c.execute('SET', 'k', 'v', 'PX', 50)
  c.simulator.advance(51)
  assert.equal(sim.now(), 1051)
  assert.equal(await c.execute('GET', 'k'), null)
})
