/**
 * A typed program against the public types of the `redkit` package: `make test` runs
 * `tsc --noEmit` over it, so a wrong or missing declaration fails the build. Lines marked
 * `@ts-expect-error` must stay errors: they prove the types refuse what the addon refuses.
 */
import {
  Acquisition, Client, ConnectionError, InvalidArgumentError, Lock, LockNotOwnedError, RedisReply, RedkitError, Release,
  ResponseError, Simulator, connect
} from 'redkit'
import {
  Decision, Geo, GeoHit, Leaderboard, LeaderboardEntry, LeaderboardPage, Limiter, LimiterSet, MultiDecision, Permit,
  Position, Redlock, RedlockAcquisition, Semaphore, TimeoutError, redlock
} from 'redkit'
import type {
  Cache, CacheStats, CreatedSession, DrainReport, Drainer, SessionData, SessionInfo, SessionStore, Write
} from 'redkit'

async function locks (client: Client): Promise<number | null> {
  const lock: Lock = client.lock('report', { ttl: 30_000, blockingTimeout: 5000, reentrant: true, watchdog: false })
  {
    await using held = await lock.acquire()
    const fence: number | null = held.fence
    console.log(fence, held.count, held.ttl, lock.lost, lock.name, lock.token)
  }
  const tried: Acquisition = await lock.tryAcquire()
  const released: Release = await lock.release()
  const ttl: number | null = await lock.ttl()
  await lock.extend(1000).catch((e: unknown) => e instanceof LockNotOwnedError)
  const owned: boolean = (await lock.isOwned()) && (await lock.isLocked())
  console.log(tried.acquired, released.released, owned, ttl)
  // @ts-expect-error withLock's work gets the acquisition, not a string
  await lock.withLock((held: string) => held)
  return lock.withLock(async (held) => held.fence, 1000)
}

async function main (): Promise<void> {
  const sim: Simulator = new Simulator({ manualClock: true, start: Date.now() })
  sim.advance(1000)
  const now: number = sim.now()
  const manual: boolean = sim.manualClock
  const client: Client = sim.client(0)
  const reply: RedisReply = await client.execute('SET', 'k', 'v', 'PX', 1000)
  const raw: RedisReply<Buffer> = await client.executeBuffer('GET', Buffer.from('k'))
  const many: Array<RedisReply | Error> = await client.executeMany([['INCR', 'n'], ['GET', 'n']], { transaction: true })
  const snap: Buffer = sim.snapshot()
  sim.restore(snap)
  sim.failNext(1, 'ERR boom')
  sim.refuseConnections(false)
  sim.setLatency(0)
  sim.heal()
  const parked: number = sim.parked()
  const name: string = client.backendName
  const behind: Simulator | null = client.simulator
  const remote: Client = await connect('redis://127.0.0.1:6379', { connectTimeout: 200, callTimeout: 1000, retries: 1 })
  try {
    await remote.execute('PING')
  } catch (e) {
    if (e instanceof ResponseError || e instanceof ConnectionError || e instanceof InvalidArgumentError) {
      const kind: string = e.kind
      const code: string = e.code
      const base: RedkitError = e
      console.log(kind, code, base.message)
    }
  }
  console.log(now, manual, reply, raw, many, parked, name, behind)

  // @ts-expect-error a command argument is a string, Buffer or number
  await client.execute('SET', 'k', { v: 1 })
  // @ts-expect-error advance takes milliseconds as a number
  sim.advance('1s')
  // @ts-expect-error options are typed
  new Simulator({ manual: true })
  // @ts-expect-error connect needs a URL
  await connect()
}

void main
void locks

async function streams (client: Client): Promise<number> {
  const s: import('redkit').Stream = client.stream('orders', { maxLen: 1000, approx: true, deadLetterMaxLen: 100 })
  const id: string = await s.add({ sku: 'a', qty: 2, raw: Buffer.from('x') }, { minId: '0-1' })
  await s.addJson({ type: 'created' })
  const entries: import('redkit').StreamEntry[] = await s.range('-', '+', 10)
  const fields: Record<string, string> = entries[0].fields
  const event = entries[0].json<{ type: string }>()
  await s.createGroup('g', '0')
  const read = await s.readGroup('g', 'c', 10, 1000)
  const acked: number = await s.ack('g', read.map((e) => e.id)) + await s.ack('g', read)
  const pending: import('redkit').PendingSummary = await s.pending('g')
  const idle: number = (await s.pendingEntries('g', 10, { minIdle: 100 }))[0].idle
  const claimed: import('redkit').Claimed = await s.claimIdle('g', 'c2', 60_000)
  const dead: import('redkit').DeadLettered = await s.deadLetter('g', 3, { minIdle: 1000 })
  const lag: number | null = (await s.groups())[0].lag
  for await (const e of s.iterate({ group: 'g', consumer: 'c', block: 100, max: 10, ack: true })) console.log(e.id)
  console.log(id, fields, event.type, acked, pending.firstId, idle, claimed.next, dead.moved, lag)
  // @ts-expect-error field values are strings, numbers or Buffers
  await s.add({ nested: { a: 1 } })
  // @ts-expect-error iterate options are typed
  s.iterate({ grp: 'g' })
  return s.len()
}

