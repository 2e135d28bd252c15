/**
 * Runs one scenario's steps on a World — a simulator with a manual clock or a real redis-server —
 * through a JavaScript package of redkit (the Node addon or the WebAssembly build). Every step is
 * bounded by STEP_LIMIT_MS of real time, so a call waiting on the manual clock with no `advance`
 * to free it fails the scenario as hung instead of hanging the suite. Nothing here needs Node:
 * the browser test runs scenarios in a page with it (`load.mjs` reads the files in Node).
 */
import { Mismatch, MISSING, check, field, substitute } from './matcher.mjs'
import { construct } from './adapters.mjs'

/** `ms` of real time. */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Where the manual clock starts (2023-11-14), as in the Rust runner. */
export const T0 = 1_700_000_000_000
/** Real-time bound on any one step. */
export const STEP_LIMIT_MS = 10_000
/** The database, and the key, of `World.sleep`'s wait on the simulator. */
const SLEEP_DB = 15
const SLEEP_KEY = 'scenario:sleep'

/** The scenarios of one parsed scenario file `doc` named `file`: `{ file, name, backends, steps, kinds }`. */
export function scenarios (file, doc) {
  return doc.scenarios.map((sc) => ({
    file,
    name: sc.name,
    backends: sc.backends ?? ['sim', 'redis'],
    steps: sc.steps,
    kinds: new Set(sc.steps.filter((s) => 'new' in s).map((s) => s.new))
  }))
}

/** `promise`, or a Mismatch once STEP_LIMIT_MS has passed. */
async function bounded (promise, what) {
  let timer
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Mismatch(`hung: ${what} did not finish within ${STEP_LIMIT_MS / 1000} s (a wait on the manual clock with no advance?)`)), STEP_LIMIT_MS)
  })
  try {
    return await Promise.race([promise, limit])
  } finally {
    clearTimeout(timer)
  }
}

/** Where a scenario runs: its clients and its time. */
export class World {
  constructor (redkit, { sim = null, redisUrl = null }) {
    this.redkit = redkit
    this.sim = sim
    this.redisUrl = redisUrl
    this.clients = new Map()
    this.dead = null
  }

  /** The scenario's client (db 0) or `other(db)`: an independent database. */
  async client (db = 0) {
    if (!this.clients.has(db)) {
      this.clients.set(db, this.sim ? this.sim.client(db) : await this.redkit.connect(`${this.redisUrl}/${db}`))
    }
    return this.clients.get(db)
  }

  /** A client whose every call fails with a connection error: one of a simulator refusing
   * connections, on the scenario's clock (`advance` moves it too). */
  unreachable () {
    if (!this.dead) {
      this.dead = new this.redkit.Simulator(this.sim ? { manualClock: true, start: this.sim.now() } : {})
      this.dead.refuseConnections(true)
    }
    return this.dead.client()
  }

  /** Waits `ms` of backend time: on the simulator a BLPOP on a key nobody pushes to, on its
   * own client (database 15, so it holds up nothing else), parked on the manual clock until an
   * `advance` ends it; on a real server real time (setTimeout may fire a millisecond early, and
   * the server must see the full wait). */
  async sleep (ms) {
    if (ms < 1) return
    if (this.sim) {
      const sleeper = await this.client(SLEEP_DB)
      await sleeper.execute('BLPOP', SLEEP_KEY, (ms / 1000).toFixed(3))
    } else {
      await sleep(ms + 3)
    }
  }

  async advance (ms) {
    if (this.sim) {
      this.sim.advance(ms)
      this.dead?.advance(ms)
      await sleep(2) // let tasks woken by the advance run
    } else {
      await sleep(ms)
    }
  }

  /** Lets a spawned call reach its wait: on a manual clock until it is parked on the simulator
   * or settled (at most 1 s); on real time a short pause. */
  async settle (state, parkedBefore) {
    await sleep(5)
    if (!this.sim) return
    const deadline = Date.now() + 1000
    while (!state.done && this.sim.parked() <= parkedBefore && Date.now() < deadline) await sleep(1)
  }
}

/** `[true, value]` or `[false, [kind, message]]` for a redkit error; anything else throws. */
async function outcome (promise, what) {
  try {
    return [true, await bounded(promise, what)]
  } catch (e) {
    if (e instanceof Mismatch || typeof e?.kind !== 'string') throw e
    return [false, [e.kind, e.message]]
  }
}

function verify (step, [ok, value], saved) {
  if (step.error !== undefined) {
    if (ok) throw new Mismatch(`expected error ${step.error}, got ${JSON.stringify(value)}`)
    const [kind, message] = value
    if (kind !== step.error) throw new Mismatch(`expected error ${step.error}, got ${kind}: ${message}`)
    if (step.message !== undefined && !message.includes(step.message)) {
      throw new Mismatch(`error message ${JSON.stringify(message)} does not contain ${JSON.stringify(step.message)}`)
    }
    return
  }
  if (!ok) throw new Mismatch(`unexpected error ${value[0]}: ${value[1]}`)
  if ('expect' in step) check(substitute(step.expect, saved), value)
  if (typeof step.save === 'string') {
    saved[step.save] = value
  } else if (step.save) {
    for (const [name, path] of Object.entries(step.save)) {
      const part = field(value, path)
      if (part === MISSING) throw new Mismatch(`save: result has no ${path}: ${JSON.stringify(value)}`)
      saved[name] = part
    }
  }
}

/** Runs one scenario's steps in order; the first failing step fails it. */
export async function run (sc, world) {
  const objects = new Map()
  const spawned = new Map()
  const saved = {}
  try {
    for (const [i, step] of sc.steps.entries()) {
      try {
        await runStep(step, world, objects, spawned, saved)
      } catch (e) {
        if (e instanceof Mismatch) e.message = `step ${i + 1} ${JSON.stringify(step)}: ${e.message}`
        throw e
      }
    }
  } finally {
    for (const obj of objects.values()) await obj.close?.().catch(() => {})
  }
  if (spawned.size) throw new Mismatch(`spawned call ${[...spawned.keys()][0]} was never awaited`)
}

async function runStep (step, world, objects, spawned, saved) {
  const args = substitute(step.args ?? {}, saved)
  if ('new' in step) {
    const made = await outcome(construct(step.new, args, world), `new ${step.new}`)
    if (made[0]) objects.set(step.as, made[1])
    else verify(step, made, saved)
  } else if ('advance' in step) {
    await world.advance(step.advance)
  } else if ('await' in step) {
    const started = spawned.get(step.await)
    if (!started) throw new Mismatch(`nothing spawned as ${step.await}`)
    spawned.delete(step.await)
    verify(step, await outcome(started.promise, 'the spawned call'), saved)
  } else if ('cmd' in step) {
    const argv = substitute(step.cmd, saved).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)))
    const client = await world.client()
    verify(step, await outcome(client.execute(...argv), step.cmd[0]), saved)
  } else if ('call' in step) {
    const [name, method] = step.call.split('.')
    const obj = objects.get(name)
    if (!obj) throw new Mismatch(`no object named ${name}`)
    if ('spawn' in step) {
      const before = world.sim ? world.sim.parked() : 0
      const state = { done: false }
      const promise = obj.call(method, args)
      promise.then(() => { state.done = true }, () => { state.done = true })
      await world.settle(state, before)
      spawned.set(step.spawn, { promise })
    } else {
      verify(step, await outcome(obj.call(method, args), step.call), saved)
    }
  } else {
    throw new Mismatch('unknown step')
  }
}
