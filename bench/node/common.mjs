/**
 * Shared pieces of the Node benchmarks (`make bench`, Node part): timing loops bounded in count
 * and real time, alternating passes so a load swing on a shared machine does not land on one side
 * only, the anchors' installed versions, and the results table with ratios — the same table as
 * bench/python/common.py prints.
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'

const require = createRequire(import.meta.url)

/** Real time one measurement runs for (at most), in ms, and the most operations it may count. */
export const RUN_FOR = 300
export const MAX_OPS = 2_000_000
/** Alternating passes of redkit and its anchor per row; medians are reported. */
export const PASSES = 3

/** redkit's Node package, from the repository's built addon (bindings-node). */
export const redkit = require('../../bindings-node/lib/index.js')

/** Warm-up before each measurement: up to this many calls within WARM_FOR ms (JIT, connections, scripts). */
export const WARM_CALLS = 200
export const WARM_FOR = 30

/**
 * Awaits `op(i)` until `runFor` ms passed (or MAX_OPS operations); returns operations per
 * second, counting `perCall` per call (a pipeline of 1,000 counts 1,000). Warms up first.
 */
export async function rate (op, perCall = 1, runFor = RUN_FOR) {
  const warm = performance.now()
  for (let i = 0; i < WARM_CALLS && (i === 0 || performance.now() - warm < WARM_FOR); i++) await op(i)
  const start = performance.now()
  let calls = 0
  while (calls * perCall < MAX_OPS) {
    for (let i = 0; i < 20; i++) await op(calls + i)
    calls += 20
    if (performance.now() - start >= runFor) break
  }
  return (calls * perCall) / ((performance.now() - start) / 1000)
}

/**
 * Operations per second of `run(n)`, a call doing `n` operations (enqueue or drain `n` jobs),
 * repeated until `runFor` ms passed or `maxRounds` calls. `run` may return the ms it wants
 * counted (its timed part), else the whole call is.
 */
export async function batchRate (run, n, runFor = RUN_FOR, maxRounds = 50) {
  let rounds = 0
  let timed = 0
  const start = performance.now()
  while (rounds < maxRounds) {
    const t0 = performance.now()
    const own = await run(n)
    timed += typeof own === 'number' ? own : performance.now() - t0
    rounds += 1
    if (performance.now() - start >= runFor) break
  }
  return (rounds * n) / (timed / 1000)
}

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** One table line: our rate, the anchor's (medians of alternating passes), the target ratio. */
export async function row (workload, ours, anchorName, theirs, target, passes = PASSES) {
  const a = []
  const b = []
  for (let p = 0; p < passes; p++) {
    a.push(await ours())
    b.push(await theirs())
  }
  return { workload, ours: median(a), anchorName, anchor: median(b), target }
}

/** An anchor's label: its npm package at the installed (pinned) version, plus what of it runs. */
export function anchor (pkg, what = '') {
  const { version } = JSON.parse(readFileSync(new URL(`./node_modules/${pkg}/package.json`, import.meta.url), 'utf8'))
  return what ? `${pkg} ${version} ${what}` : `${pkg} ${version}`
}

const num = (x) => Math.round(x).toLocaleString('en-US')

export function printTable (title, rows, notes = []) {
  console.log(`\n${title}`)
  console.log(`${'workload'.padEnd(44)} ${'redkit/s'.padStart(11)} ${'anchor'.padEnd(40)} ${'anchor/s'.padStart(10)} ${'ratio'.padStart(7)}  target`)
  for (const r of rows) {
    const ratio = r.anchor ? r.ours / r.anchor : Infinity
    const mark = ratio >= r.target ? 'ok' : 'BELOW'
    console.log(`${r.workload.padEnd(44)} ${num(r.ours).padStart(11)} ${r.anchorName.padEnd(40)} ${num(r.anchor).padStart(10)} ` +
      `${ratio.toFixed(1).padStart(6)}x  >= ${r.target}x ${mark}`)
  }
  for (const note of notes) console.log(`  note: ${note}`)
}
