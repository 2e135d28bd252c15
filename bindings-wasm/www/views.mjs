/**
 * How each scene's result reads as a timeline: which lanes, which marks, which colours (a plot
 * spec for render.mjs), plus a few words on what to look for. Kept apart from the scenes, which
 * only simulate, and from render.mjs, which only draws.
 */

const GREEN = '#16a34a'
const RED = '#dc2626'
const BLUE = '#2563eb'
const AMBER = '#d97706'
const PURPLE = '#7c3aed'
const SLATE = '#94a3b8'
const ORANGE = '#ea580c'
const MAROON = '#881337'

/** What to look for in each scene, shown above its plot. */
export const ABOUT = {
  limiters: 'Every algorithm sees the same requests: a burst at 0 ms, then steady or random traffic. Green dots above the line were admitted, red crosses below refused; dashed lines mark windows. The token bucket gets its tokens back once per refill interval (the window), the sliding window weighs the last window’s count, and GCRA lets the burst through, then one call every window ÷ limit — so it can pass more than the limit in one window (“most in any window”).',
  lock: 'Each lane is a client. Blue bars are holds, labelled with their fencing token; grey ticks are refused tries. A holder that crashes (✕) keeps the lock until its lease runs out; one that stalls past its lease (orange) loses it, and its late write, carrying an old fence, is refused by the store (red ✕).',
  queue: 'Each lane is a job, coloured by the state the queue reports. When a worker crashes (✕) its job stays active until the lease runs out (hatched), then the queue hands it out again as a new attempt; failed jobs wait out their backoff (amber). Every job must end completed or dead.',
  cache: 'Requests for hot keys arrive in bursts. Purple bars are loader calls. With getOrSet (single flight) one load per key serves the whole burst — amber dots waited for it, green dots were hits; naive cache-aside (get, load on a miss, set) calls the loader once per concurrent miss.'
}

/** Column heads of the counts table where the count's own name says too little. */
export const COUNT_LABELS = {
  firstWindow: 'admitted in 1st window',
  peakWindow: 'most in any window',
  maxHolders: 'most holders at once',
  lastFence: 'last fence',
  leaseLost: 'lease lost',
  writesAccepted: 'writes accepted',
  writesRefused: 'stale writes refused',
  loaderCalls: 'loader calls',
  shared: 'waited for a load',
  coalesced: 'coalesced (stats)',
  waited: 'waited on lock (stats)',
  recovered: 'recovered after lease'
}

/** The plot spec of a scene's result. */
export function viewOf (result) {
  return VIEWS[result.scene](result)
}

