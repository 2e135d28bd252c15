/**
 * The geo index on the simulator and on a redis-server of its own: places, positions,
 * distances in every unit, searches by radius or box around a member or a point, errors.
 */
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { redkit, withBackends } from './support/backends.mjs'

const { NotFoundError, InvalidArgumentError } = redkit
const backends = withBackends()

const CITIES = [['paris', 2.3522, 48.8566], ['london', -0.1276, 51.5072], ['berlin', 13.405, 52.52], ['madrid', -3.7038, 40.4168]]
const near = (a, b, tolerance) => Math.abs(a - b) <= tolerance

for (const [backend, make] of Object.entries(backends)) {
  describe(`geo on ${backend}`, () => {
    test('places, positions, distances', async () => {
      const client = await make()
      const geo = client.geo('cities')
      assert.equal(geo.name, 'cities')
      assert.equal(typeof geo.key, 'string')
      assert.equal(await geo.addMany(CITIES), 4)
      assert.equal(await geo.add('paris', 2.3522, 48.8566), false)
      assert.equal(await geo.add('rome', 12.4964, 41.9028), true)
      assert.equal(await geo.count(), 5)
      const p = await geo.position('paris')
      assert.deepEqual(Object.keys(p).sort(), ['latitude', 'longitude'])
      assert.ok(near(p.longitude, 2.3522, 1e-4) && near(p.latitude, 48.8566, 1e-4))
      assert.equal(await geo.position('atlantis'), null)
      const ps = await geo.positions(['london', 'atlantis'])
      assert.equal(ps[1], null)
      assert.ok(near(ps[0].latitude, 51.5072, 1e-4))
      const km = await geo.distance('paris', 'london', 'km')
      assert.ok(near(km, 343.5, 2), `paris–london ${km} km`)
      assert.ok(near(await geo.distance('paris', 'london'), km * 1000, 1), 'metres by default')
      assert.ok(near(await geo.distance('paris', 'london', 'mi'), km / 1.609344, 0.5))
      assert.equal(await geo.distance('paris', 'atlantis', 'km'), null)
      assert.equal(await geo.remove('rome'), true)
      assert.equal(await geo.remove('rome'), false)
      assert.equal(await geo.clear(), true)
      assert.equal(await geo.count(), 0)
    })

    test('searches: radius and box, around a member or a point, count, order', async () => {
      const client = await make()
      const geo = client.geo('search')
      await geo.addMany(CITIES)
      const hits = await geo.search({ member: 'paris', radius: 1000, unit: 'km' })
      assert.deepEqual(hits.map((h) => h.member), ['paris', 'london', 'berlin'])
      assert.deepEqual(Object.keys(hits[1]).sort(), ['distance', 'latitude', 'longitude', 'member'])
      assert.equal(hits[0].distance, 0)
      const far = await geo.search({ longitude: 2.35, latitude: 48.85, radius: 2000, unit: 'km', count: 2, farthestFirst: true })
      assert.deepEqual(far.map((h) => h.member), ['madrid', 'berlin'], 'madrid (1,050 km) before berlin (880 km)')
      const box = await geo.search({ member: 'paris', width: 1000, height: 600, unit: 'km' })
      assert.deepEqual(box.map((h) => h.member).sort(), ['london', 'paris'])
      assert.equal((await geo.search({ longitude: 2.35, latitude: 48.85, radius: 3000, unit: 'km', count: 1, any: true })).length, 1)
    })

    test('errors: a missing centre member, bad searches, units and types', async () => {
      const client = await make()
      const geo = client.geo('err')
      await geo.addMany(CITIES)
      await assert.rejects(geo.search({ member: 'atlantis', radius: 10 }), NotFoundError)
      await assert.rejects(geo.search({ member: 'paris', longitude: 1, latitude: 2, radius: 10 }), TypeError)
      await assert.rejects(geo.search({ member: 'paris' }), TypeError)
      await assert.rejects(geo.search({ member: 'paris', width: 10 }), TypeError)
      await assert.rejects(geo.distance('paris', 'london', 'parsecs'), InvalidArgumentError)
      await assert.rejects(geo.add('x', 200, 100), InvalidArgumentError)
      await assert.rejects(geo.add('x', 'east', 1), TypeError)
      await assert.rejects(geo.addMany([['x', 1]]), TypeError)
      await assert.rejects(geo.positions('paris'), TypeError)
    })
  })
}