async function pubsub (client: Client): Promise<void> {
  const ps: import('redkit').PubSub = client.pubsub({ prefix: 'app' })
  const count: number = await ps.publish('news', Buffer.from('x'))
  await ps.publishJson('news', { a: 1 })
  await using sub = await ps.subscribe(['news', 'sport'])
  await sub.psubscribe('news.*')
  const m: import('redkit').Message | null = await sub.nextMessage(1000)
  if (m !== null) {
    const payload: Buffer = m.payload
    const pattern: string | null = m.pattern
    console.log(payload, pattern, m.text(), m.json<{ a: number }>().a)
  }
  for await (const msg of sub) console.log(msg.channel)
  for await (const msg of sub.listen({ timeout: 100, max: 5 })) console.log(msg.channel)
  await using requester = await ps.requester('svc')
  const answer: unknown = await requester.request({ q: 1 }, 1000)
  const direct: unknown = await ps.request('svc', [1, 2], 1000)
  await using responder = await ps.serve('svc', async (body: { q: number }) => body.q + 1)
  const served: number = responder.served
  const running: boolean = responder.running
  console.log(count, answer, direct, requester.replyChannel, sub.closed, served, running)
  // @ts-expect-error a channel is a string or an array of strings
  await ps.subscribe(7)
  // @ts-expect-error a request needs a timeout
  await ps.request('svc', 1)
}

void streams
void pubsub

async function limits (client: Client, other: Client): Promise<void> {
  const sem: Semaphore = client.semaphore('pool', { permits: 3, lease: 10_000, blockingTimeout: 500, prefix: 'app:' })
  const permit: Permit = await sem.acquire(100)
  if (permit.acquired && permit.token !== null) {
    await sem.extend(permit.token, 20_000)
    await sem.release(permit.token)
  }
  await (await sem.tryAcquire())[Symbol.asyncDispose]()
  const held: number = await sem.withPermit(async (p: Permit) => p.available, 1000)
  const inUse: number = await sem.count()

  const rl: Redlock = redlock([client, other], 'invoice', { ttl: 5000, retryCount: 2, retryDelay: 100, driftFactor: 0.01 })
  const got: RedlockAcquisition = await rl.acquire()
  const validity: number = got.validity
  await rl.tryAcquire()
  await rl.extend(5000)
  const released: number = await rl.release()
  const quorum: number = rl.quorum
  const fromWork: string = await rl.withLock(async (h: RedlockAcquisition) => `${h.locked}/${h.quorum}`)

  const limiter: Limiter = client.limiter('api', { algorithm: 'gcra', limit: 10, window: 1000, burst: 5, onUnreachable: 'open' })
  const d: Decision = await limiter.consume('user:1', 2)
  const wait: number = d.allowed ? 0 : d.retryAfter + d.resetAfter
  await limiter.peek('user:1')
  await limiter.reset('user:1')
  const conc = client.limiter('conc', { algorithm: 'concurrency', limit: 2 })
  const lease: string | null = (await conc.consume('k')).lease
  if (lease !== null) await conc.release('k', lease)
  const set = new LimiterSet([limiter, conc])
  const m: MultiDecision = await set.consume('user:1')
  const each: Decision[] = m.decisions

  const board: Leaderboard = client.leaderboard('game', { order: 'lowest_first', ttl: 86_400_000 })
  await board.addMany([['ann', 1], ['bob', 2]])
  await board.addMany({ cy: 3 })
  const rank: LeaderboardEntry | null = await board.rank('ann')
  const top: LeaderboardEntry[] = await board.top(10)
  const page: LeaderboardPage = await board.page(1, 20)
  const score: number | null = await board.score('ann')

  const geo: Geo = client.geo('shops')
  await geo.addMany([['a', 2.35, 48.85]])
  const where: Position | null = await geo.position('a')
  const km: number | null = await geo.distance('a', 'b', 'km')
  const hits: GeoHit[] = await geo.search({ longitude: 2.35, latitude: 48.85, radius: 5, unit: 'km', count: 10, farthestFirst: true })

  try {
    await sem.withPermit(() => 1, 0)
  } catch (e) {
    if (e instanceof TimeoutError) console.log(e.kind)
  }
  console.log(held, inUse, validity, released, quorum, fromWork, wait, each, rank, top, page, score, where, km, hits)

  // @ts-expect-error release needs the permit's token
  await sem.release()
  // @ts-expect-error an unknown algorithm is refused
  client.limiter('x', { algorithm: 'leaky_bucket' })
  // @ts-expect-error redlock takes clients, not URLs
  redlock(['redis://127.0.0.1'], 'x')
  // @ts-expect-error a unit is m, km, mi or ft
  await geo.distance('a', 'b', 'parsecs')
  // @ts-expect-error leaderboard entries are [member, score] pairs
  await board.addMany([['ann']])
}

