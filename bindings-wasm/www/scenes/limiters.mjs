/**
 * Rate limiters side by side: the same arrivals (a burst at 0 ms, then steady or random
 * traffic) hit one limiter per algorithm on one simulator, so the timelines differ only by
 * algorithm. Returns every decision and, per algorithm, how many were admitted overall, in the
 * first window, and at most in any window-long stretch (where fixed windows let twice the limit
 * through across a boundary).
 */
import { check, readParams, seeded, virtualClock } from './support.mjs'

export const ALGORITHMS = ['token_bucket', 'sliding_window', 'gcra', 'fixed_window', 'sliding_log']
/** Algorithms that count calls per window: they admit exactly the limit in the first one. */
const WINDOWED = ['fixed_window', 'sliding_window', 'sliding_log']

export const limiters = {
  id: 'limiters',
  title: 'Rate limiters',
  tagline: 'Token bucket vs sliding window vs GCRA on the same traffic',
  requires: ['limiter'],
  params: [
    { name: 'limit', label: 'Limit per window', min: 1, max: 100, default: 5 },
    { name: 'window', label: 'Window (ms)', min: 50, max: 10000, default: 1000, step: 50 },
    { name: 'burst', label: 'Burst at 0 ms', min: 0, max: 200, default: 10 },
    { name: 'rate', label: 'Then requests / s', min: 0, max: 200, default: 8 },
    { name: 'traffic', label: 'Traffic', type: 'choice', choices: ['steady', 'random'], default: 'steady' },
    { name: 'duration', label: 'Duration (ms)', min: 100, max: 20000, default: 4000, step: 100 },
    { name: 'algorithms', label: 'Algorithms', type: 'flags', choices: ALGORITHMS, default: ['token_bucket', 'sliding_window', 'gcra'] },
    { name: 'seed', label: 'Seed', min: 0, max: 999999, default: 7 }
  ],
  run: runLimiters
}

/** Arrival times in virtual ms: `burst` at 0, then `rate` per second until `duration`. */
export function arrivals ({ burst, rate, traffic, duration, seed }) {
  const times = Array(burst).fill(0)
  if (rate === 0) return times
  const random = seeded(seed)
  const gap = 1000 / rate
  for (let t = gap, k = 1; t < duration; k++) {
    times.push(Math.round(t))
    t = traffic === 'steady' ? (k + 1) * gap : t + Math.max(1, -gap * Math.log(1 - random()))
  }
  return times
}

async function runLimiters (redkit, given) {
  const params = readParams(limiters.params, given)
  const clock = virtualClock(redkit)
  const client = clock.sim.client()
  const options = { limit: params.limit, window: params.window }
  const chosen = params.algorithms.map((algorithm) => ({ algorithm, limiter: client.limiter(`play:${algorithm}`, { ...options, algorithm }) }))
  const events = []
  for (const t of arrivals(params)) {
    clock.advanceTo(t)
    for (const { algorithm, limiter } of chosen) {
      const d = await limiter.consume('visitor')
      events.push({ t, series: algorithm, allowed: d.allowed, remaining: d.remaining, retryAfter: d.retryAfter })
    }
  }
  const counts = {}
  for (const { algorithm } of chosen) counts[algorithm] = tally(events.filter((e) => e.series === algorithm), params.window)
  return { scene: 'limiters', params, duration: params.duration, events, counts, checks: limiterChecks(params, events, counts) }
}

function tally (decisions, window) {
  const admitted = decisions.filter((d) => d.allowed).map((d) => d.t)
  return {
    requests: decisions.length,
    admitted: admitted.length,
    rejected: decisions.length - admitted.length,
    firstWindow: admitted.filter((t) => t < window).length,
    peakWindow: peakIn(admitted, window)
  }
}

/** The most of the sorted `times` in any stretch [t, t + window). */
function peakIn (times, window) {
  let peak = 0
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= window) lo++
    peak = Math.max(peak, hi - lo + 1)
  }
  return peak
}

function limiterChecks (params, events, counts) {
  const inFirstWindow = arrivals(params).filter((t) => t < params.window).length
  const atZero = Math.min(params.burst, params.limit)
  const checks = []
  for (const [algorithm, c] of Object.entries(counts)) {
    const name = algorithm.replace('_', ' ')
    const burst = events.filter((e) => e.series === algorithm && e.t === 0 && e.allowed).length
    checks.push(check(`burst.${algorithm}`, `${name}: the burst at 0 ms passes up to the limit (${atZero})`, burst === atZero, `${burst} passed`))
    if (!WINDOWED.includes(algorithm)) continue
    const expected = Math.min(params.limit, inFirstWindow)
    checks.push(check(`window.${algorithm}`, `${name}: admitted in the first window = ${expected}`, c.firstWindow === expected, `${c.firstWindow} admitted`))
  }
  return checks
}
