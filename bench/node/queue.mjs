/**
 * Queues on a real redis-server: redkit's queue vs BullMQ (target ≥ 2×), same jobs (`{ i }`,
 * default options) on a fresh queue each round — add one by one (each awaited), bulk add (one
 * `enqueueBulk` / `addBulk` of 1,000), and a worker draining 2,000 jobs put there beforehand at
 * concurrency 50 with a handler returning `job.data.i`, timed from start until every job
 * completed and the worker closed. Connections differ by design (NOTES, printed with the
 * table).
 */
import Redis from 'ioredis'
import { Queue, Worker } from 'bullmq'
import { performance } from 'node:perf_hooks'
import { anchor, batchRate, redkit, row } from './common.mjs'

const TARGET = 2
/** What differs between the sides, printed under the table. */
export const NOTES = [
  'connections: redkit\'s queue and worker share the client\'s multiplexed one (plus pooled ones for blocking ' +
    'waits); BullMQ\'s Queue and Worker share the one ioredis passed in, and the Worker opens a blocking one',
  'default job options both sides (BullMQ keeps completed jobs; redkit keeps results for its resultTtl)'
]
const ADD_N = 1_000
const BULK_N = 1_000
const DRAIN_N = 2_000
const CONCURRENCY = 50
/** Real-time bound on one drain (ms). */
const DRAIN_TIMEOUT = 30_000

export async function rows (server) {
  const client = await redkit.connect(server.url)
  // BullMQ's workers refuse a connection that retries requests (they block on it).
  const connection = new Redis(server.port, '127.0.0.1', { maxRetriesPerRequest: null })
  let round = 0
  const jobs = (n) => Array.from({ length: n }, (_, i) => ({ i }))

  const ourQueue = () => client.queue(`bench:q${round++}`)
  const theirQueue = async () => {
    const q = new Queue(`bench${round++}`, { connection })
    await q.waitUntilReady()
    return q
  }

  const ourAdds = async (n) => {
    const q = ourQueue()
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await q.enqueue({ i })
    return performance.now() - t0
  }
  const theirAdds = async (n) => {
    const q = await theirQueue()
    const t0 = performance.now()
    for (let i = 0; i < n; i++) await q.add('job', { i })
    const ms = performance.now() - t0
    await q.close()
    return ms
  }

  const ourBulk = async (n) => {
    const q = ourQueue()
    const items = jobs(n).map((data) => ({ data }))
    const t0 = performance.now()
    await q.enqueueBulk(items)
    return performance.now() - t0
  }
  const theirBulk = async (n) => {
    const q = await theirQueue()
    const items = jobs(n).map((data) => ({ name: 'job', data }))
    const t0 = performance.now()
    await q.addBulk(items)
    const ms = performance.now() - t0
    await q.close()
    return ms
  }

  const ourDrain = async (n) => {
    const q = ourQueue()
    await q.enqueueBulk(jobs(n).map((data) => ({ data })))
    const t0 = performance.now()
    const stats = await q.worker((job) => job.data.i, { concurrency: CONCURRENCY }).run({ maxJobs: n, timeout: DRAIN_TIMEOUT })
    const ms = performance.now() - t0
    if (stats.completed !== n) throw new Error(`redkit drained ${stats.completed} of ${n}`)
    return ms
  }
  const theirDrain = async (n) => {
    const q = await theirQueue()
    await q.addBulk(jobs(n).map((data) => ({ name: 'job', data })))
    const t0 = performance.now()
    const worker = new Worker(q.name, async (job) => job.data.i, { connection, concurrency: CONCURRENCY, autorun: false })
    let completed = 0
    let timer
    const done = new Promise((resolve, reject) => {
      worker.on('completed', () => { if (++completed === n) resolve() })
      worker.on('failed', (_, e) => reject(e))
      timer = setTimeout(() => reject(new Error(`BullMQ drained ${completed} of ${n} in ${DRAIN_TIMEOUT} ms`)), DRAIN_TIMEOUT)
    })
    worker.run().catch(() => {})
    try {
      await done
    } finally {
      clearTimeout(timer)
      await worker.close()
    }
    const ms = performance.now() - t0
    await q.close()
    return ms
  }

  const out = [
    await row(`redis: queue add one by one (jobs)`, () => batchRate(ourAdds, ADD_N), anchor('bullmq', 'Queue.add'),
      () => batchRate(theirAdds, ADD_N), TARGET),
    await row(`redis: queue bulk add of ${BULK_N} (jobs)`, () => batchRate(ourBulk, BULK_N), anchor('bullmq', 'Queue.addBulk'),
      () => batchRate(theirBulk, BULK_N), TARGET),
    await row(`redis: worker drain, concurrency ${CONCURRENCY} (jobs)`, () => batchRate(ourDrain, DRAIN_N, undefined, 5),
      anchor('bullmq', 'Worker'), () => batchRate(theirDrain, DRAIN_N, undefined, 5), TARGET)
  ]
  await connection.quit()
  return out
}
