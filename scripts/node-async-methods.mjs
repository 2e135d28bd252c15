#!/usr/bin/env node
/**
 * Lists the addon's asynchronous entry points — every function and class method whose generated
 * declaration (bindings-node/index.d.ts) returns a Promise — into bindings-node/lib/async-methods.json.
 *
 * Why: napi-rs converts an `async fn`'s arguments before its Promise exists, so a wrong argument
 * throws synchronously; a Promise-returning function must reject instead (a `.catch()` chain
 * would miss a throw). `lib/adopt.js` turns those throws into rejections for exactly the names
 * listed here; scripts/node-env.sh regenerates the list with the declarations and CI checks both
 * are current. Also imported by the tests (`asyncEntryPoints`).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * The Promise-returning entry points in a napi-rs declaration file: `{ owner, name, params }`
 * with `owner` the class name ('' for a top-level function) and `params` its parameter list as
 * declared. napi-rs writes each signature on one line.
 */
export function asyncEntryPoints (dts) {
  const out = []
  let owner = null
  for (const line of dts.split('\n')) {
    const cls = /^export declare class (\w+)/.exec(line)
    if (cls) { owner = cls[1]; continue }
    if (line.startsWith('}')) { owner = null; continue }
    const fn = owner === null
      ? /^export declare function (\w+)\((.*)\): Promise</.exec(line)
      : /^ {2}(\w+)\((.*)\): Promise</.exec(line)
    if (fn) out.push({ owner: owner ?? '', name: fn[1], params: fn[2] })
  }
  return out
}

/** `{ owner: [names] }`, owners and names sorted: the file adopt.js reads. */
export function asyncMethodTable (dts) {
  const table = {}
  for (const { owner, name } of asyncEntryPoints(dts)) (table[owner] ??= []).push(name)
  return Object.fromEntries(Object.keys(table).sort().map((k) => [k, [...new Set(table[k])].sort()]))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL('../bindings-node/', import.meta.url)
  const table = asyncMethodTable(readFileSync(new URL('index.d.ts', root), 'utf8'))
  writeFileSync(new URL('lib/async-methods.json', root), JSON.stringify(table, null, 2) + '\n')
}
