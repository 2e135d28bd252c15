/**
 * The playground's scenes in the order the page offers them. Each is `{ id, title, tagline,
 * requires, params, run(redkit, params) }`: `run` takes the redkit module (the Node package or
 * redkit-wasm, one API) and resolves to plain data — `{ scene, params, duration, counts,
 * checks, … }` — that the page draws and the tests assert on.
 */
import { limiters } from './limiters.mjs'
import { lock } from './lock.mjs'
import { queue } from './queue.mjs'
import { cache } from './cache.mjs'
import { missingFactories } from './support.mjs'

export const SCENES = [limiters, lock, queue, cache]

/** A scene by id (a RangeError naming the ids for an unknown one). */
export function sceneById (id) {
  const scene = SCENES.find((s) => s.id === id)
  if (!scene) throw new RangeError(`no scene ${id}: pick one of ${SCENES.map((s) => s.id).join(', ')}`)
  return scene
}

/** What `redkit` lacks for `scene`: `client.<factory>` names (empty when it can run). */
export function missingFor (redkit, scene) {
  return missingFactories(redkit, scene.requires)
}
