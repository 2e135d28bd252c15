/**
 * Lua through the Node package's raw commands: the simulator's script cache answers EVAL,
 * EVALSHA, SCRIPT and FCALL as a redis-server does — replies, conversions, error kinds and
 * texts — checked side by side on the simulator and on a redis-server of the test's own.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { startRedis } from './support/redis-server.mjs'

const redkit = createRequire(import.meta.url)('../../bindings-node')

let server
before(async () => { server = await startRedis() })
after(async () => { await server?.stop() })

/** What one client answers to a run of script commands: each reply, or an error's class and text. */
async function transcript (c) {
  await c.execute('FLUSHALL')
  await c.execute('SCRIPT', 'FLUSH')
  await c.execute('FUNCTION', 'FLUSH')
  const steps = [
    ['EVAL', "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])", 1, 'k', 'v'],
    ['EVAL', "return {1, 2.9, 'x', true, false, nil, 7}", 0],
    ['EVAL', "return redis.status_reply('FINE')", 0],
    ['EVAL', "return redis.error_reply('MINE failed')", 0],
    ['EVAL', "return redis.call('NOSUCH')", 0],
    ['EVAL', "return redis.pcall('INCR', 'k')", 0],
    ['EVAL', 'return cjson.decode(ARGV[1]).a[2]', 0, '{"a":[1,2]}'],
    ['EVAL', 'return cmsgpack.unpack(cmsgpack.pack({1, 2, 3}))', 0],
    ['EVAL', 'return bit.band(0xff, 0x0f)', 0],
    ['EVAL', 'return undefined_global', 0],
    ['SCRIPT', 'LOAD', 'return ARGV[1]'],
    ['EVALSHA', '5332031c6b470dc5a0dd9b4bf2030dea6d65de91', 0, 'by sha'],
    ['SCRIPT', 'EXISTS', '5332031c6b470dc5a0dd9b4bf2030dea6d65de91', '0000000000000000000000000000000000000000'],
    ['EVALSHA', '0000000000000000000000000000000000000000', 0],
    ['EVAL_RO', "return redis.call('SET', 'x', 1)", 0],
    ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('twice', function(keys, args) return args[1] * 2 end)"],
    ['FCALL', 'twice', 0, 21]
  ]
  const out = []
  for (const step of steps) {
    try {
      out.push(await c.execute(...step))
    } catch (e) {
      out.push(`${e.name}: ${e.message}`)
    }
  }
  return out
}

test('EVAL, EVALSHA, SCRIPT and FCALL answer on the simulator exactly as on redis-server', async () => {
  const onRedis = await transcript(await redkit.connect(server.url))
  const onSim = await transcript(new redkit.Simulator().client())
  assert.equal(onSim[0], 'v')
  assert.deepEqual(onSim[1], [1, 2, 'x', 1, null])
  assert.equal(onSim[16], 42)
  assert.deepEqual(onSim, onRedis)
})
