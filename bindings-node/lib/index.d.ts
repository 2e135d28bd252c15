/** redkit for Node.js: the addon's classes (generated from the Rust sources) and the error classes. */
export * from '../index'
export * from './errors'

import type { Acquisition } from '../index'

declare module '../index' {
  interface Lock {
    /** Acquires (waiting up to `timeout` ms, default the lock's blockingTimeout), runs `fn`,
     * releases; rejects with `TimeoutError` when the lock could not be acquired. */
    withLock<T>(fn: (held: Acquisition) => T | Promise<T>, timeout?: number): Promise<T>
  }
}

/** Options of `cache.wrap(fn, options)`. */
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

/** A function memoised by `cache.wrap`. */
export interface Wrapped<A extends unknown[], R> {
  (...args: A): Promise<Awaited<R> | null>
  /** The cache key a call with these arguments uses. */
  key(...args: A): string
  /** Deletes the entry of a call with these arguments; true if it existed. */
  invalidate(...args: A): Promise<boolean>
  /** Deletes every entry of this function (default key rule only); resolves to how many. */
  invalidateAll(): Promise<number>
  cache: import('../index').Cache
}

declare module '../index' {
  interface Cache {
    /** Memoises the async (or plain) function `fn` through `getOrSet`: one entry per
     * distinct argument list (see lib/cache.js for the key rule). */
    wrap<A extends unknown[], R>(fn: (...args: A) => R, options?: WrapOptions<A>): Wrapped<A, R>
  }
}
