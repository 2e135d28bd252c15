/**
 * `make bench` (Node part): redkit's Node addon side by side with the npm packages users compare
 * it with, in one run, each line a ratio against its target (/work/shared/notes/anchors.md). The
 * anchors are the pinned versions of bench/node/package.json; the real-Redis tables share one
 * redis-server started on a free loopback port and stopped by its PID.
 */
import os from 'node:os'
import { startRedis } from '../../tests/node/support/redis-server.mjs'
import { anchor, printTable } from './common.mjs'
import * as simulator from './simulator.mjs'
import * as patternsRedis from './patterns_redis.mjs'
import * as queue from './queue.mjs'

const versions = ['ioredis', 'ioredis-mock', 'rate-limiter-flexible', 'redlock', 'bullmq'].map((p) => anchor(p)).join(', ')
const load = os.loadavg().map((x) => x.toFixed(2)).join(', ')
console.log(`Node ${process.version} benchmarks — anchors: ${versions}; load average ${load} on ${os.cpus().length} cores`)

printTable('Node: the simulator through the native client vs ioredis-mock', await simulator.rows())
const server = await startRedis()
try {
  printTable(`Node: patterns on a real redis-server (${server.url})`, await patternsRedis.rows(server), patternsRedis.NOTES)
  printTable('Node: queue vs BullMQ on the same redis-server', await queue.rows(server), queue.NOTES)
} finally {
  await server.stop()
}
// Clients of the anchors may keep timers or sockets alive; the run is over.
process.exit(0)
