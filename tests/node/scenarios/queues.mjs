/**
 * Scenario adapters for the job queue and its worker (queue.json), after
 * tests/python/scenarios/queues_streams.py:
 * - `queue`: job options come as the Rust names — `backoff` is the kind (`backoffKind` here) and
 *   `backoff_ms` its base (`backoff`); a reserved job is named by `id` and `token`; `heartbeat`
 *   and `ack` resolve to a time, shown as the Rust result's one field; `get` is `getJob`.
 * - `worker`: a worker over the queue `name` whose `handlers` map job types to canned
 *   behaviours: `"ok"` returns the data, `"fail"` throws `Error('boom')`, `"sleep"` waits
 *   `data.ms` of the backend's time (the manual clock, or real time), then returns the data.
 *   `shutdown` is `close`.
 */
import { Adapter, options, register } from './adapters.mjs'
import { sleep } from './runner.mjs'

/** Real-time bound on a canned handler's sleep (a manual clock nobody advances, a killed run). */
const SLEEP_LIMIT = 10_000

/** A job's options as `enqueue`'s: Rust's `backoff` (kind) and `backoff_ms` (base). */
function jobOptions ({ backoff, backoff_ms: base, ...rest }) {
  const o = options(rest)
  if (backoff !== undefined) o.backoffKind = backoff
  if (base !== undefined) o.backoff = base
  return o
}

class QueueAdapter extends Adapter {
  async do_enqueue ({ data, ...rest }) {
    return this.obj.enqueue(data, jobOptions(rest))
  }

  async do_enqueue_bulk ({ jobs }) {
    return this.obj.enqueueBulk(jobs.map(jobOptions))
  }

  async do_reserve ({ lease_ms: lease } = {}) {
    return this.obj.reserve({ lease })
  }

  async do_reserve_many ({ count, lease_ms: lease }) {
    return this.obj.reserveMany(count, { lease })
  }

  async do_heartbeat ({ id, token, lease_ms: lease }) {
    return { leaseDeadline: await this.obj.heartbeat(id, { token, lease }) }
  }

  async do_ack ({ id, token, result }) {
    return { completedAt: await this.obj.ack(id, result, { token }) }
  }

  async do_fail ({ id, token, error, retry }) {
    return this.obj.fail(id, error, { token, retry })
  }

  async do_requeue_dead ({ ids, limit }) {
    return this.obj.requeueDead(ids, limit)
  }

  async do_get ({ id }) {
    return this.obj.getJob(id)
  }

  async do_add_repeatable ({ name, data, ...rest }) {
    return this.obj.addRepeatable(name, data, jobOptions(rest))
  }
}

/** Waits `ms` of the backend's time, at most SLEEP_LIMIT real ms, or until `abandon.set`. */
async function backendSleep (world, ms, abandon) {
  const t0 = Date.now()
  const started = world.sim?.now()
  const done = () => abandon.set || Date.now() - t0 > SLEEP_LIMIT ||
    (world.sim ? world.sim.now() >= started + ms : Date.now() - t0 >= ms)
  while (!done()) await sleep(world.sim ? 1 : Math.min(5, ms))
}

function handler (behaviour, world, abandon) {
  if (!['ok', 'fail', 'sleep'].includes(behaviour)) throw new Error(`unknown handler behaviour ${behaviour}`)
  return async (job) => {
    if (behaviour === 'sleep') await backendSleep(world, Number(job.data?.ms ?? 0), abandon)
    if (behaviour === 'fail') throw new Error('boom')
    return job.data
  }
}

class WorkerAdapter extends Adapter {
  static offered (redkit) { return typeof redkit.Queue?.prototype?.worker === 'function' }

  static async construct (kind, { name, handlers = {}, concurrency, heartbeat_ms: heartbeat, idle_wait_ms: idleWait, ...rest }, world) {
    const client = await world.client()
    const queue = client.queue(name, options(rest))
    const abandon = { set: false }
    const fns = Object.fromEntries(Object.entries(handlers).map(([t, b]) => [t, handler(b, world, abandon)]))
    const adapter = new this(queue.worker(fns, { concurrency, heartbeat, idleWait, lease: rest.lease_ms }), world)
    adapter.abandon = abandon
    return adapter
  }

  async do_wait_idle ({ timeout_ms: timeout }) {
    return this.obj.waitIdle(timeout)
  }

  async do_shutdown ({ timeout_ms: timeout } = {}) {
    return this.obj.close(timeout)
  }

  async do_kill () {
    this.obj.kill()
    this.abandon.set = true // the killed run's handlers end (their results go nowhere)
    return null
  }

  /** End of the scenario: a worker still running is killed, its handlers end. */
  async close () {
    if (this.obj.running) this.obj.kill()
    this.abandon.set = true
  }
}

register('queue', QueueAdapter)
register('worker', WorkerAdapter)
