/**
 * The job queue and its worker in the WebAssembly package, beyond the shared scenarios:
 * JavaScript handlers resolving, returning plain values, throwing (an Error or an error-like
 * object), rejecting with a non-Error and returning what JSON cannot hold; a killed worker's job coming back once its lease runs
 * out on the manual clock (nothing lost); jobs named by a `Job` or by id and token; wrong
 * argument and option types (a `TypeError` naming the field, and never a synchronous throw
 * from a Promise-returning method); the host's clock (a delayed job runs in real time; Node exits
 * after close(), an abandoned job included); Cron.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import * as wasm from '../../bindings-wasm/js/node.mjs'

const PACKAGE = new URL('../../bindings-wasm/js/node.mjs', import.meta.url).href
const { Simulator, Cron, InvalidArgumentError, NotFoundError, LockNotOwnedError } = wasm

/** Polls `ready()` every 5 ms, at most `limit` ms; returns whether it held. */
async function until (ready, limit = 5000) {
  for (const t0 = Date.now(); Date.now() - t0 < limit;) {
    if (await ready()) return true
    await sleep(5)
  }
  return false
}

test('handlers: resolving, plain, throwing, rejecting with a non-Error, returning no JSON', async () => {
  const q = new Simulator({ manualClock: true }).client().queue('handlers')
  const once = { maxAttempts: 1 }
  const ids = {}
  for (const kind of ['async', 'plain', 'throws', 'rejects', 'fn', 'bigint', 'undef', 'like']) {
    ids[kind] = (await q.enqueue(kind, { ...once, jobType: kind })).id
  }
  const w = q.worker({
    async: async (job) => { await sleep(1); return { doubled: [job.data, job.data] } },
    plain: (job) => job.attempts * 10,
    throws: () => { throw new Error('sync boom') },
    rejects: () => Promise.reject('plain text'), // eslint-disable-line prefer-promise-reject-errors
    fn: () => () => 1,
    bigint: async () => ({ n: 1n }),
    undef: () => undefined,
    like: () => { throw { message: 'error-like', code: 7 } } // eslint-disable-line no-throw-literal
  })
  assert.equal(w.running, false)
  assert.equal(w.concurrency, 1)
  const stats = await w.run({ maxJobs: 8, timeout: 5000 })
  assert.deepEqual(stats, { completed: 3, failed: 5, lost: 0, inFlight: 0 })
  const info = async (kind) => q.getJob(ids[kind])
  assert.deepEqual((await info('async')).result, { doubled: ['async', 'async'] })
  assert.equal((await info('plain')).result, 10)
  assert.equal((await info('undef')).result, null)
  assert.equal((await info('undef')).state, 'completed')
  assert.equal((await info('throws')).state, 'dead')
  assert.equal((await info('throws')).error, 'sync boom')
  assert.equal((await info('rejects')).error, 'plain text')
  assert.match((await info('fn')).error, /no JSON form/)
  assert.match((await info('bigint')).error, /no JSON form/)
  assert.equal((await info('like')).error, 'error-like')
  assert.equal(w.running, false)
})

test('a throw is retried after its backoff on the manual clock; results kept by getJob', async () => {
  const sim = new Simulator({ manualClock: true })
  const q = sim.client().queue('retry')
  const { id } = await q.enqueue('x', { backoff: 10_000, backoffKind: 'fixed' })
  let calls = 0
  const w = q.worker(() => { if (++calls === 1) throw new Error('first'); return 'second' })
  w.start()
  assert.equal(w.running, true)
  assert.throws(() => w.start(), { name: 'InvalidArgumentError', message: /already running/ })
  assert.ok(await until(() => w.stats().failed === 1))
  assert.equal((await q.getJob(id)).state, 'delayed')
  sim.advance(10_000)
  assert.ok(await until(() => w.stats().completed === 1))
  assert.equal(calls, 2)
  assert.deepEqual(await w.close(1000), { drained: true, abandoned: 0 })
  assert.equal(w.running, false)
  const done = await q.getJob(id)
  assert.equal(done.result, 'second')
  assert.equal(done.attempts, 2)
})

