/**
 * Draws a timeline plot as SVG markup: one lane per row (a client, a job, an algorithm), marks
 * on a shared axis in virtual ms — spans (`t` to `t2`: a hold, a job state, a load) and points
 * (a request, a crash, a write; points at the same instant stack up or down so a burst reads as
 * a column). Pure string building: no DOM, so it runs anywhere; the page adds the reveal
 * animation by moving the `#reveal` clip and the `#playhead` line.
 *
 * A plot spec: `{ duration, lanes: [{ id, label }], marks: [{ lane, kind, t, t2?, text? }],
 * kinds: { kind: { label, color, shape, row?, pattern? } }, guides?: [{ t, label? }] }`;
 * shapes: `bar`, `thin` (a thin bar), `dot`, `ring`, `cross`, `tick`, `diamond`; `row` -1/1
 * puts a kind in the lane's upper/lower half (points stack away from the middle).
 */

const LABEL_WIDTH = 132
const RIGHT = 24
const TOP = 8
const AXIS = 44
const STACK_STEP = 4.5

/** `text` safe inside SVG/HTML text and attribute values. */
export function escape (text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

/** Axis ticks for `duration` ms across about `width` px: a 1-2-5 step, labels every step. */
export function ticks (duration, width) {
  const rough = duration / Math.max(2, Math.floor(width / 90))
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(rough, 1)))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)
  const out = []
  for (let t = 0; t <= duration + 1e-9; t += step) out.push(t)
  return out
}

/** A number of ms as the axis writes it: 1500 → "1,500". */
function ms (t) {
  return Math.round(t).toLocaleString('en-US')
}

/** The SVG markup of `spec` at `width` px (its height follows from the lanes). */
export function renderPlot (spec, width = 900) {
  const laneHeight = spec.laneHeight ?? 36
  const plotWidth = width - LABEL_WIDTH - RIGHT
  const height = TOP + spec.lanes.length * laneHeight + AXIS
  const x = (t) => LABEL_WIDTH + (Math.min(Math.max(t, 0), spec.duration) / spec.duration) * plotWidth
  const laneIndex = new Map(spec.lanes.map((l, i) => [l.id, i]))
  const mid = (lane) => TOP + laneIndex.get(lane) * laneHeight + laneHeight / 2
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `role="img" aria-label="${escape(spec.title ?? 'timeline')}" data-x0="${LABEL_WIDTH}" data-x1="${width - RIGHT}" data-duration="${spec.duration}">`]
  parts.push(defs(spec, height))
  parts.push(lanesMarkup(spec, laneHeight, width))
  parts.push(axisMarkup(spec, x, height, plotWidth))
  parts.push('<g clip-path="url(#reveal-clip)" class="marks">')
  for (const g of spec.guides ?? []) parts.push(`<line class="guide" x1="${x(g.t)}" x2="${x(g.t)}" y1="${TOP}" y2="${height - AXIS}"/>`)
  const spans = spec.marks.filter((m) => m.t2 !== undefined)
  for (const m of spans) parts.push(spanMarkup(spec.kinds[m.kind], m, x, mid(m.lane), laneHeight))
  parts.push(pointsMarkup(spec, spec.marks.filter((m) => m.t2 === undefined), x, mid, laneHeight))
  parts.push('</g>')
  parts.push(`<line id="playhead" class="playhead" x1="${x(spec.duration)}" x2="${x(spec.duration)}" y1="${TOP}" y2="${height - AXIS + 6}"/>`)
  parts.push('</svg>')
  return parts.join('')
}

function defs (spec, height) {
  const patterns = Object.entries(spec.kinds).filter(([, k]) => k.pattern === 'hatch').map(([name, k]) =>
    `<pattern id="hatch-${name}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="${k.color}" fill-opacity="0.18"/><rect width="2.5" height="6" fill="${k.color}" fill-opacity="0.85"/></pattern>`)
  return `<defs>${patterns.join('')}<clipPath id="reveal-clip"><rect id="reveal" x="0" y="0" width="100%" height="${height}"/></clipPath></defs>`
}

function lanesMarkup (spec, laneHeight, width) {
  return spec.lanes.map((lane, i) => {
    const y = TOP + i * laneHeight
    return `<g class="lane" data-lane="${escape(lane.id)}"><rect class="lane-bg${i % 2 ? ' odd' : ''}" x="0" y="${y}" width="${width - RIGHT}" height="${laneHeight}"/>` +
      `<text class="lane-label" x="${LABEL_WIDTH - 10}" y="${y + laneHeight / 2}" dominant-baseline="middle" text-anchor="end">${escape(lane.label)}</text></g>`
  }).join('')
}

