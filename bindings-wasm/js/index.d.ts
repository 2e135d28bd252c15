/**
 * Types of redkit-wasm: the generated declarations of the WebAssembly module, plus the rest-
 * argument forms of raw commands that js/surface.mjs adds.
 */
import type { Arg, RedisReply } from '../pkg/web/redkit_wasm.js'

export * from '../pkg/web/redkit_wasm.js'
export { default } from '../pkg/web/redkit_wasm.js'

declare module '../pkg/web/redkit_wasm.js' {
  interface Client {
    /** Runs one command: `await client.execute('SET', 'k', 'v')`. */
    execute(...args: Arg[]): Promise<RedisReply>
    /** `execute` with bulk strings as `Uint8Array`s. */
    executeBuffer(...args: Arg[]): Promise<RedisReply<Uint8Array>>
  }
}

/** Options of `cache.wrap(fn, options)` (the Node package's lib/cache.js). */
export interface WrapOptions<A extends unknown[]> {
  /** Entry TTL in ms (default: the cache's). */
  ttl?: number
  /** Tags of every entry, or a function of the call's arguments returning them. */
  tags?: string[] | ((...args: A) => string[])
  /** The key of a call (default: `name:` + the arguments as JSON). */
  key?: (...args: A) => string
  /** The key's prefix (default: the function's name). */
  name?: string
}

declare module '../pkg/web/redkit_wasm.js' {
  interface Cache {
    /** Memoises `fn` through `getOrSet`, one entry per distinct argument list; the result has
     * `key(...args)`, `invalidate(...args)`, `invalidateAll()` and `cache`. */
    wrap<A extends unknown[], R>(fn: (...args: A) => R, options?: WrapOptions<A>): ((...args: A) => Promise<Awaited<R> | null>) & {
      key(...args: A): string
      invalidate(...args: A): Promise<boolean>
      invalidateAll(): Promise<number>
      cache: Cache
    }
  }
}
