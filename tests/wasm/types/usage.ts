// Type-checks the WebAssembly package's declarations (bindings-wasm/js/index.d.ts over the
// generated ones) as a browser user writes against them; `make test-wasm` runs tsc on it.
import init, { Simulator, type Client, type RedisReply } from '../../../bindings-wasm/js/index.js'
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
  return [set, bytes, when, manual, sim.parked(), ...many]
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