function axisMarkup (spec, x, height, plotWidth) {
  const y = height - AXIS
  const out = [`<g class="axis"><line x1="${x(0)}" x2="${x(spec.duration)}" y1="${y}" y2="${y}"/>`]
  for (const t of ticks(spec.duration, plotWidth)) {
    out.push(`<line class="grid" x1="${x(t)}" x2="${x(t)}" y1="${TOP}" y2="${y}"/><line x1="${x(t)}" x2="${x(t)}" y1="${y}" y2="${y + 5}"/>` +
      `<text x="${x(t)}" y="${y + 18}" text-anchor="middle">${ms(t)}</text>`)
  }
  out.push(`<text class="axis-title" x="${x(spec.duration)}" y="${y + 36}" text-anchor="end">virtual time (ms)</text></g>`)
  return out.join('')
}

function spanMarkup (kind, m, x, mid, laneHeight) {
  const thin = kind.shape === 'thin'
  const h = thin ? 6 : Math.min(kind.row ? 15 : 18, laneHeight - 10)
  const y = thin ? mid + laneHeight / 2 - 11 : kind.row ? mid + (kind.row * laneHeight) / 4 - h / 2 + kind.row : mid - h / 2
  const w = Math.max(1.5, x(m.t2) - x(m.t))
  const fill = kind.pattern === 'hatch' ? `url(#hatch-${m.kind})` : kind.color
  const title = `<title>${escape(`${kind.label}${m.text ? ` ${m.text}` : ''}: ${ms(m.t)}–${ms(m.t2)} ms`)}</title>`
  const label = m.text && w > 8 * String(m.text).length + 6 && !thin && !kind.pattern
    ? `<text class="span-label" x="${x(m.t) + w / 2}" y="${y + h / 2}" dominant-baseline="central" text-anchor="middle">${escape(m.text)}</text>`
    : ''
  return `<g class="mark" data-kind="${m.kind}"><rect x="${x(m.t)}" y="${y}" width="${w}" height="${h}" rx="3" fill="${fill}">${title}</rect>${label}</g>`
}

/** Point marks, stacked where several share a lane, a row and (to the pixel) an instant. */
function pointsMarkup (spec, points, x, mid, laneHeight) {
  const seen = new Map()
  const out = []
  const room = laneHeight / 2 - 5
  for (const m of points) {
    const kind = spec.kinds[m.kind]
    const px = Math.round(x(m.t))
    const key = `${m.lane}|${kind.row ?? 0}|${px}`
    const n = seen.get(key) ?? 0
    seen.set(key, n + 1)
    const row = kind.row ?? 0
    const offset = row === 0 ? 0 : row * Math.min(4 + n * STACK_STEP, room)
    out.push(pointMarkup(kind, m, px, mid(m.lane) + offset))
  }
  return out.join('')
}

function pointMarkup (kind, m, cx, cy) {
  const title = `<title>${escape(`${kind.label}${m.text ? ` ${m.text}` : ''} at ${ms(m.t)} ms`)}</title>`
  const c = kind.color
  const shapes = {
    dot: `<circle cx="${cx}" cy="${cy}" r="3.2" fill="${c}"/>`,
    ring: `<circle cx="${cx}" cy="${cy}" r="3" fill="none" stroke="${c}" stroke-width="1.6"/>`,
    cross: `<path d="M${cx - 4} ${cy - 4}L${cx + 4} ${cy + 4}M${cx + 4} ${cy - 4}L${cx - 4} ${cy + 4}" stroke="${c}" stroke-width="2.2" stroke-linecap="round"/>`,
    tick: `<line x1="${cx}" x2="${cx}" y1="${cy - 5}" y2="${cy + 5}" stroke="${c}" stroke-width="1.4"/>`,
    diamond: `<path d="M${cx} ${cy - 5}L${cx + 5} ${cy}L${cx} ${cy + 5}L${cx - 5} ${cy}Z" fill="${c}"/>`
  }
  return `<g class="mark" data-kind="${m.kind}">${shapes[kind.shape] ?? shapes.dot}${title}</g>`
}

/** The legend as HTML: a swatch and a label per kind that appears in the plot. */
export function renderLegend (spec) {
  const used = new Set(spec.marks.map((m) => m.kind))
  return Object.entries(spec.kinds).filter(([name]) => used.has(name)).map(([name, k]) => {
    const swatch = `<svg width="22" height="14" aria-hidden="true">${legendSwatch(name, k)}</svg>`
    return `<li data-kind="${name}">${swatch}<span>${escape(k.label)}</span></li>`
  }).join('')
}

function legendSwatch (name, k) {
  if (k.shape === 'bar' || k.shape === 'thin') {
    const fill = k.pattern === 'hatch' ? `url(#legend-hatch-${name})` : k.color
    const hatch = k.pattern === 'hatch'
      ? `<defs><pattern id="legend-hatch-${name}" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="${k.color}" fill-opacity="0.18"/><rect width="2" height="5" fill="${k.color}"/></pattern></defs>`
      : ''
    return `${hatch}<rect x="1" y="${k.shape === 'thin' ? 4 : 1}" width="20" height="${k.shape === 'thin' ? 6 : 12}" rx="3" fill="${fill}"/>`
  }
  return pointMarkup({ ...k, label: '' }, { t: 0 }, 11, 7).replace(/<title>.*?<\/title>/, '')
}
