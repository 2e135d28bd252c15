/**
 * Streams, pub/sub, leaderboard and geo in the WebAssembly package (bindings-wasm, built by
 * scripts/wasm-build.sh), beyond what the shared scenarios check: blocking reads that end on
 * the manual clock (by `advance`) and on the host's clock (in real time, through the package's
 * cron), the Node package's JavaScript forms (entries' `json()`, `stream.iterate`, a
 * subscription's async iteration, `listen`, `await using`-style close), a reader that gives the
 * subscription up to `unsubscribe` and `close`, request timeouts, the serve handler called
 * back (plain, async, throwing), and options of the wrong type (a TypeError naming the field).
 * Every wait here is bounded.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as wasm from '../../bindings-wasm/js/node.mjs'

const { Simulator } = wasm
const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves once `sim.parked()` exceeds `before` (a call reached its wait), within 2 s. */
async function parkedAbove (sim, before) {
  const deadline = Date.now() + 2000
  while (sim.parked() <= before && Date.now() < deadline) await tick(1)
  assert.ok(sim.parked() > before, 'the call reached its wait')
}

test('stream: a blocking tail and readGroup end when the manual clock passes their timeout', async () => {
  const sim = new Simulator({ manualClock: true, start: 1_000_000 })
  const s = sim.client().stream('events')
  await s.createGroup('g', '$')
  const tail = s.tail('$', 10, 2000)
  await parkedAbove(sim, 0)
  const read = s.readGroup('g', 'c', 10, 3000)
  await parkedAbove(sim, 1)
  let done = false
  tail.then(() => { done = true })
  sim.advance(1999)
  await tick()
  assert.equal(done, false, 'not before its timeout')
  sim.advance(1)
  assert.deepEqual(await tail, [])
  sim.advance(1000)
  assert.deepEqual(await read, [])
  const served = s.tail('$', 10, 5000)
  await parkedAbove(sim, 0)
  const id = await s.addJson({ n: 1 })
  const [entry] = await served
  assert.equal(entry.id, id)
  assert.deepEqual(entry.json(), { n: 1 })
})

test('stream: on the host clock a blocking read ends in real time', async () => {
  const s = new Simulator().client().stream('live')
  await s.createGroup('g', '$')
  const t0 = Date.now()
  assert.deepEqual(await s.readGroup('g', 'c', 1, 60), [])
  assert.deepEqual(await s.tail('$', 1, 40), [])
  const took = Date.now() - t0
  assert.ok(took >= 95 && took < 2000, `took ${took} ms`)
})

test('stream: iterate a group with acks, pending detail, claim and dead letters', async () => {
  const sim = new Simulator({ manualClock: true })
  const s = sim.client().stream('jobs', { maxLen: 100, approx: true })
  await s.createGroup('g', '0')
  for (let n = 0; n < 5; n++) await s.add({ n, tag: new Uint8Array([104, 105]) })
  const seen = []
  for await (const e of s.iterate({ group: 'g', consumer: 'a', count: 2, max: 3, ack: true })) seen.push(e.fields.n)
  assert.deepEqual(seen, ['0', '1', '2'])
  assert.equal((await s.pending('g')).count, 0, 'max reached: the last entry is acked too')
  const left = await s.readGroup('g', 'b', 10)
  assert.deepEqual(left.map((e) => e.fields.tag), ['hi', 'hi'])
  assert.equal(await s.ack('g', left[0]), 1, 'ack takes entries')
  sim.advance(500)
  const detail = await s.pendingEntries('g', 10, { consumer: 'b', minIdle: 100 })
  assert.deepEqual(detail.map((p) => [p.consumer, p.idle, p.deliveries]), [['b', 500, 1]])
  const claimed = await s.claimIdle('g', 'c', 100, 10)
  assert.equal(claimed.entries.length, 1)
  assert.equal(typeof claimed.entries[0].json, 'function')
  const dead = await s.deadLetter('g', 1, { minIdle: 0, count: 10 })
  assert.deepEqual(dead.moved, [claimed.entries[0].id])
  assert.equal((await s.deadLetters())[0].fields['dead:consumer'], 'c')
  await assert.rejects(s.trim({ maxLen: 1, minId: '1-0' }), { name: 'InvalidArgumentError', message: /not both/ })
  assert.equal(await s.trim({ maxLen: 1 }), 4)
})

