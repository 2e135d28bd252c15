/**
 * What every playground scene shares: its parameters read and checked against the scene's
 * schema (a clear RangeError naming the field, never a silent clamp), a seeded random source
 * (a run is repeatable: same parameters, same timeline), and a simulator on a manual clock whose
 * time the scene reads and moves in virtual ms since the run began.
 */

/** Where every run's virtual clock starts (ms since the epoch); scenes speak in ms since then. */
export const START = Date.UTC(2026, 0, 1)

/**
 * The scene's parameters from `given` (strings from a form or numbers), defaults for those
 * missing. Numbers must be whole and within the field's range; a `choice` one of its choices; a
 * `flags` field a non-empty list of its choices.
 */
export function readParams (schema, given = {}) {
  const out = {}
  for (const field of schema) {
    const raw = given[field.name] ?? field.default
    out[field.name] = readField(field, raw)
  }
  return out
}

function readField (field, raw) {
  const what = `${field.label} (${field.name})`
  if (field.type === 'choice') {
    if (!field.choices.includes(raw)) throw new RangeError(`${what} must be one of ${field.choices.join(', ')}, not ${raw}`)
    return raw
  }
  if (field.type === 'flags') {
    const list = Array.isArray(raw) ? raw : String(raw).split(',').filter(Boolean)
    const bad = list.filter((v) => !field.choices.includes(v))
    if (bad.length || list.length === 0) throw new RangeError(`${what} must be some of ${field.choices.join(', ')}, not ${raw}`)
    return field.choices.filter((c) => list.includes(c))
  }
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw
  if (!Number.isInteger(n) || n < field.min || n > field.max) {
    throw new RangeError(`${what} must be a whole number from ${field.min} to ${field.max}, not ${raw}`)
  }
  return n
}

/** A repeatable source of numbers in [0, 1) (mulberry32) from an integer seed. */
export function seeded (seed) {
  let a = seed >>> 0
  return function random () {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A whole number of ms spread around `ms`: between `low` and `high` times it. */
export function around (random, ms, low = 0.5, high = 1.5) {
  return Math.max(1, Math.round(ms * (low + (high - low) * random())))
}

/** A simulator on a manual clock started at START, with its time in ms since the run began. */
export function virtualClock (redkit) {
  const sim = new redkit.Simulator({ manualClock: true, start: START })
  return {
    sim,
    /** Virtual ms since the run began. */
    now: () => sim.now() - START,
    /** Moves the clock forward to `t` (never back). */
    advanceTo (t) {
      const ahead = t - (sim.now() - START)
      if (ahead > 0) sim.advance(ahead)
    }
  }
}

/** The pattern factories (`client.limiter` …) a scene needs that `redkit`'s Client lacks. */
export function missingFactories (redkit, names) {
  const proto = redkit?.Client?.prototype
  return names.filter((name) => typeof proto?.[name] !== 'function')
}

/** A check shown beside a run's counts: what must hold, whether it did, and why not. */
export function check (id, label, ok, detail = '') {
  return { id, label, ok: Boolean(ok), detail }
}