test('kill() is a crash: the job comes back once its lease runs out on the manual clock', async () => {
  const sim = new Simulator({ manualClock: true })
  const q = sim.client().queue('crash', { lease: 1000 })
  const { id } = await q.enqueue({ n: 1 })
  await q.enqueue({ n: 2 })
  const w = q.worker(() => new Promise(() => {}), { heartbeat: 300 })
  w.start()
  assert.ok(await until(() => w.stats().inFlight === 1))
  w.kill()
  await w.close(100)
  assert.equal(w.running, false)
  assert.equal((await q.getJob(id)).state, 'active')
  sim.advance(999)
  assert.equal((await q.recoverStalled()).requeued, 0)
  sim.advance(2)
  const seen = []
  const again = q.worker((job) => { seen.push(job.data.n); return job.attempts })
  assert.deepEqual(await again.run({ maxJobs: 2, timeout: 5000 }), { completed: 2, failed: 0, lost: 0, inFlight: 0 })
  assert.deepEqual(seen.sort(), [1, 2])
  assert.equal((await q.getJob(id)).result, 2) // its second attempt
  const counts = await q.counts()
  assert.equal(counts.completed, 2)
  assert.equal(counts.waiting + counts.active + counts.delayed + counts.dead, 0)
})

test('reserve, heartbeat, ack and fail take a Job or an id with its token', async () => {
  const sim = new Simulator({ manualClock: true, start: 1_000_000 })
  const q = sim.client().queue('manual', { lease: 5000, resultTtl: 60_000 })
  assert.equal(q.name, 'manual')
  assert.equal(q.defaultLease, 5000)
  assert.equal(q.resultTtl, 60_000)
  await q.enqueueBulk([{ data: 'a', priority: 2 }, { data: 'b', id: 'custom' }, { data: 'c' }])
  const job = await q.reserve({ lease: 2000 })
  assert.equal(job.data, 'a')
  assert.equal(job.leaseDeadline, 1_002_000)
  assert.equal(await q.heartbeat(job, { lease: 3000 }), 1_003_000)
  assert.equal(await q.ack(job.id, { ok: true }, { token: job.token }), 1_000_000)
  const { jobs, now } = await q.reserveMany(5)
  assert.deepEqual(jobs.map((j) => j.data), ['b', 'c'])
  assert.equal(now, 1_000_000)
  assert.deepEqual(await q.fail(jobs[0], 'nope', { retry: false }), { state: 'dead', retryAt: null })
  await assert.rejects(q.ack(jobs[1].id, null, { token: 'wrong' }), LockNotOwnedError)
  assert.equal(await q.requeueDead(['custom']), 1)
  await assert.rejects(q.getJob('missing'), NotFoundError)
  assert.equal(await q.pause(), true)
  assert.equal(await q.reserve(), null)
  assert.equal(await q.resume(), true)
  const every = await q.addRepeatable('tick', { t: 1 }, { every: 60_000, jobType: 'tick' })
  assert.deepEqual(every, { name: 'tick', added: true, nextRunAt: 1_060_000 })
  assert.equal((await q.counts()).repeatable, 1)
  assert.equal(await q.removeRepeatable('tick'), true)
})

