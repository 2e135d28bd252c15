'use strict'
/**
 * `rateLimit(options)`: a Connect-style `(req, res, next)` middleware (Express 4 and 5, Connect,
 * plain `node:http` chains) over a redkit `Limiter` or `LimiterSet`. The limiter decides; this
 * file only maps its decision onto HTTP: the IETF `RateLimit-*` headers (drafts 6, 7 or 8), the
 * legacy `X-RateLimit-*` ones, `429` with `Retry-After`, and the release of a concurrency lease
 * when the response ends. Option names follow express-rate-limit so its users feel at home.
 */

const DRAFTS = new Set(['draft-6', 'draft-7', 'draft-8'])
const DEFAULT_MESSAGE = 'Too many requests, please try again later.'

/** A TypeError naming the option. */
function bad (name, what) {
  return new TypeError(`rateLimit: option \`${name}\` must be ${what}`)
}

/** Checks the options once, up front; returns them with the defaults filled in. */
function normalize (options) {
  if (options === null || typeof options !== 'object') throw new TypeError('rateLimit: options must be an object')
  const { limiter } = options
  if (limiter === null || typeof limiter !== 'object' || typeof limiter.consume !== 'function') {
    throw bad('limiter', 'a Limiter or LimiterSet (from client.limiter(...) or new LimiterSet([...]))')
  }
  for (const name of ['keyGenerator', 'cost', 'skip', 'handler', 'onError']) {
    if (options[name] !== undefined && typeof options[name] !== 'function') throw bad(name, 'a function')
  }
  const statusCode = options.statusCode ?? 429
  if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 599) throw bad('statusCode', 'an integer from 400 to 599')
  let standardHeaders = options.standardHeaders ?? 'draft-6'
  if (standardHeaders === true) standardHeaders = 'draft-6'
  if (standardHeaders !== false && !DRAFTS.has(standardHeaders)) {
    throw bad('standardHeaders', "'draft-6', 'draft-7', 'draft-8', true or false")
  }
  for (const name of ['legacyHeaders', 'failOpen']) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') throw bad(name, 'a boolean')
  }
  const requestPropertyName = options.requestPropertyName ?? 'rateLimit'
  if (typeof requestPropertyName !== 'string' || requestPropertyName === '') throw bad('requestPropertyName', 'a non-empty string')
  return {
    ...options,
    limiter,
    keyGenerator: options.keyGenerator ?? defaultKey,
    statusCode,
    message: options.message === undefined ? DEFAULT_MESSAGE : options.message,
    standardHeaders,
    legacyHeaders: options.legacyHeaders ?? false,
    failOpen: options.failOpen ?? false,
    requestPropertyName
  }
}

/** The client's address: Express's `req.ip` (honours `trust proxy`), else the socket's. */
function defaultKey (req) {
  return req.ip ?? req.socket?.remoteAddress ?? ''
}

/** Each limit's policy: name, quota, window (ms; none for a concurrency limit). */
function policies (limiter) {
  const limiters = Array.isArray(limiter.limiters) ? limiter.limiters : [limiter]
  return limiters.map((l) => ({
    name: String(l.name ?? 'default'),
    quota: l.limit,
    window: l.algorithm === 'concurrency' ? null : l.window,
    concurrency: l.algorithm === 'concurrency'
  }))
}

/**
 * One limit's view of a decision: the limit itself for a `Limiter`; for a `LimiterSet` the limit
 * that denied with the longest wait, or (allowed) the one with the least left.
 */
function binding (decision) {
  if (!Array.isArray(decision.decisions)) return { ...decision, index: 0 }
  let best = 0
  decision.decisions.forEach((d, i) => {
    const b = decision.decisions[best]
    const worse = decision.allowed
      ? d.remaining < b.remaining || (d.remaining === b.remaining && d.resetAfter > b.resetAfter)
      : !d.allowed && (b.allowed || d.retryAfter > b.retryAfter)
    if (worse) best = i
  })
  return { ...decision.decisions[best], allowed: decision.allowed, retryAfter: decision.retryAfter, index: best }
}

/** Ms → whole seconds, rounded up. */
const seconds = (ms) => Math.max(0, Math.ceil(ms / 1000))

/** A structured-field string (draft 8's policy names). */
function sfString (s) {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '_')}"`
}

/** A draft-6/7 quota policy: `limit;w=seconds`. */
function policyItem (p) {
  return p.window === null ? `${p.quota}` : `${p.quota};w=${seconds(p.window)}`
}

