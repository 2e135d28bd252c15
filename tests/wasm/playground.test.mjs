/**
 * The playground (bindings-wasm/www) walked through in headless Chromium, served from
 * 127.0.0.1 by scripts/serve-static.mjs exactly as `make demo` serves it (the bindings-wasm
 * folder: www/, js/, pkg/web/, pkg/lib/). The page must load the ES module build without an error; then
 * each pattern is picked, given small parameters and run, and the counts the page shows are
 * checked: a limiter admits the limit in a window, a lock's fences strictly increase with one
 * holder at a time, a queue with crashing workers loses no job, a stampede calls the loader
 * once. Screenshots: target/wasm-playground.png (the page as loaded, then the rate limiters
 * with their default parameters) and one per pattern, target/wasm-playground-<pattern>.png.
 *
 * A pattern the package does not offer yet is a todo, after checking that the page says which
 * factory is missing and keeps Run disabled instead of failing.
 */
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { serveStatic } from '../../scripts/serve-static.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const TARGET = join(ROOT, 'target')
/** Real-time bounds (ms): the page getting ready, and one run with its replay. */
const READY_MS = 30_000
const RUN_MS = 60_000

let site
let browser
let page
const errors = []

before(async () => {
  mkdirSync(TARGET, { recursive: true })
  site = await serveStatic({ root: join(ROOT, 'bindings-wasm'), allow: ['www/', 'js/', 'pkg/web/', 'pkg/lib/'], home: 'www/' })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run']
  })
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } })
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()) })
})

after(async () => {
  await browser?.close()
  await site?.close()
})

/** Fills the scene's form: numbers and choices by name, flags as the list of boxes to tick. */
async function fill (params) {
  for (const [name, value] of Object.entries(params)) {
    if (Array.isArray(value)) {
      for (const box of await page.locator(`input[type=checkbox][name="${name}"]`).all()) {
        await box.setChecked(value.includes(await box.getAttribute('value')))
      }
    } else if (await page.locator(`select[name="${name}"]`).count()) {
      await page.selectOption(`select[name="${name}"]`, String(value))
    } else {
      await page.fill(`input[name="${name}"]`, String(value))
    }
  }
}

/** The number the summary shows for `row.name`. */
async function count (row, name) {
  return Number(await page.locator(`[data-count="${row}.${name}"]`).textContent())
}

/**
 * Picks `scene`, fills `params`, runs it and waits for the counts; a todo (after checking the
 * page explains it) when the package lacks what the scene needs.
 */
async function runScene (t, scene, params, speed = 'instant') {
  await page.click(`#patterns button[data-scene="${scene}"]`)
  const missing = await page.getAttribute(`#patterns button[data-scene="${scene}"]`, 'data-missing')
  if (missing) {
    assert.ok(await page.isDisabled('#run'), 'Run stays disabled for a pattern the package lacks')
    const notice = await page.textContent('#notice')
    for (const factory of missing.split(',')) assert.ok(notice.includes(`client.${factory}()`), notice)
    await page.screenshot({ path: join(TARGET, `wasm-playground-${scene}.png`), fullPage: true })
    t.todo(`redkit-wasm has no client.${missing.split(',').join(', client.')} yet`)
    return false
  }
  await fill(params)
  await page.selectOption('#speed', speed)
  await page.click('#run')
  await page.waitForSelector(`#summary[data-state="done"][data-scene="${scene}"], #summary[data-state="error"]`, { timeout: RUN_MS })
  assert.equal(await page.getAttribute('#summary', 'data-state'), 'done', await page.textContent('#notice'))
  assert.ok(await page.locator('#plot svg .mark').count() > 0, 'the plot has marks')
  const failed = await page.locator('#checks li[data-ok="false"]').allTextContents()
  assert.deepEqual(failed, [], 'every check the page shows passed')
  assert.equal(await page.getAttribute('#summary', 'data-ok'), 'true')
  await page.screenshot({ path: join(TARGET, `wasm-playground-${scene}.png`), fullPage: true })
  return true
}

