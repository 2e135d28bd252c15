/**
 * `rateLimit` from `redkit/express` in front of the real express (and a plain node:http chain) on
 * a loopback port, asked with Node's fetch: the IETF header drafts to the value, 429 with
 * Retry-After, re-admission when the window ends (manual clock), the express-rate-limit-style
 * options, a LimiterSet, concurrency leases released when responses end or clients abort, fail
 * open or not with an unreachable backend, option validation, and both module systems.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { createRequire } from 'node:module'
import express from 'express'
import { rateLimit } from 'redkit/express'
import { manual, redkit, withBackends } from './support/backends.mjs'

const { LimiterSet, Simulator, ConnectionError, InvalidArgumentError } = redkit
const backends = withBackends()

/** Serves `handler` on 127.0.0.1 (a free port) while `fn(url)` runs. */
async function withServer (handler, fn) {
  const server = http.createServer(handler)
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  try {
    return await fn(`http://127.0.0.1:${server.address().port}`)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** A request with a bounded wait: status, headers and body text. */
async function get (url, headers = {}) {
  const r = await fetch(url, { headers, signal: AbortSignal.timeout(5000) })
  return { status: r.status, headers: r.headers, body: await r.text() }
}

/** The rate-limit headers of a response, by lower-case name. */
function limitHeaders (r) {
  return Object.fromEntries([...r.headers].filter(([name]) => /ratelimit|retry-after/.test(name)))
}

/** An express app: `mw` on every route; `/` answers what the middleware put on the request. */
function app (mw, errors = true) {
  const a = express()
  a.use(mw)
  a.get('/', (req, res) => res.json(req.rateLimit ?? null))
  if (errors) a.use((err, req, res, next) => res.status(500).json({ name: err.name, message: err.message }))
  return a
}

/** Waits (at most `ms`) until `check()` is true. */
async function until (check, ms = 3000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** On the manual-clock simulator every time value is exact; on Redis a few ms may pass. */
const clients = {
  sim: async () => manual(),
  redis: async () => ({ sim: null, client: await backends.redis() })
}

for (const [backend, make] of Object.entries(clients)) {
  describe(`express rateLimit on ${backend}`, () => {
    const seconds = (value, exact) => {
      if (backend === 'sim') assert.equal(value, String(exact))
      else assert.ok(Number(value) >= exact - 1 && Number(value) <= exact, `${value} ~ ${exact}`)
    }

    test('draft-6 headers, then 429 with Retry-After (default key: the client address)', async () => {
      const { sim, client } = await make()
      const limiter = client.limiter('api', { limit: 2, window: 60_000 })
      await withServer(app(rateLimit({ limiter })), async (url) => {
        const first = await get(url)
        assert.equal(first.status, 200)
        const h = limitHeaders(first)
        assert.deepEqual(Object.keys(h).sort(), ['ratelimit-limit', 'ratelimit-policy', 'ratelimit-remaining', 'ratelimit-reset'])
        assert.equal(h['ratelimit-policy'], '2;w=60')
        assert.equal(h['ratelimit-limit'], '2')
        assert.equal(h['ratelimit-remaining'], '1')
        seconds(h['ratelimit-reset'], 60)
        const info = JSON.parse(first.body)
        assert.equal(info.key, '127.0.0.1')
        assert.deepEqual([info.limit, info.used, info.remaining, info.allowed, info.cost], [2, 1, 1, true, 1])
        assert.equal(info.decision.remaining, 1)
        sim?.advance(1500)
        assert.equal((await get(url)).headers.get('ratelimit-remaining'), '0')
        const denied = await get(url)
        assert.equal(denied.status, 429)
        assert.equal(denied.body, 'Too many requests, please try again later.')
        assert.equal(denied.headers.get('ratelimit-remaining'), '0')
        const left = sim ? 59 : 60 // 1.5 s of the manual clock went by
        seconds(denied.headers.get('retry-after'), left)
        seconds(denied.headers.get('ratelimit-reset'), left)
        assert.equal(denied.headers.get('x-ratelimit-limit'), null, 'no legacy headers unless asked')
      })
    })

    test('draft-7, draft-8, legacy headers and none', async () => {
      const { client } = await make()
      const limiter = (name) => client.limiter(name, { limit: 2, window: 60_000 })
      await withServer(app(rateLimit({ limiter: limiter('d7'), standardHeaders: 'draft-7' })), async (url) => {
        const h = limitHeaders(await get(url))
        assert.deepEqual(Object.keys(h).sort(), ['ratelimit', 'ratelimit-policy'])
        assert.equal(h['ratelimit-policy'], '2;w=60')
        assert.match(h.ratelimit, /^limit=2, remaining=1, reset=(59|60)$/)
        if (backend === 'sim') assert.equal(h.ratelimit, 'limit=2, remaining=1, reset=60')
      })
      await withServer(app(rateLimit({ limiter: limiter('d8'), standardHeaders: 'draft-8' })), async (url) => {
        const h = limitHeaders(await get(url))
        assert.deepEqual(Object.keys(h).sort(), ['ratelimit', 'ratelimit-policy'])
        assert.equal(h['ratelimit-policy'], '"d8"; q=2; w=60')
        assert.match(h.ratelimit, /^"d8"; r=1; t=(59|60)$/)
        if (backend === 'sim') assert.equal(h.ratelimit, '"d8"; r=1; t=60')
      })
      const legacy = rateLimit({ limiter: limiter('legacy'), standardHeaders: false, legacyHeaders: true })
      await withServer(app(legacy), async (url) => {
        const before = Math.floor(Date.now() / 1000)
        const h = limitHeaders(await get(url))
        assert.deepEqual(Object.keys(h).sort(), ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
        assert.equal(h['x-ratelimit-limit'], '2')
        assert.equal(h['x-ratelimit-remaining'], '1')
        const reset = Number(h['x-ratelimit-reset'])
        assert.ok(reset >= before + 59 && reset <= Math.ceil(Date.now() / 1000) + 60, `epoch seconds ${reset}`)
        await get(url)
        const denied = await get(url)
        assert.equal(denied.status, 429)
        assert.ok(Number(denied.headers.get('retry-after')) >= 59, 'Retry-After whatever the header options')
      })
      await withServer(app(rateLimit({ limiter: limiter('none'), standardHeaders: false })), async (url) => {
        assert.deepEqual(limitHeaders(await get(url)), {})
      })
      await withServer(app(rateLimit({ limiter: limiter('true'), standardHeaders: true })), async (url) => {
        assert.equal((await get(url)).headers.get('ratelimit-limit'), '2', 'true means draft-6')
      })
    })

    test('every algorithm answers 429 when spent; Retry-After rounds up to whole seconds', async () => {
      const { client } = await make()
      for (const algorithm of ['fixed_window', 'sliding_log', 'sliding_window', 'token_bucket', 'gcra']) {
        const limiter = client.limiter(`alg-${algorithm}`, { algorithm, limit: 2, window: 1500 })
        await withServer(app(rateLimit({ limiter })), async (url) => {
          assert.equal((await get(url)).status, 200, algorithm)
          assert.equal((await get(url)).status, 200, algorithm)
          const denied = await get(url)
          assert.equal(denied.status, 429, algorithm)
          const retry = Number(denied.headers.get('retry-after'))
          assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 2, `${algorithm}: Retry-After ${retry}`)
          assert.equal(denied.headers.get('ratelimit-limit'), '2', algorithm)
        })
      }
    })

    test('keyGenerator, cost, skip, message, statusCode, handler, requestPropertyName', async () => {
      const { client } = await make()
      const limiter = client.limiter('opts', { limit: 3, window: 60_000 })
      const byUser = rateLimit({
        limiter,
        keyGenerator: (req) => req.get('x-user') ?? 'anonymous',
        cost: async (req) => Number(req.get('x-cost') ?? 1),
        skip: (req) => req.path === '/health',
        message: { error: 'slow down' },
        statusCode: 503,
        requestPropertyName: 'quota'
      })
      const a = express()
      a.use(byUser)
      a.get('/', (req, res) => res.json({ key: req.quota.key, remaining: req.quota.remaining, default: req.rateLimit ?? null }))
      a.get('/health', (req, res) => res.json({ quota: req.quota ?? null }))
      await withServer(a, async (url) => {
        const heavy = await get(url, { 'x-user': 'ann', 'x-cost': '3' })
        assert.deepEqual(JSON.parse(heavy.body), { key: 'ann', remaining: 0, default: null })
        const denied = await get(url, { 'x-user': 'ann' })
        assert.equal(denied.status, 503)
        assert.match(denied.headers.get('content-type'), /application\/json/)
        assert.deepEqual(JSON.parse(denied.body), { error: 'slow down' })
        assert.equal((await get(url, { 'x-user': 'bob' })).status, 200, 'keys are independent')
        for (let i = 0; i < 5; i++) {
          const health = await get(`${url}/health`, { 'x-user': 'ann' })
          assert.equal(health.status, 200)
          assert.deepEqual(JSON.parse(health.body), { quota: null })
          assert.equal(health.headers.get('ratelimit-limit'), null, 'skipped requests carry no headers')
        }
        await byUser.resetKey('ann')
        assert.equal((await get(url, { 'x-user': 'ann' })).status, 200, 'resetKey forgets the caller')
      })

      const custom = rateLimit({
        limiter: client.limiter('handler', { limit: 1, window: 60_000 }),
        keyGenerator: () => 'k',
        handler: (req, res, next, options) => res.status(418).json({ retryAfter: req.rateLimit.retryAfter, status: options.statusCode })
      })
      await withServer(app(custom), async (url) => {
        await get(url)
        const denied = await get(url)
        assert.equal(denied.status, 418)
        const body = JSON.parse(denied.body)
        assert.equal(body.status, 429)
        assert.ok(body.retryAfter > 58_000 && body.retryAfter <= 60_000, `${body.retryAfter}`)
        assert.ok(denied.headers.get('retry-after'), 'headers are set before the handler runs')
      })

      const fnMessage = rateLimit({
        limiter: client.limiter('fn-message', { limit: 1, window: 60_000 }),
        message: async (req) => `no more for ${req.rateLimit.key}`
      })
      await withServer(app(fnMessage), async (url) => {
        await get(url)
        const denied = await get(url)
        assert.equal(denied.status, 429)
        assert.equal(denied.body, 'no more for 127.0.0.1')
      })
    })

    test('a LimiterSet: headers report the most restrictive limit; draft-8 lists every limit', async () => {
      const { sim, client } = await make()
      const set = (prefix) => new LimiterSet([
        client.limiter('s', { limit: 3, window: 1000, prefix }),
        client.limiter('m', { limit: 5, window: 60_000, prefix })
      ])
      const six = set('six:')
      await withServer(app(rateLimit({ limiter: six, keyGenerator: () => 'u' })), async (url) => {
        const first = limitHeaders(await get(url))
        assert.equal(first['ratelimit-policy'], '3;w=1, 5;w=60')
        assert.equal(first['ratelimit-limit'], '3')
        assert.equal(first['ratelimit-remaining'], '2')
        seconds(first['ratelimit-reset'], 1)
        await get(url)
        await get(url)
        const denied = await get(url)
        assert.equal(denied.status, 429)
        assert.equal(denied.headers.get('retry-after'), '1')
        if (sim) sim.advance(1000)
        else await until(async () => (await six.peek('u')).allowed)
        const again = limitHeaders(await get(url))
        assert.equal(again['ratelimit-policy'], '5;w=60, 3;w=1', 'the binding limit first')
        assert.equal(again['ratelimit-limit'], '5')
        assert.equal(again['ratelimit-remaining'], '1')
      })
      await withServer(app(rateLimit({ limiter: set('eight:'), keyGenerator: () => 'u', standardHeaders: 'draft-8' })), async (url) => {
        const h = limitHeaders(await get(url))
        assert.equal(h['ratelimit-policy'], '"s"; q=3; w=1, "m"; q=5; w=60')
        assert.match(h.ratelimit, /^"s"; r=2; t=1, "m"; r=4; t=(59|60)$/)
        const info = JSON.parse((await get(url)).body)
        assert.equal(info.decision.decisions.length, 2)
        assert.equal(info.remaining, 1)
      })
    })

    test('a concurrency limiter: the lease ends once when the response finishes or the client aborts', async () => {
      const { client } = await make()
      const real = client.limiter('slots', { algorithm: 'concurrency', limit: 1, window: 30_000 })
      const released = []
      const limiter = new Proxy(real, {
        get (target, name) {
          if (name === 'release') {
            return async (key, lease) => {
              const live = await target.release(key, lease)
              released.push({ lease, live })
              return live
            }
          }
          const value = Reflect.get(target, name, target)
          return typeof value === 'function' ? value.bind(target) : value
        }
      })
      let entered
      let gate
      const a = express()
      a.use(rateLimit({ limiter, keyGenerator: () => 'k', standardHeaders: 'draft-8' }))
      a.get('/slow', async (req, res) => {
        entered()
        await gate
        if (!res.destroyed) res.send('done')
      })
      await withServer(a, async (url) => {
        let open
        gate = new Promise((resolve) => { open = resolve })
        let inRoute = new Promise((resolve) => { entered = resolve })
        const slow = get(`${url}/slow`)
        await inRoute
        const busy = await get(`${url}/slow`)
        assert.equal(busy.status, 429)
        assert.equal(busy.headers.get('ratelimit-policy'), '"slots"; q=1; qu="concurrent-requests"')
        assert.ok(Number(busy.headers.get('retry-after')) >= 29, 'until the lease would expire')
        open()
        assert.equal((await slow).status, 200)
        await until(() => released.length === 1)
        assert.equal(released[0].live, true)

        gate = new Promise((resolve) => { open = resolve })
        inRoute = new Promise((resolve) => { entered = resolve })
        const abort = new AbortController()
        const aborted = fetch(`${url}/slow`, { signal: abort.signal }).catch((e) => e.name)
        await inRoute
        abort.abort()
        assert.equal(await aborted, 'AbortError')
        await until(() => released.length === 2)
        assert.equal(released[1].live, true, 'the aborted request gave its slot back')
        assert.notEqual(released[1].lease, released[0].lease)
        open()
        gate = Promise.resolve()
        assert.equal((await get(`${url}/slow`)).status, 200, 'the slot is free again')
        await until(() => released.length === 3)
        await new Promise((resolve) => setTimeout(resolve, 50))
        assert.equal(released.length, 3, 'one release per admitted request')
        assert.equal((await real.peek('k')).allowed, true)
      })
    })

    test('errors from the options and the limiter reach express error handling', async () => {
      const { client } = await make()
      const limiter = client.limiter('errs', { limit: 5, window: 60_000 })
      await withServer(app(rateLimit({ limiter, keyGenerator: () => 42 })), async (url) => {
        const r = await get(url)
        assert.equal(r.status, 500)
        assert.equal(JSON.parse(r.body).name, 'TypeError')
      })
      await withServer(app(rateLimit({ limiter, cost: () => -1 })), async (url) => {
        const r = await get(url)
        assert.equal(r.status, 500)
        assert.equal(JSON.parse(r.body).name, InvalidArgumentError.name)
      })
    })
  })
}

test('the window ends on the manual clock: denied, then admitted again', async () => {
  const { sim, client } = manual()
  const limiter = client.limiter('window', { limit: 1, window: 10_000 })
  await withServer(app(rateLimit({ limiter, keyGenerator: () => 'k' })), async (url) => {
    assert.equal((await get(url)).status, 200)
    sim.advance(2_500)
    const denied = await get(url)
    assert.equal(denied.status, 429)
    assert.equal(denied.headers.get('retry-after'), '8')
    const info = await limiter.peek('k')
    sim.advance(info.retryAfter - 1)
    assert.equal((await get(url)).status, 429, 'one ms early')
    sim.advance(1)
    const again = await get(url)
    assert.equal(again.status, 200)
    assert.equal(again.headers.get('ratelimit-reset'), '10')
  })
})

test('a client that leaves while the limiter decides gets its lease released at once', async () => {
  const { client } = manual()
  const real = client.limiter('leaving', { algorithm: 'concurrency', limit: 1, window: 30_000 })
  let asked, answer
  const askedP = new Promise((resolve) => { asked = resolve })
  const gate = new Promise((resolve) => { answer = resolve })
  const released = []
  const limiter = {
    name: real.name,
    limit: real.limit,
    window: real.window,
    algorithm: real.algorithm,
    consume: async (key, cost) => { asked(); await gate; return real.consume(key, cost) },
    release: async (key, lease) => { released.push(lease); return real.release(key, lease) },
    reset: (key) => real.reset(key)
  }
  let routed = 0
  const a = express()
  a.use(rateLimit({ limiter, keyGenerator: () => 'k' }))
  a.get('/', (req, res) => { routed++; res.end() })
  await withServer(a, async (url) => {
    const abort = new AbortController()
    const leaving = fetch(url, { signal: abort.signal }).catch((e) => e.name)
    await askedP
    abort.abort()
    assert.equal(await leaving, 'AbortError')
    await new Promise((resolve) => setTimeout(resolve, 50))
    answer()
    await until(() => released.length === 1)
    assert.equal((await real.peek('k')).allowed, true, 'the slot is free')
    assert.equal(routed, 1, 'next() still runs; the route writes nowhere')
  })
})

test('failOpen: false hands the backend error to express, true lets the request through', async () => {
  const dead = new Simulator()
  dead.refuseConnections(true)
  const client = dead.client()
  await withServer(app(rateLimit({ limiter: client.limiter('closed') })), async (url) => {
    const r = await get(url)
    assert.equal(r.status, 500)
    assert.equal(JSON.parse(r.body).name, ConnectionError.name)
  })
  const failures = []
  const open = rateLimit({ limiter: client.limiter('open'), failOpen: true, onError: (err, req) => failures.push([err, req.url]) })
  await withServer(app(open), async (url) => {
    const r = await get(url)
    assert.equal(r.status, 200)
    assert.equal(r.body, 'null', 'no rate-limit info on the request')
    assert.deepEqual(limitHeaders(r), {})
    await get(url)
    assert.equal(failures.length, 2)
    assert.ok(failures[0][0] instanceof ConnectionError)
    assert.equal(failures[0][1], '/')
  })
  const warnings = []
  const onWarning = (w) => w.name === 'RedkitWarning' && warnings.push(w.message)
  process.on('warning', onWarning)
  try {
    await withServer(app(rateLimit({ limiter: client.limiter('warn'), failOpen: true })), async (url) => {
      assert.equal((await get(url)).status, 200)
      assert.equal((await get(url)).status, 200)
      await until(() => warnings.length > 0)
    })
  } finally {
    process.off('warning', onWarning)
  }
  assert.equal(warnings.length, 1, 'without onError: one warning, not one per request')
  assert.match(warnings[0], /rateLimit: the limiter failed/)
})

test('plain node:http with a connect-style chain, no express', async () => {
  const { client } = manual()
  const limiter = client.limiter('plain', { limit: 1, window: 5000 })
  const text = rateLimit({ limiter, keyGenerator: (req) => req.url })
  const json = rateLimit({ limiter, keyGenerator: (req) => req.url, message: { error: 'limited' }, standardHeaders: 'draft-7' })
  const server = (req, res) => {
    const mw = req.url.startsWith('/json') ? json : text
    mw(req, res, (err) => {
      if (err) {
        res.statusCode = 500
        return res.end(String(err))
      }
      res.end(`ok ${req.rateLimit.remaining}`)
    })
  }
  await withServer(server, async (url) => {
    const ok = await get(`${url}/text`)
    assert.equal(ok.status, 200)
    assert.equal(ok.body, 'ok 0')
    assert.equal(ok.headers.get('ratelimit-limit'), '1')
    assert.equal(ok.headers.get('ratelimit-reset'), '5')
    const denied = await get(`${url}/text`)
    assert.equal(denied.status, 429)
    assert.equal(denied.headers.get('content-type'), 'text/plain; charset=utf-8')
    assert.equal(denied.headers.get('retry-after'), '5')
    assert.equal(denied.body, 'Too many requests, please try again later.')
    await get(`${url}/json`)
    const jsonDenied = await get(`${url}/json`)
    assert.equal(jsonDenied.status, 429)
    assert.equal(jsonDenied.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.deepEqual(JSON.parse(jsonDenied.body), { error: 'limited' })
    assert.equal(jsonDenied.headers.get('ratelimit'), 'limit=1, remaining=0, reset=5')
  })
})

test('bad options are refused up front with TypeError', () => {
  const limiter = new Simulator().client().limiter('v')
  for (const options of [
    undefined, null, 'limiter', {}, { limiter: {} }, { limiter: 'api' },
    { limiter, standardHeaders: 'draft-9' }, { limiter, standardHeaders: 7 },
    { limiter, statusCode: 200 }, { limiter, statusCode: 429.5 }, { limiter, statusCode: '429' },
    { limiter, keyGenerator: 'ip' }, { limiter, skip: true }, { limiter, handler: {} }, { limiter, cost: 2 },
    { limiter, onError: 'log' }, { limiter, legacyHeaders: 'yes' }, { limiter, failOpen: 1 },
    { limiter, requestPropertyName: '' }, { limiter, requestPropertyName: 5 }
  ]) {
    assert.throws(() => rateLimit(options), TypeError, JSON.stringify(options))
  }
  assert.equal(typeof rateLimit({ limiter, standardHeaders: 'draft-8', legacyHeaders: true, statusCode: 503 }), 'function')
})

test('redkit/express loads through both module systems, without the addon', async () => {
  const require = createRequire(import.meta.url)
  const cjs = require('redkit/express')
  assert.equal(cjs.rateLimit, rateLimit)
  const esm = await import('redkit/express')
  assert.equal(esm.rateLimit, rateLimit)
  assert.equal(require.resolve('redkit/express'), require.resolve('../../bindings-node/lib/express.js'))
})
