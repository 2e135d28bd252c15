/**
 * Streams on the simulator and on a redis-server of its own: entries as `{ id, fields }` with
 * `json()`, trimming, groups with acks, pending, claiming and dead letters, `iterate()` over a
 * tail and a group (bounded waits, `break`, `return()`, acks), errors and argument checks, and a
 * child process that ends by itself once its iteration is over (no handle left behind).
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { withBackends } from './support/backends.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, connect, NotFoundError, InvalidArgumentError, SerializationError, ResponseError } = redkit
const PACKAGE = fileURLToPath(new URL('../../bindings-node', import.meta.url))

const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`stream on ${backend}`, () => {
    test('add, range, revRange, len and trimming', async () => {
      const client = await make()
      const s = client.stream('orders', { maxLen: 3 })
      assert.equal(s.name, 'orders')
      const ids = []
      for (let i = 1; i <= 5; i++) ids.push(await s.add({ n: i, b: Buffer.from('x'), s: 'text' }))
      assert.ok(ids.every((id) => /^\d+-\d+$/.test(id)))
      assert.equal(await s.len(), 3)
      const all = await s.range()
      assert.deepEqual(all.map((e) => e.fields.n), ['3', '4', '5'])
      assert.deepEqual(all[0].fields, { n: '3', b: 'x', s: 'text' })
      assert.deepEqual(Object.keys(all[0]).sort(), ['fields', 'id'])
      assert.deepEqual((await s.revRange('+', '-', 2)).map((e) => e.fields.n), ['5', '4'])
      assert.deepEqual((await s.range(`(${ids[2]}`, '+')).map((e) => e.id), ids.slice(3))
      const id = await s.add({ n: 6 }, { minId: ids[4] })
      assert.deepEqual((await s.range()).map((e) => e.id), [ids[4], id])
      assert.equal(await s.trim({ maxLen: 1 }), 1)
      assert.equal(await s.len(), 1)
    })

    test('JSON events round-trip; entries that are not events fail with SerializationError', async () => {
      const client = await make()
      const s = client.stream('events')
      const id = await s.addJson({ type: 'login', ids: [1, 2], ok: true })
      const [e] = await s.range()
      assert.equal(e.id, id)
      assert.deepEqual(e.json(), { type: 'login', ids: [1, 2], ok: true })
      await s.add({ data: '{nope' })
      await s.add({ other: '1' })
      const [, bad, none] = await s.range()
      assert.throws(() => bad.json(), SerializationError)
      assert.throws(() => none.json(), { name: 'SerializationError', message: /no "data" field/ })
    })

    test('consumer groups: read, ack, pending, claim and dead letters', async () => {
      const client = await make()
      const s = client.stream('jobs', { deadLetterMaxLen: 10 })
      assert.equal(await s.createGroup('g', '0'), true)
      assert.equal(await s.createGroup('g', '0'), false)
      const ids = [await s.add({ job: 'a' }), await s.add({ job: 'b' }), await s.add({ job: 'c' })]
      const got = await s.readGroup('g', 'alice', 2)
      assert.deepEqual(got.map((e) => e.id), ids.slice(0, 2))
      assert.deepEqual((await s.readGroup('g', 'bob')).map((e) => e.id), [ids[2]])
      assert.equal(await s.ack('g', ids[0]), 1)
      assert.equal(await s.ack('g', [ids[0], got[1]]), 1, 'ids and entries')
      const summary = await s.pending('g')
      assert.deepEqual(summary, { count: 1, firstId: ids[2], lastId: ids[2], consumers: [{ name: 'bob', count: 1 }] })
      const [p] = await s.pendingEntries('g', 10, { consumer: 'bob' })
      assert.equal(p.id, ids[2])
      assert.equal(p.deliveries, 1)
      assert.equal(typeof p.idle, 'number')
      assert.deepEqual((await s.readOwnPending('g', 'bob')).map((e) => e.id), [ids[2]])
      const claimed = await s.claimIdle('g', 'carol', 0)
      assert.deepEqual(claimed.entries.map((e) => e.fields.job), ['c'])
      assert.equal(claimed.next, '0-0')
      assert.deepEqual(claimed.deleted, [])
      assert.deepEqual(claimed.entries[0].json === undefined, false, 'claimed entries decode too')
      const [g] = await s.groups()
      assert.equal(g.name, 'g')
      assert.equal(g.pending, 1)
      assert.equal(g.lastDeliveredId, ids[2])
      const dead = await s.deadLetter('g', 2)
      assert.deepEqual(dead, { moved: [ids[2]], dropped: [] })
      const [letter] = await s.deadLetters()
      assert.equal(letter.fields['dead:id'], ids[2])
      assert.equal(letter.fields['dead:group'], 'g')
      assert.equal((await s.pending('g')).count, 0)
      assert.equal(await s.deleteConsumer('g', 'carol'), 0)
      assert.equal(await s.destroyGroup('g'), true)
      assert.equal(await s.destroyGroup('g'), false)
    })

    test('errors reach JavaScript as their classes; wrong types are TypeErrors', async () => {
      const client = await make()
      const s = client.stream('e')
      await assert.rejects(s.readGroup('nope', 'c'), NotFoundError)
      await assert.rejects(s.range('bad'), InvalidArgumentError)
      await assert.rejects(s.add({}), InvalidArgumentError)
      await assert.rejects(s.tail('$', 0), InvalidArgumentError)
      await assert.rejects(async () => s.range('-', '+', -1), InvalidArgumentError)
      await assert.rejects(s.add({ a: {} }), TypeError)
      await assert.rejects(s.add('nope'), TypeError)
      await assert.rejects(s.add(['a']), TypeError)
      await assert.rejects(async () => s.ack('g', { id: 7 }), TypeError)
      assert.throws(() => client.stream('x', { maxLen: 1, minId: '1-0' }), TypeError)
      assert.throws(() => client.stream(''), InvalidArgumentError)
      await client.execute('SET', 'redkit:stream:{str}', 'v')
      await assert.rejects(client.stream('str').len(), ResponseError)
    })

    test('iterate over a group acks as it goes and ends when a read finds nothing', async () => {
      const client = await make()
      const s = client.stream('work')
      await s.createGroup('g', '0')
      for (let i = 0; i < 5; i++) await s.add({ i })
      const seen = []
      for await (const e of s.iterate({ group: 'g', consumer: 'c', count: 2, ack: true })) seen.push(e.fields.i)
      assert.deepEqual(seen, ['0', '1', '2', '3', '4'])
      assert.equal((await s.pending('g')).count, 0)
    })

    test('break ends an iteration: the entry it broke on stays pending, max bounds it', async () => {
      const client = await make()
      const s = client.stream('work')
      await s.createGroup('g', '0')
      for (let i = 0; i < 5; i++) await s.add({ i })
      const seen = []
      for await (const e of s.iterate({ group: 'g', consumer: 'c', count: 1, ack: true })) {
        seen.push(e.fields.i)
        if (seen.length === 2) break
      }
      assert.deepEqual(seen, ['0', '1'])
      assert.deepEqual((await s.pending('g')).count, 1, 'the entry broken on is not acked')
      const it = s.iterate({ group: 'g', consumer: 'c', max: 2 })
      assert.equal((await it.next()).value.fields.i, '2')
      assert.deepEqual(await it.return(), { done: true, value: undefined })
      assert.deepEqual(await it.next(), { done: true, value: undefined })
      const tail = []
      for await (const e of s.iterate({ after: '0', max: 3 })) tail.push(e.fields.i)
      assert.deepEqual(tail, ['0', '1', '2'])
    })

    test('iterate checks its options at once', async () => {
      const s = (await make()).stream('x')
      assert.throws(() => s.iterate({ group: 'g' }), TypeError)
      assert.throws(() => s.iterate({ ack: true }), TypeError)
      assert.throws(() => s.iterate({ block: -1 }), TypeError)
      assert.throws(() => s.iterate({ grup: 'g' }), /unknown option grup/)
    })
  })
}

describe('stream on a manual clock', () => {
  test('a blocked iteration waits the backend time and wakes on an add', async () => {
    const sim = new Simulator({ manualClock: true })
    const s = sim.client().stream('tail')
    const it = s.iterate({ block: 1000 })
    const first = it.next()
    await new Promise((resolve) => setTimeout(resolve, 20))
    await s.add({ n: 1 })
    assert.equal((await first).value.fields.n, '1')
    const second = it.next()
    await new Promise((resolve) => setTimeout(resolve, 20))
    sim.advance(1001)
    assert.deepEqual(await second, { done: true, value: undefined }, 'a read that timed out ends it')
  })

  test('claimIdle takes only entries idle long enough', async () => {
    const sim = new Simulator({ manualClock: true })
    const s = sim.client().stream('c')
    await s.createGroup('g', '0')
    await s.add({ a: 1 })
    await s.readGroup('g', 'dead')
    assert.deepEqual((await s.claimIdle('g', 'live', 5000)).entries, [])
    sim.advance(5000)
    assert.equal((await s.claimIdle('g', 'live', 5000)).entries.length, 1)
    assert.deepEqual((await s.pendingEntries('g', 10, { minIdle: 1 })).length, 0)
  })
})

test('a process whose iteration ended exits by itself (no handle left)', async () => {
  const code = `
    const { Simulator } = require(${JSON.stringify(PACKAGE)})
    ;(async () => {
      const s = new Simulator().client().stream('s')
      await s.add({ a: 1 })
      for await (const e of s.iterate({ after: '0', block: 50 })) { if (e.fields.a === '1') break }
      for await (const e of s.iterate({ after: '$', block: 50 })) { throw new Error('nothing was added') }
      console.log('done')
    })()`
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { timeout: 10_000 })
  assert.equal(stdout.trim(), 'done')
})