/** Sets the headers the options ask for (nothing once the headers went out). */
function setHeaders (res, opts, pols, decision, view) {
  if (res.headersSent) return
  const pick = [pols[view.index], ...pols.filter((_, i) => i !== view.index)]
  switch (opts.standardHeaders) {
    case 'draft-6':
      res.setHeader('RateLimit-Policy', pick.map(policyItem).join(', '))
      res.setHeader('RateLimit-Limit', String(view.limit))
      res.setHeader('RateLimit-Remaining', String(view.remaining))
      res.setHeader('RateLimit-Reset', String(seconds(view.resetAfter)))
      break
    case 'draft-7':
      res.setHeader('RateLimit-Policy', pick.map(policyItem).join(', '))
      res.setHeader('RateLimit', `limit=${view.limit}, remaining=${view.remaining}, reset=${seconds(view.resetAfter)}`)
      break
    case 'draft-8': {
      const each = Array.isArray(decision.decisions) ? decision.decisions : [decision]
      res.setHeader('RateLimit-Policy', pols.map((p) => {
        const unit = p.concurrency ? '; qu="concurrent-requests"' : ''
        const window = p.window === null ? '' : `; w=${seconds(p.window)}`
        return `${sfString(p.name)}; q=${p.quota}${unit}${window}`
      }).join(', '))
      res.setHeader('RateLimit', each.map((d, i) => `${sfString(pols[i].name)}; r=${d.remaining}; t=${seconds(d.resetAfter)}`).join(', '))
      break
    }
  }
  if (opts.legacyHeaders) {
    res.setHeader('X-RateLimit-Limit', String(view.limit))
    res.setHeader('X-RateLimit-Remaining', String(view.remaining))
    res.setHeader('X-RateLimit-Reset', String(Math.ceil((Date.now() + view.resetAfter) / 1000)))
  }
  if (!decision.allowed) res.setHeader('Retry-After', String(seconds(view.retryAfter)))
}

/** Sends `message` (a value, or a function of the request giving one) the Express way when it
 * can, otherwise as text or JSON. */
async function send (req, res, opts) {
  const body = typeof opts.message === 'function' ? await opts.message(req, res) : opts.message
  if (res.headersSent || res.writableEnded) return
  res.statusCode = opts.statusCode
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (typeof res.send === 'function') return void res.send(body)
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=utf-8')
    return void res.end(body)
  }
  if (typeof res.json === 'function') return void res.json(body)
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.end(JSON.stringify(body))
}

/** Ends the call's concurrency lease once, when the response finishes or the connection closes
 * (at once if that happened while the limiter was deciding). */
function releaseOnEnd (res, opts, key, lease, report) {
  let done = false
  const release = () => {
    if (done) return
    done = true
    res.off('finish', release)
    res.off('close', release)
    opts.limiter.release(key, lease).catch(report)
  }
  if (res.writableFinished || res.destroyed) return release()
  res.once('finish', release)
  res.once('close', release)
}

/** The call's key and cost, or null when `skip` says to let it pass uncounted. */
async function identify (opts, req, res) {
  if (opts.skip && (await opts.skip(req, res))) return null
  const key = await opts.keyGenerator(req, res)
  if (typeof key !== 'string') throw new TypeError(`rateLimit: keyGenerator must give a string, not ${typeof key}`)
  const cost = opts.cost ? await opts.cost(req, res) : 1
  if (typeof cost !== 'number') throw new TypeError(`rateLimit: cost must give a number, not ${typeof cost}`)
  return { key, cost }
}

/** The middleware. */
function rateLimit (options) {
  const opts = normalize(options)
  const pols = policies(opts.limiter)
  let warned = false
  const report = (err, req, res) => {
    if (opts.onError) {
      try { opts.onError(err, req, res) } catch {}
    } else if (!warned) {
      warned = true
      process.emitWarning(`rateLimit: the limiter failed (${err?.message ?? err}); later failures are not reported (give onError)`, 'RedkitWarning')
    }
  }

  const middleware = async function rateLimitMiddleware (req, res, next) {
    let call, decision
    try {
      call = await identify(opts, req, res)
    } catch (err) {
      return next(err)
    }
    if (call === null) return next()
    const { key, cost } = call
    try {
      decision = await opts.limiter.consume(key, cost)
    } catch (err) {
      if (!opts.failOpen) return next(err)
      report(err, req, res)
      return next()
    }
    const view = binding(decision)
    req[opts.requestPropertyName] = {
      limit: view.limit,
      used: view.limit - view.remaining,
      remaining: view.remaining,
      resetTime: new Date(Date.now() + view.resetAfter),
      resetAfter: view.resetAfter,
      retryAfter: view.retryAfter,
      allowed: decision.allowed,
      key,
      cost,
      decision
    }
    setHeaders(res, opts, pols, decision, view)
    if (decision.allowed) {
      const lease = view.lease ?? (decision.decisions ?? []).find((d) => d.lease)?.lease ?? null
      if (lease !== null) releaseOnEnd(res, opts, key, lease, (err) => report(err, req, res))
      return next()
    }
    try {
      if (opts.handler) await opts.handler(req, res, next, opts)
      else await send(req, res, opts)
    } catch (err) {
      next(err)
    }
  }
  /** Forgets `key` in the limiter (its counts, tokens, leases, a block). */
  middleware.resetKey = (key) => opts.limiter.reset(key)
  return middleware
}

module.exports = { rateLimit }
