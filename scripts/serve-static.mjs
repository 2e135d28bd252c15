#!/usr/bin/env node
/**
 * A small read-only static file server on 127.0.0.1, shared by `make demo` (the playground)
 * and the browser tests (tests/wasm): it serves only files under the given folders of `root`
 * (a folder path ending in `/` serves its index.html), plus any extra routes the caller adds,
 * with the content types a page with ES modules and WebAssembly needs. Nothing else is read.
 *
 * As a module: `const site = await serveStatic({ root, allow: ['www/', 'js/'] })`, then
 * `site.url('www/')` and `await site.close()`.
 *
 * As a command (what `make demo` runs):
 *   node scripts/serve-static.mjs --root bindings-wasm --allow www/,js/,pkg/web/ --open www/ \
 *     [--port N (0: a free one)] [--seconds S (stop after S s; default: until Ctrl-C)]
 * prints the URL of `--open` and serves until stopped.
 */
import { createServer } from 'node:http'
import { once } from 'node:events'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8'
}

/**
 * Serves `allow`ed folders of `root` (paths relative to it, each ending in `/`) on
 * `host`:`port` (0: a free port). `routes` maps an exact path (no leading `/`) to
 * `(req, res) => void` for what is not a file. `/` redirects to `home` when given.
 */
export async function serveStatic ({ root, allow, routes = {}, home = null, host = '127.0.0.1', port = 0 }) {
  if (host !== '127.0.0.1') throw new RangeError(`serveStatic listens on 127.0.0.1 only, not ${host}`)
  const base = resolve(root)
  const server = createServer((req, res) => {
    answer(base, allow, routes, home, req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(String(e?.message ?? e))
    })
  })
  server.listen(port, host)
  await once(server, 'listening')
  const origin = `http://${host}:${server.address().port}`
  return {
    server,
    port: server.address().port,
    /** The full URL of `path` (relative to the root). */
    url: (path = '') => `${origin}/${path.replace(/^\/+/, '')}`,
    close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()) })
  }
}

async function answer (base, allow, routes, home, req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return res.writeHead(405, { allow: 'GET, HEAD' }).end()
  const pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname)
  let path = normalize(pathname).replace(/^\/+/, '')
  if (path === '' && home) return res.writeHead(302, { location: `/${home}` }).end()
  if (routes[path]) return routes[path](req, res)
  if (path.endsWith('/') || path === '') path += 'index.html'
  const file = join(base, path)
  const inside = file.startsWith(base + '/') && allow.some((dir) => path.startsWith(dir))
  const info = inside ? await stat(file).catch(() => null) : null
  if (!info?.isFile()) return res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: /${path}`)
  res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
  res.end(req.method === 'HEAD' ? undefined : await readFile(file))
}

/** `--name value` pairs of `argv`, checked against what the command knows. */
function parseArgs (argv) {
  const known = new Set(['root', 'allow', 'open', 'port', 'seconds'])
  const out = {}
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]?.replace(/^--/, '')
    if (!known.has(name) || argv[i + 1] === undefined) throw new RangeError(`usage: serve-static.mjs --root DIR --allow a/,b/ [--open PATH] [--port N] [--seconds S]; bad argument ${argv[i]}`)
    out[name] = argv[i + 1]
  }
  return out
}

/** A whole number from `text` within [min, max], or a RangeError naming `what`. */
function wholeNumber (text, what, min, max) {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw new RangeError(`${what} must be a whole number from ${min} to ${max}, not ${text}`)
  return n
}

async function main () {
  const args = parseArgs(process.argv.slice(2))
  if (!args.root || !args.allow) throw new RangeError('serve-static.mjs needs --root and --allow')
  const port = wholeNumber(args.port || '0', '--port', 0, 65535)
  const seconds = args.seconds ? wholeNumber(args.seconds, '--seconds', 1, 86400) : null
  const site = await serveStatic({ root: args.root, allow: args.allow.split(','), home: args.open ?? null, port })
  console.log(`playground: ${site.url(args.open ?? '')}  (serving ${args.root} on 127.0.0.1; ${seconds ? `for ${seconds} s` : 'Ctrl-C to stop'})`)
  const stop = async () => { await site.close(); process.exit(0) }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  if (seconds) setTimeout(stop, seconds * 1000)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`serve-static: ${e.message}`)
    process.exit(2)
  })
}
