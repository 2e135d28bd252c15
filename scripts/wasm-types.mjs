#!/usr/bin/env node
/**
 * The WebAssembly package's option and result types are the Node package's: this copies every
 * `export interface` and `export type` (with its doc comment) from bindings-node/index.d.ts,
 * which napi-rs generates, onto the end of each declaration file wasm-bindgen wrote, so the
 * wasm classes' `unchecked_param_type = "LockOptions"` name them and one source describes both
 * packages. `Buffer` becomes `Uint8Array` (a Buffer is one; browsers have no Buffer).
 *
 *   node scripts/wasm-types.mjs NODE_INDEX_D_TS WASM_D_TS...
 */
import { appendFileSync, readFileSync } from 'node:fs'

const [source, ...targets] = process.argv.slice(2)
if (!source || targets.length === 0) {
  console.error('usage: wasm-types.mjs NODE_INDEX_D_TS WASM_D_TS...')
  process.exit(2)
}

/** The declarations to share: each with the doc comment right above it. */
function shared (lines) {
  const out = []
  let comment = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (line.startsWith('/**')) {
      comment = []
      for (; i < lines.length; i++) {
        comment.push(lines[i])
        if (lines[i].includes('*/')) break
      }
      continue
    }
    if (line.startsWith('export type ')) {
      out.push(...comment, line, '')
    } else if (line.startsWith('export interface ')) {
      const block = [line]
      while (i < lines.length - 1 && lines[i] !== '}') block.push(lines[++i])
      out.push(...comment, ...block, '')
    }
    if (line.trim() !== '') comment = []
  }
  return out
}

const declarations = shared(readFileSync(source, 'utf8').split('\n')).join('\n').replace(/\bBuffer\b/g, 'Uint8Array')
const banner = `\n// ---- Options and results: the Node package's declarations (scripts/wasm-types.mjs) ----\n\n`
for (const target of targets) appendFileSync(target, banner + declarations)
