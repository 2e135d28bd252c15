/**
 * Scenario adapters for streams (stream.json), after tests/python/scenarios/queues_streams.py:
 * `add_trimmed` is `add` with a trim, `trim` takes its trim as an object, `*_json` decode each
 * entry's event as `{ id, event }`, and the optional arguments after the required ones
 * (`pending_entries`, `dead_letter`) go in an options object.
 */
import { Adapter, register } from './adapters.mjs'

const trimOf = ({ max_len: maxLen, min_id: minId, approx }) => ({ maxLen, minId, approx })
const events = (entries) => entries.map((e) => ({ id: e.id, event: e.json() }))

class StreamAdapter extends Adapter {
  async do_add_trimmed ({ fields, ...trim }) {
    return this.obj.add(fields, trimOf(trim))
  }

  async do_trim (trim) {
    return this.obj.trim(trimOf(trim))
  }

  async do_range_json ({ start, end, count }) {
    return events(await this.obj.range(start, end, count))
  }

  async do_read_group_json ({ group, consumer, count, block_ms: block }) {
    return events(await this.obj.readGroup(group, consumer, count, block))
  }

  async do_pending_entries ({ group, count, consumer, min_idle_ms: minIdle }) {
    return this.obj.pendingEntries(group, count, { consumer, minIdle })
  }

  async do_dead_letter ({ group, max_deliveries: max, min_idle_ms: minIdle, count }) {
    return this.obj.deadLetter(group, max, { minIdle, count })
  }
}

register('stream', StreamAdapter)
