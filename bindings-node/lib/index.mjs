/** redkit for Node.js as an ES module: the same exports as the CommonJS entry (./index.js). */
import { createRequire } from 'node:module'

const redkit = createRequire(import.meta.url)('./index.js')

export const {
  Simulator, Client, connect, connectCluster,
  Lock, Semaphore, Redlock, Limiter, Leaderboard, Geo, Stream, PubSub, Subscription, Requester, Responder,
  RedkitError, ResponseError, ConnectionError, TimeoutError, LockNotOwnedError, InvalidArgumentError,
  SerializationError, ProtocolError, StorageError, NotFoundError,
  redlock, LimiterSet,
  Cache, Drainer, SessionStore,
  Queue, Worker, Cron
} = redkit
export default redkit