test('wrong arguments: TypeErrors naming the field, rejections instead of throws', async () => {
  const c = new Simulator({ manualClock: true }).client()
  assert.throws(() => c.queue('q', { lease: 'long' }), { name: 'TypeError', message: /queue options: lease/ })
  assert.throws(() => c.queue('q', 5), TypeError)
  const q = c.queue('args')
  const rejects = async (call, expected) => {
    let promise
    assert.doesNotThrow(() => { promise = call() })
    await assert.rejects(promise, expected)
  }
  await rejects(() => q.enqueue(1, { priority: 'high' }), { name: 'TypeError', message: /priority/ })
  await rejects(() => q.enqueue(1, { delay: -5 }), InvalidArgumentError)
  await rejects(() => q.enqueue(1, { backoffKind: 'linear' }), { message: /backoffKind/ })
  await rejects(() => q.enqueue(1n), TypeError)
  await rejects(() => q.enqueue(() => 1), TypeError)
  await rejects(() => q.enqueueBulk('jobs'), TypeError)
  await rejects(() => q.enqueueBulk([1]), TypeError)
  await rejects(() => q.reserve({ lease: 'x' }), { name: 'TypeError', message: /lease/ })
  await rejects(() => q.heartbeat('1'), { name: 'TypeError', message: /token/ })
  await rejects(() => q.ack(5), TypeError)
  await rejects(() => q.fail({ id: '1', token: 't' }, 5), { name: 'TypeError', message: /error/ })
  await rejects(() => q.getJob(5), TypeError)
  await rejects(() => q.requeueDead('1'), TypeError)
  await rejects(() => q.addRepeatable('r', 1, { every: 1000, cron: '* * * * *' }), TypeError)
  await rejects(() => q.addRepeatable('r', 1, { every: 1000, delay: 5 }), TypeError)
  await rejects(() => q.addRepeatable('r', 1), TypeError)
  await rejects(() => q.addRepeatable('r', 1, { cron: 'nope' }), InvalidArgumentError)
  assert.throws(() => q.worker('nope'), TypeError)
  assert.throws(() => q.worker({}), TypeError)
  assert.throws(() => q.worker({ a: 1 }), TypeError)
  assert.throws(() => q.worker(() => 1, { concurrency: 'x' }), { name: 'TypeError', message: /concurrency/ })
  assert.throws(() => q.worker(() => 1, { shutdownTimeout: 'x' }), { name: 'TypeError', message: /shutdownTimeout/ })
  const w = q.worker(() => 1, { concurrency: 0 })
  await rejects(() => w.run({ maxJobs: 1 }), InvalidArgumentError)
  const ok = q.worker(() => 1)
  await rejects(() => ok.run({ maxJobs: -1 }), InvalidArgumentError)
  await rejects(() => ok.run({ timeout: 'soon' }), TypeError)
  await rejects(() => ok.waitIdle(100), TypeError)
  assert.throws(() => ok.start(-1), InvalidArgumentError)
  assert.deepEqual(await ok.close(), { drained: true, abandoned: 0 })
})

test('the host clock: a delayed job runs in real time; waitIdle and close end', async () => {
  const q = new Simulator().client().queue('host', { lease: 2000 })
  const w = q.worker(async (job) => job.data + 1, { idleWait: 50 })
  assert.equal(typeof w[Symbol.asyncDispose], 'function')
  w.start()
  const t0 = Date.now()
  const { id } = await q.enqueue(41, { delay: 100 })
  assert.ok(await until(async () => (await q.getJob(id)).state === 'completed'))
  assert.ok(Date.now() - t0 >= 90, `ran after ${Date.now() - t0} ms`)
  assert.equal((await q.getJob(id)).result, 42)
  await q.enqueue(1)
  assert.equal(await w.waitIdle(5000), true)
  assert.equal(w.stats().completed, 2)
  await w[Symbol.asyncDispose]()
  assert.equal(w.running, false)
  const stats = await q.worker(() => 1).run({ timeout: 100 })
  assert.deepEqual(stats, { completed: 0, failed: 0, lost: 0, inFlight: 0 })
})

test('Node exits by itself after close(), even when a job was abandoned', async () => {
  const code = `
    import { Simulator } from ${JSON.stringify(PACKAGE)}
    const q = new Simulator().client().queue('exit', { lease: 60000 })
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5))
    await q.enqueue(1)
    const w = q.worker(async (job) => job.data + 1)
    w.start()
    for (let i = 0; i < 1000 && w.stats().completed < 1; i++) await tick()
    await w.close()
    const stuck = q.worker(() => new Promise(() => {}))
    stuck.start()
    await q.enqueue(2)
    for (let i = 0; i < 1000 && stuck.stats().inFlight < 1; i++) await tick()
    const report = await stuck.close(100)
    console.log(report.abandoned, (await q.getJob('2')).state)
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { timeout: 10_000 })
  assert.equal(stdout.trim(), '1 active')
})

test('Cron: next fire times (UTC); a bad expression names its field', () => {
  const hourly = new Cron('0 * * * *')
  assert.equal(hourly.source, '0 * * * *')
  assert.equal(hourly.nextAfter(0), 3_600_000)
  assert.throws(() => new Cron('61 * * * *'), InvalidArgumentError)
})
