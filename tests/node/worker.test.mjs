/**
 * The queue worker on the simulator and on a redis-server of its own: plain and async handlers,
 * throws and rejections as failures with retries, handlers per job type, concurrency, run's
 * maxJobs/timeout, start/close (graceful, bounded), `await using`, crash recovery after kill(),
 * manual-clock backoff, and a child Node process that exits by itself after close().
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { withBackends, manual, redkit } from './support/backends.mjs'

const PACKAGE = fileURLToPath(new URL('../../bindings-node', import.meta.url))
const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`worker on ${backend}`, () => {
    test('a plain handler acks with its result; run({ maxJobs }) resolves to stats', async () => {
      const q = (await make()).queue('plain')
      const { id } = await q.enqueue({ n: 2 })
      await q.enqueue({ n: 3 })
      const seen = []
      const w = q.worker(job => { seen.push(job.data.n); return job.data.n * 10 })
      assert.equal(w.running, false)
      assert.equal(w.concurrency, 1)
      const stats = await w.run({ maxJobs: 2, timeout: 5000 })
      assert.deepEqual(stats, { completed: 2, failed: 0, lost: 0, inFlight: 0 })
      assert.deepEqual(seen.sort(), [2, 3])
      assert.equal((await q.getJob(id)).result, 20)
      assert.equal(w.running, false)
    })

    test('a throw or rejection fails the job with its message; retries apply; then dead', async () => {
      const q = (await make()).queue('fails')
      const a = await q.enqueue('sync', { maxAttempts: 2, backoff: 0 })
      const b = await q.enqueue('async', { maxAttempts: 1 })
      let calls = 0
      const w = q.worker(async job => {
        calls++
        if (job.data === 'sync') throw new Error('sync boom')
        await sleep(1)
        return Promise.reject(new Error('async boom'))
      })
      const stats = await w.run({ maxJobs: 3, timeout: 5000 })
      assert.equal(calls, 3)
      assert.equal(stats.failed, 3)
      const ia = await q.getJob(a.id)
      assert.equal(ia.state, 'dead')
      assert.equal(ia.error, 'sync boom')
      assert.equal(ia.attempts, 2)
      assert.equal((await q.getJob(b.id)).error, 'async boom')
    })

    test('handlers per job type; concurrency runs jobs at once', async () => {
      const q = (await make()).queue('types')
      for (let i = 0; i < 4; i++) await q.enqueue(i, { jobType: 'slow' })
      await q.enqueue('hi', { jobType: 'email' })
      let running = 0
      let peak = 0
      const w = q.worker({
        slow: async () => { running++; peak = Math.max(peak, running); await sleep(50); running--; return 'ok' },
        email: job => `sent ${job.data}`
      }, { concurrency: 4 })
      assert.equal(w.concurrency, 4)
      const stats = await w.run({ maxJobs: 5, timeout: 5000 })
      assert.equal(stats.completed, 5)
      assert.ok(peak >= 2, `peak concurrency ${peak}`)
    })

    test('start / waitIdle / close: close waits for the job in flight; await using closes', async () => {
      const q = (await make()).queue('close')
      let finished = false
      const w = q.worker(async () => { await sleep(100); finished = true; return 1 })
      w.start()
      assert.equal(w.running, true)
      assert.throws(() => w.start(), /already running/)
      await q.enqueue('x')
      for (let i = 0; i < 100 && w.stats().inFlight === 0; i++) await sleep(5)
      const report = await w.close()
      assert.deepEqual(report, { drained: true, abandoned: 0 })
      assert.equal(finished, true)
      assert.equal(w.running, false)
      assert.equal(w.stats().completed, 1)
      const w2 = q.worker(() => 2)
      try {
        w2.start()
        await q.enqueue('y')
        assert.equal(await w2.waitIdle(5000), true)
        assert.equal(w2.stats().completed, 1)
      } finally {
        await w2[Symbol.asyncDispose]() // what `await using` calls
      }
      assert.equal(w2.running, false)
      assert.equal((await q.counts()).completed, 2)
    })

    test('close is bounded: a job that never ends is abandoned to its lease', async () => {
      const q = (await make()).queue('bounded', { lease: 60_000 })
      await q.enqueue('stuck')
      const w = q.worker(() => new Promise(() => {}))
      w.start()
      for (let i = 0; i < 200 && w.stats().inFlight === 0; i++) await sleep(5)
      const t0 = Date.now()
      const report = await w.close(100)
      assert.ok(Date.now() - t0 < 3000)
      assert.deepEqual(report, { drained: false, abandoned: 1 })
    })

    test('kill() is a crash: the job comes back when its lease runs out', async () => {
      const q = (await make()).queue('crash', { lease: 200 })
      const { id } = await q.enqueue('x')
      const w = q.worker(() => new Promise(() => {}))
      w.start()
      for (let i = 0; i < 200 && w.stats().inFlight === 0; i++) await sleep(5)
      w.kill()
      await w.close(100)
      assert.equal((await q.getJob(id)).state, 'active')
      await sleep(300)
      const again = q.worker(job => job.attempts)
      const stats = await again.run({ maxJobs: 1, timeout: 5000 })
      assert.equal(stats.completed, 1)
      assert.equal((await q.getJob(id)).result, 2)
    })
  })
}

describe('worker on a manual clock', () => {
  test('a failed job is retried only once the clock passes its backoff', async () => {
    const { sim, client } = manual()
    const q = client.queue('clock')
    const { id } = await q.enqueue('x', { backoff: 10_000, backoffKind: 'fixed' })
    let calls = 0
    const w = q.worker(() => { if (++calls === 1) throw new Error('first'); return 'second' })
    w.start()
    for (let i = 0; i < 200 && calls === 0; i++) await sleep(5)
    for (let i = 0; i < 200 && w.stats().failed === 0; i++) await sleep(5)
    await sleep(50)
    assert.equal(calls, 1)
    assert.equal((await q.getJob(id)).state, 'delayed')
    sim.advance(10_000)
    for (let i = 0; i < 400 && w.stats().completed === 0; i++) await sleep(5)
    assert.equal(calls, 2)
    await w.close(1000)
    assert.equal((await q.getJob(id)).result, 'second')
  })
})

test('Node exits by itself after close()', async () => {
  const code = `
    const { Simulator } = require(${JSON.stringify(PACKAGE)})
    ;(async () => {
      const q = new Simulator().client().queue('exit')
      await q.enqueue(1)
      const w = q.worker(async job => job.data + 1)
      w.start()
      while (w.stats().completed < 1) await new Promise(r => setTimeout(r, 5))
      await w.close()
      console.log('closed')
    })()
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { timeout: 10_000 })
  assert.equal(stdout.trim(), 'closed')
})

test('a started worker keeps Node alive until its run ends, as a BullMQ worker does', async () => {
  // Nothing but the worker holds the loop: the job is enqueued after start() from a timer
  // that does not, and the run ends by itself once it has taken maxJobs.
  const code = `
    const { Simulator } = require(${JSON.stringify(PACKAGE)})
    const q = new Simulator().client().queue('alive')
    const w = q.worker(job => { console.log('ran ' + job.data); return null })
    w.start(1)
    setTimeout(() => { q.enqueue(7) }, 300).unref()
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', code], { timeout: 10_000 })
  assert.equal(stdout.trim(), 'ran 7')
})

test('wrong arguments: TypeError', async () => {
  const q = new redkit.Simulator().client().queue('args')
  assert.throws(() => q.worker('nope'), TypeError)
  assert.throws(() => q.worker(() => 1, { concurrency: 'x' }), TypeError)
  const w = q.worker(() => 1)
  await assert.rejects(async () => w.run({ maxJobs: -1 }), redkit.InvalidArgumentError)
  assert.deepEqual(await w.close(), { drained: true, abandoned: 0 })
})
