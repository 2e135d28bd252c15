/**
 * In process: redkit's simulator (`new Simulator().client()`, the raw `execute` /
 * `executeMany`) against ioredis-mock (target ≥ 2×) on the same workloads — SET+GET with each
 * command awaited in turn, and a pipeline of 1,000 SETs (`executeMany` vs
 * `pipeline().exec()`). Same keys and values on both sides.
 */
import RedisMock from 'ioredis-mock'
import { anchor, rate, redkit, row } from './common.mjs'

const TARGET = 2
/** Keys the SET+GET loop cycles through (both sides). */
const KEYS = Array.from({ length: 1000 }, (_, i) => `k${i}`)
const VALUE = 'v'.repeat(16)

export async function rows () {
  const sim = new redkit.Simulator()
  const c = sim.client()
  const mock = new RedisMock()
  const batch = KEYS.map((k) => ['SET', `p${k}`, VALUE])

  const ourSetGet = async (i) => {
    const k = KEYS[i % KEYS.length]
    await c.execute('SET', k, VALUE)
    if ((await c.execute('GET', k)) !== VALUE) throw new Error('redkit GET')
  }
  const theirSetGet = async (i) => {
    const k = KEYS[i % KEYS.length]
    await mock.set(k, VALUE)
    if ((await mock.get(k)) !== VALUE) throw new Error('ioredis-mock GET')
  }
  const ourPipeline = async () => {
    const replies = await c.executeMany(batch)
    if (replies.length !== batch.length) throw new Error('redkit pipeline')
  }
  const theirPipeline = async () => {
    const p = mock.pipeline()
    for (const [, k, v] of batch) p.set(k, v)
    const replies = await p.exec()
    if (replies.length !== batch.length) throw new Error('ioredis-mock pipeline')
  }

  const name = anchor('ioredis-mock')
  const out = [
    await row('sim: SET+GET, each awaited (cmds)', () => rate(ourSetGet, 2), name, () => rate(theirSetGet, 2), TARGET),
    await row('sim: pipeline of 1000 SET (cmds)', () => rate(ourPipeline, 1000), name, () => rate(theirPipeline, 1000), TARGET)
  ]
  mock.disconnect()
  return out
}
