'use strict'
/**
 * The queue worker's JavaScript form: a worker is disposable (`await using worker =
 * queue.worker(fn); worker.start()` closes it gracefully at scope end).
 */

const { method } = require('./dispose.js')

function install ({ Worker }) {
  method(Worker, Symbol.asyncDispose, async function () { await this.close() })
}

module.exports = { install }
