// Type-checks the cache and the session store of the WebAssembly package as a user writes
// against them (usage.ts calls it; `make test-wasm` runs tsc on both).
import type {
  Cache, CacheStats, Client, CreatedSession, DrainReport, Drainer, SessionData, SessionInfo, SessionStore, Write
} from '../../../bindings-wasm/js/index.js'

export async function cacheAndSessions (c: Client): Promise<unknown[]> {
  const cache: Cache = c.cache('prices', { ttl: 60_000, stale: 1000, negativeTtl: 500, localCapacity: 10 })
  await cache.set('a', { n: 1 }, { ttl: 5000, tags: ['t'] })
  await cache.set('b', 2, 5000)
  const loaded: unknown = await cache.getOrSet('c', async () => 3)
  const plain: unknown = await cache.getOrSet('d', () => 'v', { tags: ['t'] })
  const removed: number = await cache.invalidateTag('t')
  const byPrefix: number = await cache.invalidatePrefix('a')
  const version: number = await cache.invalidateAll()
  const sink = (writes: Write[]): void => { writes.forEach((w) => w.deleted || w.key) }
  await cache.writeThrough('e', 5, sink)
  await cache.writeBehind('f', 6)
  const existed: boolean = await cache.deleteBehind('f')
  const report: DrainReport = await cache.drainBehind(async (writes) => sink(writes), { batch: 10, retryAfter: 100 })
  const drainer: Drainer = cache.spawnDrainer(sink, { poll: 50, maxAttempts: 3 })
  drainer.stop()
  const price = cache.wrap(async (sku: string) => sku.length, { name: 'price' })
  const cached: number | null = await price('x')
  const stats: CacheStats = cache.stats()
  const ttl: number | null = cache.ttl
  cache.close()

  const store: SessionStore = c.sessions({ name: 'web', idleTtl: 60_000, secret: new Uint8Array(32), previousSecrets: ['s'.repeat(32)] })
  const created: CreatedSession = await store.create({ user: 'ann', data: { theme: 'dark' } })
  const token: string = created.session.token
  const session: SessionData | null = await store.get(token)
  const ttlLeft: number = await store.setField(token, 'n', 1)
  await store.setFields(token, { m: [1] })
  await store.deleteFields(token, ['m'])
  const regenerated: SessionData = await store.regenerate(token)
  const list: SessionInfo[] = await store.list('ann')
  const revoked: number = await store.revokeAll('ann', regenerated.token)
  const open: SessionStore = c.sessions()
  const saved: CreatedSession = await open.save('framework-id', { data: {}, idleTtl: 1000 })
  const ids: string[] = await open.ids()
  const all: SessionData[] = await open.all()
  const count: number = await open.count()
  const cleared: number = await open.clear()
  return [loaded, plain, removed, byPrefix, version, existed, report, cached, stats, ttl, session, ttlLeft, list,
    revoked, saved, ids, all, count, cleared, store.name, await store.touch(token), await store.destroy(token)]
}
