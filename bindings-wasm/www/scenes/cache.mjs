/**
 * A cache under a stampede: bursts of requests for a few hot keys, each burst spread over a few
 * ms, served two ways on one simulator: `getOrSet` (single flight: one load per key, the
 * other callers share it, across app instances too) and naive cache-aside (`get`, on a miss
 * load and `set`: every concurrent miss loads). The loader takes `latency` virtual ms, so the
 * clock stands still while requests pile up behind a load.
 *
 * Returns every request (when, which key and instance, hit / shared / loaded, when answered),
 * every loader call (start, end), counts per strategy and the checks: single flight loads each
 * key once per expiry; naive cache-aside loads it once per concurrent miss.
 */
import { check, readParams, seeded, virtualClock } from './support.mjs'

/** Bounds on waiting for in-flight calls between clock steps and after the last one. */
const SETTLE_ROUNDS = 200
const QUIET_ROUNDS = 3
const DRAIN_STEPS = 500

export const STRATEGIES = ['single flight', 'naive']

export const cache = {
  id: 'cache',
  title: 'Cache stampede',
  tagline: 'Hot keys expire under load: getOrSet loads once, naive loads per miss',
  requires: ['cache'],
  params: [
    { name: 'requests', label: 'Requests per burst', min: 1, max: 300, default: 40 },
    { name: 'keys', label: 'Hot keys', min: 1, max: 8, default: 2 },
    { name: 'instances', label: 'App instances', min: 1, max: 4, default: 2 },
    { name: 'latency', label: 'Loader latency (ms)', min: 1, max: 5000, default: 120, step: 10 },
    { name: 'ttl', label: 'TTL (ms)', min: 10, max: 60000, default: 1000, step: 10 },
    { name: 'bursts', label: 'Bursts', min: 1, max: 10, default: 3 },
    { name: 'every', label: 'Burst every (ms)', min: 10, max: 20000, default: 700, step: 10 },
    { name: 'spread', label: 'Burst spread (ms)', min: 0, max: 5000, default: 80, step: 10 },
    { name: 'seed', label: 'Seed', min: 0, max: 999999, default: 7 }
  ],
  run: runCache
}

/**
 * A turn of the host's event loop, where the module's promises settle: in Node a 1 ms timer
 * (the addon answers from threads of its own), in a browser a message (no timer clamping).
 */
function yieldToHost () {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setTimeout(resolve, 1))
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => { channel.port1.close(); resolve() }
    channel.port2.postMessage(null)
  })
}

async function runCache (redkit, given) {
  const params = readParams(cache.params, given)
  const random = seeded(params.seed)
  const clock = virtualClock(redkit)
  const instances = Array.from({ length: params.instances }, () => {
    const client = clock.sim.client()
    return { 'single flight': client.cache('play:sf', { ttl: params.ttl, beta: 0 }), naive: client.cache('play:naive', { ttl: params.ttl, beta: 0 }) }
  })
  const requests = []
  const loads = []
  /** Bumped at every step a request makes that the page can see (settling waits for quiet). */
  const progress = { steps: 0 }
  const due = []
  const loader = (strategy, request) => () => {
    request.outcome = 'loaded'
    progress.steps++
    const load = { strategy, key: request.key, start: clock.now(), end: null, instance: request.instance }
    loads.push(load)
    return new Promise((resolve) => due.push({ t: load.start + params.latency, load, resolve }))
  }
  const serve = (strategy, request) => {
    const store = instances[request.instance][strategy]
    const load = loader(strategy, request)
    if (strategy === 'single flight') return store.getOrSet(request.key, load)
    return store.get(request.key).then(async (value) => {
      progress.steps++
      if (value !== null) return value
      const loaded = await load()
      await store.set(request.key, loaded)
      return loaded
    })
  }
  const arrivals = plan(params, random)
  const pending = new Set()
  const quiet = settler(clock, progress)
  while (arrivals.length || due.length) {
    const t = Math.min(arrivals[0]?.t ?? Infinity, ...due.map((d) => d.t))
    clock.advanceTo(t)
    for (const d of due.filter((d) => d.t <= t)) {
      due.splice(due.indexOf(d), 1)
      d.load.end = t
      d.resolve(`${d.load.key} as of ${t} ms`)
    }
    while (arrivals.length && arrivals[0].t <= t) {
      const a = arrivals.shift()
      for (const strategy of STRATEGIES) {
        const request = { ...a, strategy, outcome: 'hit', answeredAt: null }
        requests.push(request)
        const call = serve(strategy, request).then(() => { request.answeredAt = clock.now() }).finally(() => { pending.delete(call); progress.steps++ })
        pending.add(call)
      }
    }
    await quiet()
  }
  for (let i = 0; pending.size && i < DRAIN_STEPS; i++) {
    clock.advanceTo(clock.now() + 10)
    await quiet()
  }
  if (pending.size) throw new Error(`${pending.size} cache requests still unanswered ${DRAIN_STEPS * 10} virtual ms after the last load`)
  for (const r of requests) if (r.outcome === 'hit' && r.answeredAt > r.t) r.outcome = 'shared'
  const counts = {}
  for (const strategy of STRATEGIES) counts[strategy] = cacheCounts(requests, loads, strategy)
  const stats = instances.map((i) => i['single flight'].stats())
  counts['single flight'].coalesced = stats.reduce((n, s) => n + s.coalesced, 0)
  counts['single flight'].waited = stats.reduce((n, s) => n + s.waited, 0)
  const duration = Math.max(clock.now(), ...loads.map((l) => l.end)) + Math.min(params.ttl, params.every)
  return { scene: 'cache', params, duration, requests, loads, counts, checks: cacheChecks(params, loads, counts) }
}

