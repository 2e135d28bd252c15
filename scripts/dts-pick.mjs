#!/usr/bin/env node
/**
 * Result types of the Node package's declarations (bindings-node/types/header.d.ts) for the
 * WebAssembly package, so both packages declare each result once: prints the named
 * `export interface` blocks of a .d.ts, each with the doc comment above it. A name that is not
 * there is an error (a renamed interface must not silently vanish from the other package).
 *
 *   node scripts/dts-pick.mjs FILE.d.ts NAME... > OUT.d.ts
 */
import { readFileSync } from 'node:fs'

const [file, ...names] = process.argv.slice(2)
if (!file || names.length === 0) {
  console.error('usage: dts-pick.mjs FILE.d.ts NAME...')
  process.exit(2)
}
const lines = readFileSync(file, 'utf8').split('\n')
const out = [`// Picked from ${file} by scripts/dts-pick.mjs; edit that file, not this one.`]
for (const name of names) {
  const start = lines.findIndex((l) => l.startsWith(`export interface ${name} `))
  const end = lines.findIndex((l, i) => i > start && l === '}')
  if (start < 0 || end < 0) {
    console.error(`${file} has no top-level "export interface ${name} { … }"`)
    process.exit(1)
  }
  let doc = start
  if (lines[doc - 1]?.trimEnd().endsWith('*/')) {
    while (doc > 0 && !lines[doc - 1].trimStart().startsWith('/**')) doc--
    doc--
  }
  out.push('', ...lines.slice(doc, end + 1))
}
console.log(out.join('\n'))