test('pub/sub: a subscription iterates its messages; close ends the loop and a waiting read', async () => {
  const sim = new Simulator({ manualClock: true })
  const ps = sim.client().pubsub()
  const sub = await ps.subscribe(['news', 'sport'])
  const got = []
  const loop = (async () => { for await (const m of sub) got.push([m.channel, m.text()]) })()
  assert.equal(await ps.publish('news', 'a'), 1)
  assert.equal(await ps.publishJson('sport', { goal: 1 }), 1)
  await tick()
  assert.deepEqual(got, [['news', 'a'], ['sport', '{"goal":1}']])
  await sub.close()
  await loop
  assert.equal(sub.closed, true)
  assert.equal(await sub.nextMessage(), null)
  assert.equal(await ps.publish('news', 'b'), 0, 'closed: nobody receives')

  const patterns = await ps.psubscribe('log.*')
  const messages = patterns.listen({ max: 2 })
  await ps.publish('log.a', new Uint8Array([0x7b, 0x7d]))
  await ps.publish('log.b', 5)
  const listened = []
  for await (const m of messages) listened.push([m.pattern, m.channel, m.json()])
  assert.deepEqual(listened, [['log.*', 'log.a', {}], ['log.*', 'log.b', 5]])
  await patterns.close()
})

test('pub/sub: unsubscribe does not wait for the next message; a read times out on either clock', async () => {
  const sim = new Simulator({ manualClock: true })
  const ps = sim.client().pubsub()
  const sub = await ps.subscribe('a')
  const waiting = sub.nextMessage(1000)
  await tick()
  await sub.subscribe('b')
  await sub.unsubscribe('a')
  assert.equal(await ps.publish('a', 'x'), 0)
  assert.equal(await ps.publish('b', 'y'), 1)
  assert.equal((await waiting).text(), 'y')
  const late = sub.nextMessage(1000)
  await parkedAbove(sim, 0)
  sim.advance(1000)
  await assert.rejects(late, { name: 'TimeoutError', kind: 'timeout' })
  await sub.unsubscribe()
  assert.equal(await ps.publish('b', 'z'), 0)
  await sub.close()
  await assert.rejects(sub.subscribe('c'), { name: 'ConnectionError' })

  const host = await new Simulator().client().pubsub().subscribe('quiet')
  const t0 = Date.now()
  assert.deepEqual([...(await collect(host.listen({ timeout: 50 })))], [])
  assert.ok(Date.now() - t0 >= 45, 'listen waited its timeout in real time')
  await host.close()
})

/** The values of an async iterable. */
async function collect (iterable) {
  const out = []
  for await (const x of iterable) out.push(x)
  return out
}

test('request/serve: the handler is called back (plain, async, throwing) and requests time out', async () => {
  const sim = new Simulator({ manualClock: true })
  const ps = sim.client().pubsub()
  const calls = []
  let release
  const held = new Promise((resolve) => { release = resolve })
  const responder = await ps.serve('math', async (body) => {
    calls.push(body)
    if (body.op === 'hold') return held
    if (body.op === 'fail') throw new wasm.NotFoundError('no such op')
    if (body.op === 'bad') throw new RangeError('out of range')
    return body.a + body.b
  })
  assert.equal(await ps.request('math', { op: 'add', a: 2, b: 3 }, 1000), 5)
  await assert.rejects(ps.request('math', { op: 'fail' }, 1000), { name: 'NotFoundError', message: /no such op/ })
  await assert.rejects(ps.request('math', { op: 'bad' }, 1000), { name: 'InvalidArgumentError' })
  const requester = await ps.requester('math')
  assert.equal(requester.service, 'math')
  assert.match(requester.replyChannel, /math/)
  const slow = requester.request({ op: 'hold' }, 500)
  await parkedAbove(sim, 0)
  sim.advance(500)
  await assert.rejects(slow, { name: 'TimeoutError' })
  release(7)
  await tick()
  assert.equal(await requester.request({ op: 'add', a: 1, b: 1 }, 1000), 2, 'the late answer is skipped')
  assert.equal(responder.served, 5)
  assert.equal(responder.running, true)
  await requester.close()
  await assert.rejects(requester.request({}, 10), { name: 'ConnectionError' })
  await responder.stop()
  assert.equal(responder.running, false)
  assert.equal(responder.served, 5)
  await assert.rejects(ps.request('math', {}, 1000), { name: 'NotFoundError' })
  await assert.rejects(ps.serve('x', 'not a function'), TypeError)

  const host = new Simulator().client().pubsub()
  let answer
  const silent = await host.serve('silent', () => new Promise((resolve) => { answer = resolve }))
  const t0 = Date.now()
  await assert.rejects(host.request('silent', null, 60), { name: 'TimeoutError' })
  assert.ok(Date.now() - t0 >= 55, 'the request waited its timeout in real time')
  answer('late') // a responder serves (and keeps the host's cron running) until it is stopped
  await silent.stop()
})

