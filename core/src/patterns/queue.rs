//! A reliable job queue: at-least-once delivery, nothing lost when a worker dies.
//!
//! Jobs carry a type name and JSON data. They are enqueued with a priority (higher runs first,
//! FIFO within a priority), an optional delay or run-at time, a maximum number of attempts and
//! a backoff (fixed or exponential, with jitter), and an optional id that de-duplicates them.
//! A consumer *reserves* a job with a lease (a visibility timeout) and gets a lease token;
//! heartbeats extend the lease; ack completes the job and keeps its result for a TTL; fail
//! retries it after its backoff or, out of attempts, dead-letters it; dead letters can be
//! requeued. A job whose lease expires (its worker crashed or hung) returns to the queue by
//! itself: every reserve first recovers expired leases, promotes due delayed jobs and fires due
//! repeatable jobs, so no separate reaper process is needed ([`Queue::recover_stalled`] does it
//! on demand). Repeatable jobs run every N ms or on a [`Cron`] schedule. [`crate::patterns::worker`]
//! runs handlers with concurrency, heartbeats and graceful shutdown on top of this.
//!
//! Anchors: BullMQ (priorities, delays, retries with backoff, stalled-job recovery, repeatable
//! jobs, de-duplication), RQ (enqueue_in/at, failed registry), Sidekiq (whose plain BRPOP loses
//! in-flight jobs on a crash; here the lease makes delivery reliable), arq.
//!
//! Every operation is one script call (one round trip), except a reserve that fires cron
//! repeats: it then sends one more call per fired cron to store its next fire time, which is
//! computed in Rust (scripts stay small and deterministic). A busy consumer acks a job and
//! reserves the next in the same call ([`Queue::ack_and_reserve`], as the worker does), so it
//! pays one round trip per job.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::queue::{JobOptions, Queue, QueueOptions};
//! use redkit::sim::{Clock, Simulator};
//! use std::sync::Arc;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::with_clock(Clock::manual(1_700_000_000_000))));
//! let queue = Queue::new(backend, "emails", QueueOptions::default()).unwrap();
//! block_on(async {
//!     let job = queue.enqueue("welcome", serde_json::json!({"to": "ann"}), JobOptions::default()).await?;
//!     let urgent = queue.enqueue("reset", serde_json::json!({}), JobOptions::default().priority(10)).await?;
//!     let first = queue.reserve().await?.expect("a job");
//!     assert_eq!(first.id, urgent.id, "higher priority first");
//!     queue.ack(&first, serde_json::json!("sent")).await?;
//!     assert_eq!(queue.get(&urgent.id).await?.result, Some(serde_json::json!("sent")));
//!     assert_eq!(queue.counts().await?.waiting, 1);
//!     let _ = job;
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

use crate::backend::{value, BackendRef};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::cron::Cron;
use crate::patterns::keys;
use crate::resp::Value;
use crate::scripts::queue as scripts;
use crate::scripts::Script;
use serde::Serialize;
use serde_json::Value as Json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn ms(d: Duration) -> u64 {
    d.as_millis().min(u128::from(u64::MAX)) as u64
}

fn check_ms(what: &str, d: Duration, min: u64) -> Result<u64> {
    let v = ms(d);
    if v < min || v > scripts::MAX_DELAY_MS as u64 {
        return Err(invalid(format!("{what} must be between {min} ms and one year, got {v} ms")));
    }
    Ok(v)
}

/// How long to wait before retrying a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backoff {
    /// The same delay before every retry.
    Fixed(Duration),
    /// `delay × 2^(attempts − 1)`: the first retry after `delay`, then doubling (capped at a year).
    Exponential(Duration),
}

impl Backoff {
    fn parts(self) -> (&'static str, Duration) {
        match self {
            Backoff::Fixed(d) => ("fixed", d),
            Backoff::Exponential(d) => ("exponential", d),
        }
    }
}

/// Options of one job. Defaults: priority 0, no delay, 3 attempts, exponential backoff from
/// 1 s, no jitter, an automatic id. Deserialises from the JavaScript packages' job options
/// (`{ priority: 5, delay: 1000, backoff: 500, backoffKind: 'fixed' }`, read through
/// `JobOptionsWire` below).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(from = "JobOptionsWire")]
#[non_exhaustive]
pub struct JobOptions {
    /// A job id for de-duplication: while a job with this id exists (waiting, delayed, active,
    /// dead, or completed with its result kept), enqueuing another is a no-op. `None`: an
    /// automatic id (`1`, `2`, …), which is why custom ids may not be plain integers.
    pub id: Option<String>,
    /// 0–1000; higher runs first, FIFO within a priority.
    pub priority: u16,
    /// Run no earlier than this long after enqueuing.
    pub delay: Duration,
    /// Run no earlier than this time (milliseconds since the Unix epoch, server clock); wins
    /// over `delay`.
    pub run_at_ms: Option<u64>,
    /// How many times the job may be reserved before it is dead-lettered (≥ 1).
    pub max_attempts: u32,
    /// The delay before a retry.
    pub backoff: Backoff,
    /// 0.0–1.0: the share of each backoff delay that is randomised away (a retry runs after
    /// `delay × (1 − jitter × r)` with `r` uniform in [0, 1)), so failures do not retry in step.
    pub jitter: f64,
}

