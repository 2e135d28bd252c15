#!/usr/bin/env node
/**
 * The WebAssembly package's option and result types, and the types of the JavaScript forms it
 * shares with the Node package, are the Node package's declarations: this appends them to each
 * declaration file wasm-bindgen wrote, so the wasm classes' `unchecked_param_type =
 * "LockOptions"` name them and one source describes both packages.
 *
 * - from bindings-node/index.d.ts (napi-rs generates it): every `export interface` and
 *   `export type`, with its doc comment;
 * - from bindings-node/lib/index.d.ts (the JavaScript forms: `withLock`, iterators, `wrap` …):
 *   its own `export interface`s, and the interfaces it adds to the addon's classes
 *   (`declare module '../index' { interface Lock { … } }`) as `export interface`s, which
 *   TypeScript merges into the wasm classes of the same name.
 *
 * `Buffer` becomes `Uint8Array` (a Buffer is one; browsers have no Buffer).
 *
 *   node scripts/wasm-types.mjs WASM_D_TS...
 */
import { appendFileSync, readFileSync } from 'node:fs'

const ROOT = new URL('../', import.meta.url)
const targets = process.argv.slice(2)
if (targets.length === 0) {
  console.error('usage: wasm-types.mjs WASM_D_TS...')
  process.exit(2)
}

/** The top-level declarations of `lines` to share, each with the doc comment right above it;
 * the interfaces inside `declare module` blocks come out exported, unindented. */
function shared (lines) {
  const out = []
  let comment = []
  let inModule = false
  for (let i = 0; i < lines.length; i++) {
    const line = inModule ? lines[i].replace(/^ {2}/, '') : lines[i]
    if (!inModule && line.startsWith('declare module ')) { inModule = true; continue }
    if (inModule && lines[i] === '}') { inModule = false; continue }
    if (line.trim().startsWith('/**')) {
      comment = []
      for (; i < lines.length; i++) {
        comment.push(inModule ? lines[i].replace(/^ {2}/, '') : lines[i])
        if (lines[i].includes('*/')) break
      }
      continue
    }
    if (line.startsWith('export type ')) {
      out.push(...comment, line, '')
    } else if (line.startsWith('export interface ') || (inModule && line.startsWith('interface '))) {
      const block = [inModule ? `export ${line}` : line]
      while (i < lines.length - 1 && !/^}/.test(inModule ? lines[i].replace(/^ {2}/, '') : lines[i])) {
        i++
        block.push(inModule ? lines[i].replace(/^ {2}/, '') : lines[i])
      }
      out.push(...comment, ...block, '')
    }
    if (line.trim() !== '') comment = []
  }
  return out
}

const read = (path) => readFileSync(new URL(path, ROOT), 'utf8').split('\n')
const declarations = [...shared(read('bindings-node/index.d.ts')), ...shared(read('bindings-node/lib/index.d.ts'))]
  .join('\n')
  .replace(/\bBuffer\b/g, 'Uint8Array')
  .replace(/import\('\.\.\/index'\)\./g, '')
const banner = '\n// ---- Options, results and JavaScript forms: the Node package\'s declarations (scripts/wasm-types.mjs) ----\n\n'
for (const target of targets) appendFileSync(target, banner + declarations)
