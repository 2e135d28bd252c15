/**
 * Maps the scenario files' object kinds (`"new": "lock"`, snake_case arguments, durations in
 * ms) to the Node API. An adapter is `{ call(method, args) → Promise, close?() }`. Kinds land
 * here as their classes land in the addon; KINDS says which the runner can drive.
 */
import { Mismatch } from './matcher.mjs'

/** kind → async (args, world) => adapter */
const FACTORIES = new Map()

/** The kinds this runner can construct. */
export const KINDS = new Set(FACTORIES.keys())

/** A new adapter of `kind` (rejects with Mismatch for a kind with no adapter yet). */
export async function construct (kind, args, world) {
  const make = FACTORIES.get(kind)
  if (!make) throw new Mismatch(`no Node adapter for ${kind}`)
  return make(args, world)
}
