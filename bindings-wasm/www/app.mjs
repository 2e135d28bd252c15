/**
 * The playground page: a pattern picker, a form built from the chosen scene's parameters, Run,
 * then the scene's timeline revealed along the virtual clock and its counts and checks. It
 * loads redkit-wasm's ES module build (../js/web.mjs, which fetches ../pkg/web/*.wasm) and
 * hands that module to the scenes; if the module cannot load, or lacks a pattern a scene needs,
 * the page says exactly what is missing instead of failing.
 *
 * What tests read: `body[data-ready]`, `#status[data-state]`, the picker's
 * `button[data-scene]` (`data-missing` lists absent factories), inputs named after the scene's
 * parameters, `#summary[data-state=done][data-scene][data-ok]`, `[data-count="<row>.<name>"]`
 * cells and `#checks li[data-check][data-ok]`.
 */
import { SCENES, missingFor, sceneById } from './scenes/index.mjs'
import { ABOUT, COUNT_LABELS, viewOf } from './views.mjs'
import { escape, renderLegend, renderPlot } from './render.mjs'

/** Real ms a replay takes at each speed. */
const REPLAY_MS = { instant: 0, fast: 1500, slow: 6000 }

const $ = (id) => document.getElementById(id)
const state = { redkit: null, scene: SCENES[0], running: false }

function renderPicker () {
  $('patterns').innerHTML = SCENES.map((s) =>
    `<button type="button" data-scene="${s.id}" aria-pressed="false"><strong>${escape(s.title)}</strong><span>${escape(s.tagline)}</span></button>`).join('')
  $('patterns').addEventListener('click', (e) => {
    const button = e.target.closest('button[data-scene]')
    if (button) select(button.dataset.scene)
  })
}

function select (id) {
  if (state.running) return
  state.scene = sceneById(id)
  history.replaceState(null, '', `#${id}`)
  for (const b of document.querySelectorAll('#patterns button')) b.setAttribute('aria-pressed', String(b.dataset.scene === id))
  $('scene-title').textContent = state.scene.title
  $('scene-tagline').textContent = state.scene.tagline
  $('about').textContent = ABOUT[id]
  $('fields').innerHTML = state.scene.params.map(fieldMarkup).join('')
  $('plot').innerHTML = '<p class="placeholder">Set the parameters and press Run.</p>'
  $('legend').innerHTML = ''
  $('counts').innerHTML = ''
  $('checks').innerHTML = ''
  $('clock').textContent = '0 ms'
  Object.assign($('summary').dataset, { state: 'idle', scene: id, ok: '' })
  showAvailability()
}

function fieldMarkup (f) {
  const id = `param-${f.name}`
  if (f.type === 'choice') {
    const options = f.choices.map((c) => `<option${c === f.default ? ' selected' : ''}>${escape(c)}</option>`).join('')
    return `<label class="field" for="${id}"><span>${escape(f.label)}</span><select id="${id}" name="${f.name}">${options}</select></label>`
  }
  if (f.type === 'flags') {
    const boxes = f.choices.map((c) => `<label class="flag"><input type="checkbox" name="${f.name}" value="${c}"${f.default.includes(c) ? ' checked' : ''}> ${escape(c.replace('_', ' '))}</label>`).join('')
    return `<fieldset class="field flags" id="${id}"><legend>${escape(f.label)}</legend>${boxes}</fieldset>`
  }
  return `<label class="field" for="${id}"><span>${escape(f.label)}</span>` +
    `<input id="${id}" name="${f.name}" type="number" inputmode="numeric" min="${f.min}" max="${f.max}" step="${f.step ?? 1}" value="${f.default}" required></label>`
}

/** The form's values as the scene reads them (strings; flags as a list). */
function readForm () {
  const given = {}
  for (const f of state.scene.params) {
    if (f.type === 'flags') given[f.name] = [...document.querySelectorAll(`input[name="${f.name}"]:checked`)].map((i) => i.value)
    else given[f.name] = document.querySelector(`[name="${f.name}"]`).value
  }
  return given
}

function notice (text, kind = 'warn') {
  $('notice').hidden = !text
  $('notice').textContent = text ?? ''
  $('notice').dataset.kind = kind
}

/** Marks scenes the loaded package cannot run, and explains it for the chosen one. */
function showAvailability () {
  if (!state.redkit) {
    $('run').disabled = true
    return
  }
  for (const b of document.querySelectorAll('#patterns button')) b.dataset.missing = missingFor(state.redkit, sceneById(b.dataset.scene)).join(',')
  const missing = missingFor(state.redkit, state.scene)
  $('run').disabled = missing.length > 0
  notice(missing.length
    ? `This build of redkit-wasm has no ${missing.map((m) => `client.${m}()`).join(', ')} yet, which the ${state.scene.title} scene needs. Rebuild the package (./scripts/wasm-build.sh) once it has the pattern.`
    : null)
}

