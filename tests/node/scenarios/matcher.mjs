/**
 * The matching rules of tests/scenarios/README.md — exact scalars and arrays, partial objects,
 * `$` matchers, `$NAME` references — for results as the Node API returns them: a field the
 * files name `retry_after_ms` is the result's `retryAfter` (camelCase, milliseconds already).
 */

export class Mismatch extends Error {}

export const MISSING = Symbol('missing')

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
const isMatcher = (v) => isObject(v) && Object.keys(v).length === 1 && Object.keys(v)[0].startsWith('$')
/** A value for a message: JSON, with what JSON cannot show (undefined, Buffers, errors) named. */
const show = (v) => JSON.stringify(v, (_, x) => {
  if (x === undefined) return '<undefined>'
  if (x instanceof Error) return `<${x.name}: ${x.message}>`
  if (x instanceof Uint8Array) return `<bytes ${Array.from(x).join(',')}>`
  return x
}) ?? String(v)

/** A file's snake_case name as the Node API spells it: `retry_after_ms` → `retryAfter`. */
export const jsName = (name) => name.replace(/_ms$/, '').replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** Object field `k` under its file name or its Node name, or MISSING. */
const member = (obj, k) => (k in obj ? obj[k] : jsName(k) in obj ? obj[jsName(k)] : MISSING)

/** `v.path` (dot-separated fields or array indexes), or MISSING. */
export function field (v, path) {
  let cur = v
  for (const p of path.split('.').filter(Boolean)) {
    if (Array.isArray(cur) && /^\d+$/.test(p) && Number(p) < cur.length) cur = cur[Number(p)]
    else if (isObject(cur) && member(cur, p) !== MISSING) cur = member(cur, p)
    else return MISSING
  }
  return cur
}

function lookup (name, saved) {
  const [head, ...rest] = name.split('.')
  if (!(head in saved)) throw new Mismatch(`nothing saved as $${head}`)
  const v = field(saved[head], rest.join('.'))
  if (v === MISSING) throw new Mismatch(`$${name}: no such field`)
  return v
}

/** Replaces every `"$NAME"` / `"$NAME.path"` string by the saved value. */
export function substitute (v, saved) {
  if (typeof v === 'string' && v.startsWith('$') && v.length > 1) return lookup(v.slice(1), saved)
  if (Array.isArray(v)) return v.map((x) => substitute(x, saved))
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, saved)]))
  return v
}

const num = (v) => (typeof v === 'number' ? v : null)

function typeName (v) {
  if (v === null) return 'null'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** Throws Mismatch unless `actual` matches `expected` (already substituted). */
export function check (expected, actual, at = 'result') {
  if (isMatcher(expected)) {
    const [[k, x]] = Object.entries(expected)
    if (k === '$any') return
    if (actual === MISSING) throw new Mismatch(`${at}: missing, expected ${show(expected)}`)
    const v = num(actual)
    let ok
    switch (k) {
      case '$range': ok = v !== null && x[0] <= v && v <= x[1]; break
      case '$gt': ok = v !== null && v > x; break
      case '$ge': ok = v !== null && v >= x; break
      case '$lt': ok = v !== null && v < x; break
      case '$ne': ok = !matches(x, actual); break
      case '$type': ok = typeName(actual) === x; break
      case '$len': ok = (typeof actual === 'string' || Array.isArray(actual)) ? actual.length === x : isObject(actual) && Object.keys(actual).length === x; break
      case '$unordered': ok = unordered(x, actual); break
      default: throw new Mismatch(`${at}: unknown matcher ${k}`)
    }
    if (!ok) throw new Mismatch(`${at}: expected ${show(expected)}, got ${show(actual)}`)
    return
  }
  if (actual === MISSING) throw new Mismatch(`${at}: missing, expected ${show(expected)}`)
  if (isObject(expected) && isObject(actual)) {
    for (const [k, ev] of Object.entries(expected)) check(ev, member(actual, k), `${at}.${k}`)
    return
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length) throw new Mismatch(`${at}: expected ${expected.length} items, got ${actual.length}: ${show(actual)}`)
    expected.forEach((ev, i) => check(ev, actual[i], `${at}[${i}]`))
    return
  }
  if (expected === actual) return
  throw new Mismatch(`${at}: expected ${show(expected)}, got ${show(actual)}`)
}

function matches (expected, actual) {
  try {
    check(expected, actual)
    return true
  } catch (e) {
    if (e instanceof Mismatch) return false
    throw e
  }
}

function unordered (expected, actual) {
  if (!Array.isArray(expected) || !Array.isArray(actual) || expected.length !== actual.length) return false
  const left = [...actual]
  for (const ev of expected) {
    const i = left.findIndex((av) => matches(ev, av))
    if (i < 0) return false
    left.splice(i, 1)
  }
  return true
}
