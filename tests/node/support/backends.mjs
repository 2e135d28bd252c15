/**
 * The two backends every pattern test runs on: a fresh simulator client, and a client of the
 * test file's own redis-server (flushed first). `withBackends()` starts and stops that server.
 */
import { after, before } from 'node:test'
import { createRequire } from 'node:module'
import { startRedis } from './redis-server.mjs'

export const redkit = createRequire(import.meta.url)('../../../bindings-node')

/** Registers the file's redis-server and returns `{ sim, redis }` client makers. */
export function withBackends () {
  let server
  before(async () => { server = await startRedis() })
  after(async () => { await server?.stop() })
  return {
    sim: async () => new redkit.Simulator().client(),
    redis: async (db = 0) => {
      const c = await redkit.connect(`${server.url}/${db}`)
      await c.execute('FLUSHDB')
      return c
    }
  }
}

/** A client on a manual-clock simulator, with the simulator. */
export function manual () {
  const sim = new redkit.Simulator({ manualClock: true, start: 1_700_000_000_000 })
  return { sim, client: sim.client() }
}
