/**
 * A typed program against the public types of the `redkit` package: `make test` runs
 * `tsc --noEmit` over it, so a wrong or missing declaration fails the build. Lines marked
 * `@ts-expect-error` must stay errors: they prove the types refuse what the addon refuses.
 */
import {
  Acquisition, Client, ConnectionError, InvalidArgumentError, Lock, LockNotOwnedError, RedisReply, RedkitError, Release,
  ResponseError, Simulator, connect
} from 'redkit'
import type {
  Cache, CacheStats, CreatedSession, DrainReport, Drainer, SessionData, SessionInfo, SessionStore, Write
} from 'redkit'

async function locks (client: Client): Promise<number | null> {
  const lock: Lock = client.lock('report', { ttl: 30_000, blockingTimeout: 5000, reentrant: true, watchdog: false })
  {
    await using held = await lock.acquire()
    const fence: number | null = held.fence
    console.log(fence, held.count, held.ttl, lock.lost, lock.name, lock.token)
  }
  const tried: Acquisition = await lock.tryAcquire()
  const released: Release = await lock.release()
  const ttl: number | null = await lock.ttl()
  await lock.extend(1000).catch((e: unknown) => e instanceof LockNotOwnedError)
  const owned: boolean = (await lock.isOwned()) && (await lock.isLocked())
  console.log(tried.acquired, released.released, owned, ttl)
  // @ts-expect-error withLock's work gets the acquisition, not a string
  await lock.withLock((held: string) => held)
  return lock.withLock(async (held) => held.fence, 1000)
}

async function main (): Promise<void> {
  const sim: Simulator = new Simulator({ manualClock: true, start: Date.now() })
  sim.advance(1000)
  const now: number = sim.now()
  const manual: boolean = sim.manualClock
  const client: Client = sim.client(0)
  const reply: RedisReply = await client.execute('SET', 'k', 'v', 'PX', 1000)
  const raw: RedisReply<Buffer> = await client.executeBuffer('GET', Buffer.from('k'))
  const many: Array<RedisReply | Error> = await client.executeMany([['INCR', 'n'], ['GET', 'n']], { transaction: true })
  const snap: Buffer = sim.snapshot()
  sim.restore(snap)
  sim.failNext(1, 'ERR boom')
  sim.refuseConnections(false)
  sim.setLatency(0)
  sim.heal()
  const parked: number = sim.parked()
  const name: string = client.backendName
  const behind: Simulator | null = client.simulator
  const remote: Client = await connect('redis://127.0.0.1:6379', { connectTimeout: 200, callTimeout: 1000, retries: 1 })
  try {
    await remote.execute('PING')
  } catch (e) {
    if (e instanceof ResponseError || e instanceof ConnectionError || e instanceof InvalidArgumentError) {
      const kind: string = e.kind
      const code: string = e.code
      const base: RedkitError = e
      console.log(kind, code, base.message)
    }
  }
  console.log(now, manual, reply, raw, many, parked, name, behind)

  // @ts-expect-error a command argument is a string, Buffer or number
  await client.execute('SET', 'k', { v: 1 })
  // @ts-expect-error advance takes milliseconds as a number
  sim.advance('1s')
  // @ts-expect-error options are typed
  new Simulator({ manual: true })
  // @ts-expect-error connect needs a URL
  await connect()
}

void main
void locks

async function cachesAndSessions (client: Client): Promise<void> {
  const cache: Cache = client.cache('users', { ttl: 60_000, localCapacity: 100, negativeTtl: 1000 })
  await cache.set('k', { n: 1 }, { ttl: 1000, tags: ['t'] })
  await cache.set('raw', Buffer.from('x'), 500)
  const v: unknown = await cache.get('k')
  const loaded: unknown = await cache.getOrSet('u:1', async () => ({ id: 1 }), { tags: ['users'] })
  const removed: number = await cache.invalidateTag('users') + await cache.invalidatePrefix('u:') + await cache.invalidateAll()
  await cache.writeThrough('k', 1, async (writes: Write[]) => { console.log(writes[0].key, writes[0].deleted) })
  await cache.writeBehind('k', 2)
  const report: DrainReport = await cache.drainBehind((writes) => { console.log(writes.length) }, { batch: 10, retryAfter: 1000 })
  const drainer: Drainer = cache.spawnDrainer(() => {}, { poll: 100 })
  drainer.stop()
  const stats: CacheStats = cache.stats()
  const price = cache.wrap(async (sku: string, qty: number) => sku.length * qty, { name: 'price', tags: (sku) => [sku] })
  const p: number | null = await price('A1', 2)
  const key: string = price.key('A1', 2)
  await price.invalidate('A1', 2)
  cache.close()

  const store: SessionStore = client.sessions({ name: 'web', idleTtl: 1800_000, secret: Buffer.alloc(32), maxPerUser: 5 })
  const { session, evicted }: CreatedSession = await store.create({ user: 'ada', data: { theme: 'dark' } })
  const read: SessionData | null = await store.get(session.token)
  const ttl: number = await store.setField(session.token, 'cart', [1, 2]) + await store.deleteFields(session.token, ['cart'])
  const all: SessionInfo[] = await store.list('ada')
  const revoked: number = await store.revokeAll('ada', session.token)
  console.log(v, loaded, removed, report.deadLettered, stats.hits, p, key, evicted, read?.data, ttl, all, revoked)

  // @ts-expect-error a loader is a function
  await cache.getOrSet('k', 42)
  // @ts-expect-error wrap's key function takes the wrapped function's arguments
  cache.wrap(async (n: number) => n, { key: (s: string) => s })
  // @ts-expect-error tokens are strings
  await store.get(42)
}

void cachesAndSessions
