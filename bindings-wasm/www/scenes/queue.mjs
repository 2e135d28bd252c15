/**
 * A job queue worked by workers that crash. All jobs are enqueued at 0 ms; each idle worker
 * reserves the next job under a lease and works on it; a job may fail (retried after a backoff
 * until its attempts run out, then dead) or its worker may crash mid-job (it never acks; the
 * worker restarts later, and the job stays active until its lease runs out and the queue hands
 * it out again). The clock jumps from one due moment to the next (a worker finishing, a lease
 * or a backoff running out), and after each step every unfinished job's state is read from the
 * queue itself (`getJob`), so the timeline is the queue's truth, not the workers' belief.
 *
 * Returns each job's state segments, the crashes, per-run counts and the checks: no job lost
 * (each ends completed or dead) and a crashed job comes back only once its lease ran out.
 */
import { START, around, check, readParams, seeded, virtualClock } from './support.mjs'

/** The longest run in virtual ms, and the most clock steps, whatever the parameters. */
const MAX_VIRTUAL_MS = 600_000
const MAX_STEPS = 20_000
const FINAL = new Set(['completed', 'dead'])

export const queue = {
  id: 'queue',
  title: 'Queue + crashing workers',
  tagline: 'Workers crash mid-job; their jobs come back after the lease',
  requires: ['queue'],
  params: [
    { name: 'jobs', label: 'Jobs', min: 1, max: 40, default: 12 },
    { name: 'workers', label: 'Workers', min: 1, max: 8, default: 3 },
    { name: 'lease', label: 'Lease (ms)', min: 20, max: 20000, default: 600, step: 10 },
    { name: 'work', label: 'Work per job (ms)', min: 5, max: 5000, default: 200, step: 5 },
    { name: 'crash', label: 'Worker crashes (%)', min: 0, max: 100, default: 20 },
    { name: 'fail', label: 'Job fails (%)', min: 0, max: 100, default: 10 },
    { name: 'maxAttempts', label: 'Max attempts', min: 1, max: 10, default: 3 },
    { name: 'backoff', label: 'Retry backoff (ms)', min: 0, max: 10000, default: 300, step: 10 },
    { name: 'restart', label: 'Worker restart (ms)', min: 0, max: 10000, default: 400, step: 10 },
    { name: 'seed', label: 'Seed', min: 0, max: 999999, default: 7 }
  ],
  run: runQueue
}

async function runQueue (redkit, given) {
  const params = readParams(queue.params, given)
  const random = seeded(params.seed)
  const clock = virtualClock(redkit)
  const q = clock.sim.client().queue('play:jobs', { lease: params.lease })
  const jobs = new Map()
  for (let i = 0; i < params.jobs; i++) {
    const { id } = await q.enqueue({ n: i + 1 }, { maxAttempts: params.maxAttempts, backoff: params.backoff, backoffKind: 'fixed' })
    jobs.set(id, { id, label: `job ${i + 1}`, state: 'waiting', attempts: 0, since: 0, dueAt: null, segments: [] })
  }
  const workers = Array.from({ length: params.workers }, (_, i) => ({ name: `worker-${i + 1}`, busy: null, downUntil: 0 }))
  const crashes = []
  const tallies = { reserved: 0, failures: 0, recovered: 0 }
  let t = 0
  for (let steps = 0; steps < MAX_STEPS && t <= MAX_VIRTUAL_MS; steps++) {
    await finishDue(q, workers, t, params, crashes, tallies)
    tallies.recovered += (await q.recoverStalled()).requeued
    await observe(q, jobs, t)
    await reserveForIdle(q, workers, t, params, random, tallies)
    await observe(q, jobs, t)
    if ([...jobs.values()].every((j) => FINAL.has(j.state))) break
    const next = nextDue(workers, jobs, t)
    if (next === null) break
    t = next
    clock.advanceTo(t)
  }
  for (const j of jobs.values()) j.segments.push({ state: j.state, attempts: j.attempts, from: j.since, to: null })
  const final = await q.counts()
  const all = [...jobs.values()]
  const counts = {
    jobs: {
      enqueued: all.length,
      completed: all.filter((j) => j.state === 'completed').length,
      dead: all.filter((j) => j.state === 'dead').length,
      lost: all.filter((j) => !FINAL.has(j.state)).length,
      reserved: tallies.reserved,
      crashes: crashes.length,
      failures: tallies.failures,
      recovered: tallies.recovered
    },
    queue: { waiting: final.waiting, delayed: final.delayed, active: final.active, completed: final.completed, dead: final.dead }
  }
  return { scene: 'queue', params, duration: t, jobs: all, crashes, counts, checks: queueChecks(all, crashes, counts) }
}

