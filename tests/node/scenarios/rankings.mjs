/**
 * Scenario adapters for `leaderboard` (tests/scenarios/leaderboard.json) and `geo` (geo.json),
 * after the Python ones in tests/python/scenarios/messaging.py.
 *
 * - `leaderboard`: `ascending: true` is `order: 'lowest_first'`; entries are `[member, score]`
 *   pairs, as `addMany` takes them.
 * - `geo`: places are `[member, longitude, latitude]` triples, as `addMany` takes them; a
 *   search's keyword arguments are `search(query)`'s object.
 */
import { Adapter, options, register } from './adapters.mjs'

class LeaderboardAdapter extends Adapter {
  static async construct (kind, { name, ascending = false, ...rest }, world) {
    const client = await world.client()
    return new this(client.leaderboard(name, { ...options(rest), ...(ascending ? { order: 'lowest_first' } : {}) }), world)
  }
}

class GeoAdapter extends Adapter {
  async do_search (args) {
    return this.obj.search(options(args))
  }
}

register('leaderboard', LeaderboardAdapter)
register('geo', GeoAdapter)
