// Type-checks the WebAssembly package's declarations (bindings-wasm/js/index.d.ts over the
// generated ones) as a browser user writes against them; `make test-wasm` runs tsc on it.
import init, { Simulator, type Client, type RedisReply } from '../../../bindings-wasm/js/index.js'
import { cacheAndSessions } from './cache-session.js'

export async function usage (): Promise<unknown[]> {
  await init()
  const sim: Simulator = new Simulator({ manualClock: true, start: 0 })
  const c: Client = sim.client(0)
  const set: RedisReply = await c.execute('SET', 'k', new Uint8Array([1]), 5)
  const bytes: RedisReply<Uint8Array> = await c.executeBuffer('GET', 'k')
  const many: Array<RedisReply | Error> = await c.executeMany([['INCR', 'n']], { transaction: true })
  sim.advance(1000)
  const when: number = sim.now()
  const manual: boolean = sim.manualClock
  sim.restore(sim.snapshot())
  return [set, bytes, when, manual, sim.parked(), ...many, ...(await cacheAndSessions(c))]
}
