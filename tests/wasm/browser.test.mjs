/**
 * redkit-wasm in a real browser: Debian's Chromium, headless, driven by playwright-core, loads a
 * page served from 127.0.0.1 (tests/wasm/page) that imports the package's ES module build and
 * runs the shared scenarios it offers in-page through the same runner as Node; the page hands
 * back each result and the test demands every one passed. A screenshot of the page is saved as
 * target/wasm-browser.png.
 *
 * The server (scripts/serve-static.mjs, shared with `make demo`) serves only the repository's
 * package, page and scenario folders, read-only.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { serveStatic } from '../../scripts/serve-static.mjs'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** What the page may load: the package, the page, the shared runner and the scenario files. */
const SERVED = ['bindings-wasm/js/', 'bindings-wasm/pkg/web/', 'bindings-wasm/pkg/lib/', 'tests/wasm/page/', 'tests/node/scenarios/', 'tests/scenarios/']
/** Real-time bound on the page's whole run (ms). */
const PAGE_LIMIT_MS = 60_000

let server
let browser

before(async () => {
  const scenarioFiles = (req, res) => {
    const files = readdirSync(join(ROOT, 'tests/scenarios')).filter((f) => f.endsWith('.json')).sort()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(files))
  }
  server = await serveStatic({ root: ROOT, allow: SERVED, routes: { 'scenario-files': scenarioFiles } })
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run']
  })
})

after(async () => {
  await browser?.close()
  await server?.close()
})

test('the shared scenarios pass in headless Chromium on the ES module build', async () => {
  const page = await browser.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(server.url('tests/wasm/page/index.html'))
  const results = await page.evaluate(`Promise.race([window.scenarioResults,
    new Promise((resolve) => setTimeout(() => resolve([{ name: 'page', ok: false, error: 'no results in ${PAGE_LIMIT_MS} ms' }]), ${PAGE_LIMIT_MS}))])`)
  mkdirSync(join(ROOT, 'target'), { recursive: true })
  await page.screenshot({ path: join(ROOT, 'target/wasm-browser.png'), fullPage: true })
  assert.deepEqual(errors, [])
  assert.deepEqual(results.filter((r) => !r.ok), [])
  assert.ok(results.length >= 5, `only ${results.length} scenarios ran in the page`)
  assert.match(await page.textContent('#summary'), new RegExp(`^${results.length} of ${results.length} scenarios passed`))
})
