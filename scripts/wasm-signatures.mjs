#!/usr/bin/env node
/**
 * The WebAssembly classes' method signatures, read from the declarations wasm-bindgen wrote,
 * as the table js/surface.mjs checks calls against: wasm-bindgen's glue does not check
 * argument types (a number where a string is due corrupts the call), so the package checks
 * every `string`, `number` and `boolean` parameter first, as the Node package's `strict` entry
 * points do, and makes a Promise-returning method reject instead of throwing.
 *
 *   node scripts/wasm-signatures.mjs WASM_D_TS OUT_MJS
 *
 * The table: `{ Class: { method: [isAsync, [[index, name, kind, optional], ...]] } }`.
 */
import { readFileSync, writeFileSync } from 'node:fs'

/** `a: string, b?: Array<x, y>` split at its top-level commas. */
function splitParams (list) {
  const out = []
  let depth = 0
  let current = ''
  for (const ch of list) {
    if ('<([{'.includes(ch)) depth++
    if ('>)]}'.includes(ch)) depth--
    if (ch === ',' && depth === 0) {
      out.push(current.trim())
      current = ''
    } else {
      current += ch
    }
  }
  if (current.trim()) out.push(current.trim())
  return out
}

/** A parameter's checked kind (`string`, `number`, `boolean`, or null: not checked here). */
function param (text, index) {
  const [, name, question, type] = /^(\w+)(\?)?:\s*(.+)$/.exec(text) ?? []
  if (!name) return null
  const alternatives = type.split('|').map((t) => t.trim())
  const present = alternatives.filter((t) => t !== 'null' && t !== 'undefined')
  const optional = Boolean(question) || present.length < alternatives.length
  const kind = present.length === 1 && ['string', 'number', 'boolean'].includes(present[0]) ? present[0] : null
  return kind && [index, name, kind, optional]
}

export function signatures (dts) {
  const table = {}
  let owner = null
  for (const line of dts.split('\n')) {
    const cls = /^export class (\w+)/.exec(line)
    if (cls) { owner = cls[1]; continue }
    if (line.startsWith('}')) { owner = null; continue }
    const m = owner && /^ {4}(\w+)\((.*)\): (.+);$/.exec(line)
    if (!m || m[1] === 'free') continue
    const params = splitParams(m[2]).map(param).filter(Boolean)
    const isAsync = m[3].startsWith('Promise<')
    if (params.length || isAsync) (table[owner] ??= {})[m[1]] = [isAsync, params]
  }
  return table
}

const [source, out] = process.argv.slice(2)
if (!source || !out) {
  console.error('usage: wasm-signatures.mjs WASM_D_TS OUT_MJS')
  process.exit(2)
}
writeFileSync(out, `export default ${JSON.stringify(signatures(readFileSync(source, 'utf8')))}\n`)
