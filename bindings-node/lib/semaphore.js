'use strict'
/**
 * The semaphore's JavaScript forms: a granted permit is disposable (`await using permit = await
 * sem.acquire()` releases that permit at scope end), and `sem.withPermit(fn, timeout)` runs
 * `fn` while holding a permit.
 */

const { TimeoutError } = require('./errors.js')
const { disposable, method, settleResults } = require('./dispose.js')

function install ({ Semaphore }) {
  settleResults(Semaphore, ['acquire', 'tryAcquire'], (sem, permit) => disposable(permit, () => sem.release(permit.token)))
  /** Takes a permit (waiting up to `timeout` ms, default the semaphore's blockingTimeout), runs
   * `fn(permit)`, releases it whatever `fn` did; rejects with TimeoutError if none freed. */
  method(Semaphore, 'withPermit', async function withPermit (fn, timeout) {
    const permit = await this.acquire(timeout)
    if (!permit.acquired) throw new TimeoutError(`no permit of semaphore ${JSON.stringify(this.name)} freed in time`)
    try {
      return await fn(permit)
    } finally {
      await this.release(permit.token)
    }
  })
}

module.exports = { install }