const VIEWS = {
  limiters (r) {
    const guides = []
    for (let t = r.params.window; t < r.duration; t += r.params.window) guides.push({ t })
    return {
      title: 'Rate limiter decisions over virtual time',
      duration: r.duration,
      laneHeight: 64,
      lanes: Object.keys(r.counts).map((a) => ({ id: a, label: a.replace('_', ' ') })),
      kinds: {
        admitted: { label: 'admitted', color: GREEN, shape: 'dot', row: -1 },
        rejected: { label: 'rejected', color: RED, shape: 'cross', row: 1 }
      },
      guides,
      marks: r.events.map((e) => ({ lane: e.series, kind: e.allowed ? 'admitted' : 'rejected', t: e.t, text: e.allowed ? `(${e.remaining} left)` : `(retry in ${e.retryAfter} ms)` }))
    }
  },

  lock (r) {
    const marks = []
    for (const h of r.holds) {
      const owned = h.end === 'crashed' ? (h.crashedAt ?? h.at) : h.endedAt
      marks.push({ lane: h.client, kind: 'hold', t: h.at, t2: owned, text: `#${h.fence}` })
      marks.push({ lane: 'lock', kind: 'owner', t: h.at, t2: h.endedAt, text: `${h.client.replace('client-', 'c')} #${h.fence}` })
      if (h.end === 'crashed') {
        marks.push({ lane: h.client, kind: 'orphaned', t: h.crashedAt, t2: h.endedAt, text: `#${h.fence}` })
        marks.push({ lane: h.client, kind: 'crash', t: h.crashedAt, text: `holding #${h.fence}` })
      }
      if (h.end === 'lease lost') marks.push({ lane: h.client, kind: 'stalled', t: h.leaseEnd, t2: h.workedUntil, text: `#${h.fence}` })
    }
    for (const d of r.denied) marks.push({ lane: d.client, kind: 'denied', t: d.t })
    for (const w of r.writes.filter((w) => w.kind === 'commit')) {
      marks.push({ lane: w.client, kind: w.accepted ? 'write' : 'refused', t: w.t, text: `with fence #${w.fence}` })
    }
    return {
      title: 'Lock holders and fencing tokens over virtual time',
      duration: r.duration,
      laneHeight: 40,
      lanes: [{ id: 'lock', label: 'lock held by' }, ...Object.keys(r.counts).filter((k) => k !== 'all').map((c) => ({ id: c, label: c }))],
      kinds: {
        owner: { label: 'the lock’s owner (fence)', color: '#0f766e', shape: 'bar' },
        hold: { label: 'holding', color: BLUE, shape: 'bar' },
        orphaned: { label: 'crashed holder’s lease running out', color: PURPLE, shape: 'bar', pattern: 'hatch' },
        stalled: { label: 'still working after the lease ran out', color: ORANGE, shape: 'bar', pattern: 'hatch' },
        denied: { label: 'refused try', color: SLATE, shape: 'tick' },
        crash: { label: 'crash', color: MAROON, shape: 'cross' },
        write: { label: 'write accepted', color: GREEN, shape: 'dot', row: -1 },
        refused: { label: 'stale write refused', color: RED, shape: 'cross', row: -1 }
      },
      marks
    }
  },

  queue (r) {
    const end = Math.round(r.duration * 1.04) + 20
    const marks = []
    for (const j of r.jobs) {
      const crashes = r.crashes.filter((c) => c.job === j.id)
      for (const s of j.segments) {
        if (s.state === 'completed' || s.state === 'dead') {
          marks.push({ lane: j.id, kind: s.state, t: s.from, t2: Math.max(end, s.from + 1) })
          continue
        }
        const crash = s.state === 'active' && crashes.find((c) => c.attempt === s.attempts)
        const to = s.to ?? end
        if (!crash) {
          marks.push({ lane: j.id, kind: s.state, t: s.from, t2: to, text: s.state === 'active' ? `try ${s.attempts}` : '' })
          continue
        }
        marks.push({ lane: j.id, kind: 'active', t: s.from, t2: crash.t, text: `try ${s.attempts}` })
        marks.push({ lane: j.id, kind: 'orphaned', t: crash.t, t2: to })
      }
      for (const c of crashes) marks.push({ lane: j.id, kind: 'crash', t: c.t, text: `${c.worker} crashed` })
    }
    return {
      title: 'Job states over virtual time',
      duration: end,
      laneHeight: r.jobs.length > 24 ? 20 : 26,
      lanes: r.jobs.map((j) => ({ id: j.id, label: j.label })),
      kinds: {
        waiting: { label: 'waiting', color: SLATE, shape: 'thin' },
        active: { label: 'active (a worker has it)', color: BLUE, shape: 'bar' },
        orphaned: { label: 'active, worker crashed: lease running out', color: BLUE, shape: 'bar', pattern: 'hatch' },
        delayed: { label: 'delayed (retry backoff)', color: AMBER, shape: 'thin' },
        completed: { label: 'completed', color: GREEN, shape: 'thin' },
        dead: { label: 'dead (attempts used up)', color: MAROON, shape: 'thin' },
        crash: { label: 'worker crash', color: RED, shape: 'cross' }
      },
      marks
    }
  },

  cache (r) {
    const keys = [...new Set(r.requests.map((q) => q.key))].sort()
    const lane = (strategy, key) => `${strategy}|${key}`
    const lanes = []
    for (const strategy of Object.keys(r.counts)) {
      for (const key of keys) lanes.push({ id: lane(strategy, key), label: `${strategy === 'naive' ? 'naive' : 'getOrSet'} · ${key}` })
    }
    const kind = { hit: 'hit', shared: 'shared', loaded: 'loader-caller' }
    const guides = []
    for (let b = 0; b < r.params.bursts; b++) guides.push({ t: b * r.params.every })
    return {
      title: 'Cache requests and loader calls over virtual time',
      duration: r.duration,
      laneHeight: 50,
      lanes,
      kinds: {
        load: { label: 'loader calls (×n running at once)', color: PURPLE, shape: 'bar', row: 1 },
        hit: { label: 'hit', color: GREEN, shape: 'dot', row: -1 },
        shared: { label: 'waited for another caller’s load', color: AMBER, shape: 'dot', row: -1 },
        'loader-caller': { label: 'ran the loader', color: PURPLE, shape: 'diamond', row: -1 }
      },
      guides,
      marks: [
        ...overlapping(r.loads).map((c) => ({ lane: lane(c.strategy, c.key), kind: 'load', t: c.start, t2: c.end, text: `×${c.count}` })),
        ...r.requests.map((q) => ({ lane: lane(q.strategy, q.key), kind: kind[q.outcome], t: q.t, text: `app ${q.instance + 1}, answered at ${q.answeredAt} ms` }))
      ]
    }
  }
}

/** Loads of one strategy and key that overlap in time, merged: `{ strategy, key, start, end, count }`. */
function overlapping (loads) {
  const out = []
  const sorted = [...loads].sort((a, b) => a.start - b.start)
  for (const l of sorted) {
    const open = out.find((c) => c.strategy === l.strategy && c.key === l.key && l.start < c.end)
    if (open) {
      open.end = Math.max(open.end, l.end)
      open.count++
    } else {
      out.push({ strategy: l.strategy, key: l.key, start: l.start, end: l.end, count: 1 })
    }
  }
  return out
}
