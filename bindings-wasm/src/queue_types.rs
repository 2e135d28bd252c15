//! The TypeScript declarations of the queue's and the worker's options and results (the
//! classes themselves are declared by wasm-bindgen from `queue.rs` and `worker.rs`), with the
//! Node package's names and doc comments.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const QUEUE_TYPES: &str = r#"
/** Options of `client.queue(name, options)`; durations in milliseconds. */
export interface QueueOptions {
  /** Default lease (visibility timeout) of a reserve (default 30,000). */
  lease?: number
  /** How long completed jobs and their results are kept. */
  resultTtl?: number
  /** Key prefix. */
  prefix?: string
}
/** Options of one job (`enqueue`, `enqueueBulk`'s items, `addRepeatable`). */
export interface JobOptions {
  /** The job type (default `"default"`): which worker handler runs it. */
  jobType?: string
  /** A de-duplication id: enqueuing an existing id adds nothing. */
  id?: string
  /** Higher runs first (0..=65535, default 0). */
  priority?: number
  /** Run no earlier than this many ms from now. */
  delay?: number
  /** Run no earlier than this time (ms since the epoch: `Date.now() + …`, `+date`). */
  runAt?: number
  /** Attempts before the job is dead-lettered (default 3). */
  maxAttempts?: number
  /** Base retry delay in ms (default 1,000). */
  backoff?: number
  /** `"exponential"` (default) or `"fixed"`. */
  backoffKind?: string
  /** Random spread of retry delays, 0..=1 (default 0). */
  jitter?: number
}
/** One job of `enqueueBulk`: its data and a job's options, in one object. */
export interface BulkJob extends JobOptions {
  /** The job's data (JSON). */
  data?: unknown
}
/**
 * Options of `addRepeatable`: exactly one of `every` / `cron`, plus a job's options but its
 * `id`, `delay` and `runAt` (each run is a job of its own, created when due).
 */
export interface RepeatOptions extends Omit<JobOptions, 'id' | 'delay' | 'runAt'> {
  /** Run every this many ms (the first run one interval after adding). */
  every?: number
  /** Or on a five-field cron expression (UTC). */
  cron?: string
}
/** A reserved job as `ack`, `fail` and `heartbeat` name it: a `Job` (or anything with its `id` and `token`). */
export interface JobRef {
  id: string
  token: string
}
/** Options of `reserve` / `reserveMany`. */
export interface LeaseOptions {
  /** The lease in ms (default: the queue's). */
  lease?: number
}
/** Options of `heartbeat`. */
export interface HeartbeatOptions {
  /** The new lease in ms (default: the queue's). */
  lease?: number
  /** The lease token when the job is given by id. */
  token?: string
}
/** Options of `ack`. */
export interface AckOptions {
  /** The lease token when the job is given by id. */
  token?: string
}
/** Options of `fail`. */
export interface FailOptions {
  /** False: dead-letter at once instead of retrying (default true). */
  retry?: boolean
  /** The lease token when the job is given by id. */
  token?: string
}
/** The outcome of `queue.enqueue()`. */
export interface Enqueued {
  id: string
  /** False when a job with this id already existed (nothing was added). */
  added: boolean
}
/** A reserved job (and what a worker's handler receives). */
export interface Job {
  id: string
  jobType: string
  data: any
  /** Which attempt this is (1 for the first run). */
  attempts: number
  maxAttempts: number
  /** The lease token: proves this reservation in heartbeat, ack and fail. */
  token: string
  /** When the lease ends unless extended, ms since the epoch. */
  leaseDeadline: number
}
/** What `queue.reserveMany()` returned. */
export interface Reservation {
  jobs: Job[]
  /** Ms until the next delayed job, lease deadline or repeat falls due; null if none. */
  nextDueIn: number | null
  /** The server time of the reserve, ms since the epoch. */
  now: number
}
export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead'
/** The outcome of `queue.fail()`. */
export interface Failed {
  state: JobState
  /** When the retry is due (ms since the epoch); null when dead. */
  retryAt: number | null
}
/** What `queue.recoverStalled()` did. */
export interface Recovered {
  requeued: number
  dead: number
  promoted: number
}
/** Jobs per state. */
export interface Counts {
  waiting: number
  delayed: number
  active: number
  completed: number
  dead: number
  paused: boolean
  repeatable: number
}
/** A job as `queue.getJob()` sees it. */
export interface JobInfo {
  id: string
  state: JobState
  jobType: string
  data: any
  priority: number
  attempts: number
  maxAttempts: number
  error: string | null
  result: any
  createdAt: number
  finishedAt: number | null
  /** Delayed: when it is due; active: its lease deadline; completed: when its result expires. */
  dueAt: number | null
}
/** The outcome of `queue.addRepeatable()`. */
export interface Repeatable {
  name: string
  added: boolean
  /** Its first run, ms since the epoch. */
  nextRunAt: number
}
/** Options of `queue.worker(handler, options)`; durations in milliseconds. */
export interface WorkerOptions {
  /** Jobs run at once (default 1). */
  concurrency?: number
  /** Lease of each reserve (default: the queue's). */
  lease?: number
  /** How often a running job's lease is extended (default: a third of the lease). */
  heartbeat?: number
  /** Longest wait between reserves when the queue looks empty. */
  idleWait?: number
  /** How long `close()` waits for jobs in flight by default (default 30,000). */
  shutdownTimeout?: number
}
/** Options of `run`. */
export interface RunOptions {
  /** Stop after this many jobs were started (and finished). */
  maxJobs?: number
  /** Stop after this many ms (real time). */
  timeout?: number
}
/** A worker's counters. */
export interface WorkerStats {
  completed: number
  failed: number
  lost: number
  inFlight: number
}
/** How a worker's shutdown ended. */
export interface ShutdownReport {
  /** True when every job in flight finished in time. */
  drained: boolean
  /** Jobs still running when the time ran out (left to their leases). */
  abandoned: number
}
"#;