impl Default for JobOptions {
    fn default() -> Self {
        JobOptions {
            id: None,
            priority: 0,
            delay: Duration::ZERO,
            run_at_ms: None,
            max_attempts: 3,
            backoff: Backoff::Exponential(Duration::from_secs(1)),
            jitter: 0.0,
        }
    }
}

impl JobOptions {
    /// Sets the de-duplication id.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the priority (0–1000, higher first).
    #[must_use]
    pub fn priority(mut self, p: u16) -> Self {
        self.priority = p;
        self
    }

    /// Sets a delay.
    #[must_use]
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d;
        self
    }

    /// Sets an absolute run time (ms since the epoch).
    #[must_use]
    pub fn run_at_ms(mut self, at: u64) -> Self {
        self.run_at_ms = Some(at);
        self
    }

    /// Sets the maximum number of attempts.
    #[must_use]
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// Sets the backoff.
    #[must_use]
    pub fn backoff(mut self, b: Backoff) -> Self {
        self.backoff = b;
        self
    }

    /// Sets the jitter share (0.0–1.0).
    #[must_use]
    pub fn jitter(mut self, j: f64) -> Self {
        self.jitter = j;
        self
    }

    /// The five option arguments the scripts take after type and data: priority, max attempts,
    /// backoff kind, backoff ms, jitter — checked.
    fn script_options(&self) -> Result<[String; 5]> {
        if self.priority as i64 > scripts::MAX_PRIORITY {
            return Err(invalid(format!("priority must be 0..=1000, got {}", self.priority)));
        }
        if self.max_attempts == 0 || self.max_attempts > 1_000_000 {
            return Err(invalid(format!("max_attempts must be 1..=1000000, got {}", self.max_attempts)));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(invalid(format!("jitter must be within 0.0..=1.0, got {}", self.jitter)));
        }
        let (kind, d) = self.backoff.parts();
        let backoff = check_ms("backoff", d, 0)?;
        Ok([
            self.priority.to_string(),
            self.max_attempts.to_string(),
            kind.to_string(),
            backoff.to_string(),
            format!("{}", self.jitter),
        ])
    }
}

/// How a backoff is named in the JavaScript options (`backoffKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
enum BackoffKind {
    Exponential,
    Fixed,
}

/// [`JobOptions`] as the JavaScript packages spell them: `backoff` is the base delay in ms and
/// `backoffKind` its kind, `runAt` ms since the epoch, durations in ms.
#[derive(serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct JobOptionsWire {
    id: Option<String>,
    priority: u16,
    #[serde(with = "crate::patterns::serde_ms")]
    delay: Duration,
    #[serde(with = "crate::patterns::serde_ms::opt")]
    run_at: Option<Duration>,
    max_attempts: u32,
    #[serde(with = "crate::patterns::serde_ms")]
    backoff: Duration,
    backoff_kind: BackoffKind,
    jitter: f64,
}

impl Default for JobOptionsWire {
    fn default() -> Self {
        let o = JobOptions::default();
        JobOptionsWire {
            id: o.id,
            priority: o.priority,
            delay: o.delay,
            run_at: None,
            max_attempts: o.max_attempts,
            backoff: o.backoff.parts().1,
            backoff_kind: BackoffKind::Exponential,
            jitter: o.jitter,
        }
    }
}

impl From<JobOptionsWire> for JobOptions {
    fn from(w: JobOptionsWire) -> Self {
        let backoff = match w.backoff_kind {
            BackoffKind::Exponential => Backoff::Exponential(w.backoff),
            BackoffKind::Fixed => Backoff::Fixed(w.backoff),
        };
        JobOptions {
            id: w.id,
            priority: w.priority,
            delay: w.delay,
            run_at_ms: w.run_at.map(ms),
            max_attempts: w.max_attempts,
            backoff,
            jitter: w.jitter,
        }
    }
}

/// A job to enqueue in bulk.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NewJob {
    /// The job type (which handler runs it).
    pub job_type: String,
    /// Its data.
    pub data: Json,
    /// Its options.
    pub options: JobOptions,
}

impl NewJob {
    /// A job of `job_type` with `data` and `options`.
    pub fn new(job_type: impl Into<String>, data: Json, options: JobOptions) -> NewJob {
        NewJob { job_type: job_type.into(), data, options }
    }
}

