'use strict'
/**
 * The lock's JavaScript forms: every acquisition is disposable (`await using held = await
 * lock.acquire()` releases one hold at scope end when it was acquired), and
 * `lock.withLock(fn, timeout)` runs `fn` while holding the lock.
 */

const { TimeoutError } = require('./errors.js')
const { disposable, method, settleResults } = require('./dispose.js')

function install ({ Lock }) {
  settleResults(Lock, ['acquire', 'tryAcquire'], (lock, held) => disposable(held, () => lock.release()))
  /** Acquires (waiting up to `timeout` ms, default the lock's blockingTimeout), runs
   * `fn(acquisition)`, releases whatever `fn` did; rejects with TimeoutError if not acquired. */
  method(Lock, 'withLock', async function withLock (fn, timeout) {
    const held = await this.acquire(timeout)
    if (!held.acquired) throw new TimeoutError(`lock ${JSON.stringify(this.name)} is still held by another owner`)
    try {
      return await fn(held)
    } finally {
      await this.release()
    }
  })
}

module.exports = { install }
