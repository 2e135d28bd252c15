'use strict'
/**
 * The queue worker's JavaScript form: a worker is disposable (`await using worker =
 * queue.worker(fn); worker.start()` closes it gracefully at scope end), and a worker started
 * with `start()` keeps the process alive until its run ends (`close()`, `stop()`, `kill()`,
 * `maxJobs`), as a BullMQ worker does: a script that starts a worker does not exit under it.
 * (`run()` needs nothing more: its pending Promise holds the event loop.)
 */

const { method } = require('./dispose.js')

/** How often a started worker's keep-alive timer checks whether the run has ended. */
const KEEP_ALIVE_CHECK_MS = 200

function install ({ Worker }) {
  method(Worker, Symbol.asyncDispose, async function () { await this.close() })
  const start = Worker.prototype.start
  method(Worker, 'start', function (...args) {
    start.apply(this, args)
    const timer = setInterval(() => { if (!this.running) clearInterval(timer) }, KEEP_ALIVE_CHECK_MS)
  })
}

module.exports = { install }