/// Options of a [`Queue`]. Deserialises from the JavaScript packages' options (`{ lease:
/// 60000, resultTtl: 0 }`, see [`super::wire`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct QueueOptions {
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
    /// The lease (visibility timeout) a reserve takes unless told otherwise (default 30 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub lease: Duration,
    /// How long a completed job and its result are kept (default 1 h; zero deletes it at once).
    #[serde(with = "crate::patterns::serde_ms")]
    pub result_ttl: Duration,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions {
            prefix: keys::DEFAULT_PREFIX.to_string(),
            lease: Duration::from_secs(30),
            result_ttl: Duration::from_secs(3600),
        }
    }
}

impl QueueOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, p: impl Into<String>) -> Self {
        self.prefix = p.into();
        self
    }

    /// Sets the default lease.
    #[must_use]
    pub fn lease(mut self, d: Duration) -> Self {
        self.lease = d;
        self
    }

    /// Sets how long results are kept.
    #[must_use]
    pub fn result_ttl(mut self, d: Duration) -> Self {
        self.result_ttl = d;
        self
    }
}

/// The outcome of an enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Enqueued {
    /// The job's id (given or automatic).
    pub id: String,
    /// False when a job with this id already existed (nothing was added).
    pub added: bool,
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// Ready to run.
    Waiting,
    /// Waiting for its run time or retry backoff.
    Delayed,
    /// Reserved by a worker under a lease.
    Active,
    /// Done; its result is kept for the result TTL.
    Completed,
    /// Out of attempts (or failed without retry): a dead letter, until requeued.
    Dead,
}

impl JobState {
    fn parse(s: &[u8]) -> Result<JobState> {
        Ok(match s {
            b"waiting" => JobState::Waiting,
            b"delayed" => JobState::Delayed,
            b"active" => JobState::Active,
            b"completed" => JobState::Completed,
            b"dead" => JobState::Dead,
            other => {
                let s = String::from_utf8_lossy(other);
                return Err(Error::new(ErrorKind::Protocol, format!("unknown job state {s:?}")));
            }
        })
    }
}

/// A reserved job: run it, then [`Queue::ack`] or [`Queue::fail`] it with its token before the
/// lease deadline (or extend the lease with [`Queue::heartbeat`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ReservedJob {
    /// The job id.
    pub id: String,
    /// The job type.
    pub job_type: String,
    /// The job data.
    pub data: Json,
    /// Which attempt this is (1 for the first run).
    pub attempts: u32,
    /// The maximum number of attempts.
    pub max_attempts: u32,
    /// The lease token: proves this reservation in heartbeat, ack and fail.
    pub token: String,
    /// When the lease ends unless extended (ms since the epoch, server clock).
    pub lease_deadline_ms: u64,
}

/// What one reserve returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Reservation {
    /// The jobs reserved (possibly none).
    pub jobs: Vec<ReservedJob>,
    /// Time until the next delayed job, lease deadline or repeat falls due (`None`: nothing is
    /// scheduled): how long a worker may wait for a wake-up before reserving again.
    #[serde(rename = "next_due_in_ms", with = "crate::patterns::serde_ms::opt")]
    pub next_due_in: Option<Duration>,
    /// The server time of the reserve (ms since the epoch).
    pub now_ms: u64,
}

/// The outcome of a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Heartbeat {
    /// The new lease deadline (ms since the epoch).
    pub lease_deadline_ms: u64,
}

/// The outcome of an ack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Acked {
    /// When the job completed (ms since the epoch, server clock).
    pub completed_at_ms: u64,
}

/// The outcome of a fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Failed {
    /// `delayed` (retry after backoff), `waiting` (retry now: zero backoff) or `dead`.
    pub state: JobState,
    /// When the retry is due (ms since the epoch); `None` when dead.
    pub retry_at_ms: Option<u64>,
}

/// What [`Queue::recover_stalled`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Recovered {
    /// Jobs whose lease expired that went back to wait.
    pub requeued: u64,
    /// Jobs whose lease expired on their last attempt, dead-lettered.
    pub dead: u64,
    /// Delayed jobs that fell due and moved to wait.
    pub promoted: u64,
}

/// Jobs per state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Counts {
    /// Ready to run.
    pub waiting: u64,
    /// Waiting for a run time or a retry.
    pub delayed: u64,
    /// Held under a lease.
    pub active: u64,
    /// Completed with a result still kept.
    pub completed: u64,
    /// Dead letters.
    pub dead: u64,
    /// Whether the queue is paused.
    pub paused: bool,
    /// Repeatable job schedules.
    pub repeatable: u64,
}

