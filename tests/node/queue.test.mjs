/**
 * The job queue on the simulator and on a redis-server of its own: enqueue with options and in
 * bulk, de-duplication, priorities, reserve/ack/fail/heartbeat with tokens, retries with backoff
 * and dead letters on a manual clock, pause, counts, lookups, repeatable jobs, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { withBackends, manual, redkit } from './support/backends.mjs'

const { LockNotOwnedError, NotFoundError, InvalidArgumentError } = redkit
const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`queue on ${backend}`, () => {
    test('enqueue, reserve, ack: data and result round-trip as JSON', async () => {
      const q = (await make()).queue('jobs', { lease: 5000 })
      assert.equal(q.name, 'jobs')
      assert.equal(q.defaultLease, 5000)
      const e = await q.enqueue({ n: 1, tags: ['a'] })
      assert.equal(e.added, true)
      assert.equal(typeof e.id, 'string')
      const job = await q.reserve()
      assert.equal(job.id, e.id)
      assert.deepEqual(job.data, { n: 1, tags: ['a'] })
      assert.equal(job.jobType, 'default')
      assert.equal(job.attempts, 1)
      assert.equal(job.maxAttempts, 3)
      assert.equal(typeof job.token, 'string')
      assert.equal(await q.reserve(), null)
      const at = await q.ack(job, { ok: true })
      assert.equal(typeof at, 'number')
      const info = await q.getJob(e.id)
      assert.equal(info.state, 'completed')
      assert.deepEqual(info.result, { ok: true })
      assert.equal((await q.counts()).completed, 1)
    })

    test('ids de-duplicate; priority orders; enqueueBulk is all or none', async () => {
      const q = (await make()).queue('prio')
      assert.equal((await q.enqueue('x', { id: 'one' })).added, true)
      assert.equal((await q.enqueue('y', { id: 'one' })).added, false)
      const bulk = await q.enqueueBulk([{ data: 'low', priority: 1 }, { data: 'high', priority: 9, jobType: 'email' }])
      assert.equal(bulk.length, 2)
      assert.ok(bulk.every(b => b.added))
      const r = await q.reserveMany(3)
      assert.deepEqual(r.jobs.map(j => j.data), ['high', 'low', 'x'])
      assert.equal(r.jobs[0].jobType, 'email')
      assert.equal(typeof r.now, 'number')
      const c = await q.counts()
      assert.equal(c.active, 3)
      assert.equal(c.waiting, 0)
    })

    test('fail retries until maxAttempts, then dead letters; requeueDead brings them back', async () => {
      const q = (await make()).queue('retry')
      const { id } = await q.enqueue(null, { maxAttempts: 2, backoff: 0 })
      let job = await q.reserve()
      const f1 = await q.fail(job, 'boom')
      assert.equal(f1.state, 'waiting')
      job = await q.reserve()
      assert.equal(job.attempts, 2)
      const f2 = await q.fail(job.id, 'boom again', { token: job.token })
      assert.equal(f2.state, 'dead')
      assert.equal(f2.retryAt, null)
      const info = await q.getJob(id)
      assert.equal(info.state, 'dead')
      assert.equal(info.error, 'boom again')
      assert.equal(await q.requeueDead(), 1)
      assert.equal((await q.getJob(id)).state, 'waiting')
      job = await q.reserve()
      assert.equal((await q.fail(job, 'no', { retry: false })).state, 'dead')
      assert.equal(await q.requeueDead([id]), 1)
    })

    test('a stale token is refused: LockNotOwnedError; missing job: NotFoundError', async () => {
      const q = (await make()).queue('tokens')
      await q.enqueue(1)
      const job = await q.reserve()
      await assert.rejects(q.ack({ id: job.id, token: 'nope' }), LockNotOwnedError)
      await assert.rejects(q.heartbeat(job.id, { token: 'nope' }), LockNotOwnedError)
      const until = await q.heartbeat(job, { lease: 60_000 })
      assert.ok(until >= job.leaseDeadline)
      await assert.rejects(q.getJob('missing'), NotFoundError)
    })

    test('pause stops handing out jobs; resume restarts', async () => {
      const q = (await make()).queue('pause')
      await q.enqueue(1)
      assert.equal(await q.pause(), true)
      assert.equal(await q.pause(), false)
      assert.equal((await q.counts()).paused, true)
      assert.equal(await q.reserve(), null)
      assert.equal(await q.resume(), true)
      assert.notEqual(await q.reserve(), null)
    })

    test('repeatable jobs: added, replaced, removed; cron is checked', async () => {
      const q = (await make()).queue('rep')
      const r = await q.addRepeatable('tick', { n: 1 }, { every: 60_000 })
      assert.equal(r.added, true)
      assert.equal(typeof r.nextRunAt, 'number')
      assert.equal((await q.addRepeatable('tick', null, { cron: '*/5 * * * *' })).added, false)
      assert.equal((await q.counts()).repeatable, 1)
      await assert.rejects(q.addRepeatable('bad', null, { cron: 'not cron' }), InvalidArgumentError)
      await assert.rejects(q.addRepeatable('both', null, { every: 1, cron: '* * * * *' }), TypeError)
      await assert.rejects(q.addRepeatable('dated', null, { every: 1, delay: 5 }), /no id, delay or runAt/)
      assert.equal(await q.removeRepeatable('tick'), true)
      assert.equal(await q.removeRepeatable('tick'), false)
    })

    test('wrong arguments: TypeError or InvalidArgumentError', async () => {
      const q = (await make()).queue('args')
      await assert.rejects(q.enqueue(1, { delay: -1 }), InvalidArgumentError)
      await assert.rejects(q.enqueue(1, { priority: 70000 }), InvalidArgumentError)
      await assert.rejects(q.enqueue(1, { backoffKind: 'linear' }), TypeError)
      await assert.rejects(async () => q.enqueueBulk([{ data: 1 }, 'not a job']), TypeError)
      await assert.rejects(async () => q.enqueue(1n), TypeError)
      await assert.rejects(async () => q.ack('id-without-token'), TypeError)
      await assert.rejects(q.reserveMany(1.5), InvalidArgumentError)
      assert.throws(() => q.worker(42), TypeError)
    })
  })
}

