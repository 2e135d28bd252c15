'use strict'
/**
 * `cache.wrap(fn, options)`: an async function's results cached through `cache.getOrSet`. All
 * caching behaviour (single flight, stampede protection, XFetch, stale-while-revalidate,
 * negative caching, tags) is the core's; this only derives keys from calls.
 *
 * Key rule (stable across processes and runs, the JS form of the Python binding's
 * `@cache.cached`): `"<name>:"` followed by the JSON array of the call's arguments, object keys
 * sorted, no spaces, trailing `undefined` arguments dropped (so `f(1)` and `f(1, undefined)`
 * share an entry). `<name>` is `options.name`, else the function's name. For
 * `async function price (sku, currency) {…}`, `price('A1', 'EUR')` is cached under
 * `price:["A1","EUR"]`. Arguments JSON cannot hold (functions, symbols, BigInts, cycles) need
 * `options.key`: a function of the same arguments returning the key string. `options.tags` is
 * an array of tags or a function of the arguments returning one.
 *
 * The wrapped function gains `.key(...args)` (the key a call uses), `.invalidate(...args)`
 * (deletes that call's entry), `.invalidateAll()` (every entry of the function, with the
 * default key rule) and `.cache`. A result of null/undefined is "no value" (not cached unless
 * the cache has `negativeTtl`); results come back through the cache's JSON.
 */

/** JSON text of `value` with object keys sorted; TypeError for what JSON cannot hold. */
function canonical (value) {
  return JSON.stringify(value, function (_, v) {
    if (typeof v === 'function' || typeof v === 'symbol') throw new TypeError(`a ${typeof v} has no JSON form`)
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
    }
    return v
  })
}

function wrap (cache, fn, options = {}) {
  if (typeof fn !== 'function') throw new TypeError(`cache.wrap() wraps a function, not ${typeof fn}`)
  const { ttl = cache.ttl, tags, key, name = fn.name } = options ?? {}
  if (ttl === null || ttl === undefined) {
    throw new TypeError('cache.wrap() needs a ttl: pass { ttl } here or a default to client.cache(name, { ttl })')
  }
  if (key !== undefined && typeof key !== 'function') throw new TypeError('options.key must be a function returning a string')
  if (tags !== undefined && !Array.isArray(tags) && typeof tags !== 'function') {
    throw new TypeError('options.tags must be an array of strings or a function returning one')
  }
  if (key === undefined && !name) throw new TypeError('cache.wrap() of an anonymous function needs options.name or options.key')

  const keyOf = (...args) => {
    if (key !== undefined) {
      const k = key(...args)
      if (typeof k !== 'string') throw new TypeError(`options.key must return a string, not ${typeof k}`)
      return k
    }
    let end = args.length
    while (end > 0 && args[end - 1] === undefined) end--
    let text
    try {
      text = canonical(args.slice(0, end))
    } catch (e) {
      throw new TypeError(`cannot derive a cache key for ${name} from its arguments (${e.message}); pass options.key`)
    }
    return `${name}:${text}`
  }
  const tagsOf = (args) => (typeof tags === 'function' ? tags(...args) : tags)

  const wrapped = {
    async [name || 'cached'] (...args) {
      return cache.getOrSet(keyOf(...args), () => fn.apply(this, args), { ttl, tags: tagsOf(args) })
    }
  }[name || 'cached']
  Object.assign(wrapped, {
    key: keyOf,
    invalidate: (...args) => cache.delete(keyOf(...args)),
    invalidateAll: () => {
      if (key !== undefined) return Promise.reject(new TypeError('invalidateAll() needs the default key rule (no options.key): use tags and invalidateTag'))
      return cache.invalidatePrefix(`${name}:`)
    },
    cache
  })
  return wrapped
}

function install ({ Cache }) {
  Object.defineProperty(Cache.prototype, 'wrap', {
    /** Memoises the async function `fn` (see the module docs). */
    value (fn, options) { return wrap(this, fn, options) },
    writable: true,
    configurable: true
  })
}

module.exports = { install, wrap, canonical }