/// A job as [`Queue::get`] sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct JobInfo {
    /// The id.
    pub id: String,
    /// The state.
    pub state: JobState,
    /// The type.
    pub job_type: String,
    /// The data.
    pub data: Json,
    /// The priority.
    pub priority: u16,
    /// How many times it was reserved.
    pub attempts: u32,
    /// The maximum number of attempts.
    pub max_attempts: u32,
    /// The last failure (`lease expired` for a stalled run), if any.
    pub error: Option<String>,
    /// The result, once completed.
    pub result: Option<Json>,
    /// When it was enqueued (ms since the epoch).
    pub created_at_ms: u64,
    /// When it completed or died.
    pub finished_at_ms: Option<u64>,
    /// Delayed: when it is due; active: its lease deadline; completed: when its result expires.
    pub due_at_ms: Option<u64>,
}

/// When a repeatable job runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Schedule {
    /// Every interval, the first run one interval after it is added.
    Every(Duration),
    /// On a five-field cron expression, UTC (see [`Cron`]).
    Cron(String),
}

/// The outcome of [`Queue::add_repeatable`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Repeatable {
    /// The repeat's name.
    pub name: String,
    /// False when it replaced a repeat of the same name.
    pub added: bool,
    /// Its first run (ms since the epoch).
    pub next_run_at_ms: u64,
}

/// A job queue on one backend. Cheap to clone.
#[derive(Clone)]
pub struct Queue {
    inner: Arc<Inner>,
}

struct Inner {
    backend: BackendRef,
    name: String,
    keys: Vec<Vec<u8>>,
    options: QueueOptions,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Queue({})", self.inner.name)
    }
}

/// A uniform draw in [0, 1) for retry jitter: the client draws, so scripts stay deterministic.
fn random_draw() -> f64 {
    static STATE: AtomicU64 = AtomicU64::new(0);
    let seed = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
        h.finish()
    };
    // splitmix64 finaliser, then 53 bits as a fraction.
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn text(v: &Value) -> Result<String> {
    value::text(v)
}

fn opt_text(v: Option<&Value>) -> Result<Option<String>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_nil() => Ok(None),
        Some(v) => text(v).map(Some),
    }
}

fn json_of(v: &Value) -> Result<Json> {
    let bytes = value::bytes(v)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::new(ErrorKind::Serialization, format!("job data: {e}")))
}

fn u64_of(v: Option<&Value>) -> Result<u64> {
    let v = v.ok_or_else(|| Error::new(ErrorKind::Protocol, "a queue reply is too short"))?;
    Ok(value::int(v)?.max(0) as u64)
}

fn opt_u64(v: Option<&Value>) -> Result<Option<u64>> {
    match v {
        Some(v) if !v.is_nil() => value::float(v).map(|f| Some(f.max(0.0) as u64)),
        _ => Ok(None),
    }
}

/// Turns a lease status (-1, -2) into its error.
fn lease_status(status: i64, id: &str) -> Result<()> {
    match status {
        -1 => Err(Error::new(ErrorKind::NotFound, format!("no job {id:?}"))),
        -2 => Err(Error::new(
            ErrorKind::LockNotOwned,
            format!("the lease on job {id:?} is not held by this token (it expired and the job was recovered, or it was never reserved with it)"),
        )),
        _ => Ok(()),
    }
}