async function run (event) {
  event.preventDefault()
  if (state.running || !state.redkit) return
  state.running = true
  $('run').disabled = true
  const summary = $('summary')
  Object.assign(summary.dataset, { state: 'running', scene: state.scene.id, ok: '' })
  notice(null)
  try {
    const result = await state.scene.run(state.redkit, readForm())
    const spec = viewOf(result)
    $('plot').innerHTML = renderPlot(spec, Math.max(640, $('plot').clientWidth))
    $('legend').innerHTML = renderLegend(spec)
    $('counts').innerHTML = ''
    $('checks').innerHTML = ''
    await replay($('plot').querySelector('svg'), REPLAY_MS[$('speed').value] ?? 0)
    showSummary(result)
    Object.assign(summary.dataset, { state: 'done', ok: String(result.checks.every((c) => c.ok)) })
  } catch (e) {
    notice(`${e.name}: ${e.message}`, 'error')
    summary.dataset.state = 'error'
  } finally {
    state.running = false
    $('run').disabled = missingFor(state.redkit, state.scene).length > 0
  }
}

/** Sweeps the clip and the playhead across the plot, the clock reading along, in `realMs`. */
function replay (svg, realMs) {
  const x0 = Number(svg.dataset.x0)
  const x1 = Number(svg.dataset.x1)
  const duration = Number(svg.dataset.duration)
  const reveal = svg.querySelector('#reveal')
  const playhead = svg.querySelector('#playhead')
  const draw = (fraction) => {
    const x = x0 + (x1 - x0) * fraction
    reveal.setAttribute('width', fraction >= 1 ? '100%' : String(x))
    playhead.setAttribute('x1', x)
    playhead.setAttribute('x2', x)
    $('clock').textContent = `${Math.round(duration * fraction).toLocaleString('en-US')} ms`
  }
  if (realMs <= 0) {
    draw(1)
    return Promise.resolve()
  }
  return new Promise((resolve) => {
    const start = performance.now()
    const frame = (now) => {
      const fraction = Math.min(1, (now - start) / realMs)
      draw(fraction)
      if (fraction < 1) requestAnimationFrame(frame)
      else resolve()
    }
    requestAnimationFrame(frame)
    // A hidden tab gets no animation frames: finish anyway, a little after the replay's time.
    setTimeout(() => { draw(1); resolve() }, realMs + 500)
  })
}

/** A count's column head: its label, or its name in words (`loaderCalls` → `loader calls`). */
function words (name) {
  return COUNT_LABELS[name] ?? name.replace(/([A-Z])/g, ' $1').toLowerCase()
}

function showSummary (result) {
  const rows = Object.entries(result.counts)
  const columns = [...new Set(rows.flatMap(([, c]) => Object.keys(c)))]
  const head = `<tr><th></th>${columns.map((c) => `<th scope="col">${escape(words(c))}</th>`).join('')}</tr>`
  const body = rows.map(([row, c]) => `<tr><th scope="row">${escape(row.replace('_', ' '))}</th>` +
    columns.map((col) => (col in c ? `<td data-count="${escape(`${row}.${col}`)}">${c[col]}</td>` : '<td class="none">—</td>')).join('') + '</tr>').join('')
  $('counts').innerHTML = `<table><thead>${head}</thead><tbody>${body}</tbody></table>`
  $('checks').innerHTML = result.checks.map((c) =>
    `<li data-check="${escape(c.id)}" data-ok="${c.ok}"><span class="mark">${c.ok ? '✓' : '✗'}</span>${escape(c.label)}<span class="detail">${escape(c.detail)}</span></li>`).join('')
}

async function loadPackage () {
  const status = $('status')
  try {
    const module = await import('../js/web.mjs')
    await module.default()
    state.redkit = module
    const usable = SCENES.filter((s) => missingFor(module, s).length === 0).length
    status.textContent = `redkit-wasm loaded · ${usable} of ${SCENES.length} patterns available`
    status.dataset.state = usable === SCENES.length ? 'ready' : 'partial'
  } catch (e) {
    status.textContent = 'redkit-wasm did not load'
    status.dataset.state = 'error'
    notice(`Could not load redkit-wasm's ES module build (../js/web.mjs and ../pkg/): ${e.message}. Build it with ./scripts/wasm-build.sh and serve the bindings-wasm folder (make demo does both).`, 'error')
  }
  showAvailability()
}

renderPicker()
$('params').addEventListener('submit', run)
select(SCENES.some((s) => s.id === location.hash.slice(1)) ? location.hash.slice(1) : SCENES[0].id)
await loadPackage()
document.body.dataset.ready = 'true'
