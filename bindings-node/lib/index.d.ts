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