impl Queue {
    /// A queue named `name`. Fails with [`ErrorKind::InvalidArgument`] on a bad name, prefix,
    /// lease or result TTL.
    pub fn new(backend: BackendRef, name: &str, options: QueueOptions) -> Result<Queue> {
        keys::validate("queue name", name)?;
        keys::validate("prefix", &options.prefix)?;
        check_ms("lease", options.lease, 1)?;
        check_ms("result_ttl", options.result_ttl, 0)?;
        let keys = scripts::KEY_PARTS.iter().map(|p| keys::part(&options.prefix, "queue", name, p)).collect();
        Ok(Queue { inner: Arc::new(Inner { backend, name: name.to_string(), keys, options }) })
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The backend it runs on.
    pub fn backend(&self) -> &BackendRef {
        &self.inner.backend
    }

    /// The queue's options.
    pub fn options(&self) -> &QueueOptions {
        &self.inner.options
    }

    /// The wake-up list that enqueues push to and idle workers wait on (BLPOP).
    pub(crate) fn wake_key(&self) -> &[u8] {
        &self.inner.keys[8]
    }

    async fn run(&self, script: &'static Script, args: Vec<Vec<u8>>) -> Result<Value> {
        self.inner.backend.script(script, self.inner.keys.clone(), args).await
    }

    /// Enqueues one job of `job_type` with `data`.
    pub async fn enqueue(&self, job_type: &str, data: Json, options: JobOptions) -> Result<Enqueued> {
        let mut out = self.enqueue_bulk(vec![NewJob::new(job_type, data, options)]).await?;
        out.pop().ok_or_else(|| Error::new(ErrorKind::Protocol, "enqueue returned nothing"))
    }

    /// Enqueues many jobs in one round trip (atomically: if any is invalid, none is added).
    pub async fn enqueue_bulk(&self, jobs: Vec<NewJob>) -> Result<Vec<Enqueued>> {
        if jobs.len() > 100_000 {
            return Err(invalid("at most 100000 jobs per bulk enqueue"));
        }
        let mut args = vec![jobs.len().to_string().into_bytes()];
        for job in &jobs {
            if job.job_type.is_empty() {
                return Err(invalid("a job type must not be empty"));
            }
            let o = &job.options;
            let id = match &o.id {
                Some(id) if id.is_empty() || id.bytes().all(|b| b.is_ascii_digit()) => {
                    return Err(invalid(format!(
                        "a custom job id must be non-empty and not a plain integer (those are automatic ids): {id:?}"
                    )))
                }
                Some(id) => id.clone(),
                None => String::new(),
            };
            let delay = check_ms("delay", o.delay, 0)?;
            let run_at = o.run_at_ms.unwrap_or(0);
            if run_at > scripts::MAX_TIME_MS as u64 {
                return Err(invalid(format!("run_at_ms {run_at} is too far in the future")));
            }
            let [p, m, b, w, j] = o.script_options()?;
            let data = serde_json::to_string(&job.data)?;
            for a in [id, job.job_type.clone(), data, p, delay.to_string(), run_at.to_string(), m, b, w, j] {
                args.push(a.into_bytes());
            }
        }
        let reply = value::array(self.run(&scripts::ENQUEUE, args).await?)?;
        reply.chunks(2).map(|pair| Ok(Enqueued { id: text(&pair[0])?, added: u64_of(pair.get(1))? == 1 })).collect()
    }

    /// Reserves the next job under the queue's default lease; `None` when none is ready (or the
    /// queue is paused).
    pub async fn reserve(&self) -> Result<Option<ReservedJob>> {
        let r = self.reserve_many(1, self.inner.options.lease).await?;
        Ok(r.jobs.into_iter().next())
    }

    /// Reserves up to `count` (1–1000) jobs under a `lease`, in one round trip (plus one per
    /// cron repeat that fired, to schedule its next run).
    pub async fn reserve_many(&self, count: usize, lease: Duration) -> Result<Reservation> {
        if count == 0 || count > 1000 {
            return Err(invalid(format!("count must be 1..=1000, got {count}")));
        }
        let lease_ms = check_ms("lease", lease, 1)?;
        let reply =
            self.run(&scripts::RESERVE, vec![count.to_string().into_bytes(), lease_ms.to_string().into_bytes()]);
        self.reservation(value::array(reply.await?)?.into_iter()).await
    }

    /// Completes a reserved job with `result` (as [`Queue::ack`]) and reserves up to `count`
    /// (1–1000) more under a `lease` (as [`Queue::reserve_many`]), in one round trip: a busy
    /// consumer pays one round trip per job instead of two. The reserve happens whether or not
    /// the ack found its lease, so the jobs reserved are never lost to an ack error: the outer
    /// error is the call's (the backend failed or refused; then nothing is known to be acked
    /// or reserved, and whatever was reserved comes back when its lease expires), the inner
    /// one the ack's, as [`Queue::ack`] reports it.
    pub async fn ack_and_reserve(
        &self,
        job: &ReservedJob,
        result: Json,
        count: usize,
        lease: Duration,
    ) -> Result<(Result<Acked>, Reservation)> {
        if count == 0 || count > 1000 {
            return Err(invalid(format!("count must be 1..=1000, got {count}")));
        }
        let lease_ms = check_ms("lease", lease, 1)?;
        let ttl = ms(self.inner.options.result_ttl);
        let args = [
            job.id.as_bytes().to_vec(),
            job.token.as_bytes().to_vec(),
            serde_json::to_vec(&result)?,
            ttl.to_string().into_bytes(),
            count.to_string().into_bytes(),
            lease_ms.to_string().into_bytes(),
        ];
        let mut parts = value::array(self.run(&scripts::ACK_NEXT, args.to_vec()).await?)?.into_iter();
        let status = value::int(&parts.next().unwrap_or(Value::Nil))?;
        let acked = lease_status(status, &job.id).map(|()| Acked { completed_at_ms: status.max(0) as u64 });
        Ok((acked, self.reservation(parts).await?))
    }

    /// A reservation from a reply's `now, wait_hint_ms, jobs, crons`; schedules the next run of
    /// each fired cron repeat (one more round trip each).
    async fn reservation(&self, mut parts: impl Iterator<Item = Value>) -> Result<Reservation> {
        let mut next = || parts.next().unwrap_or(Value::Nil);
        let (now, hint, jobs, crons) = (next(), next(), next(), next());
        let now_ms = u64_of(Some(&now))?;
        let hint = value::int(&hint)?;
        let mut out = Vec::new();
        for job in value::array(jobs)? {
            let f = value::array(job)?;
            let at = |i: usize| f.get(i).unwrap_or(&Value::Nil);
            out.push(ReservedJob {
                id: text(at(0))?,
                job_type: text(at(1))?,
                data: json_of(at(2))?,
                attempts: u64_of(f.get(3))? as u32,
                max_attempts: u64_of(f.get(4))? as u32,
                token: text(at(5))?,
                lease_deadline_ms: u64_of(f.get(6))?,
            });
        }
        for cron in value::array(crons)? {
            let f = value::array(cron)?;
            if let [name, expr, fired] = &f[..] {
                // A failure here must not lose the jobs just reserved: the repeat stays parked
                // and is reported again to the next reserve (a few seconds on).
                let _ = self.schedule_cron(&text(name)?, &text(expr)?, &text(fired)?, now_ms).await;
            }
        }
        let next_due_in = (hint >= 0).then(|| Duration::from_millis(hint as u64));
        Ok(Reservation { jobs: out, next_due_in, now_ms })
    }

    /// Stores a fired cron repeat's next run (computed here, in Rust); removes a repeat whose
    /// expression no longer fires or no longer parses.
    async fn schedule_cron(&self, name: &str, expr: &str, fired: &str, now_ms: u64) -> Result<()> {
        match Cron::parse(expr).ok().and_then(|c| c.next_after_ms(now_ms)) {
            Some(next) => {
                let args = vec![name.as_bytes().to_vec(), fired.as_bytes().to_vec(), next.to_string().into_bytes()];
                self.run(&scripts::REPEAT_NEXT, args).await.map(drop)
            }
            None => self.remove_repeatable(name).await.map(drop),
        }
    }

    /// Extends the lease of a reserved job to `lease` from now. Errors: [`ErrorKind::NotFound`]
    /// (no such job), [`ErrorKind::LockNotOwned`] (the lease was lost).
    pub async fn heartbeat(&self, job: &ReservedJob, lease: Duration) -> Result<Heartbeat> {
        self.heartbeat_by_id(&job.id, &job.token, lease).await
    }

    /// [`Queue::heartbeat`] by id and lease token.
    pub async fn heartbeat_by_id(&self, id: &str, token: &str, lease: Duration) -> Result<Heartbeat> {
        let lease_ms = check_ms("lease", lease, 1)?;
        let args = vec![id.as_bytes().to_vec(), token.as_bytes().to_vec(), lease_ms.to_string().into_bytes()];
        let status = value::int(&self.run(&scripts::HEARTBEAT, args).await?)?;
        lease_status(status, id)?;
        Ok(Heartbeat { lease_deadline_ms: status.max(0) as u64 })
    }

    /// Completes a reserved job with `result`, kept for the queue's result TTL. Errors as
    /// [`Queue::heartbeat`].
    pub async fn ack(&self, job: &ReservedJob, result: Json) -> Result<Acked> {
        self.ack_by_id(&job.id, &job.token, result).await
    }

    /// [`Queue::ack`] by id and lease token.
    pub async fn ack_by_id(&self, id: &str, token: &str, result: Json) -> Result<Acked> {
        let ttl = ms(self.inner.options.result_ttl);
        let result = serde_json::to_string(&result)?;
        let args =
            vec![id.as_bytes().to_vec(), token.as_bytes().to_vec(), result.into_bytes(), ttl.to_string().into_bytes()];
        let status = value::int(&self.run(&scripts::ACK, args).await?)?;
        lease_status(status, id)?;
        Ok(Acked { completed_at_ms: status.max(0) as u64 })
    }

    /// Fails a reserved job with `error`: it retries after its backoff while attempts remain,
    /// else it is dead-lettered. Errors as [`Queue::heartbeat`].
    pub async fn fail(&self, job: &ReservedJob, error: &str) -> Result<Failed> {
        self.fail_by_id(&job.id, &job.token, error, true).await
    }

    /// [`Queue::fail`] by id and token; `retry: false` dead-letters at once.
    pub async fn fail_by_id(&self, id: &str, token: &str, error: &str, retry: bool) -> Result<Failed> {
        let args = vec![
            id.as_bytes().to_vec(),
            token.as_bytes().to_vec(),
            error.as_bytes().to_vec(),
            format!("{}", random_draw()).into_bytes(),
            if retry { b"1".to_vec() } else { b"0".to_vec() },
        ];
        let reply = self.run(&scripts::FAIL, args).await?;
        if let Value::Int(status) = reply {
            lease_status(status, id)?;
        }
        let f = value::array(reply)?;
        let state = JobState::parse(&value::bytes(f.first().unwrap_or(&Value::Nil))?)?;
        let at = u64_of(f.get(1))?;
        Ok(Failed { state, retry_at_ms: (state != JobState::Dead).then_some(at) })
    }

    /// Moves dead jobs back to wait with their attempts reset: the given `ids`, or when empty
    /// up to `limit` of the oldest. Returns how many moved.
    pub async fn requeue_dead(&self, ids: &[String], limit: usize) -> Result<u64> {
        if limit == 0 || limit > 100_000 {
            return Err(invalid(format!("limit must be 1..=100000, got {limit}")));
        }
        let mut args = vec![limit.to_string().into_bytes()];
        args.extend(ids.iter().map(|i| i.clone().into_bytes()));
        u64_of(Some(&self.run(&scripts::REQUEUE, args).await?))
    }

    /// Returns jobs whose lease expired to the queue (or to the dead letters on their last
    /// attempt) and promotes due delayed jobs. Reserve does this on every call; this is for a
    /// queue with no consumer running.
    pub async fn recover_stalled(&self) -> Result<Recovered> {
        let f = value::array(self.run(&scripts::RECOVER, Vec::new()).await?)?;
        Ok(Recovered { requeued: u64_of(f.first())?, dead: u64_of(f.get(1))?, promoted: u64_of(f.get(2))? })
    }

    /// Pauses the queue: reserves hand out nothing until [`Queue::resume`]. Returns whether
    /// this changed anything.
    pub async fn pause(&self) -> Result<bool> {
        Ok(u64_of(Some(&self.run(&scripts::PAUSE, vec![b"1".to_vec()]).await?))? == 1)
    }

    /// Resumes a paused queue and wakes idle workers. Returns whether this changed anything.
    pub async fn resume(&self) -> Result<bool> {
        Ok(u64_of(Some(&self.run(&scripts::PAUSE, vec![b"0".to_vec()]).await?))? == 1)
    }

    /// Jobs per state (dropping expired results first).
    pub async fn counts(&self) -> Result<Counts> {
        let f = value::array(self.run(&scripts::COUNTS, Vec::new()).await?)?;
        let n = |i: usize| u64_of(f.get(i));
        Ok(Counts {
            waiting: n(0)?,
            delayed: n(1)?,
            active: n(2)?,
            completed: n(3)?,
            dead: n(4)?,
            paused: n(5)? == 1,
            repeatable: n(6)?,
        })
    }

    /// Looks a job up. [`ErrorKind::NotFound`] if there is none (or its result expired).
    pub async fn get(&self, id: &str) -> Result<JobInfo> {
        let reply = self.run(&scripts::GET, vec![id.as_bytes().to_vec()]).await?;
        if reply.is_nil() {
            return Err(Error::new(ErrorKind::NotFound, format!("no job {id:?}")));
        }
        let f = value::array(reply)?;
        let nil = Value::Nil;
        let at = |i: usize| f.get(i).unwrap_or(&nil);
        Ok(JobInfo {
            id: id.to_string(),
            state: JobState::parse(&value::bytes(at(0))?)?,
            job_type: opt_text(f.get(1))?.unwrap_or_default(),
            data: if at(2).is_nil() { Json::Null } else { json_of(at(2))? },
            priority: opt_u64(f.get(3))?.unwrap_or(0) as u16,
            max_attempts: opt_u64(f.get(4))?.unwrap_or(0) as u32,
            attempts: opt_u64(f.get(5))?.unwrap_or(0) as u32,
            error: opt_text(f.get(6))?,
            result: if at(7).is_nil() { None } else { Some(json_of(at(7))?) },
            created_at_ms: opt_u64(f.get(8))?.unwrap_or(0),
            finished_at_ms: opt_u64(f.get(9))?,
            due_at_ms: opt_u64(f.get(10))?,
        })
    }

    /// Adds (or replaces) the repeatable job `name`: a job of `job_type` with `data` and
    /// `options` (its id is ignored: each run's id is `repeat:<name>:<fire ms>`, so a run is
    /// never created twice) on `schedule`. Two round trips: the server time, then the script,
    /// because the first fire time is computed in Rust from the server's clock.
    pub async fn add_repeatable(
        &self,
        name: &str,
        job_type: &str,
        data: Json,
        schedule: Schedule,
        options: JobOptions,
    ) -> Result<Repeatable> {
        if name.is_empty() || job_type.is_empty() {
            return Err(invalid("a repeatable job needs a non-empty name and job type"));
        }
        let [p, m, b, w, j] = options.script_options()?;
        let (every, cron) = match &schedule {
            Schedule::Every(d) => (Some(check_ms("every", *d, 1)?), None),
            Schedule::Cron(expr) => (None, Some(Cron::parse(expr)?)),
        };
        let now = self.server_time_ms().await?;
        let next = match (every, &cron) {
            (Some(every), _) => now + every,
            (None, Some(c)) => c.next_after_ms(now).ok_or_else(|| {
                invalid(format!("cron expression {:?} never fires (in the next 28 years)", c.source()))
            })?,
            (None, None) => return Err(invalid("a schedule needs an interval or a cron expression")),
        };
        let expr = cron.as_ref().map(|c| c.source().to_string()).unwrap_or_default();
        let data = serde_json::to_string(&data)?;
        let args =
            [name, job_type, &data, &every.unwrap_or(0).to_string(), &expr, &next.to_string(), &p, &m, &b, &w, &j];
        let args = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let added = u64_of(Some(&self.run(&scripts::REPEAT_ADD, args).await?))? == 1;
        Ok(Repeatable { name: name.to_string(), added, next_run_at_ms: next })
    }

    /// Removes a repeatable job (runs already created stay). Returns whether it existed.
    pub async fn remove_repeatable(&self, name: &str) -> Result<bool> {
        Ok(u64_of(Some(&self.run(&scripts::REPEAT_REMOVE, vec![name.as_bytes().to_vec()]).await?))? == 1)
    }

    async fn server_time_ms(&self) -> Result<u64> {
        let t = value::array(self.inner.backend.command(crate::command!("TIME")).await?)?;
        let secs = value::int(t.first().unwrap_or(&Value::Nil))?;
        let micros = value::int(t.get(1).unwrap_or(&Value::Nil))?;
        Ok((secs.max(0) as u64) * 1000 + (micros.max(0) as u64) / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{block_on, SimBackend};
    use crate::sim::{Clock, Simulator};
    use serde_json::json;

    fn queue(lease: Duration) -> Queue {
        let backend = Arc::new(SimBackend::new(Simulator::with_clock(Clock::manual(1_700_000_000_000))));
        Queue::new(backend, "q", QueueOptions::default().lease(lease)).unwrap()
    }

    #[test]
    fn ack_and_reserve_acks_then_hands_out_the_next_job_even_after_a_lost_lease() {
        let q = queue(Duration::from_secs(30));
        block_on(async {
            for i in 0..3 {
                q.enqueue("t", json!(i), JobOptions::default()).await?;
            }
            let first = q.reserve().await?.expect("a job");
            let lease = Duration::from_secs(5);
            let (acked, next) = q.ack_and_reserve(&first, json!("one"), 1, lease).await?;
            assert!(acked.is_ok());
            assert_eq!(q.get(&first.id).await?.result, Some(json!("one")));
            let second = next.jobs.into_iter().next().expect("the next job");
            assert_eq!((second.data.clone(), second.lease_deadline_ms), (json!(1), next.now_ms + 5000));
            assert_eq!(next.next_due_in, Some(lease), "the lease just granted is the next thing due");

            let stranger = ReservedJob { token: "forged".into(), ..second.clone() };
            let (acked, next) = q.ack_and_reserve(&stranger, json!(null), 2, lease).await?;
            assert_eq!(acked.map_err(|e| e.kind), Err(ErrorKind::LockNotOwned));
            assert_eq!(next.jobs.len(), 1, "the reserve happens whatever the ack found");
            assert_eq!(q.get(&second.id).await?.state, JobState::Active);

            let (acked, next) = q.ack_and_reserve(&second, json!(2), 1, lease).await?;
            assert!(acked.is_ok() && next.jobs.is_empty());
            let c = q.counts().await?;
            assert_eq!((c.waiting, c.active, c.completed), (0, 1, 2));
            assert_eq!(
                q.ack_and_reserve(&second, json!(2), 0, lease).await.map_err(|e| e.kind).err(),
                Some(ErrorKind::InvalidArgument)
            );
            Ok::<_, Error>(())
        })
        .unwrap();
    }

    #[test]
    fn options_read_the_javascript_names() {
        let o: JobOptions = serde_json::from_value(json!({
            "id": "x", "priority": 5, "delay": 1000, "runAt": 123, "maxAttempts": 2,
            "backoff": 500, "backoffKind": "fixed", "jitter": 0.5, "jobType": "ignored here"
        }))
        .unwrap();
        let expected = JobOptions::default()
            .id("x")
            .priority(5)
            .delay(Duration::from_secs(1))
            .run_at_ms(123)
            .max_attempts(2)
            .backoff(Backoff::Fixed(Duration::from_millis(500)))
            .jitter(0.5);
        assert_eq!(o, expected);
        assert_eq!(serde_json::from_value::<JobOptions>(json!({})).unwrap(), JobOptions::default());
        let kept_kind: JobOptions = serde_json::from_value(json!({"backoff": 250})).unwrap();
        assert_eq!(kept_kind.backoff, Backoff::Exponential(Duration::from_millis(250)));
        assert!(serde_json::from_value::<JobOptions>(json!({"backoffKind": "linear"})).is_err());
        let q: QueueOptions = serde_json::from_value(json!({"lease": 5000, "resultTtl": 0})).unwrap();
        assert_eq!(q, QueueOptions::default().lease(Duration::from_secs(5)).result_ttl(Duration::ZERO));
    }
}
