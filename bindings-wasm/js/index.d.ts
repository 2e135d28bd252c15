/**
 * Types of redkit-wasm: the generated declarations of the WebAssembly module, plus what
 * js/surface.mjs adds: the rest-argument forms of raw commands and the Node package's
 * JavaScript forms of the patterns (iterators, disposables).
 */
import type { Arg, RedisReply, StreamEntry, StreamIterateOptions, Message } from '../pkg/web/redkit_wasm.js'

export * from '../pkg/web/redkit_wasm.js'
export { default } from '../pkg/web/redkit_wasm.js'

declare module '../pkg/web/redkit_wasm.js' {
  interface Client {
    /** Runs one command: `await client.execute('SET', 'k', 'v')`. */
    execute(...args: Arg[]): Promise<RedisReply>
    /** `execute` with bulk strings as `Uint8Array`s. */
    executeBuffer(...args: Arg[]): Promise<RedisReply<Uint8Array>>
  }
  // The Node package's stream.js and pubsub.js forms (shared, installed by js/surface.mjs).
  interface Stream {
    /** A bounded async iterator of entries: ends when a read finds nothing within `block` ms,
     * after `max` entries, or on `break`. */
    iterate(options?: StreamIterateOptions): AsyncGenerator<StreamEntry, void, undefined>
  }
  interface Subscription extends AsyncIterable<Message> {
    /** Messages until the subscription is closed, after `max`, or after `timeout` ms without one. */
    listen(options?: { timeout?: number; max?: number }): AsyncGenerator<Message, void, undefined>
    /** Closes the subscription (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Requester {
    /** Closes the requester (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
  interface Responder {
    /** Stops the responder (`await using`). */
    [Symbol.asyncDispose](): Promise<void>
  }
}
