/**
 * Scenario adapters for `cache` (tests/scenarios/cache.json) and `session` (session.json), after
 * the Python ones in tests/python/scenarios/cache_session.py.
 *
 * A cache adapter provides what a file cannot write as data, as JavaScript functions handed to
 * the real API: a canned async loader for `getOrSet` (resolves to `load_value`, or throws
 * `load_error` as a redkit `ConnectionError`, after `load_ms` of backend time counted from the
 * step; `loads` counts its runs) and an in-memory sink for write-through and write-behind (`sink`
 * lists what it received as `{key, value}`, `fail_sink` makes its next `times` writes throw).
 * The sink is a plain function, the loader an async one, so both kinds of callback are used.
 *
 * The loader waits in backend time (`World.sleep`: parked on the simulator's manual clock, real
 * time on a server).
 */
import { Adapter, options, register } from './adapters.mjs'

class CacheAdapter extends Adapter {
  constructor (obj, world) {
    super(obj, world)
    this.loads = 0
    this.received = []
    this.failuresLeft = 0
    this.drainer = null
  }

  /** Backend time in ms: the simulator's clock, or the real monotonic one. */
  now () {
    return this.world.sim ? this.world.sim.now() : performance.now()
  }

  loader ({ load_value: value = null, load_error: error = null, load_ms: ms = null }) {
    const deadline = ms === null ? null : this.now() + ms
    return async () => {
      this.loads += 1
      const wait = deadline === null ? 0 : deadline - this.now()
      await this.world.sleep(wait)
      if (error !== null) throw new this.world.redkit.ConnectionError(error)
      return value
    }
  }

  /** The in-memory sink (a plain function). */
  sink () {
    return (writes) => {
      if (this.failuresLeft > 0) {
        this.failuresLeft -= 1
        throw new this.world.redkit.ConnectionError('sink unavailable')
      }
      this.received.push(...writes.map((w) => ({ key: w.key, value: w.value })))
    }
  }

  do_loads () { return this.loads }
  do_sink () { return [...this.received] }
  do_fail_sink ({ times }) { this.failuresLeft = times }

  do_set ({ key, value, ttl_ms: ttl, tags }) {
    return this.obj.set(key, value, { ttl, tags })
  }

  do_get_or_set ({ key, ttl_ms: ttl, tags, ...load }) {
    return this.obj.getOrSet(key, this.loader(load), { ttl, tags })
  }

  do_write_through ({ key, value, ttl_ms: ttl, tags }) {
    return this.obj.writeThrough(key, value, this.sink(), { ttl, tags })
  }

  do_write_behind ({ key, value, ttl_ms: ttl, tags }) {
    return this.obj.writeBehind(key, value, { ttl, tags })
  }

  do_drain_behind (args) {
    return this.obj.drainBehind(this.sink(), options(args))
  }

  do_spawn_drainer (args) {
    this.drainer = this.obj.spawnDrainer(this.sink(), options(args))
  }

  do_stop_drainer () {
    this.drainer?.stop()
    this.drainer = null
  }

  /** Ends the cache object's local-tier subscription now, not when it is garbage-collected
   * (a later scenario on the same server counts pub/sub clients). */
  async close () {
    this.do_stop_drainer()
    this.obj.close()
  }
}

class SessionAdapter extends Adapter {
  static offered (redkit) { return typeof redkit.Client?.prototype?.sessions === 'function' }

  /** `new session` is `client.sessions({ name, ...options })`. */
  static async construct (kind, args, world) {
    const client = await world.client()
    return new this(client.sessions(options(args)), world)
  }

  do_create (args) {
    return this.obj.create(args)
  }

  do_save ({ id, idle_ttl_ms: idleTtl, ...rest }) {
    return this.obj.save(id, { ...rest, idleTtl })
  }
}

register('cache', CacheAdapter)
register('session', SessionAdapter)
