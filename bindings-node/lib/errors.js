'use strict'
/**
 * redkit's error classes: `RedkitError` and one subclass per core error kind, each with `kind`
 * (the scenario files' snake_case name) and `code` (`ERR_REDKIT_<KIND>`). The addon tags a core
 * error's message with its kind (`[redkit:reply] ERR …`, see src/errors.rs); `lift` turns such an
 * error into its class, and napi-rs's own argument-type failures into `TypeError`.
 */

class RedkitError extends Error {
  constructor (message, kind = 'redkit') {
    super(message)
    this.name = new.target.name
    this.kind = kind
    this.code = `ERR_REDKIT_${kind.toUpperCase()}`
  }
}

/** [class name, core kind] for every kind the core has. */
const KINDS = [
  ['ResponseError', 'reply'],
  ['ConnectionError', 'connection'],
  ['TimeoutError', 'timeout'],
  ['LockNotOwnedError', 'lock_not_owned'],
  ['InvalidArgumentError', 'invalid_argument'],
  ['SerializationError', 'serialization'],
  ['ProtocolError', 'protocol'],
  ['StorageError', 'io'],
  ['NotFoundError', 'not_found']
]

const classes = { RedkitError }
const byKind = new Map()
for (const [name, kind] of KINDS) {
  // A named class per kind, so stack traces and `err.name` say which.
  const cls = { [name]: class extends RedkitError { constructor (message) { super(message, kind) } } }[name]
  classes[name] = cls
  byKind.set(kind, cls)
}

/** napi-rs's codes for an argument of the wrong JavaScript type. */
const TYPE_CODES = new Set(['InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected', 'ArrayBufferExpected'])

const TAG = /^\[redkit:([a-z_]+)\] ([\s\S]*)$/

/** A new error of the core's `kind` (`lock_not_owned` …): its class, or a RedkitError. */
function ofKind (kind, message) {
  const cls = byKind.get(kind)
  return cls ? new cls(message) : new RedkitError(message, kind)
}

/** The error to throw for `e` thrown or rejected by the addon. */
function lift (e) {
  if (!(e instanceof Error) || e instanceof RedkitError) return e
  const tagged = TAG.exec(e.message)
  if (tagged) {
    const lifted = ofKind(tagged[1], tagged[2])
    if (e.stack) lifted.stack = `${lifted.name}: ${tagged[2]}\n${e.stack.split('\n').slice(1).join('\n')}`
    return lifted
  }
  if (TYPE_CODES.has(e.code)) {
    const t = new TypeError(e.message)
    t.code = 'ERR_INVALID_ARG_TYPE'
    return t
  }
  return e
}

/** `lift` applied to error objects inside a raw reply (EXEC, pipelines). */
function liftReply (reply) {
  if (Array.isArray(reply)) {
    for (let i = 0; i < reply.length; i++) reply[i] = liftReply(reply[i])
    return reply
  }
  return reply instanceof Error ? lift(reply) : reply
}

module.exports = { ...classes, ofKind, lift, liftReply }