test('leaderboard and geo: the Node package\'s names and results', async () => {
  const c = new Simulator({ manualClock: true }).client()
  const board = c.leaderboard('race', { order: 'lowest_first', ttl: 60_000 })
  assert.deepEqual([board.name, board.order, board.key], ['race', 'lowest_first', 'redkit:leaderboard:{race}'])
  assert.equal(await board.addMany({ ann: 31.5, bob: 29 }), 2)
  assert.equal(await board.addMany([['cy', 30]]), 1)
  assert.deepEqual(await board.top(2), [{ member: 'bob', score: 29, rank: 1 }, { member: 'cy', score: 30, rank: 2 }])
  assert.equal((await board.page(1, 2)).pages, 2)
  const geo = c.geo('shops')
  assert.equal(await geo.addMany([['palermo', 13.361389, 38.115556], ['catania', 15.087269, 37.502669]]), 2)
  assert.ok(Math.abs((await geo.distance('palermo', 'catania', 'km')) - 166.27) < 0.01)
  const hits = await geo.search({ longitude: 15, latitude: 37, radius: 200, unit: 'km', count: 1 })
  assert.deepEqual(hits.map((h) => h.member), ['catania'])
  assert.deepEqual(await geo.positions(['ghost']), [null])
})

test('options of the wrong type are TypeErrors naming the field; bad values InvalidArgumentErrors', async () => {
  const c = new Simulator({ manualClock: true }).client()
  assert.throws(() => c.stream('s', { maxLen: 'ten' }), { name: 'TypeError', message: /maxLen/ })
  assert.throws(() => c.stream('s', { approx: 1 }), { name: 'TypeError', message: /approx/ })
  assert.throws(() => c.stream('s', 5), TypeError)
  assert.throws(() => c.stream('s', { maxLen: 5, minId: '1-0' }), { name: 'InvalidArgumentError', message: /not both/ })
  assert.throws(() => c.leaderboard('b', { ttl: '1s' }), { name: 'TypeError', message: /ttl/ })
  assert.throws(() => c.leaderboard('b', { order: 'sideways' }), { name: 'InvalidArgumentError', message: /sideways/ })
  assert.throws(() => c.geo('g', { prefix: 7 }), { name: 'TypeError', message: /prefix/ })
  assert.throws(() => c.pubsub({ prefix: [] }), { name: 'TypeError', message: /prefix/ })
  const s = c.stream('s')
  await assert.rejects(s.add({ a: {} }), TypeError)
  await assert.rejects(s.add([1]), TypeError)
  await assert.rejects(s.add({ a: 1 }, { maxLen: -1 }), { name: 'InvalidArgumentError', message: /maxLen/ })
  await assert.rejects(s.pendingEntries('g', 1, { minIdle: 'long' }), { name: 'TypeError', message: /minIdle/ })
  await assert.rejects(s.deadLetter('g', 1, { count: 1.5 }), { name: 'TypeError', message: /count/ })
  await assert.rejects(s.ack('g', 5), TypeError)
  await assert.rejects(s.tail('$', 1.5), { name: 'InvalidArgumentError', message: /count/ })
  assert.throws(() => s.iterate({ block: 'x' }), TypeError)
  const geo = c.geo('g')
  await assert.rejects(geo.search({ member: 'a', radius: 'far' }), { name: 'TypeError', message: /radius/ })
  await assert.rejects(geo.search({ member: 'a', longitude: 1, latitude: 1, radius: 1 }), { name: 'InvalidArgumentError' })
  await assert.rejects(geo.search(), TypeError)
  await assert.rejects(c.leaderboard('b').addMany('ann'), TypeError)
  await assert.rejects(c.leaderboard('b').addMany([['ann', 'high']]), TypeError)
  const ps = c.pubsub()
  await assert.rejects(ps.subscribe(5), TypeError)
  await assert.rejects(ps.publish('ch', {}), TypeError)
  await assert.rejects(ps.publishJson('ch', () => 1), TypeError)
  await assert.rejects(ps.request('svc', 1n, 10), TypeError)
})

test('arguments of the wrong type reject with a TypeError naming them (none reaches the module as a bad string)', async () => {
  const c = new Simulator({ manualClock: true }).client()
  assert.throws(() => c.stream(5), { name: 'TypeError', message: /name/ })
  assert.throws(() => c.leaderboard(undefined), { name: 'TypeError', message: /name/ })
  const board = c.leaderboard('b')
  await assert.rejects(board.add(5, 1), { name: 'TypeError', message: /member/ })
  await assert.rejects(board.rank({}), { name: 'TypeError', message: /member/ })
  const s = c.stream('s')
  await assert.rejects(s.createGroup(5), { name: 'TypeError', message: /group/ })
  await assert.rejects(s.range(1, 2), { name: 'TypeError', message: /start/ })
  await assert.rejects(s.tail('$', 'many'), { name: 'TypeError', message: /count/ })
  await assert.rejects(c.geo('g').distance('a', 'b', 5), { name: 'TypeError', message: /unit/ })
  const ps = c.pubsub()
  await assert.rejects(ps.publish(5, 'x'), { name: 'TypeError', message: /channel/ })
  await assert.rejects(ps.serve(null, () => 1), { name: 'TypeError', message: /service/ })
  assert.equal(await board.add('still fine', 1), true, 'the module still works')
})
