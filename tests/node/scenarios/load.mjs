/**
 * Reads tests/scenarios/*.json in Node: every scenario as `{ file, name, backends, steps, kinds }`
 * (runner.mjs's `scenarios` reads one parsed file, as the browser test's page does after a fetch).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { scenarios } from './runner.mjs'

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url))

/** Every scenario of every file, files in name order. */
export function loadAll () {
  return readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json')).sort()
    .flatMap((file) => scenarios(file, JSON.parse(readFileSync(join(SCENARIO_DIR, file), 'utf8'))))
}
