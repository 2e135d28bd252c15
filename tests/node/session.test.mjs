/**
 * Sessions through the Node API on the simulator and on a redis-server of its own: create/get
 * with JSON data (Buffers too), field reads and writes, sliding idle TTL and absolute lifetime on
 * a manual clock, regenerate, per-user listing, revoke-all, the per-user cap, signed tokens,
 * and errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { withBackends } from './support/backends.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const { Simulator, connect, InvalidArgumentError, NotFoundError } = redkit

const backends = withBackends()

const SECRET = '0123456789abcdef0123456789abcdef'

for (const [backend, make] of Object.entries(backends)) {
  describe(`sessions on ${backend}`, () => {
    test('create, get, fields, regenerate, destroy', async () => {
      const store = (await make()).sessions({ name: 'web', idleTtl: 60_000 })
      assert.equal(store.name, 'web')
      const { session, evicted } = await store.create({ user: 'ada', data: { cart: [1, 2], avatar: Buffer.from([1, 2, 3]) } })
      assert.deepEqual(evicted, [])
      assert.equal(session.id.length, 43)
      assert.equal(session.token, session.id)
      assert.equal(session.user, 'ada')
      assert.equal(session.ttl, 60_000)
      assert.ok(session.expiresAt > session.createdAt)
      assert.deepEqual(session.data, { cart: [1, 2], avatar: Buffer.from([1, 2, 3]) })
      const read = await store.get(session.token)
      assert.deepEqual(read.data, session.data)
      assert.ok(read.ttl > 59_000 && read.ttl <= 60_000)
      assert.ok((await store.setField(session.token, 'theme', 'dark')) > 59_000)
      assert.equal(await store.getField(session.token, 'theme'), 'dark')
      assert.equal(await store.getField(session.token, 'nothing'), null)
      await store.setFields(session.token, { a: 1, b: { c: true } })
      await store.deleteFields(session.token, ['cart', 'a'])
      assert.deepEqual(Object.keys((await store.get(session.token)).data).sort(), ['avatar', 'b', 'theme'])
      assert.ok((await store.touch(session.token)) > 59_000)
      const moved = await store.regenerate(session.token)
      assert.notEqual(moved.id, session.id)
      assert.equal(moved.createdAt, session.createdAt)
      assert.equal(await store.get(session.token), null)
      assert.equal(await store.destroy(moved.token), true)
      assert.equal(await store.destroy(moved.token), false)
      await assert.rejects(store.touch(moved.token), NotFoundError)
    })

    test('list, revokeAll with keep, and the per-user cap', async () => {
      const store = (await make()).sessions({ name: 'cap', maxPerUser: 2 })
      const a = (await store.create({ user: 'ada' })).session
      await sleep(3) // creation times order a user's sessions
      const b = (await store.create({ user: 'ada' })).session
      await sleep(3)
      const c = await store.create({ user: 'ada' })
      assert.deepEqual(c.evicted, [a.id])
      assert.deepEqual((await store.list('ada')).map((s) => s.id), [b.id, c.session.id])
      assert.deepEqual(Object.keys((await store.list('ada'))[0]).sort(), ['createdAt', 'expiresAt', 'id', 'ttl'])
      await store.create({ user: 'bob' })
      assert.equal(await store.revokeAll('ada', b.token), 1)
      assert.deepEqual((await store.list('ada')).map((s) => s.id), [b.id])
      assert.equal(await store.revokeAll('ada'), 1)
      assert.deepEqual(await store.list('ada'), [])
      assert.equal((await store.list('bob')).length, 1)
    })

    test('save under a framework id, then ids, all, count and clear', async () => {
      const client = await make()
      const store = client.sessions({ name: 'framework', maxPerUser: 2 })
      const first = await store.save('uid-safe_ID-1', { user: 'ada', data: { views: 1 }, idleTtl: 5000 })
      assert.deepEqual(first.evicted, [])
      assert.equal(first.session.token, 'uid-safe_ID-1')
      assert.equal(first.session.ttl, 5000)
      const again = await store.save('uid-safe_ID-1', { user: 'ada', data: { views: 2 } })
      assert.equal(again.session.createdAt, first.session.createdAt, 'the lifetime counts from the first save')
      assert.equal(again.session.expiresAt, first.session.expiresAt)
      assert.deepEqual((await store.get('uid-safe_ID-1')).data, { views: 2 })
      await store.save('anon+/=', { data: { a: Buffer.from('hi') } })
      assert.deepEqual((await store.ids()).sort(), ['anon+/=', 'uid-safe_ID-1'])
      assert.equal(await store.count(), 2)
      const all = await store.all()
      assert.deepEqual(all.find((s) => s.id === 'anon+/=').data, { a: Buffer.from('hi') })
      assert.equal(all.find((s) => s.id === 'uid-safe_ID-1').user, 'ada')
      assert.equal(await store.clear(), 2)
      assert.equal(await store.count(), 0)
      assert.deepEqual(await store.list('ada'), [])
      const signed = client.sessions({ name: 'framework', secret: SECRET })
      await assert.rejects(signed.save('x'), /secret/)
    })

    test('signed tokens, secret rotation and refused tokens', async () => {
      const client = await make()
      const old = client.sessions({ name: 'signed', secret: SECRET })
      const { session } = await old.create({ data: { x: 1 } })
      assert.equal(session.token.length, 87)
      await assert.rejects(old.get(session.id), InvalidArgumentError)
      const rotated = client.sessions({ name: 'signed', secret: Buffer.from('f'.repeat(32)), previousSecrets: [SECRET] })
      const read = await rotated.get(session.token)
      assert.equal(read.id, session.id)
      assert.notEqual(read.token, session.token, 'handed back re-signed')
      await assert.rejects(old.get(read.token), InvalidArgumentError)
      assert.throws(() => client.sessions({ secret: 'short' }), InvalidArgumentError)
    })

    test('wrong arguments are refused', async () => {
      const store = (await make()).sessions()
      assert.equal(store.name, 'sessions')
      await assert.rejects(store.create({ data: [1, 2] }), InvalidArgumentError)
      await assert.rejects(store.get('not an id'), InvalidArgumentError)
      await assert.rejects(store.save('a:b'), InvalidArgumentError)
      await assert.rejects(store.save('ok', { idleTtl: -1 }), InvalidArgumentError)
      await assert.rejects(store.save('ok', { data: [1] }), InvalidArgumentError)
      await assert.rejects(store.save(7), TypeError)
      await assert.rejects(store.get(42), TypeError)
      await assert.rejects(store.deleteFields('x', 'not-an-array'), TypeError)
    })
  })
}

test('sessions on a manual clock: idle TTL slides, the lifetime does not', async () => {
  const sim = new Simulator({ manualClock: true })
  const store = sim.client().sessions({ name: 'clock', idleTtl: 400, lifetime: 700 })
  const { session } = await store.create()
  sim.advance(300)
  assert.equal(await store.touch(session.token), 400)
  sim.advance(300)
  const read = await store.get(session.token)
  assert.ok(read.ttl <= 100, `capped by the lifetime: ${read.ttl}`)
  sim.advance(150)
  assert.equal(await store.get(session.token), null)
  await assert.rejects(store.touch(session.token), NotFoundError)
})

test('a saved session slides by its own idle TTL on a manual clock', async () => {
  const sim = new Simulator({ manualClock: true })
  const store = sim.client().sessions({ name: 'own', idleTtl: 60_000 })
  await store.save('sid', { idleTtl: 500 })
  sim.advance(400)
  assert.equal(await store.touch('sid'), 500)
  sim.advance(400)
  assert.equal((await store.get('sid')).ttl, 500)
  sim.advance(501)
  assert.equal(await store.get('sid'), null)
  assert.deepEqual(await store.ids(), [])
})
