// Type-checks the WebAssembly package's declarations (bindings-wasm/js/index.d.ts over the
// generated ones) as a browser user writes against them; `make test-wasm` runs tsc on it.
import init, { Simulator, type Client, type RedisReply } from '../../../bindings-wasm/js/index.js'
import { cacheAndSessions } from './cache-session.js'
import { Cron, type Queue, type Worker, type Job, type JobInfo, type WorkerStats, type ShutdownReport } from '../../../bindings-wasm/js/index.js'

export async function usage (): Promise<unknown[]> {
  await init()
  const sim: Simulator = new Simulator({ manualClock: true, start: 0 })
  const c: Client = sim.client(0)
  const set: RedisReply = await c.execute('SET', 'k', new Uint8Array([1]), 5)
  const bytes: RedisReply<Uint8Array> = await c.executeBuffer('GET', 'k')
  const many: Array<RedisReply | Error> = await c.executeMany([['INCR', 'n']], { transaction: true })
  sim.advance(1000)
  const when: number = sim.now()
  const manual: boolean = sim.manualClock
  sim.restore(sim.snapshot())
  return [set, bytes, when, manual, sim.parked(), ...many, ...(await cacheAndSessions(c))]
}

// Streams, pub/sub, leaderboard and geo, typed as the Node package types them.
import type {
  Stream, StreamEntry, PendingSummary, Claimed, PubSub, Subscription, Message, Requester, Responder,
  Leaderboard, LeaderboardEntry, LeaderboardPage, Geo, GeoHit, Position
} from '../../../bindings-wasm/js/index.js'

export async function messaging (c: Client): Promise<unknown[]> {
  const s: Stream = c.stream('events', { maxLen: 1000, approx: true })
  const id: string = await s.add({ n: 1, raw: new Uint8Array([104]) }, { minId: '0-1' })
  await s.addJson({ kind: 'signup' })
  await s.createGroup('g', '0')
  const entries: StreamEntry[] = await s.readGroup('g', 'c', 10, 100)
  const event = entries[0]?.json<{ kind: string }>()
  const acked: number = await s.ack('g', entries)
  const summary: PendingSummary = await s.pending('g')
  const claimed: Claimed = await s.claimIdle('g', 'c2', 1000)
  for await (const e of s.iterate({ group: 'g', consumer: 'c', block: 100, max: 5, ack: true })) e.fields.n?.toString()
  await s.deadLetter('g', 3, { minIdle: 0 })

  const ps: PubSub = c.pubsub({ prefix: 'app:' })
  const sub: Subscription = await ps.subscribe(['news'])
  await ps.publishJson('news', { hi: 1 })
  for await (const m of sub.listen({ timeout: 100, max: 1 })) m.json<{ hi: number }>()
  const next: Message | null = await sub.nextMessage(10)
  const text: string | undefined = next?.text()
  for await (const m of sub) { m.channel.toUpperCase(); break }
  await sub.unsubscribe()
  await sub[Symbol.asyncDispose]()
  const responder: Responder = await ps.serve('echo', (body: unknown) => body)
  const requester: Requester = await ps.requester('echo')
  const answer: unknown = await requester.request({ x: 1 }, 1000)
  await requester.close()
  await responder.stop()

  const board: Leaderboard = c.leaderboard('race', { order: 'lowest_first', ttl: 60_000 })
  await board.addMany({ ann: 31.5 })
  const top: LeaderboardEntry[] = await board.top(3)
  const page: LeaderboardPage = await board.page(1, 10)
  const geo: Geo = c.geo('shops')
  await geo.addMany([['palermo', 13.36, 38.11]])
  const hits: GeoHit[] = await geo.search({ longitude: 15, latitude: 37, radius: 200, unit: 'km', count: 3 })
  const where: Array<Position | null> = await geo.positions(['palermo'])
  return [id, event, acked, summary, claimed, text, answer, top, page, hits, where]
}

export async function queueUsage (c: Client): Promise<unknown[]> {
  const q: Queue = c.queue('jobs', { lease: 5000, resultTtl: 60_000 })
  const { id } = await q.enqueue({ to: 'ann' }, { jobType: 'email', priority: 5, delay: 10, maxAttempts: 2, backoff: 100, backoffKind: 'fixed', jitter: 0.1 })
  await q.enqueueBulk([{ data: 1, id: 'a' }, { data: 2, runAt: Date.now() }])
  const job: Job | null = await q.reserve({ lease: 1000 })
  if (job) {
    const deadline: number = await q.heartbeat(job, { lease: 2000 })
    await q.ack(job.id, { deadline }, { token: job.token })
  }
  const { jobs } = await q.reserveMany(2)
  if (jobs[0]) await q.fail(jobs[0], 'nope', { retry: false })
  await q.addRepeatable('tick', null, { every: 60_000 })
  const info: JobInfo = await q.getJob(id)
  const w: Worker = q.worker({ email: async (j: Job) => j.data, sms: (j: Job) => j.attempts }, { concurrency: 2, idleWait: 100, shutdownTimeout: 1000 })
  w.start(10)
  const idle: boolean = await w.waitIdle(1000)
  const report: ShutdownReport = await w.close(500)
  await using disposable = q.worker(() => null)
  const stats: WorkerStats = await disposable.run({ maxJobs: 1, timeout: 100 })
  const next: number | null = new Cron('0 * * * *').nextAfter(0)
  return [info.state, idle, report.drained, stats.completed, w.running, w.concurrency, next, await q.counts(), await q.requeueDead(null, 10)]
}