void limits
async function cachesAndSessions (client: Client): Promise<void> {
  const cache: Cache = client.cache('users', { ttl: 60_000, localCapacity: 100, negativeTtl: 1000 })
  await cache.set('k', { n: 1 }, { ttl: 1000, tags: ['t'] })
  await cache.set('raw', Buffer.from('x'), 500)
  const v: unknown = await cache.get('k')
  const loaded: unknown = await cache.getOrSet('u:1', async () => ({ id: 1 }), { tags: ['users'] })
  const removed: number = await cache.invalidateTag('users') + await cache.invalidatePrefix('u:') + await cache.invalidateAll()
  await cache.writeThrough('k', 1, async (writes: Write[]) => { console.log(writes[0].key, writes[0].deleted) })
  await cache.writeBehind('k', 2)
  const report: DrainReport = await cache.drainBehind((writes) => { console.log(writes.length) }, { batch: 10, retryAfter: 1000 })
  const drainer: Drainer = cache.spawnDrainer(() => {}, { poll: 100 })
  drainer.stop()
  const stats: CacheStats = cache.stats()
  const price = cache.wrap(async (sku: string, qty: number) => sku.length * qty, { name: 'price', tags: (sku) => [sku] })
  const p: number | null = await price('A1', 2)
  const key: string = price.key('A1', 2)
  await price.invalidate('A1', 2)
  cache.close()

  const store: SessionStore = client.sessions({ name: 'web', idleTtl: 1800_000, secret: Buffer.alloc(32), maxPerUser: 5 })
  const { session, evicted }: CreatedSession = await store.create({ user: 'ada', data: { theme: 'dark' } })
  const read: SessionData | null = await store.get(session.token)
  const ttl: number = await store.setField(session.token, 'cart', [1, 2]) + await store.deleteFields(session.token, ['cart'])
  const all: SessionInfo[] = await store.list('ada')
  const revoked: number = await store.revokeAll('ada', session.token)
  console.log(v, loaded, removed, report.deadLettered, stats.hits, p, key, evicted, read?.data, ttl, all, revoked)

  // @ts-expect-error a loader is a function
  await cache.getOrSet('k', 42)
  // @ts-expect-error wrap's key function takes the wrapped function's arguments
  cache.wrap(async (n: number) => n, { key: (s: string) => s })
  // @ts-expect-error tokens are strings
  await store.get(42)
}

void cachesAndSessions

async function queuesAndWorkers (client: Client): Promise<void> {
  const q: import('redkit').Queue = client.queue('jobs', { lease: 30_000, resultTtl: 3600_000 })
  const e: import('redkit').Enqueued = await q.enqueue({ to: 'ann' }, { jobType: 'email', priority: 5, delay: 1000, maxAttempts: 5, backoff: 500, backoffKind: 'fixed', jitter: 0.1 })
  const bulk: import('redkit').Enqueued[] = await q.enqueueBulk([{ data: 1 }, { data: 2, runAt: Date.now() + 60_000 }])
  const job: import('redkit').Job | null = await q.reserve({ lease: 5000 })
  const r: import('redkit').Reservation = await q.reserveMany(10)
  if (job) {
    const until: number = await q.heartbeat(job, { lease: 10_000 })
    const done: number = await q.ack(job, { ok: true })
    const failed: import('redkit').Failed = await q.fail(job.id, 'boom', { token: job.token, retry: false })
    console.log(until, done, failed.state, failed.retryAt)
  }
  const counts: import('redkit').Counts = await q.counts()
  const info: import('redkit').JobInfo = await q.getJob(e.id)
  const rep: import('redkit').Repeatable = await q.addRepeatable('tick', null, { cron: '*/5 * * * *' })
  const moved: number = await q.requeueDead(undefined, 100)
  const paused: boolean = (await q.pause()) && (await q.resume()) && (await q.removeRepeatable('tick'))
  const rec: import('redkit').Recovered = await q.recoverStalled()
  console.log(bulk, r.jobs, r.nextDueIn, counts.waiting, info.state, rep.nextRunAt, moved, paused, rec.requeued)

  const worker: import('redkit').Worker = q.worker(async (j) => j.data, { concurrency: 4, lease: 10_000, shutdownTimeout: 5000 })
  const stats: import('redkit').WorkerStats = await worker.run({ maxJobs: 10, timeout: 1000 })
  const byType = q.worker({ email: (j) => `sent to ${j.data.to}`, resize: async () => null })
  byType.start()
  const idle: boolean = await byType.waitIdle(1000)
  const report: import('redkit').ShutdownReport = await byType.close(2000)
  await worker[Symbol.asyncDispose]()
  console.log(stats.inFlight, idle, report.drained, byType.running, byType.concurrency)

  // @ts-expect-error a handler is a function (or an object of them)
  q.worker(42)
  // @ts-expect-error enqueue's options are an object
  await q.enqueue(1, 'email')
  const cron = new (await import('redkit')).Cron('*/5 * * * *')
  const next: number | null = cron.nextAfter(Date.now())
  console.log(cron.source, next)
}

