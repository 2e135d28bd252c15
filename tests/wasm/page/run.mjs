/**
 * In the page: initialises redkit-wasm's `web` build (fetching its module), fetches the scenario
 * files the test server lists, runs every simulator scenario whose object kinds the package
 * offers through the same runner and adapters as Node, lists each result on the page and hands
 * them all to the test as `window.scenarioResults` ([{ name, ok, error }]).
 */
import init, * as redkit from '/bindings-wasm/js/web.mjs'
import { T0, World, run, scenarios } from '/tests/node/scenarios/runner.mjs'
import { KINDS, offered, unsupported } from '/tests/node/scenarios/adapters.mjs'
import '/tests/node/scenarios/streams.mjs'
import '/tests/node/scenarios/pubsub.mjs'
import '/tests/node/scenarios/limits.mjs'
import '/tests/node/scenarios/rankings.mjs'
import '/tests/node/scenarios/cache_session.mjs'
import '/tests/node/scenarios/queues.mjs'

const list = document.getElementById('results')

function show (result) {
  const item = document.createElement('li')
  item.className = result.ok ? 'pass' : 'fail'
  item.textContent = `${result.ok ? 'pass' : 'FAIL'} ${result.name}${result.error ? `: ${result.error}` : ''}`
  list.append(item)
}

async function main () {
  await init()
  const files = await (await fetch('/scenario-files')).json()
  const all = []
  for (const file of files) all.push(...scenarios(file, await (await fetch(`/tests/scenarios/${file}`)).json()))
  const runnable = all.filter((sc) => sc.backends.includes('sim') &&
    [...sc.kinds].every((k) => KINDS.has(k) && offered(redkit, k)) && unsupported(sc).length === 0)
  const results = []
  for (const sc of runnable) {
    const name = `${sc.file.replace('.json', '')}: ${sc.name}`
    try {
      await run(sc, new World(redkit, { sim: new redkit.Simulator({ manualClock: true, start: T0 }) }))
      results.push({ name, ok: true })
    } catch (e) {
      results.push({ name, ok: false, error: String(e?.message ?? e) })
    }
    show(results.at(-1))
  }
  const passed = results.filter((r) => r.ok).length
  document.getElementById('summary').textContent = `${passed} of ${results.length} scenarios passed (of ${all.length} in the suite)`
  return results
}

window.scenarioResults = main().catch((e) => [{ name: 'page', ok: false, error: String(e?.stack ?? e) }])
