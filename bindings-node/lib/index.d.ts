/** redkit for Node.js: the addon's classes (generated from the Rust sources) and the error classes. */
export * from '../index'
export * from './errors'

import type { Acquisition, Permit, RedlockAcquisition } from '../index'

declare module '../index' {
  interface Lock {
    /** Acquires (waiting up to `timeout` ms, default the lock's blockingTimeout), runs `fn`,
     * releases; rejects with `TimeoutError` when the lock could not be acquired. */
    withLock<T>(fn: (held: Acquisition) => T | Promise<T>, timeout?: number): Promise<T>
  }
  interface Semaphore {
    /** Takes a permit (waiting up to `timeout` ms, default the semaphore's blockingTimeout), runs
     * `fn`, releases it; rejects with `TimeoutError` when no permit freed in time. */
    withPermit<T>(fn: (permit: Permit) => T | Promise<T>, timeout?: number): Promise<T>
  }
  interface Redlock {
    /** Acquires (with the retries), runs `fn`, releases; rejects with `TimeoutError` when no
     * quorum granted it. */
    withLock<T>(fn: (held: RedlockAcquisition) => T | Promise<T>): Promise<T>
  }
}

import type { StreamEntry, Message } from '../index'

/** Options of `stream.iterate(...)`: a group and consumer, or neither (a tail after `after`). */
export interface StreamIterateOptions {
  /** Read new entries of this consumer group (with `consumer`). */
  group?: string
  consumer?: string
  /** How long each read waits for entries, in ms of the backend's time (default 0). */
  block?: number
  /** End after this many entries (default: no limit). */
  max?: number
  /** Entries fetched per read (default 10). */
  count?: number
  /** The tail's start: entries after this id (default `"$"`: new ones only). */
  after?: string
  /** Ack each group entry once the loop asks for the next one (default false). */
  ack?: boolean
}

declare module '../index' {
  interface Stream {
    /** A bounded async iterator of entries: ends when a read finds nothing within `block` ms,
     * after `max` entries, or on `break`. */
    iterate(options?: StreamIterateOptions): AsyncGenerator<StreamEntry, void, undefined>
  }
  interface StreamEntry {
    /** The event this entry carries (written by `addJson`), decoded; throws SerializationError
     * if it has none or it does not parse. */
    json<T = unknown>(): T
  }
  interface Message {
    /** The payload as UTF-8 text; throws SerializationError if it is not. */
    text(): string
    /** The payload parsed as JSON; throws SerializationError if it does not parse. */
    json<T = unknown>(): T
  }
  interface Subscription extends AsyncIterable<Message> {
    /** Messages until the subscription is closed, after `max`, or after `timeout` ms without one. */
    listen(options?: { timeout?: number; max?: number }): AsyncGenerator<Message, void, undefined>
    /** Closes the subscription (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Requester {
    /** Closes the requester (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Responder {
    /** Stops the responder (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Worker {
    /** Closes the worker gracefully (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
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
