/**
 * Every Promise-returning entry point reports a wrong argument by rejecting, never by throwing:
 * napi-rs converts an async method's arguments before its Promise exists, and `lib/adopt.js`
 * turns that throw into a rejection for the entry points the generated declarations mark as
 * async (`lib/async-methods.json`). This walks the whole list — each method of each class,
 * called with a Symbol in every declared parameter — so a new async method is covered the day
 * it is declared; a class the walk cannot build fails the test rather than being skipped.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { asyncEntryPoints } from '../../scripts/node-async-methods.mjs'

const require = createRequire(import.meta.url)
const redkit = require('../../bindings-node')
const dts = readFileSync(new URL('../../bindings-node/index.d.ts', import.meta.url), 'utf8')

/** How many parameters a declared parameter list has (top-level commas; none for `()`). */
function arity (params) {
  if (!params.trim()) return 0
  let depth = 0
  let n = 1
  for (const ch of params) {
    if ('([{<'.includes(ch)) depth++
    else if (')]}>'.includes(ch)) depth--
    else if (ch === ',' && depth === 0) n++
  }
  return n
}

/** One instance of every class that has async methods, on a fresh simulator. */
async function instances () {
  const sim = new redkit.Simulator({ manualClock: true })
  const client = sim.client()
  const pubsub = client.pubsub()
  const queue = client.queue('q')
  return {
    '': redkit,
    Client: client,
    Cache: client.cache('c', { ttl: 1000 }),
    Geo: client.geo('g'),
    Leaderboard: client.leaderboard('b'),
    Limiter: client.limiter('l', { algorithm: 'fixed_window', limit: 1, window: 1000 }),
    LimiterSet: new redkit.LimiterSet([client.limiter('l2', { algorithm: 'fixed_window', limit: 1, window: 1000 })]),
    Lock: client.lock('k'),
    PubSub: pubsub,
    Queue: queue,
    Redlock: redkit.redlock([client], 'r', { retryCount: 0 }),
    Requester: await pubsub.requester('svc'),
    Responder: await pubsub.serve('svc', (x) => x),
    Semaphore: client.semaphore('s', { limit: 1 }),
    SessionStore: client.sessions(),
    Stream: client.stream('st'),
    Subscription: await pubsub.subscription(),
    Worker: queue.worker(() => null)
  }
}

test('every async entry point rejects a wrong argument instead of throwing', async () => {
  const objects = await instances()
  const entries = asyncEntryPoints(dts).filter((e) => arity(e.params) > 0)
  assert.ok(entries.length > 100, `only ${entries.length} async entry points with parameters found`)
  for (const { owner, name, params } of entries) {
    const target = objects[owner]
    assert.ok(target, `no instance of ${owner} to call ${name} on: add one to instances()`)
    const args = Array.from({ length: arity(params) }, () => Symbol('wrong'))
    let result
    assert.doesNotThrow(() => { result = target[name](...args) }, `${owner || 'redkit'}.${name} threw synchronously`)
    assert.equal(typeof result?.then, 'function', `${owner || 'redkit'}.${name} returned no Promise`)
    await assert.rejects(result, TypeError, `${owner || 'redkit'}.${name} did not reject with a TypeError`)
  }
  await objects.Responder.stop()
  await objects.Requester.close()
  await objects.Subscription.close()
})

test('the generated list matches the declarations it is drawn from', async () => {
  const { asyncMethodTable } = await import('../../scripts/node-async-methods.mjs')
  assert.deepEqual(require('../../bindings-node/lib/async-methods.json'), asyncMethodTable(dts))
})
