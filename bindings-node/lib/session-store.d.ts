/**
 * `RedkitStore`: an express-session Store over redkit's session store (see session-store.js).
 * Declared structurally (no import of express-session's types, an optional peer), compatible
 * with express-session's `Store`: pass it as `session({ store })`.
 */
import { EventEmitter } from 'node:events'
import type { Client, SessionStore } from '../index'

/** A session as express-session hands it to the store: its cookie plus the app's values. */
export interface StoredSession {
  cookie: { originalMaxAge?: number | null, maxAge?: number | null, expires?: Date | string | null | boolean, [key: string]: any }
  [key: string]: any
}

export interface RedkitStoreOptions {
  /** The redkit client (`connect(url)` or `new Simulator().client()`). */
  client: Client
  /** The store's name, the hash tag of its keys (default `'express'`). */
  name?: string
  /** Key prefix (default `redkit`). */
  prefix?: string
  /** Idle TTL in ms, or a function of the session; default: the cookie's remaining maxAge
   * (one day for a cookie without one). */
  ttl?: number | ((session: StoredSession) => number)
  /** Absolute lifetime in ms from a session's first save (default 30 days). */
  lifetime?: number
  /** The most sessions one user may hold; saving one more ends the oldest. */
  maxPerUser?: number
  /** The user a session belongs to (indexed for `destroyUser`), or undefined. */
  userOf?: (session: StoredSession) => string | number | undefined | null
}

type Callback<T = void> = (err: any, result?: T) => void

export declare class RedkitStore extends EventEmitter {
  constructor(options: RedkitStoreOptions)
  /** The underlying redkit SessionStore. */
  readonly sessions: SessionStore
  get(sid: string, callback: (err: any, session?: StoredSession | null) => void): void
  get(sid: string): Promise<StoredSession | null>
  set(sid: string, session: StoredSession, callback?: (err?: any) => void): void
  touch(sid: string, session: StoredSession, callback?: (err?: any) => void): void
  destroy(sid: string, callback?: (err?: any) => void): void
  /** Every live session, each with its `id`. */
  all(callback: (err: any, sessions?: Array<StoredSession & { id: string }> | null) => void): void
  all(): Promise<Array<StoredSession & { id: string }>>
  ids(callback: Callback<string[]>): void
  ids(): Promise<string[]>
  length(callback: (err: any, length?: number) => void): void
  length(): Promise<number>
  clear(callback?: (err?: any) => void): void
  /** Ends every session of `user` but `except` (a session id); reports how many ended. */
  destroyUser(user: string | number, options: { except?: string } | undefined, callback: Callback<number>): void
  destroyUser(user: string | number, callback: Callback<number>): void
  destroyUser(user: string | number, options?: { except?: string }): Promise<number>
  // Supplied by express-session's Store (the base class when express-session is installed).
  regenerate(req: any, callback: (err?: any) => any): void
  load(sid: string, callback: (err: any, session?: any) => any): void
  createSession(req: any, session: any): any
}
