#!/usr/bin/env node
/**
 * The Node package's JavaScript forms (bindings-node/lib/*.js: error classes, disposable
 * acquisitions, withLock, iterators …) as ES modules for the WebAssembly package, so both
 * packages run one source: each CommonJS file is wrapped as a module whose default export is
 * its `module.exports`, its relative `require`s turned into imports of the sibling wrappers.
 * Anything else a file requires is refused (the shared files must stay free of Node). Each
 * module also exports its `module.exports` fields by name (learnt by loading the file here).
 *
 *   node scripts/esm-from-cjs.mjs OUT_DIR FILE.js...
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { createRequire } from 'node:module'

const [out, ...files] = process.argv.slice(2)
if (!out || files.length === 0) {
  console.error('usage: esm-from-cjs.mjs OUT_DIR FILE.js...')
  process.exit(2)
}
mkdirSync(out, { recursive: true })
const load = createRequire(import.meta.url)
const shared = new Set(files.map((f) => `./${basename(f)}`))

for (const file of files) {
  const source = readFileSync(file, 'utf8')
  const required = [...new Set([...source.matchAll(/require\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]))]
  const foreign = required.filter((id) => !shared.has(id))
  if (foreign.length) {
    console.error(`${file} requires ${foreign.join(', ')}, which the WebAssembly package does not share`)
    process.exit(1)
  }
  const imports = required.map((id, i) => `import dep${i} from '${id.replace(/\.js$/, '.mjs')}'`)
  const table = required.map((id, i) => `${JSON.stringify(id)}: dep${i}`).join(', ')
  const module = [
    `// Generated from ${file} by scripts/esm-from-cjs.mjs; edit that file, not this one.`,
    ...imports,
    `const deps = { ${table} }`,
    'const module = { exports: {} }',
    ';(function (require, module, exports) {',
    source,
    '})((id) => deps[id], module, module.exports)',
    'export default module.exports',
    `export const { ${Object.keys(load(resolve(file))).join(', ')} } = module.exports`,
    ''
  ].join('\n')
  writeFileSync(join(out, basename(file).replace(/\.js$/, '.mjs')), module)
}