describe('queue on a manual clock', () => {
  test('delays, runAt and backoff wait for the clock; stalled leases come back', async () => {
    const { sim, client } = manual()
    const q = client.queue('clock', { lease: 1000 })
    await q.enqueue('later', { delay: 5000 })
    await q.enqueue('at', { runAt: 1_700_000_000_000 + 8000 })
    assert.equal(await q.reserve(), null)
    assert.equal((await q.counts()).delayed, 2)
    sim.advance(5000)
    const later = await q.reserve()
    assert.equal(later.data, 'later')
    await q.ack(later)
    sim.advance(3000)
    const at = await q.reserve()
    assert.equal(at.data, 'at')
    const f = await q.fail(at, 'x', {})
    assert.equal(f.state, 'delayed')
    assert.equal(f.retryAt, at.leaseDeadline)
    assert.equal(await q.reserve(), null)
    sim.advance(1000)
    const again = await q.reserve()
    assert.equal(again.attempts, 2)
    // The lease runs out: the job goes back to wait.
    sim.advance(1001)
    const rec = await q.recoverStalled()
    assert.equal(rec.requeued + rec.dead, 1)
    assert.equal((await q.getJob(again.id)).error, 'lease expired')
  })
})

test('Cron parses five-field expressions and tells the next fire time (UTC)', () => {
  const c = new redkit.Cron('*/15 9 * * 1-5')
  assert.equal(c.source, '*/15 9 * * 1-5')
  const monday = Date.UTC(2024, 0, 1, 8, 59) // a Monday
  assert.equal(c.nextAfter(monday), Date.UTC(2024, 0, 1, 9, 0))
  assert.equal(c.nextAfter(Date.UTC(2024, 0, 1, 9, 45)), Date.UTC(2024, 0, 2, 9, 0))
  assert.throws(() => new redkit.Cron('61 * * * *'), InvalidArgumentError)
  assert.throws(() => new redkit.Cron(5), TypeError)
})
