/**
 * The leaderboard on the simulator and on a redis-server of its own: scores, ranks in both
 * orders, top, around, pages, personal bests, TTL on the manual clock, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { manual, redkit, withBackends } from './support/backends.mjs'

const { NotFoundError, InvalidArgumentError } = redkit
const backends = withBackends()

for (const [backend, make] of Object.entries(backends)) {
  describe(`leaderboard on ${backend}`, () => {
    test('scores, ranks, top, around and pages as objects', async () => {
      const client = await make()
      const board = client.leaderboard('game')
      assert.equal(board.name, 'game')
      assert.equal(board.order, 'highest_first')
      assert.equal(typeof board.key, 'string')
      assert.equal(await board.add('ann', 10), true)
      assert.equal(await board.add('ann', 12), false)
      assert.equal(await board.addMany([['bob', 30], ['cy', 20]]), 2)
      assert.equal(await board.addMany({ dee: 5, eve: 40 }), 2)
      assert.equal(await board.count(), 5)
      assert.equal(await board.score('ann'), 12)
      assert.equal(await board.score('nobody'), null)
      assert.deepEqual(await board.rank('bob'), { member: 'bob', score: 30, rank: 2 })
      assert.equal(await board.rank('nobody'), null)
      assert.deepEqual((await board.top(3)).map((e) => e.member), ['eve', 'bob', 'cy'])
      assert.deepEqual((await board.around('cy', 1)).map((e) => [e.member, e.rank]), [['bob', 2], ['cy', 3], ['ann', 4]])
      const page = await board.page(2, 2)
      assert.deepEqual({ ...page, entries: page.entries.map((e) => e.member) }, { page: 2, size: 2, total: 5, pages: 3, entries: ['cy', 'ann'] })
      assert.equal(await board.increment('dee', 100), 105)
      assert.equal(await board.increment('dee'), 106)
      assert.equal((await board.top(1))[0].member, 'dee')
      assert.equal(await board.remove('dee'), true)
      assert.equal(await board.remove('dee'), false)
      assert.equal(await board.clear(), true)
      assert.equal(await board.count(), 0)
    })

    test('lowest first ranks race times; addIfBetter keeps personal bests', async () => {
      const client = await make()
      const race = client.leaderboard('race', { order: 'lowest_first' })
      assert.equal(race.order, 'lowest_first')
      await race.addMany([['ann', 61.5], ['bob', 59.25]])
      assert.equal((await race.rank('bob')).rank, 1)
      assert.equal(await race.addIfBetter('ann', 70), false)
      assert.equal(await race.addIfBetter('ann', 58), true)
      assert.equal(await race.addIfBetter('cy', 99), true)
      assert.deepEqual((await race.top(10)).map((e) => e.member), ['ann', 'bob', 'cy'])
    })

    test('errors: a member not on the board, bad pages, bad options and types', async () => {
      const client = await make()
      const board = client.leaderboard('err')
      await board.add('a', 1)
      await assert.rejects(board.around('nobody', 2), NotFoundError)
      await assert.rejects(board.page(0, 10), InvalidArgumentError)
      await assert.rejects(board.top(-1), InvalidArgumentError)
      assert.throws(() => client.leaderboard('x', { order: 'sideways' }), InvalidArgumentError)
      assert.throws(() => client.leaderboard('x', { ttl: -5 }), InvalidArgumentError)
      await assert.rejects(board.add('a', 'ten'), TypeError)
      await assert.rejects(board.addMany([['a']]), TypeError)
    })
  })
}

test('a board with a ttl expires that long after its last write (manual clock)', async () => {
  const { sim, client } = manual()
  const board = client.leaderboard('daily', { ttl: 1000 })
  await board.add('a', 1)
  sim.advance(800)
  await board.add('b', 2)
  sim.advance(800)
  assert.equal(await board.count(), 2, 'the write renewed the ttl')
  sim.advance(300)
  assert.equal(await board.count(), 0)
})
