/**
 * `RedkitStore` (redkit/express) under the real express and express-session, served on
 * 127.0.0.1 (port 0) and driven with fetch and a small cookie jar per "browser", on the
 * simulator and on a redis-server of its own: a visit counter, login and "log out everywhere
 * else", the store-wide all/ids/length/clear, a backend error reaching Express's error handler,
 * and (manual clock) expiry and sliding by touch.
 */
import { after, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { once } from 'node:events'
import express from 'express'
import session from 'express-session'
import { withBackends, manual } from './support/backends.mjs'

const require = createRequire(import.meta.url)
const { RedkitStore } = require('../../bindings-node/lib/express.js')
const esm = await import('../../bindings-node/lib/express.mjs')

const backends = withBackends()
const servers = []
after(() => {
  for (const s of servers) {
    s.closeAllConnections()
    s.close()
  }
})

/** An Express app with express-session over `store`, listening on 127.0.0.1; its base URL. */
async function serve (store, { rolling = false, maxAge = 60_000 } = {}) {
  const app = express()
  app.use(session({ store, secret: 'test secret', resave: false, saveUninitialized: false, rolling, cookie: { maxAge } }))
  app.get('/visit', (req, res) => {
    req.session.views = (req.session.views ?? 0) + 1
    res.json({ views: req.session.views })
  })
  app.get('/me', (req, res) => res.json({ user: req.session.user ?? null, views: req.session.views ?? 0 }))
  app.post('/login/:user', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err)
      req.session.user = req.params.user
      res.json({ sid: req.sessionID })
    })
  })
  app.post('/logout-others', (req, res, next) => {
    store.destroyUser(req.session.user, { except: req.sessionID }, (err, ended) => {
      if (err) return next(err)
      res.json({ ended })
    })
  })
  app.use((err, req, res, next) => res.status(500).json({ error: err.message, kind: err.kind ?? null }))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  servers.push(server)
  return `http://127.0.0.1:${server.address().port}`
}

/** A browser: keeps the session cookie between requests. */
class Browser {
  constructor (base) {
    this.base = base
    this.cookie = null
    this.setCookie = false
  }

  async request (path, method = 'GET') {
    const headers = this.cookie ? { cookie: this.cookie } : {}
    const res = await fetch(this.base + path, { method, headers, signal: AbortSignal.timeout(5000) })
    const set = res.headers.getSetCookie().find((c) => c.startsWith('connect.sid='))
    this.setCookie = Boolean(set)
    if (set) this.cookie = set.split(';')[0]
    return { status: res.status, body: await res.json() }
  }

  /** The session id inside the signed cookie (`s:<sid>.<signature>`). */
  get sid () {
    const value = decodeURIComponent(this.cookie.slice('connect.sid='.length))
    return value.slice(2, value.lastIndexOf('.'))
  }
}

test('redkit/express exports RedkitStore from both entry points; it is an express-session Store', () => {
  assert.equal(esm.RedkitStore, RedkitStore)
  assert.ok(new RedkitStore({ client: manual().client }) instanceof session.Store)
  assert.throws(() => new RedkitStore({}), TypeError)
  assert.throws(() => new RedkitStore({ client: manual().client, ttl: 'long' }), TypeError)
})

