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
