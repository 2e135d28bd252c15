/**
 * The playground's scenes (bindings-wasm/www/scenes) run in Node with small parameters, and
 * their counts asserted: limiters admit the limit in a window, a lock never has two holders
 * and its fences strictly increase, a queue with crashing workers loses no job, a cache under
 * a stampede loads once per key per expiry with getOrSet. The scenes take the redkit module as
 * a parameter, so this runs against whichever package `REDKIT_SDK` selects, as
 * tests/node/scenarios.test.mjs does (tests/node/support/sdk.mjs). A
 * scene whose pattern that package lacks is a todo naming it.
 */
import { describe, test } from 'node:test'
import { SDK, redkit } from '../node/support/sdk.mjs'
import assert from 'node:assert/strict'
import { SCENES, missingFor, sceneById } from '../../bindings-wasm/www/scenes/index.mjs'
import { ALGORITHMS } from '../../bindings-wasm/www/scenes/limiters.mjs'


/** `body` as a test of `scene`, or a todo naming what `SDK` lacks for it. */
function sceneTest (id, name, body) {
  const missing = missingFor(redkit, sceneById(id))
  if (missing.length) return test.todo(`${name} (${SDK} has no client.${missing.join(', client.')} yet)`)
  return test(name, () => body(sceneById(id)))
}

function assertChecks (result) {
  assert.deepEqual(result.checks.filter((c) => !c.ok), [], `${result.scene}: failed checks`)
}

describe(`playground scenes on ${SDK}`, () => {
  sceneTest('limiters', 'every algorithm admits the limit from a burst in one window', async (scene) => {
    const r = await scene.run(redkit, { limit: 4, window: 1000, burst: 10, rate: 0, duration: 1000, algorithms: ALGORITHMS })
    assert.deepEqual(Object.keys(r.counts), ALGORITHMS)
    for (const c of Object.values(r.counts)) assert.deepEqual([c.requests, c.admitted, c.rejected, c.firstWindow], [10, 4, 6, 4])
    assertChecks(r)
  })

  sceneTest('limiters', 'random traffic: the sliding log never admits more than the limit in any window', async (scene) => {
    const r = await scene.run(redkit, { limit: 5, window: 500, burst: 3, rate: 40, traffic: 'random', duration: 3000, algorithms: ALGORITHMS })
    assert.ok(r.counts.sliding_log.peakWindow <= 5, JSON.stringify(r.counts.sliding_log))
    for (const c of Object.values(r.counts)) assert.ok(c.rejected > 0 && c.admitted >= 5, JSON.stringify(c))
    assertChecks(r)
  })

  sceneTest('lock', 'contended lock: one holder at a time, fences strictly increasing, stale writes refused', async (scene) => {
    const r = await scene.run(redkit, { clients: 5, ttl: 200, work: 80, retry: 30, crash: 20, stall: 30, duration: 3000, seed: 3 })
    const fences = r.holds.map((h) => h.fence)
    assert.ok(fences.length >= 5, `only ${fences.length} holds`)
    assert.ok(fences.every((f, i) => i === 0 || f > fences[i - 1]), `fences ${fences}`)
    assert.equal(r.counts.all.maxHolders, 1)
    assert.equal(r.counts.all.acquired, fences.length)
    assert.ok(r.counts.all.writesRefused >= 1, 'a stalled holder had its late write refused')
    assertChecks(r)
  })

  sceneTest('queue', 'crashing workers: no job lost, crashed jobs come back after their lease', async (scene) => {
    const r = await scene.run(redkit, { jobs: 8, workers: 2, lease: 300, work: 100, crash: 30, fail: 20, maxAttempts: 4, seed: 5 })
    const c = r.counts.jobs
    assert.equal(c.completed + c.dead, 8)
    assert.equal(c.lost, 0)
    assert.ok(c.crashes >= 1, 'some worker crashed')
    assert.equal(r.counts.queue.completed, c.completed)
    assertChecks(r)
  })

  sceneTest('queue', 'every attempt crashes: every job ends dead after its attempts, none lost', async (scene) => {
    const r = await scene.run(redkit, { jobs: 4, workers: 2, lease: 100, work: 50, crash: 100, maxAttempts: 2 })
    assert.deepEqual([r.counts.jobs.dead, r.counts.jobs.completed, r.counts.jobs.crashes], [4, 0, 8])
    assertChecks(r)
  })

  sceneTest('cache', 'a stampede on one key: getOrSet loads once, naive cache-aside once per request', async (scene) => {
    const r = await scene.run(redkit, { requests: 20, keys: 1, instances: 1, bursts: 1, spread: 0, latency: 50, ttl: 1000 })
    assert.deepEqual(r.counts['single flight'], { ...r.counts['single flight'], requests: 20, loaderCalls: 1, shared: 19 })
    assert.equal(r.counts.naive.loaderCalls, 20)
    assertChecks(r)
  })

  sceneTest('cache', 'bursts across instances and keys: one load per key per expiry', async (scene) => {
    const r = await scene.run(redkit, { requests: 30, keys: 3, instances: 3, bursts: 3, every: 700, ttl: 1000, latency: 100, spread: 60 })
    assert.equal(r.counts['single flight'].loaderCalls, 6, JSON.stringify(r.counts))
    assert.ok(r.counts.naive.loaderCalls > 6)
    assertChecks(r)
  })

  test('parameters out of range are a RangeError naming the field', async () => {
    for (const scene of SCENES) {
      const [first] = scene.params
      await assert.rejects(scene.run(redkit, { [first.name]: first.max + 1 }), (e) => e instanceof RangeError && e.message.includes(first.name))
    }
    await assert.rejects(sceneById('limiters').run(redkit, { algorithms: ['leaky'] }), RangeError)
    assert.throws(() => sceneById('nope'), RangeError)
  })
})
