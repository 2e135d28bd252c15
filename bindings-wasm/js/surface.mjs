/**
 * What the wasm-bindgen exports need to speak like the Node package: `execute(...args)` and
 * `executeBuffer(...args)` taking rest arguments (wasm-bindgen exports take an array), added
 * to the generated `Client` class. Both entry points (web.mjs for browsers and edge runtimes,
 * node.mjs for Node) hand their generated module here and export what comes back.
 */

/** The generated module's exports with the JavaScript forms added. */
export function surface (native) {
  const { Client, Simulator } = native
  Object.defineProperties(Client.prototype, {
    execute: { value: function execute (...args) { return this.executeArgs(args) }, writable: true, configurable: true },
    executeBuffer: { value: function executeBuffer (...args) { return this.executeBufferArgs(args) }, writable: true, configurable: true }
  })
  return { Client, Simulator }
}
