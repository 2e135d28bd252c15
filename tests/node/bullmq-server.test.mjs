/**
 * BullMQ from npm on redkit-server, beside a real redis-server: BullMQ's Lua scripts (cmsgpack,
 * cjson, many keys per script, its own Redis version checks) are the hardest real-world test of
 * a simulator — no in-memory mock runs them. The same workload on both servers: 1,000 jobs added
 * in bulk, a tenth of them delayed, every seventh failing once before it succeeds (fixed
 * backoff), every fiftieth failing for good after its three attempts, processed by a worker at
 * concurrency 20. Each server must finish every job; the per-job outcomes (state, attempts,
 * return value, failure reason) must be identical, and delayed jobs must not start early.
 *
 * redkit-server is `target/debug/redkit-server`, built here if missing or stale.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Queue, Worker } from 'bullmq'
import Redis from 'ioredis'
import { startRedis } from './support/redis-server.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const JOBS = 1000
const DELAY_MS = 100
const CONCURRENCY = 20
/** Real-time bound on one server's whole run (ms). */
const RUN_LIMIT_MS = 60_000

const servers = {}

before(async () => {
  execFileSync(process.env.CARGO ?? 'cargo', ['build', '-q', '-p', 'redkit', '--features', 'server', '--bin', 'redkit-server'],
    { cwd: ROOT, stdio: 'inherit' })
  servers['redis-server'] = await startRedis()
  servers['redkit-server'] = await startRedis({ binary: `${ROOT}target/debug/redkit-server` })
})

after(async () => {
  for (const s of Object.values(servers)) await s.stop()
})

/** Job `i`: its data and options. */
function job (i) {
  const fails = i % 50 === 0 ? 5 : i % 7 === 0 ? 1 : 0
  return {
    name: `job${i}`,
    data: { i, fails },
    opts: { delay: i % 10 === 0 ? DELAY_MS : 0, attempts: 3, backoff: { type: 'fixed', delay: 20 } }
  }
}

/** Runs the workload on the server at `port`; resolves to one outcome per job, in order. */
async function workload (port) {
  // BullMQ as an ES module takes a client, not connection options; workers refuse one that
  // retries requests (they block on it).
  const connection = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null })
  const queue = new Queue('workload', { connection })
  await queue.obliterate({ force: true })
  const added = Date.now()
  await queue.addBulk(Array.from({ length: JOBS }, (_, i) => job(i)))

  const worker = new Worker('workload', async (j) => {
    if (j.attemptsMade < j.data.fails) throw new Error(`attempt ${j.attemptsMade + 1} of job ${j.data.i} fails`)
    return j.data.i * 2
  }, { connection, concurrency: CONCURRENCY, autorun: false })
  let finished = 0
  let timer
  const done = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${finished} of ${JOBS} jobs finished in ${RUN_LIMIT_MS} ms`)), RUN_LIMIT_MS)
    const count = () => { if (++finished === JOBS) resolve() }
    worker.on('completed', count)
    worker.on('failed', (j) => { if (j && j.attemptsMade >= j.opts.attempts) count() })
    worker.on('error', reject)
  })
  worker.run().catch(() => {})
  try {
    await done
  } finally {
    clearTimeout(timer)
    await worker.close()
  }

  const counts = await queue.getJobCounts('completed', 'failed', 'delayed', 'wait', 'active')
  const jobs = await queue.getJobs(['completed', 'failed'], 0, -1)
  const outcomes = await Promise.all(jobs.map(async (j) => {
    const early = j.opts.delay > 0 && j.processedOn - added < j.opts.delay
    return [j.data.i, await j.getState(), j.attemptsMade, j.returnvalue ?? null, j.failedReason ?? null, early]
  }))
  await queue.close()
  await connection.quit()
  return { counts, outcomes: outcomes.sort((a, b) => a[0] - b[0]) }
}

test('BullMQ adds, delays, retries and processes 1,000 jobs alike on redis-server and redkit-server', async () => {
  const results = {}
  for (const [name, server] of Object.entries(servers)) results[name] = await workload(server.port)
  const redis = results['redis-server']
  const failing = Array.from({ length: JOBS }, (_, i) => i).filter((i) => i % 50 === 0).length
  assert.deepEqual(redis.counts, { completed: JOBS - failing, failed: failing, delayed: 0, wait: 0, active: 0 })
  assert.equal(redis.outcomes.length, JOBS)
  assert.deepEqual(redis.outcomes.filter((o) => o[5]), [], 'no delayed job started early')
  assert.deepEqual(redis.outcomes[7], [7, 'completed', 2, 14, 'attempt 1 of job 7 fails', false])
  assert.deepEqual(redis.outcomes[50], [50, 'failed', 3, null, 'attempt 3 of job 50 fails', false])
  assert.deepEqual(results['redkit-server'], redis)
})