/** Every request's arrival: bursts `every` ms apart, each spread over `spread` ms. */
function plan (params, random) {
  const out = []
  for (let b = 0; b < params.bursts; b++) {
    for (let i = 0; i < params.requests; i++) {
      out.push({ t: b * params.every + Math.floor(random() * (params.spread + 1)), key: `key-${(i % params.keys) + 1}`, instance: i % params.instances })
    }
  }
  return out.sort((a, b) => a.t - b.t)
}

/**
 * Waits (bounded) until the calls in flight stop making progress: no step taken and no change
 * in the waits parked on the clock for a few turns of the event loop.
 */
function settler (clock, progress) {
  return async function quiet () {
    let last = ''
    for (let round = 0, still = 0; round < SETTLE_ROUNDS && still < QUIET_ROUNDS; round++) {
      await yieldToHost()
      const now = `${progress.steps}/${clock.sim.parked()}`
      still = now === last ? still + 1 : 0
      last = now
    }
  }
}

function cacheCounts (requests, loads, strategy) {
  const mine = requests.filter((r) => r.strategy === strategy)
  return {
    requests: mine.length,
    loaderCalls: loads.filter((l) => l.strategy === strategy).length,
    hits: mine.filter((r) => r.outcome === 'hit').length,
    shared: mine.filter((r) => r.outcome === 'shared').length
  }
}

/** Single flight: a key's next load starts only once the last one's value expired. */
function cacheChecks (params, loads, counts) {
  const overlapping = []
  for (const strategy of STRATEGIES) {
    const byKey = loadsByKey(loads, strategy)
    for (const list of byKey.values()) {
      for (let i = 1; i < list.length; i++) if (list[i].start < list[i - 1].end + params.ttl) overlapping.push({ strategy, ...list[i] })
    }
  }
  const sf = counts['single flight']
  const naive = counts.naive
  return [
    check('single-flight', 'getOrSet: one load per key per expiry', !overlapping.some((l) => l.strategy === 'single flight'),
      `${sf.loaderCalls} loads for ${sf.requests} requests`),
    check('naive-stampede', 'Naive cache-aside: one load per concurrent miss (the stampede)', naive.loaderCalls >= sf.loaderCalls,
      `${naive.loaderCalls} loads for ${naive.requests} requests`)
  ]
}

/** `strategy`'s loads per key, in start order. */
function loadsByKey (loads, strategy) {
  const out = new Map()
  for (const l of loads.filter((x) => x.strategy === strategy)) out.set(l.key, [...(out.get(l.key) ?? []), l])
  return out
}
