'use strict'
/**
 * Makes the addon's exports speak JavaScript: every function, constructor and method throws or
 * rejects with redkit's error classes (see errors.js) instead of napi-rs's tagged errors. The
 * classes stay the addon's own (patched in place), so `instanceof` and the generated types hold.
 */

const { lift, liftReply } = require('./errors.js')
/**
 * The entry points that return a Promise, by class ('' for functions), generated from the
 * declarations (scripts/node-async-methods.mjs): napi-rs converts their arguments before the
 * Promise exists, so their synchronous throws become rejections here.
 */
const ASYNC = require('./async-methods.json')

/**
 * Methods taking rest arguments that the addon receives as one array, or, up to 4 of them, one
 * by one through `executeShort(buffers, n, a, b, c, d)` (napi reads a call's arguments at once,
 * an array's one element at a time).
 */
const REST = new Map([['execute', false], ['executeBuffer', true]])
/**
 * Raw commands: the addon returns the reply itself when the command ran right away (on a
 * simulator, see src/client.rs), else a Promise; their replies may hold error replies to lift.
 */
const RAW = new Set(['execute', 'executeBuffer', 'executeMany'])

function rethrow (e) { throw lift(e) }

/** A raw command's reply, ready to resolve: error replies inside arrays (EXEC, pipelines) lifted. */
function settle (reply) {
  return Promise.resolve(Array.isArray(reply) ? liftReply(reply) : reply)
}

/**
 * `executeMany`'s commands laid end to end for the addon's `executeLaidOut`: [all arguments,
 * a Uint32Array of each command's count], or undefined when they are not an array of arrays
 * (the addon's `executeMany` then reports what is wrong).
 */
function layOut (commands) {
  if (!Array.isArray(commands)) return undefined
  const lengths = new Uint32Array(commands.length)
  const args = []
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i]
    if (!Array.isArray(command)) return undefined
    lengths[i] = command.length
    for (let j = 0; j < command.length; j++) args.push(command[j])
  }
  return [args, lengths]
}

/**
 * How a raw command's wrapper hands `args` to the addon (`self` the client), by method: the
 * fast entries when the arguments fit them, else the method itself.
 */
function rawCall (fn, name, natives) {
  if (REST.has(name)) {
    const short = natives.executeShort
    const buffers = REST.get(name)
    if (!short) return (self, args) => fn.call(self, args)
    return (self, args) => args.length <= 4
      ? short.call(self, buffers, args.length, args[0], args[1], args[2], args[3])
      : fn.call(self, args)
  }
  const laidOut = natives.executeLaidOut
  if (name !== 'executeMany' || !laidOut) return (self, args) => fn.apply(self, args)
  return (self, args) => {
    const laid = layOut(args[0])
    return laid ? laidOut.call(self, laid[0], laid[1], args[1]) : fn.apply(self, args)
  }
}

/**
 * `fn` wrapped so that it throws (or, when `isAsync`, rejects with) redkit's error classes, and
 * a raw command's reply becomes a Promise.
 */
function guard (fn, name, natives = {}, isAsync = false) {
  let wrapped
  if (RAW.has(name)) {
    const call = rawCall(fn, name, natives)
    wrapped = function (...args) {
      let result
      try {
        result = call(this, args)
      } catch (e) {
        return Promise.reject(lift(e))
      }
      return result instanceof Promise ? result.then(liftReply, rethrow) : settle(result)
    }
  } else {
    wrapped = function (...args) {
      let result
      try {
        result = fn.apply(this, args)
      } catch (e) {
        if (isAsync) return Promise.reject(lift(e))
        throw lift(e)
      }
      if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
        return result.catch(rethrow)
      }
      return result
    }
  }
  Object.defineProperty(wrapped, 'name', { value: name })
  return wrapped
}

/** Guards `target`'s own methods; `asyncNames` those declared to return a Promise. */
function patchMethods (target, asyncNames = new Set()) {
  const names = Object.getOwnPropertyNames(target).filter((n) => n !== 'constructor' && n !== 'prototype')
  // The addon's own functions, read before any is patched (a guard may call another's original).
  const natives = Object.fromEntries(names.map((n) => [n, Object.getOwnPropertyDescriptor(target, n).value]))
  for (const name of names) {
    const d = Object.getOwnPropertyDescriptor(target, name)
    if (typeof d.value === 'function') Object.defineProperty(target, name, { ...d, value: guard(d.value, name, natives, asyncNames.has(name)) })
  }
}

/** The addon's exports with every entry point guarded. */
function adopt (native) {
  const out = {}
  for (const [name, value] of Object.entries(native)) {
    if (typeof value !== 'function') {
      out[name] = value
    } else if (value.prototype && Object.getOwnPropertyNames(value.prototype).length > 1) {
      patchMethods(value.prototype, new Set(ASYNC[name]))
      patchMethods(value)
      out[name] = new Proxy(value, {
        construct (target, args, newTarget) {
          try {
            return Reflect.construct(target, args, newTarget === out[name] ? target : newTarget)
          } catch (e) {
            throw lift(e)
          }
        }
      })
    } else {
      out[name] = guard(value, name, {}, ASYNC[''].includes(name))
    }
  }
  return out
}

module.exports = { adopt }
