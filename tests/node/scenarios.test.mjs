/**
 * The shared scenario suite (tests/scenarios/*.json) through the Node API: every scenario on the
 * simulator (manual clock) and on a real redis-server this file starts. A scenario that builds
 * an object kind the Node adapters do not have yet is listed as a todo, by name.
 *
 * `REDKIT_SDK=wasm` runs the simulator scenarios against the WebAssembly package instead
 * (bindings-wasm, built by scripts/wasm-build.sh) through the same adapters; a scenario needing
 * an object kind that package does not offer yet is a todo naming it.
 */
import { after, before, describe, test } from 'node:test'
import { startRedis } from './support/redis-server.mjs'
import { SDK, redkit } from './support/sdk.mjs'
import { KINDS } from './scenarios/adapters.mjs'
import { T0, World, run } from './scenarios/runner.mjs'
import { loadAll } from './scenarios/load.mjs'
import { offered, unsupported } from './scenarios/adapters.mjs'
import './scenarios/streams.mjs'
import './scenarios/pubsub.mjs'
import './scenarios/limits.mjs'
import './scenarios/rankings.mjs'
import './scenarios/cache_session.mjs'
import './scenarios/queues.mjs'

const scenarios = loadAll()
const runnable = (k) => KINDS.has(k) && offered(redkit, k)
const adapted = (sc) => [...sc.kinds].every(runnable) && unsupported(sc).length === 0
const missing = (sc) => [...[...sc.kinds].filter((k) => !runnable(k)), ...unsupported(sc)].join(', ')
const todo = (sc) => `no ${SDK === 'wasm' ? 'WebAssembly' : 'Node'} adapter for ${missing(sc)} yet`

describe(`scenarios on the simulator (${SDK})`, () => {
  for (const sc of scenarios.filter((s) => s.backends.includes('sim'))) {
    const name = `${sc.file.replace('.json', '')}: ${sc.name}`
    if (!adapted(sc)) {
      test.todo(`${name} (${todo(sc)})`)
      continue
    }
    test(name, () => run(sc, new World(redkit, { sim: new redkit.Simulator({ manualClock: true, start: T0 }) })))
  }
})

// The WebAssembly package has no Redis backend: it runs the simulator's scenarios only.
if (SDK === 'native') describe('scenarios on redis-server', () => {
  let server
  before(async () => { server = await startRedis() })
  after(async () => { await server?.stop() })
  for (const sc of scenarios.filter((s) => s.backends.includes('redis'))) {
    const name = `${sc.file.replace('.json', '')}: ${sc.name}`
    if (!adapted(sc)) {
      test.todo(`${name} (${todo(sc)})`)
      continue
    }
    test(name, async () => {
      const admin = await redkit.connect(server.url)
      await admin.execute('FLUSHALL')
      await run(sc, new World(redkit, { redisUrl: server.url }))
    })
  }
})
