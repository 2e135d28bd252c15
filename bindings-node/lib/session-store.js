'use strict'
/**
 * `RedkitStore`: an express-session Store over redkit's session store (`client.sessions()`),
 * so an Express app keeps its sessions in Redis (or the simulator) and gains what connect-redis
 * lacks: every session of a user ended at once ("log out everywhere", `destroyUser`) and a cap
 * on sessions per user (`maxPerUser`). All logic is the core's; this file maps express-session's
 * callback interface onto the Promise API: express-session mints the id (`save`), the session
 * object is stored field by field as JSON (the cookie included, re-created by express-session),
 * and each session's idle TTL is its cookie's remaining `maxAge`, like connect-redis.
 *
 * Base class: express-session's `Store` when express-session can be loaded (it supplies
 * `regenerate`, `load` and `createSession`, which express-session calls on its store), else
 * `EventEmitter`. express-session is an optional peer dependency: `redkit/express` also serves
 * apps that only use the rate-limit middleware, so a missing express-session must not break
 * loading it — and without express-session nothing calls those three methods. Loading happens
 * when `redkit/express` is first required, never from the main `redkit` entry.
 *
 * Callbacks: every method takes express-session's `(err, result)` callback and reports every
 * failure through it (wrong arguments, backend errors: never a synchronous throw); callbacks
 * run on a fresh tick, outside any promise, so an exception inside one is not swallowed.
 * Without a callback a method returns a Promise instead.
 */

const { EventEmitter } = require('node:events')

function storeBase () {
  try {
    return require('express-session').Store
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes("'express-session'")) return EventEmitter
    throw e
  }
}

/** Default absolute lifetime: cookies often last weeks; lower it to force re-login sooner. */
const DEFAULT_LIFETIME = 30 * 24 * 3600 * 1000
/** Idle TTL of a session whose cookie has no maxAge (a browser-session cookie): one day. */
const DEFAULT_TTL = 24 * 3600 * 1000

/** Runs `work` (sync throws become rejections) and reports to `cb`, or returns the Promise. */
function settle (work, cb) {
  const p = new Promise((resolve) => resolve(work()))
  if (typeof cb !== 'function') return p
  p.then((v) => process.nextTick(cb, null, v), (e) => process.nextTick(cb, e))
}

/** A user id as the core takes it: numbers (common database ids) as their decimal text. */
function userId (user) {
  return typeof user === 'number' ? String(user) : user
}

class RedkitStore extends storeBase() {
  /**
   * @param {object} options `client` (a redkit Client, required), `name` (the store's name,
   *   default `'express'`), `prefix` (key prefix), `ttl` (ms, or a function of the session;
   *   default: the cookie's maxAge), `lifetime` (absolute ms, default 30 days), `maxPerUser`,
   *   `userOf(session)` (the user a session belongs to, or undefined).
   */
  constructor (options = {}) {
    super()
    const { client, name = 'express', prefix, ttl, lifetime = DEFAULT_LIFETIME, maxPerUser, userOf } = options
    if (!client || typeof client.sessions !== 'function') {
      throw new TypeError('RedkitStore needs { client }: a redkit Client (connect() or new Simulator().client())')
    }
    if (ttl !== undefined && typeof ttl !== 'number' && typeof ttl !== 'function') {
      throw new TypeError('ttl must be a number of ms or a function of the session')
    }
    if (userOf !== undefined && typeof userOf !== 'function') throw new TypeError('userOf must be a function')
    const sessionOptions = { name, lifetime, idleTtl: DEFAULT_TTL }
    if (prefix !== undefined) sessionOptions.prefix = prefix
    if (maxPerUser !== undefined) sessionOptions.maxPerUser = maxPerUser
    /** The underlying redkit SessionStore. */
    this.sessions = client.sessions(sessionOptions)
    this.ttl = ttl
    this.userOf = userOf
  }

  /** The session's idle TTL in ms: `ttl`, else the cookie's remaining maxAge, else a day. */
  _ttl (sess) {
    if (typeof this.ttl === 'function') return this.ttl(sess)
    if (typeof this.ttl === 'number') return this.ttl
    const cookie = sess && sess.cookie
    if (cookie && cookie.expires) return new Date(cookie.expires).getTime() - Date.now()
    if (cookie && typeof cookie.maxAge === 'number') return cookie.maxAge
    return DEFAULT_TTL
  }

  get (sid, cb) {
    return settle(async () => {
      const found = await this.sessions.get(sid)
      return found ? found.data : null
    }, cb)
  }

  set (sid, sess, cb) {
    return settle(async () => {
      const ttl = Math.ceil(this._ttl(sess))
      if (!(ttl > 0)) {
        await this.sessions.destroy(sid)
        return
      }
      const user = this.userOf ? this.userOf(sess) : undefined
      // JSON, as the cookie travels (Cookie's toJSON; Dates as ISO strings).
      const data = JSON.parse(JSON.stringify(sess))
      await this.sessions.save(sid, { user: user == null ? undefined : userId(user), data, idleTtl: ttl })
    }, cb)
  }

  /** Slides the session's idle TTL (by the TTL it was saved with); a gone session is no error. */
  touch (sid, sess, cb) {
    return settle(async () => {
      try {
        await this.sessions.touch(sid)
      } catch (e) {
        if (!(e && e.kind === 'not_found')) throw e
      }
    }, cb)
  }

  destroy (sid, cb) {
    return settle(async () => { await this.sessions.destroy(sid) }, cb)
  }

  /** Every live session as an array of session objects, each with its `id`. */
  all (cb) {
    return settle(async () => (await this.sessions.all()).map((s) => ({ ...s.data, id: s.id })), cb)
  }

  ids (cb) {
    return settle(() => this.sessions.ids(), cb)
  }

  length (cb) {
    return settle(() => this.sessions.count(), cb)
  }

  clear (cb) {
    return settle(async () => { await this.sessions.clear() }, cb)
  }

  /**
   * Ends every session of `user` ("log out everywhere"), except the one `options.except` (a
   * session id, e.g. `req.sessionID`) names; reports how many ended.
   */
  destroyUser (user, options, cb) {
    if (typeof options === 'function') [options, cb] = [undefined, options]
    return settle(() => this.sessions.revokeAll(userId(user), (options && options.except) || undefined), cb)
  }
}

module.exports = { RedkitStore }
