'use strict'
/**
 * The lock's JavaScript forms: every acquisition is disposable (`await using held = await
 * lock.acquire()` releases one hold at scope end when it was acquired), and
 * `lock.withLock(fn, timeout)` runs `fn` while holding the lock.
 */

const { TimeoutError } = require('./errors.js')

/** Makes `acquisition` release a hold of `lock` on `Symbol.asyncDispose` when it holds one. */
function disposable (lock, acquisition) {
  Object.defineProperty(acquisition, Symbol.asyncDispose, {
    value: async () => { if (acquisition.acquired) await lock.release() }
  })
  return acquisition
}

function install ({ Lock }) {
  for (const name of ['acquire', 'tryAcquire']) {
    const base = Lock.prototype[name]
    Object.defineProperty(Lock.prototype, name, {
      value: { async [name] (...args) { return disposable(this, await base.apply(this, args)) } }[name],
      writable: true,
      configurable: true
    })
  }
  Object.defineProperty(Lock.prototype, 'withLock', {
    /** Acquires (waiting up to `timeout` ms, default the lock's blockingTimeout), runs
     * `fn(acquisition)`, releases whatever `fn` did; rejects with TimeoutError if not acquired. */
    async value (fn, timeout) {
      const held = await this.acquire(timeout)
      if (!held.acquired) throw new TimeoutError(`lock ${JSON.stringify(this.name)} is still held by another owner`)
      try {
        return await fn(held)
      } finally {
        await this.release()
      }
    },
    writable: true,
    configurable: true
  })
}

module.exports = { install, disposable }
