/**
 * Pub/sub on the simulator and on a redis-server of its own: publish and its counts, messages
 * with Buffer payloads and `text()` / `json()`, subscriptions changed while read, bounded and
 * unbounded reads, `for await` and `listen()` ending on close / timeout / max / break, `await
 * using`, requests with no responder and requesters, errors and argument checks, and a child
 * process that exits by itself once its subscription is closed (no handle left behind).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { withBackends } from './support/backends.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, connect, TimeoutError, NotFoundError, InvalidArgumentError, SerializationError, ConnectionError } = redkit
const PACKAGE = fileURLToPath(new URL('../../bindings-node', import.meta.url))

const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`pubsub on ${backend}`, () => {
    test('publish reaches channel and pattern subscribers; messages carry Buffers', async () => {
      const ps = (await make()).pubsub()
      const sub = await ps.subscribe('news')
      const pat = await ps.psubscribe(['news*', 'other*'])
      assert.equal(await ps.publish('news', 'hello'), 2)
      assert.equal(await ps.publish('news', Buffer.from([0xff, 0x00])), 2)
      assert.equal(await ps.publish('nobody', 42), 0)
      const m = await sub.nextMessage(1000)
      assert.deepEqual({ ...m }, { channel: 'news', pattern: null, payload: Buffer.from('hello') })
      assert.ok(Buffer.isBuffer(m.payload))
      assert.equal(m.text(), 'hello')
      const binary = await sub.nextMessage(1000)
      assert.throws(() => binary.text(), SerializationError)
      const p = await pat.nextMessage(1000)
      assert.equal(p.pattern, 'news*')
      assert.equal(p.channel, 'news')
      await sub[Symbol.asyncDispose]()
      await pat[Symbol.asyncDispose]()
      assert.equal(sub.closed && pat.closed, true)
      assert.equal(await ps.publish('news', 'gone'), 0)
    })

    test('JSON messages, sharded publish, and changing a subscription while it is read', async () => {
      const ps = (await make()).pubsub()
      const sub = await ps.subscription()
      await sub.subscribe('a')
      const reading = sub.nextMessage(5000)
      await sleep(20)
      await sub.subscribe(['b', 'c']) // does not wait for the pending read
      assert.equal(await ps.publishJson('b', { x: [1, 2] }), 1)
      const m = await reading
      assert.deepEqual(m.json(), { x: [1, 2] })
      assert.equal(await ps.spublish('a', 'sharded'), 0)
      await sub.unsubscribe('b')
      assert.equal(await ps.publish('b', 'x'), 0)
      await sub.psubscribe('z*')
      await sub.punsubscribe()
      await sub.unsubscribe()
      assert.equal(await ps.publish('c', 'x'), 0)
      await ps.publish('c', 'x')
      await sub.close()
      assert.equal(sub.closed, true)
      await sub.close() // twice is harmless
      await assert.rejects(sub.subscribe('a'), ConnectionError)
      assert.equal(await sub.nextMessage(10), null)
    })

    test('bounded reads: TimeoutError, and a zero timeout takes only what is there', async () => {
      const ps = (await make()).pubsub()
      const sub = await ps.subscribe('q')
      await assert.rejects(sub.nextMessage(30), { name: 'TimeoutError', message: /30 ms/ })
      await assert.rejects(sub.nextMessage(0), TimeoutError)
      await ps.publish('q', 'x')
      await sleep(100) // delivered by now: a zero timeout takes it without waiting
      assert.equal((await sub.nextMessage(0)).text(), 'x')
      await ps.publishJson('q', 'not-an-object')
      const m = await sub.nextMessage(1000)
      assert.equal(m.json(), 'not-an-object')
      await ps.publish('q', '{nope')
      const bad = await sub.nextMessage(1000)
      assert.throws(() => bad.json(), SerializationError)
      await sub.close()
    })

    test('for await ends when the subscription closes; a pending read resolves on close', async () => {
      const ps = (await make()).pubsub()
      const sub = await ps.subscribe('feed')
      const seen = []
      const loop = (async () => { for await (const m of sub) seen.push(m.text()) })()
      await sleep(20)
      await ps.publish('feed', '1')
      await ps.publish('feed', '2')
      for (let i = 0; i < 200 && seen.length < 2; i++) await sleep(5)
      await sub.close()
      await loop
      assert.deepEqual(seen, ['1', '2'])
    })

    test('listen ends after max, after a quiet timeout, or on break; the subscription stays open', async () => {
      const ps = (await make()).pubsub()
      const sub = await ps.subscribe('l')
      for (const n of ['1', '2', '3', '4']) await ps.publish('l', n)
      const first = []
      for await (const m of sub.listen({ max: 2, timeout: 1000 })) first.push(m.text())
      assert.deepEqual(first, ['1', '2'])
      for await (const m of sub) { assert.equal(m.text(), '3'); break }
      const rest = []
      for await (const m of sub.listen({ timeout: 50 })) rest.push(m.text())
      assert.deepEqual(rest, ['4'])
      assert.equal(sub.closed, false)
      assert.throws(() => sub.listen({ timeout: -1 }), TypeError)
      await sub.close()
    })

    test('requests: no responder fails at once; a requester asks from its own channel', async () => {
      const client = await make()
      const ps = client.pubsub({ prefix: 'app' })
      await assert.rejects(ps.request('nobody', { q: 1 }, 5000), NotFoundError)
      await assert.rejects(ps.request('x', 1, 0), InvalidArgumentError)
      const spy = await ps.subscribe('app:rpc:{svc}')
      const r = await ps.requester('svc')
      assert.equal(r.service, 'svc')
      assert.match(r.replyChannel, /^app:rpc:\{svc\}:reply:/)
      const asking = r.request({ q: 2 }, 5000)
      const req = (await spy.nextMessage(1000)).json()
      assert.deepEqual(req.body, { q: 2 })
      assert.equal(req.reply_to, r.replyChannel)
      await ps.publishJson(req.reply_to, { id: req.id, body: { a: 3 } })
      assert.deepEqual(await asking, { a: 3 })
      await r[Symbol.asyncDispose]()
      await assert.rejects(r.request(1, 100), ConnectionError)
      assert.throws(() => client.pubsub({ prefix: 'x}' }), InvalidArgumentError)
      await spy.close()
    })

    test('wrong argument types are TypeErrors', async () => {
      const ps = (await make()).pubsub()
      await assert.rejects(async () => ps.subscribe(7), TypeError)
      await assert.rejects(async () => ps.publish('c', {}), TypeError)
      await assert.rejects(ps.subscribe([]), InvalidArgumentError)
    })

    test('serve answers requests with a plain or async handler; stop makes requests fail fast', async () => {
      const ps = (await make()).pubsub()
      const doubler = await ps.serve('double', (n) => n * 2)
      const slowEcho = await ps.serve('echo', async (body) => {
        await sleep(5)
        return { got: body }
      })
      assert.equal(await ps.request('double', 21, 2000), 42)
      assert.deepEqual(await ps.request('echo', [1, 'a'], 2000), { got: [1, 'a'] })
      assert.equal(doubler.served, 1)
      assert.equal(doubler.service, 'double')
      assert.equal(doubler.running, true)
      await doubler.stop()
      await doubler.stop()
      assert.equal(doubler.running, false)
      assert.equal(doubler.served, 1, 'the count survives stop()')
      await assert.rejects(ps.request('double', 1, 2000), NotFoundError)
      await slowEcho[Symbol.asyncDispose]()
      await assert.rejects(ps.request('echo', 1, 2000), NotFoundError)
    })

    test('what a handler throws reaches the requester as its kind and message', async () => {
      const ps = (await make()).pubsub()
      const responders = [
        await ps.serve('refuse', () => { throw new InvalidArgumentError('no thanks') }),
        await ps.serve('typed', () => { throw new TypeError('bad body') }),
        await ps.serve('plain', async () => { throw new Error('boom') }),
        await ps.serve('odd', () => { throw 'a string' }) // eslint-disable-line no-throw-literal
      ]
      await assert.rejects(ps.request('refuse', 1, 2000), (e) => e instanceof InvalidArgumentError && /no thanks/.test(e.message))
      await assert.rejects(ps.request('typed', 1, 2000), (e) => e instanceof InvalidArgumentError && /bad body/.test(e.message))
      await assert.rejects(ps.request('plain', 1, 2000), (e) => e.kind === 'reply' && /Error: boom/.test(e.message))
      await assert.rejects(ps.request('odd', 1, 2000), (e) => e.kind === 'reply' && /a string/.test(e.message))
      for (const r of responders) await r.stop()
      await assert.rejects(ps.serve('x', 'not a function'), TypeError)
    })
  })
}

test('a read waits on the simulator\'s manual clock', async () => {
  const sim = new Simulator({ manualClock: true })
  const sub = await sim.client().pubsub().subscribe('c')
  const waiting = sub.nextMessage(1000)
  await sleep(20)
  sim.advance(1001)
  await assert.rejects(waiting, TimeoutError)
  await sub.close()
})

test('a process exits by itself once its subscription is closed (no handle left)', async () => {
  const code = `
    const { Simulator } = require(${JSON.stringify(PACKAGE)})
    ;(async () => {
      const ps = new Simulator().client().pubsub()
      const sub = await ps.subscribe('c')
      const loop = (async () => { for await (const m of sub) console.log(m.text()) })()
      await new Promise((r) => setTimeout(r, 20))
      await ps.publish('c', 'one')
      await new Promise((r) => setTimeout(r, 20))
      await sub.close()
      await loop
      const again = await ps.psubscribe('x*')
      const pending = again.nextMessage()
      await again.close()
      console.log(await pending)
    })()`
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { timeout: 10_000 })
  assert.deepEqual(stdout.trim().split('\n'), ['one', 'null'])
})
