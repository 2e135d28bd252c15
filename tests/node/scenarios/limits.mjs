/**
 * Scenario adapters for `limiter` and `limiter_set` (tests/scenarios/limiter.json), `semaphore`
 * (semaphore.json) and `redlock` (redlock.json), after tests/python/scenarios/limits.py.
 *
 * - `limiter`: `client.limiter(name, options)`, on `world.unreachable()` when the file says
 *   `"unreachable": true`; `limiter_set`: `new LimiterSet([...])` of limiters built from the
 *   specs in `limiters`, all on one client.
 * - `semaphore`: `with_permit` is `sem.withPermit(fn, timeout)` and answers how many permits are
 *   held inside it.
 * - `redlock`: `redlock(clients, name, options)` over the clients the file lists as `instances`
 *   (`0` the scenario's, `i` database i, `"down"` an unreachable one); `with_lock` runs an
 *   `INCR` of `key` inside `withLock`.
 */
import { Adapter, options, register } from './adapters.mjs'
import { Mismatch } from './matcher.mjs'

/** The scenario's client, or an unreachable one when the file says `"unreachable": true`. */
const backend = (unreachable, world) => (unreachable ? world.unreachable() : world.client())

/** A Limiter on `client` from a file's limiter spec. */
const limiter = (client, { name, unreachable, ...rest }) => client.limiter(name, options(rest))

class LimiterAdapter extends Adapter {
  static async construct (kind, args, world) {
    return new this(limiter(await backend(args.unreachable, world), args), world)
  }
}

class LimiterSetAdapter extends Adapter {
  static offered (redkit) { return typeof redkit.LimiterSet === 'function' }

  static async construct (kind, { limiters, unreachable }, world) {
    const client = await backend(unreachable, world)
    return new this(new world.redkit.LimiterSet(limiters.map((spec) => limiter(client, spec))), world)
  }
}

class SemaphoreAdapter extends Adapter {
  /** Takes a permit waiting up to `timeout_ms` (TimeoutError when none frees) and counts the
   * holders inside. */
  async do_with_permit ({ timeout_ms: timeout }) {
    return this.obj.withPermit(() => this.obj.count(), timeout)
  }
}

/** A Redlock instance as the files list it: a database number or `"down"`. */
function instance (spec, world) {
  if (spec === 'down') return world.unreachable()
  if (Number.isInteger(spec) && spec >= 0 && spec <= 8) return world.client(spec)
  throw new Mismatch(`instance ${JSON.stringify(spec)}: use 0 ..= 8 or "down"`)
}

class RedlockAdapter extends Adapter {
  static offered (redkit) { return typeof redkit.redlock === 'function' }

  static async construct (kind, { name, instances = [], ...rest }, world) {
    const clients = await Promise.all(instances.map((spec) => instance(spec, world)))
    return new this(world.redkit.redlock(clients, name, options(rest)), world)
  }

  /** `INCR key` on the scenario's client inside `withLock`. */
  async do_with_lock ({ key }) {
    const client = await this.world.client()
    return this.obj.withLock(() => client.execute('INCR', key))
  }
}

register('limiter', LimiterAdapter)
register('limiter_set', LimiterSetAdapter)
register('semaphore', SemaphoreAdapter)
register('redlock', RedlockAdapter)