describe('the playground in headless Chromium', () => {
  test('loads the ES module build and offers the four patterns', async () => {
    await page.goto(site.url())
    await page.waitForSelector('body[data-ready="true"]', { timeout: READY_MS })
    assert.deepEqual(errors, [])
    assert.notEqual(await page.getAttribute('#status', 'data-state'), 'error', await page.textContent('#notice'))
    assert.deepEqual(await page.locator('#patterns button').evaluateAll((bs) => bs.map((b) => b.dataset.scene)), ['limiters', 'lock', 'queue', 'cache'])
    await page.screenshot({ path: join(TARGET, 'wasm-playground.png'), fullPage: true })
  })

  test('rate limiters: each algorithm admits the limit from a burst in one window', async (t) => {
    const algorithms = ['token_bucket', 'sliding_window', 'gcra', 'fixed_window']
    if (!await runScene(t, 'limiters', { limit: 4, window: 1000, burst: 10, rate: 0, duration: 1000, algorithms }, 'fast')) return
    for (const a of algorithms) {
      assert.deepEqual([await count(a, 'requests'), await count(a, 'admitted'), await count(a, 'firstWindow')], [10, 4, 4], a)
    }
    assert.equal(await page.locator('#legend li').count(), 2)
  })

  test('lock: one holder at a time, fencing tokens strictly increasing', async (t) => {
    if (!await runScene(t, 'lock', { clients: 4, ttl: 200, work: 60, retry: 30, crash: 20, stall: 20, duration: 2000, seed: 3 })) return
    assert.equal(await count('all', 'maxHolders'), 1)
    const acquired = await count('all', 'acquired')
    assert.ok(acquired >= 3, `${acquired} holds`)
    const fences = (await page.locator('#plot .mark[data-kind="owner"] title').allTextContents()).map((s) => Number(/#(\d+)/.exec(s)[1]))
    assert.equal(fences.length, acquired)
    assert.ok(fences.every((f, i) => i === 0 || f > fences[i - 1]), `fences ${fences}`)
  })

  test('queue with crashing workers: no job lost', async (t) => {
    if (!await runScene(t, 'queue', { jobs: 6, workers: 2, lease: 300, work: 100, crash: 30, fail: 10, maxAttempts: 3, seed: 5 })) return
    assert.equal(await count('jobs', 'completed') + await count('jobs', 'dead'), 6)
    assert.equal(await count('jobs', 'lost'), 0)
    assert.equal(await page.locator('#plot .lane').count(), 6)
  })

  test('cache stampede: getOrSet calls the loader once, naive cache-aside once per request', async (t) => {
    if (!await runScene(t, 'cache', { requests: 20, keys: 1, instances: 1, bursts: 1, spread: 0, latency: 50 })) return
    assert.equal(await count('single flight', 'loaderCalls'), 1)
    assert.equal(await count('single flight', 'shared'), 19)
    assert.equal(await count('naive', 'loaderCalls'), 20)
  })

  test('the first pattern with its default parameters: the screenshot people see first', async (t) => {
    await page.click('#patterns button[data-scene="lock"]')
    if (!await runScene(t, 'limiters', {})) return
    await page.screenshot({ path: join(TARGET, 'wasm-playground.png'), fullPage: true })
  })

  test('a parameter out of range is refused with a message naming it', async (t) => {
    const offered = await page.locator('#patterns button[data-missing=""]').evaluateAll((bs) => bs.map((b) => b.dataset.scene))
    if (offered.length === 0) return t.todo('redkit-wasm offers none of the patterns yet')
    await page.click(`#patterns button[data-scene="${offered[0]}"]`)
    const field = await page.locator('#fields input[type=number]').first()
    const name = await field.getAttribute('name')
    await field.fill(String(Number(await field.getAttribute('max')) + 1))
    await page.click('#run')
    await page.waitForSelector('#summary[data-state="error"]', { timeout: RUN_MS })
    assert.match(await page.textContent('#notice'), new RegExp(`RangeError: .*\\(${name}\\) must be a whole number`))
    assert.equal(await page.isDisabled('#run'), false, 'Run is offered again')
    assert.deepEqual(errors, [])
  })
})