void queuesAndWorkers

async function expressRateLimit (client: Client): Promise<void> {
  const express = (await import('express')).default
  const { rateLimit } = await import('redkit/express')
  type Request = import('express').Request
  type Response = import('express').Response
  const app = express()
  const perUser = rateLimit<Request, Response>({
    limiter: client.limiter('api', { algorithm: 'gcra', limit: 100, window: 60_000 }),
    keyGenerator: (req) => req.get('x-api-key') ?? req.ip ?? 'anonymous',
    cost: (req) => (req.method === 'POST' ? 5 : 1),
    skip: async (req) => req.path === '/health',
    standardHeaders: 'draft-8',
    legacyHeaders: true,
    failOpen: true,
    onError: (err, req) => console.warn(req.path, err),
    handler: (req, res, _next, options) => {
      const info: import('redkit/express').RateLimitInfo | undefined = (req as Request & { rateLimit?: import('redkit/express').RateLimitInfo }).rateLimit
      res.status(options.statusCode ?? 429).json({ retryAfter: info?.retryAfter, resetTime: info?.resetTime.toISOString() })
    }
  })
  app.use(perUser)
  const set = new LimiterSet([client.limiter('s', { limit: 10, window: 1000 }), client.limiter('slots', { algorithm: 'concurrency', limit: 4 })])
  app.use('/upload', rateLimit({ limiter: set, standardHeaders: true, message: { error: 'busy' }, statusCode: 503 }))
  const plain: import('redkit/express').RateLimitMiddleware = rateLimit({ limiter: set, requestPropertyName: 'quota' })
  await plain.resetKey('127.0.0.1')
  const limiters: Limiter[] = set.limiters
  console.log(limiters.length)
  // @ts-expect-error standardHeaders is a known draft or a boolean
  rateLimit({ limiter: set, standardHeaders: 'draft-9' })
  // @ts-expect-error the limiter is a Limiter or LimiterSet, not its name
  rateLimit({ limiter: 'api' })
}

void expressRateLimit

/** `redkit/express`: RedkitStore as express-session's store, and its own methods. */
async function expressSessions (client: Client): Promise<void> {
  const { RedkitStore } = await import('redkit/express')
  const session = (await import('express-session')).default
  const store = new RedkitStore({
    client,
    name: 'web',
    maxPerUser: 5,
    lifetime: 7 * 24 * 3600 * 1000,
    userOf: (s) => s.userId,
    ttl: (s) => (s.cookie.maxAge ?? 60_000)
  })
  const middleware = session({ store, secret: 'keyboard cat', resave: false, saveUninitialized: false })
  const asStore: import('express-session').Store = store
  store.get('sid', (err, s) => console.log(err, s?.cookie))
  store.destroyUser('ada', { except: 'sid' }, (err, ended) => console.log(err, ended))
  const ended: number = await store.destroyUser(42)
  const ids: string[] = await store.ids()
  const n: number = await store.length()
  const all = await store.all()
  const saved: import('redkit').CreatedSession = await store.sessions.save('sid', { user: 'ada', idleTtl: 1000 })
  const count: number = await store.sessions.count()
  console.log(middleware, asStore, ended, ids, n, all[0]?.id, saved.evicted, count, await store.sessions.clear())
  // @ts-expect-error a client is required
  new RedkitStore({ name: 'web' })
  // @ts-expect-error userOf maps a session to a user id
  new RedkitStore({ client, userOf: 'user' })
}

void expressSessions