for (const [backend, make] of Object.entries(backends)) {
  describe(`express-session on ${backend}`, () => {
    test('a visit counter persists across requests, per browser; all, ids, length, clear', async () => {
      const store = new RedkitStore({ client: await make() })
      const base = await serve(store)
      const a = new Browser(base)
      const b = new Browser(base)
      for (const n of [1, 2, 3]) assert.deepEqual((await a.request('/visit')).body, { views: n })
      assert.deepEqual((await b.request('/visit')).body, { views: 1 })
      assert.equal((await a.request('/me')).body.views, 3)
      assert.equal(await new Promise((resolve, reject) => store.length((e, n) => e ? reject(e) : resolve(n))), 2)
      assert.deepEqual((await store.ids()).sort(), [a.sid, b.sid].sort())
      const all = await store.all()
      const mine = all.find((s) => s.id === a.sid)
      assert.equal(mine.views, 3)
      assert.equal(mine.cookie.originalMaxAge, 60_000, 'the cookie round-trips')
      const stored = await store.get(a.sid)
      assert.equal(typeof stored.cookie.expires, 'string')
      await new Promise((resolve, reject) => store.clear((e) => e ? reject(e) : resolve()))
      assert.equal(await store.length(), 0)
      assert.deepEqual((await a.request('/me')).body, { user: null, views: 0 })
    })

    test('destroyUser logs the user out of every other browser, keeping `except`', async () => {
      const store = new RedkitStore({ client: await make(), userOf: (s) => s.user })
      const base = await serve(store)
      const [laptop, phone, tablet, bobs] = [1, 2, 3, 4].map(() => new Browser(base))
      for (const b of [laptop, phone, tablet]) await b.request('/login/ada', 'POST')
      await bobs.request('/login/bob', 'POST')
      assert.equal((await store.sessions.list('ada')).length, 3)
      assert.deepEqual((await laptop.request('/logout-others', 'POST')).body, { ended: 2 })
      assert.equal((await laptop.request('/me')).body.user, 'ada')
      assert.equal((await phone.request('/me')).body.user, null)
      assert.equal((await tablet.request('/me')).body.user, null)
      assert.equal((await bobs.request('/me')).body.user, 'bob')
      assert.deepEqual((await store.sessions.list('ada')).map((s) => s.id), [laptop.sid])
      assert.equal(await store.destroyUser('ada'), 1)
      assert.equal((await laptop.request('/me')).body.user, null)
    })

    test('a backend error reaches the error handler: no crash, no hang', async () => {
      const client = await make()
      const store = new RedkitStore({ client })
      const base = await serve(store)
      const a = new Browser(base)
      await a.request('/visit')
      await client.execute('SET', `redkit:session:{express}:id:${a.sid}`, 'not a hash')
      const broken = await a.request('/visit')
      assert.equal(broken.status, 500)
      assert.equal(broken.body.kind, 'reply')
      assert.match(broken.body.error, /WRONGTYPE/)
      assert.deepEqual((await new Browser(base).request('/visit')).body, { views: 1 }, 'still serving')
      const err = await new Promise((resolve) => store.get(42, resolve))
      assert.ok(err instanceof TypeError, 'wrong types go to the callback, not thrown')
      const missing = await new Promise((resolve) => store.destroyUser('', {}, resolve))
      assert.equal(missing.kind, 'invalid_argument')
    })
  })
}

test('the callback interface directly: numeric user ids, an expired cookie, promises without a callback', async () => {
  const store = new RedkitStore({ client: manual().client, userOf: (s) => s.accountId })
  const cookie = { originalMaxAge: 60_000, expires: new Date(Date.now() + 60_000).toISOString(), httpOnly: true, path: '/' }
  await new Promise((resolve, reject) => store.set('sid-1', { cookie, accountId: 42 }, (e) => e ? reject(e) : resolve()))
  await store.set('sid-2', { cookie, accountId: 42 })
  assert.deepEqual((await store.sessions.list('42')).length, 2, 'a numeric user id is indexed as its text')
  assert.deepEqual(await store.get('sid-1'), { cookie, accountId: 42 })
  const expired = { ...cookie, expires: new Date(Date.now() - 1000).toISOString() }
  await store.set('sid-2', { cookie: expired, accountId: 42 })
  assert.equal(await store.get('sid-2'), null, 'saving with an expired cookie destroys the session')
  await new Promise((resolve, reject) => store.touch('never-saved', {}, (e) => e ? reject(e) : resolve()))
  assert.equal(await store.destroyUser(42), 1)
  const bad = await new Promise((resolve) => store.set('has space', { cookie }, resolve))
  assert.equal(bad.kind, 'invalid_argument')
})

describe('express-session on a manual clock', () => {
  test('a session ends after the cookie maxAge without requests, and every request slides it', async () => {
    const { sim, client } = manual()
    const store = new RedkitStore({ client })
    const a = new Browser(await serve(store, { maxAge: 1000 }))
    assert.deepEqual((await a.request('/visit')).body, { views: 1 })
    // The cookie's maxAge counts down in real time from its creation (express-session reads it
    // as expires - Date.now()), so the store may see a millisecond or two less than 1000.
    const ttl = (await store.sessions.get(a.sid)).ttl
    assert.ok(ttl > 950 && ttl <= 1000, `idle TTL from the cookie maxAge: ${ttl}`)
    for (let i = 0; i < 3; i++) {
      sim.advance(800)
      assert.equal((await a.request('/me')).body.views, 1, 'alive: the unmodified session was touched')
    }
    sim.advance(1001)
    assert.deepEqual((await a.request('/visit')).body, { views: 1 }, 'ended: a fresh session')
    assert.equal(await store.length(), 1)
  })

  test('rolling sends the cookie on every response; an explicit ttl overrides the cookie', async () => {
    const { sim, client } = manual()
    const rolling = new Browser(await serve(new RedkitStore({ client }), { rolling: true }))
    await rolling.request('/visit')
    await rolling.request('/me')
    assert.ok(rolling.setCookie, 'rolling: Set-Cookie on an unmodified response too')
    const store = new RedkitStore({ client, name: 'short', ttl: 200 })
    const b = new Browser(await serve(store))
    await b.request('/visit')
    sim.advance(201)
    assert.equal(await store.get(b.sid), null)
  })
})