/** Workers whose job is due end it (ack, fail or crash); workers due back from a crash return. */
async function finishDue (q, workers, t, params, crashes, tallies) {
  for (const w of workers) {
    if (!w.busy && w.downUntil <= t) w.downUntil = 0
    if (!w.busy || w.busy.until > t) continue
    const { job, outcome } = w.busy
    w.busy = null
    if (outcome === 'crash') {
      crashes.push({ t, worker: w.name, job: job.id, attempt: job.attempts, leaseDeadline: job.leaseDeadline - START })
      w.downUntil = t + Math.max(1, params.restart)
    } else if (outcome === 'fail') {
      tallies.failures++
      await q.fail(job, 'the playground made it fail')
    } else {
      await q.ack(job, { by: w.name })
    }
  }
}

/** Each idle worker takes the next ready job, if any, and draws how it will end. */
async function reserveForIdle (q, workers, t, params, random, tallies) {
  for (const w of workers.filter((w) => !w.busy && !w.downUntil)) {
    const job = await q.reserve({ lease: params.lease })
    if (!job) return
    tallies.reserved++
    const roll = random() * 100
    const work = around(random, params.work)
    if (roll < params.crash) w.busy = { job, outcome: 'crash', until: t + around(random, work, 0.2, 0.8) }
    else w.busy = { job, outcome: roll < params.crash + params.fail ? 'fail' : 'ack', until: t + work }
  }
}

/**
 * Reads every unfinished job's state from the queue, closing a segment where it changed (a new
 * attempt is a new segment even when the state is `active` again).
 */
async function observe (q, jobs, t) {
  for (const j of jobs.values()) {
    if (FINAL.has(j.state)) continue
    const info = await q.getJob(j.id)
    j.dueAt = info.dueAt === null ? null : info.dueAt - START
    if (info.state === j.state && info.attempts === j.attempts) continue
    if (t > j.since) j.segments.push({ state: j.state, attempts: j.attempts, from: j.since, to: t })
    j.state = info.state
    j.attempts = info.attempts
    j.since = t
  }
}

/** The next moment anything is due: a worker ends a job or returns, a lease or backoff ends. */
function nextDue (workers, jobs, t) {
  const due = []
  for (const w of workers) {
    if (w.busy) due.push(w.busy.until)
    else if (w.downUntil) due.push(w.downUntil)
  }
  for (const j of jobs.values()) if (j.dueAt !== null && !FINAL.has(j.state)) due.push(j.dueAt)
  const later = due.filter((d) => Number.isFinite(d)).map((d) => Math.max(d, t + 1))
  return later.length ? Math.min(...later) : null
}

function queueChecks (jobs, crashes, counts) {
  const early = crashes.filter((c) => {
    const held = jobs.find((x) => x.id === c.job).segments.find((s) => s.state === 'active' && s.attempts === c.attempt)
    return !held || (held.to !== null && held.to < c.leaseDeadline)
  })
  const c = counts.jobs
  return [
    check('no-job-lost', 'No job lost: every job ends completed or dead', c.lost === 0 && c.completed + c.dead === c.enqueued,
      `${c.completed} completed + ${c.dead} dead of ${c.enqueued}`),
    check('queue-agrees', "The queue's own counts agree", counts.queue.completed === c.completed && counts.queue.dead === c.dead,
      `queue: ${counts.queue.completed} completed, ${counts.queue.dead} dead`),
    check('lease', 'Crashed jobs come back only after their lease', early.length === 0, `${crashes.length} crashes`)
  ]
}
