/** `rateLimit(options)`: a Connect-style rate-limit middleware over a redkit Limiter or LimiterSet. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Decision, Limiter, LimiterSet, MultiDecision } from '../index'

/** What the middleware puts on `req[requestPropertyName]` (default `req.rateLimit`). */
export interface RateLimitInfo {
  /** The reported limit (for a LimiterSet: the most restrictive one's). */
  limit: number
  /** `limit - remaining`. */
  used: number
  remaining: number
  /** When the caller's state is back to empty (wall clock). */
  resetTime: Date
  /** Ms until then. */
  resetAfter: number
  /** 0 when allowed; otherwise ms until the call would be allowed. */
  retryAfter: number
  allowed: boolean
  /** The key the call was counted under. */
  key: string
  cost: number
  /** The limiter's own answer. */
  decision: Decision | MultiDecision
}

/** Which IETF RateLimit header draft to send (`true` = `'draft-6'`, `false` = none). */
export type StandardHeaders = 'draft-6' | 'draft-7' | 'draft-8' | boolean

/** Options of `rateLimit(options)`; names follow express-rate-limit. */
export interface RateLimitOptions<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  /** What limits: `client.limiter(name, {...})` (any algorithm) or `new LimiterSet([...])`. */
  limiter: Limiter | LimiterSet
  /** The caller's key (default: `req.ip`, else the socket's remote address). */
  keyGenerator?: (req: Req, res: Res) => string | Promise<string>
  /** The call's cost (default 1). */
  cost?: (req: Req, res: Res) => number | Promise<number>
  /** Let the request pass uncounted when true. */
  skip?: (req: Req, res: Res) => boolean | Promise<boolean>
  /** Answers a limited request (default: `statusCode` with `message`); headers are already set. */
  handler?: (req: Req, res: Res, next: (err?: unknown) => void, options: RateLimitOptions<Req, Res>) => unknown
  /** The default handler's body: a string (text), anything else (JSON), or a function giving one. */
  message?: unknown
  /** The default handler's status (default 429). */
  statusCode?: number
  /** IETF headers: `'draft-6'` (default; RateLimit-Limit/-Remaining/-Reset/-Policy), `'draft-7'`,
   * `'draft-8'` (combined RateLimit and RateLimit-Policy), true (= draft-6) or false. */
  standardHeaders?: StandardHeaders
  /** Also send X-RateLimit-Limit/-Remaining/-Reset (epoch seconds); default false. */
  legacyHeaders?: boolean
  /** Where the request carries its RateLimitInfo (default `'rateLimit'`). */
  requestPropertyName?: string
  /** When the limiter fails (e.g. Redis unreachable): false (default) passes the error to
   * `next(err)`; true lets the request through and reports the error to `onError`. */
  failOpen?: boolean
  /** Told of limiter failures let through by `failOpen` and of failed lease releases (default:
   * one process warning). */
  onError?: (err: unknown, req: Req, res: Res) => void
}

/** The middleware: `app.use(limit)`; `resetKey` forgets a caller. */
export interface RateLimitMiddleware<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> {
  (req: Req, res: Res, next: (err?: unknown) => void): Promise<void>
  /** Forgets `key` in the limiter (counts, tokens, leases, a block). */
  resetKey(key: string): Promise<void>
}

/** A Connect-style middleware limiting requests with `options.limiter`. Throws TypeError on a
 * bad option. */
export function rateLimit<Req extends IncomingMessage = IncomingMessage, Res extends ServerResponse = ServerResponse> (
  options: RateLimitOptions<Req, Res>
): RateLimitMiddleware<Req, Res>
