/**
 * A typed program against the public types of the `redkit` package: `make test` runs
 * `tsc --noEmit` over it, so a wrong or missing declaration fails the build. Lines marked
 * `@ts-expect-error` must stay errors: they prove the types refuse what the addon refuses.
 */
import {
  Acquisition, Client, ConnectionError, InvalidArgumentError, Lock, LockNotOwnedError, RedisReply, RedkitError, Release,
  ResponseError, Simulator, connect
} from 'redkit'

async function locks (client: Client): Promise<number | null> {
  const lock: Lock = client.lock('report', { ttl: 30_000, blockingTimeout: 5000, reentrant: true, watchdog: false })
  {
    await using held = await lock.acquire()
    const fence: number | null = held.fence
    console.log(fence, held.count, held.ttl, lock.lost, lock.name, lock.token)
  }
  const tried: Acquisition = await lock.tryAcquire()
  const released: Release = await lock.release()
  const ttl: number | null = await lock.ttl()
  await lock.extend(1000).catch((e: unknown) => e instanceof LockNotOwnedError)
  const owned: boolean = (await lock.isOwned()) && (await lock.isLocked())
  console.log(tried.acquired, released.released, owned, ttl)
  // @ts-expect-error withLock's work gets the acquisition, not a string
  await lock.withLock((held: string) => held)
  return lock.withLock(async (held) => held.fence, 1000)
}

async function main (): Promise<void> {
  const sim: Simulator = new Simulator({ manualClock: true, start: Date.now() })
  sim.advance(1000)
  const now: number = sim.now()
  const manual: boolean = sim.manualClock
  const client: Client = sim.client(0)
  const reply: RedisReply = await client.execute('SET', 'k', 'v', 'PX', 1000)
  const raw: RedisReply<Buffer> = await client.executeBuffer('GET', Buffer.from('k'))
  const many: Array<RedisReply | Error> = await client.executeMany([['INCR', 'n'], ['GET', 'n']], { transaction: true })
  const snap: Buffer = sim.snapshot()
  sim.restore(snap)
  sim.failNext(1, 'ERR boom')
  sim.refuseConnections(false)
  sim.setLatency(0)
  sim.heal()
  const parked: number = sim.parked()
  const name: string = client.backendName
  const behind: Simulator | null = client.simulator
  const remote: Client = await connect('redis://127.0.0.1:6379', { connectTimeout: 200, callTimeout: 1000, retries: 1 })
  try {
    await remote.execute('PING')
  } catch (e) {
    if (e instanceof ResponseError || e instanceof ConnectionError || e instanceof InvalidArgumentError) {
      const kind: string = e.kind
      const code: string = e.code
      const base: RedkitError = e
      console.log(kind, code, base.message)
    }
  }
  console.log(now, manual, reply, raw, many, parked, name, behind)

  // @ts-expect-error a command argument is a string, Buffer or number
  await client.execute('SET', 'k', { v: 1 })
  // @ts-expect-error advance takes milliseconds as a number
  sim.advance('1s')
  // @ts-expect-error options are typed
  new Simulator({ manual: true })
  // @ts-expect-error connect needs a URL
  await connect()
}

void main
void locks

async function streams (client: Client): Promise<number> {
  const s: import('redkit').Stream = client.stream('orders', { maxLen: 1000, approx: true, deadLetterMaxLen: 100 })
  const id: string = await s.add({ sku: 'a', qty: 2, raw: Buffer.from('x') }, { minId: '0-1' })
  await s.addJson({ type: 'created' })
  const entries: import('redkit').StreamEntry[] = await s.range('-', '+', 10)
  const fields: Record<string, string> = entries[0].fields
  const event = entries[0].json<{ type: string }>()
  await s.createGroup('g', '0')
  const read = await s.readGroup('g', 'c', 10, 1000)
  const acked: number = await s.ack('g', read.map((e) => e.id)) + await s.ack('g', read)
  const pending: import('redkit').PendingSummary = await s.pending('g')
  const idle: number = (await s.pendingEntries('g', 10, { minIdle: 100 }))[0].idle
  const claimed: import('redkit').Claimed = await s.claimIdle('g', 'c2', 60_000)
  const dead: import('redkit').DeadLettered = await s.deadLetter('g', 3, { minIdle: 1000 })
  const lag: number | null = (await s.groups())[0].lag
  for await (const e of s.iterate({ group: 'g', consumer: 'c', block: 100, max: 10, ack: true })) console.log(e.id)
  console.log(id, fields, event.type, acked, pending.firstId, idle, claimed.next, dead.moved, lag)
  // @ts-expect-error field values are strings, numbers or Buffers
  await s.add({ nested: { a: 1 } })
  // @ts-expect-error iterate options are typed
  s.iterate({ grp: 'g' })
  return s.len()
}

async function pubsub (client: Client): Promise<void> {
  const ps: import('redkit').PubSub = client.pubsub({ prefix: 'app' })
  const count: number = await ps.publish('news', Buffer.from('x'))
  await ps.publishJson('news', { a: 1 })
  await using sub = await ps.subscribe(['news', 'sport'])
  await sub.psubscribe('news.*')
  const m: import('redkit').Message | null = await sub.nextMessage(1000)
  if (m !== null) {
    const payload: Buffer = m.payload
    const pattern: string | null = m.pattern
    console.log(payload, pattern, m.text(), m.json<{ a: number }>().a)
  }
  for await (const msg of sub) console.log(msg.channel)
  for await (const msg of sub.listen({ timeout: 100, max: 5 })) console.log(msg.channel)
  await using requester = await ps.requester('svc')
  const answer: unknown = await requester.request({ q: 1 }, 1000)
  const direct: unknown = await ps.request('svc', [1, 2], 1000)
  console.log(count, answer, direct, requester.replyChannel, sub.closed)
  // @ts-expect-error a channel is a string or an array of strings
  await ps.subscribe(7)
  // @ts-expect-error a request needs a timeout
  await ps.request('svc', 1)
}

void streams
void pubsub
