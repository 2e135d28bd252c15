/**
 * The shared scenario suite (tests/scenarios/*.json) through the Node API: every scenario on the
 * simulator (manual clock) and on a real redis-server this file starts. A scenario that builds
 * an object kind the Node adapters do not have yet is listed as a todo, by name.
 */
import { after, before, describe, test } from 'node:test'
import { createRequire } from 'node:module'
import { startRedis } from './support/redis-server.mjs'
import { KINDS } from './scenarios/adapters.mjs'
import { T0, World, loadAll, run } from './scenarios/runner.mjs'
import { unsupported } from './scenarios/adapters.mjs'
import './scenarios/streams.mjs'
import './scenarios/pubsub.mjs'
import './scenarios/limits.mjs'
import './scenarios/rankings.mjs'
import './scenarios/cache_session.mjs'
import './scenarios/queues.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')
const scenarios = loadAll()
const adapted = (sc) => [...sc.kinds].every((k) => KINDS.has(k)) && unsupported(sc).length === 0
const missing = (sc) => [...[...sc.kinds].filter((k) => !KINDS.has(k)), ...unsupported(sc)].join(', ')

describe('scenarios on the simulator', () => {
  for (const sc of scenarios.filter((s) => s.backends.includes('sim'))) {
    const name = `${sc.file.replace('.json', '')}: ${sc.name}`
    if (!adapted(sc)) {
      test.todo(`${name} (no Node adapter for ${missing(sc)} yet)`)
      continue
    }
    test(name, () => run(sc, new World(redkit, { sim: new redkit.Simulator({ manualClock: true, start: T0 }) })))
  }
})

describe('scenarios on redis-server', () => {
  let server
  before(async () => { server = await startRedis() })
  after(async () => { await server?.stop() })
  for (const sc of scenarios.filter((s) => s.backends.includes('redis'))) {
    const name = `${sc.file.replace('.json', '')}: ${sc.name}`
    if (!adapted(sc)) {
      test.todo(`${name} (no Node adapter for ${missing(sc)} yet)`)
      continue
    }
    test(name, async () => {
      const admin = await redkit.connect(server.url)
      await admin.execute('FLUSHALL')
      await run(sc, new World(redkit, { redisUrl: server.url }))
    })
  }
})
