'use strict'
/**
 * The Redlock's JavaScript forms: an acquisition is disposable (`await using held = await
 * rl.acquire()` releases on every master at scope end when it was acquired), and
 * `rl.withLock(fn)` runs `fn` while holding the lock.
 */

const { TimeoutError } = require('./errors.js')
const { disposable, method, settleResults } = require('./dispose.js')

function install ({ Redlock }) {
  settleResults(Redlock, ['acquire', 'tryAcquire'], (rl, held) => disposable(held, () => rl.release()))
  /** Acquires (with the retries), runs `fn(acquisition)`, releases whatever `fn` did; rejects
   * with TimeoutError when no quorum granted it. */
  method(Redlock, 'withLock', async function withLock (fn) {
    const held = await this.acquire()
    if (!held.acquired) {
      throw new TimeoutError(`Redlock ${JSON.stringify(this.name)}: no quorum after ${held.attempts} attempts`)
    }
    try {
      return await fn(held)
    } finally {
      await this.release()
    }
  })
}

module.exports = { install }
