/**
 * Maps the scenario files' object kinds (`"new": "lock"`, Rust's snake_case names, durations
 * in `*_ms`) onto the Node API (camelCase, milliseconds, positional arguments then an options
 * object). The default does most of it: `new KIND {name, ...rest}` calls
 * `client.KIND(name, options)` with each `x_ms` option as `x`; `call NAME.METHOD {args}` calls
 * the camelCase method with the argument values in the file's order (a non-function member is
 * read). Adapters override only what differs, as `do_<method>`.
 */
import { Mismatch, jsName } from './matcher.mjs'

/** A file's arguments as Node options: `ttl_ms` → `ttl`, `blocking_timeout_ms` → `blockingTimeout`. */
export const options = (args) => Object.fromEntries(Object.entries(args).map(([k, v]) => [jsName(k), v]))

/** A result as the JSON-like value the files expect (Buffers and Uint8Arrays as UTF-8 text). */
export function toJson (v) {
  if (v === undefined) return null
  if (v instanceof Uint8Array) return new TextDecoder().decode(v)
  if (Array.isArray(v)) return v.map(toJson)
  if (v instanceof Error) throw v
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]))
  return v
}

export class Adapter {
  constructor (obj, world) {
    this.obj = obj
    this.world = world
  }

  /** `new KIND`: `client.kind(name, options)`. */
  static async construct (kind, { name, ...rest }, world) {
    const client = await world.client()
    return new this(client[jsName(kind)](name, options(rest)), world)
  }

  async call (method, args) {
    const special = this[`do_${method}`]
    if (special) return toJson(await special.call(this, args))
    const member = this.obj[jsName(method)]
    if (typeof member !== 'function') return toJson(member)
    return toJson(await member.apply(this.obj, Object.values(args)))
  }
}

class LockAdapter extends Adapter {
  /** INCR of `key` under the lock: acquire (waiting), the work, release. */
  async do_with_lock ({ timeout_ms: timeout, key }) {
    const client = await this.world.client()
    return this.obj.withLock(async (held) => ({ fence: held.fence, value: await client.execute('INCR', key) }), timeout)
  }

  async do_guard ({ timeout_ms: timeout }) {
    const held = await this.obj.withLock(async (h) => h, timeout)
    return { fence: held.fence, released: !(await this.obj.isOwned()) }
  }
}

/** kind → adapter class; adapter modules add theirs with `register`. */
const FACTORIES = new Map([['lock', LockAdapter]])

/** Makes `adapter` the one for `new` steps of `kind`. */
export function register (kind, adapter) {
  FACTORIES.set(kind, adapter)
  KINDS.add(kind)
}

/** The kinds this runner can construct. */
export const KINDS = new Set(FACTORIES.keys())

/**
 * Whether the package `redkit` offers `kind` (the WebAssembly build grows pattern by pattern):
 * its adapter's static `offered(redkit)` when it has one, else a `client.<kind>()` factory.
 */
export function offered (redkit, kind) {
  const adapter = FACTORIES.get(kind)
  if (!adapter) return false
  if (adapter.offered) return adapter.offered(redkit)
  return typeof redkit.Client?.prototype?.[jsName(kind)] === 'function'
}

/** A new adapter of `kind` (rejects with Mismatch for a kind with no adapter yet). */
export async function construct (kind, args, world) {
  const adapter = FACTORIES.get(kind)
  if (!adapter) throw new Mismatch(`no Node adapter for ${kind}`)
  return adapter.construct(kind, args, world)
}

/** The `kind.method` calls of scenario `sc` its adapters list as not offered yet (an adapter's
 * static `PENDING` set of method names): such a scenario runs as a todo. */
export function unsupported (sc) {
  const kinds = new Map(sc.steps.filter((s) => 'new' in s).map((s) => [s.as, s.new]))
  const out = new Set()
  for (const step of sc.steps.filter((s) => 'call' in s)) {
    const [name, method] = step.call.split('.')
    const kind = kinds.get(name)
    if (FACTORIES.get(kind)?.PENDING?.has(method)) out.add(`${kind}.${method}`)
  }
  return [...out]
}
