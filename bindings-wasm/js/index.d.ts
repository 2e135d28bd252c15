/**
 * Types of redkit-wasm: the generated declarations of the WebAssembly module — with the Node
 * package's option, result and JavaScript-form declarations appended by scripts/wasm-types.mjs
 * (`withLock`, iterators, `wrap` …) — the error classes, and the rest-argument forms of raw
 * commands that js/surface.mjs adds.
 */
import type { Arg, RedisReply } from '../pkg/web/redkit_wasm.js'

export * from '../pkg/web/redkit_wasm.js'
export { default } from '../pkg/web/redkit_wasm.js'
export * from '../pkg/lib/errors.mjs'

declare module '../pkg/web/redkit_wasm.js' {
  interface Client {
    /** Runs one command: `await client.execute('SET', 'k', 'v')`. */
    execute(...args: Arg[]): Promise<RedisReply>
    /** `execute` with bulk strings as `Uint8Array`s. */
    executeBuffer(...args: Arg[]): Promise<RedisReply<Uint8Array>>
  }
  interface Worker {
    /** `await using worker = queue.worker(fn)`: closes it gracefully at scope end. */
    [Symbol.asyncDispose](): Promise<void>
  }
}
