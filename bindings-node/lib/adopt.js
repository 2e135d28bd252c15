'use strict'
/**
 * Makes the addon's exports speak JavaScript: every function, constructor and method throws or
 * rejects with redkit's error classes (see errors.js) instead of napi-rs's tagged errors. The
 * classes stay the addon's own (patched in place), so `instanceof` and the generated types hold.
 */

const { lift, liftReply } = require('./errors.js')

/** Methods taking rest arguments that the addon receives as one array. */
const REST = new Set(['execute', 'executeBuffer'])
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

function guard (fn, name) {
  let wrapped
  if (RAW.has(name)) {
    wrapped = REST.has(name)
      ? function (...args) {
        let result
        try {
          result = fn.call(this, args)
        } catch (e) {
          throw lift(e)
        }
        return result instanceof Promise ? result.then(liftReply, rethrow) : settle(result)
      }
      : function (...args) {
        let result
        try {
          result = fn.apply(this, args)
        } catch (e) {
          throw lift(e)
        }
        return result instanceof Promise ? result.then(liftReply, rethrow) : settle(result)
      }
  } else {
    wrapped = function (...args) {
      let result
      try {
        result = fn.apply(this, args)
      } catch (e) {
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

function patchMethods (target) {
  for (const name of Object.getOwnPropertyNames(target)) {
    if (name === 'constructor' || name === 'prototype') continue
    const d = Object.getOwnPropertyDescriptor(target, name)
    if (typeof d.value === 'function') Object.defineProperty(target, name, { ...d, value: guard(d.value, name) })
  }
}

/** The addon's exports with every entry point guarded. */
function adopt (native) {
  const out = {}
  for (const [name, value] of Object.entries(native)) {
    if (typeof value !== 'function') {
      out[name] = value
    } else if (value.prototype && Object.getOwnPropertyNames(value.prototype).length > 1) {
      patchMethods(value.prototype)
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
      out[name] = guard(value, name)
    }
  }
  return out
}

module.exports = { adopt }
