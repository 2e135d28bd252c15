/**
 * Patterns on a real redis-server, each side with one connection to it (target ≥ 1.5×): a rate
 * limiter decision — redkit's `fixed_window` limiter vs rate-limiter-flexible's
 * `RateLimiterRedis` (a fixed window too: one EVALSHA of SET NX + INCRBY + PTTL), same limit,
 * window and keys, every call allowed — and a lock acquire+release cycle — redkit's
 * `tryAcquire` + `release` vs redlock 4.2 on that one instance with `retryCount: 0` (try once).
 * A first row, a diagnostic with parity as its target, times one bare round trip (PING through
 * `execute` vs ioredis's `ping()`): what each call costs before any pattern logic, the floor
 * under the two pattern rows.
 */
import Redis from 'ioredis'
import Redlock from 'redlock'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { anchor, rate, redkit, row } from './common.mjs'

const TARGET = 1.5
/** What differs between the sides, printed under the table. */
export const NOTES = [
  'one connection each side (redkit: its multiplexed one; rate-limiter-flexible and redlock: one ioredis)',
  'each operation is one EVALSHA round trip on both sides; redkit\'s lock is fenced (its script also counts a fence)'
]
/** High enough that no call in the run is denied: both sides take their "allowed" path. */
const LIMIT = 1_000_000_000
const WINDOW_S = 60
const KEYS = Array.from({ length: 100 }, (_, i) => `user${i}`)
const LOCK_TTL_MS = 10_000

export async function rows (server) {
  const client = await redkit.connect(server.url)
  const ioredis = new Redis(server.port, '127.0.0.1')

  const limiter = client.limiter('bench:limiter', { algorithm: 'fixed_window', limit: LIMIT, window: WINDOW_S * 1000 })
  const theirLimiter = new RateLimiterRedis({ storeClient: ioredis, keyPrefix: 'bench:rlflx', points: LIMIT, duration: WINDOW_S })
  const ourDecision = async (i) => {
    if (!(await limiter.consume(KEYS[i % KEYS.length])).allowed) throw new Error('redkit denied')
  }
  const theirDecision = async (i) => { await theirLimiter.consume(KEYS[i % KEYS.length]) }

  const lock = client.lock('bench:lock', { ttl: LOCK_TTL_MS })
  const redlock = new Redlock([ioredis], { retryCount: 0 })
  const ourCycle = async () => {
    if (!(await lock.tryAcquire()).acquired) throw new Error('redkit lock not acquired')
    await lock.release()
  }
  const theirCycle = async () => {
    const held = await redlock.lock('bench:redlock', LOCK_TTL_MS)
    await held.unlock()
  }

  const out = [
    await row('redis: PING round trip (calls)', () => rate(() => client.execute('PING')), anchor('ioredis', 'ping'),
      () => rate(() => ioredis.ping()), 1),
    await row('redis: limiter decision (calls)', () => rate(ourDecision), anchor('rate-limiter-flexible', 'RateLimiterRedis'),
      () => rate(theirDecision), TARGET),
    await row('redis: lock acquire+release (cycles)', () => rate(ourCycle), anchor('redlock', '(1 instance)'),
      () => rate(theirCycle), TARGET)
  ]
  ioredis.disconnect()
  return out
}
