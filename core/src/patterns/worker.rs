//! A queue worker: runs handlers per job type with bounded concurrency, heartbeats each job's
//! lease while its handler runs, waits for work without polling, and shuts down gracefully.
//!
//! Built only on [`crate::backend::Backend`]'s `spawn`, `sleep` and `blocking` (no runtime of
//! its own), so it runs wherever the backend runs, wasm32 included. An idle worker waits on a
//! BLPOP of the queue's wake-up list, which every enqueue, retry and resume pushes to; the wait
//! is bounded by the time until the next delayed job, lease deadline or repeat falls due (as
//! the reserve script reports it) and by [`WorkerOptions::idle_wait`]. A slot whose job
//! succeeded acks it and reserves its next job in one round trip ([`Queue::ack_and_reserve`]);
//! the main loop reserves only for slots left free.
//!
//! A handler returns `Ok(result)` (the job is acked with it) or `Err(message)` (the job fails:
//! retried after its backoff or dead-lettered). A job whose type has no handler is
//! dead-lettered at once with an error saying so; a handler that panics fails its job.
//!
//! ```
//! use redkit::backend::{block_on, Backend, SimBackend};
//! use redkit::patterns::queue::{JobOptions, Queue, QueueOptions};
//! use redkit::patterns::worker::{Worker, WorkerOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let queue = Queue::new(backend.clone(), "math", QueueOptions::default()).unwrap();
//! block_on(async {
//!     let job = queue.enqueue("double", serde_json::json!(21), JobOptions::default()).await?;
//!     let worker = Worker::new(&queue, WorkerOptions::default().concurrency(4))
//!         .handle("double", |job| async move { Ok(serde_json::json!(job.data.as_i64().unwrap_or(0) * 2)) })
//!         .start()?;
//!     for _ in 0..200 {
//!         if queue.get(&job.id).await?.result.is_some() {
//!             break;
//!         }
//!         backend.sleep(Duration::from_millis(5)).await;
//!     }
//!     assert_eq!(queue.get(&job.id).await?.result, Some(serde_json::json!(42)));
//!     let report = worker.shutdown(Duration::from_secs(1)).await;
//!     assert!(report.drained);
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

use super::race::{select, Either};
use crate::backend::{BoxFuture, Cmd};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::queue::{Queue, ReservedJob};
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// What a handler returns: the job's result, or an error message (the job fails).
pub type HandlerResult = std::result::Result<Json, String>;

/// A job handler.
pub type Handler = Arc<dyn Fn(ReservedJob) -> BoxFuture<'static, HandlerResult> + Send + Sync>;

/// Options of a [`Worker`]. Deserialises from the JavaScript packages' worker options
/// (`{ concurrency: 4, heartbeat: 1000, idleWait: 500 }`, see [`super::wire`]); `max_jobs` is
/// not among them (JavaScript gives it to `run`/`start`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct WorkerOptions {
    /// How many jobs run at once (default 1).
    pub concurrency: usize,
    /// The lease each job is reserved with (default: the queue's).
    #[serde(with = "crate::patterns::serde_ms::opt")]
    pub lease: Option<Duration>,
    /// How often a running job's lease is extended (default: a third of the lease).
    #[serde(with = "crate::patterns::serde_ms::opt")]
    pub heartbeat: Option<Duration>,
    /// The longest an idle worker waits for a wake-up before reserving again (default 1 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub idle_wait: Duration,
    /// Stop after taking this many jobs (default: no limit): the worker reserves no more than
    /// that in all, stops reserving once it has them, and lets them finish — as RQ's
    /// `max_jobs`. [`WorkerHandle::stopped`] resolves at that moment.
    #[serde(skip)]
    pub max_jobs: Option<u64>,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: 1,
            lease: None,
            heartbeat: None,
            idle_wait: Duration::from_secs(1),
            max_jobs: None,
        }
    }
}

impl WorkerOptions {
    /// Sets the concurrency.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets the lease.
    #[must_use]
    pub fn lease(mut self, d: Duration) -> Self {
        self.lease = Some(d);
        self
    }

    /// Sets the heartbeat interval.
    #[must_use]
    pub fn heartbeat(mut self, d: Duration) -> Self {
        self.heartbeat = Some(d);
        self
    }

    /// Sets the longest idle wait.
    #[must_use]
    pub fn idle_wait(mut self, d: Duration) -> Self {
        self.idle_wait = d;
        self
    }

    /// Sets how many jobs the worker takes before it stops by itself.
    #[must_use]
    pub fn max_jobs(mut self, n: u64) -> Self {
        self.max_jobs = Some(n);
        self
    }
}

/// A worker being configured: add handlers, then [`Worker::start`].
pub struct Worker {
    queue: Queue,
    options: WorkerOptions,
    handlers: HashMap<String, Handler>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("queue", &self.queue).field("options", &self.options).finish()
    }
}

/// Counters of a running worker (all zero for one that never ran).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WorkerStats {
    /// Jobs acked.
    pub completed: u64,
    /// Jobs failed (retried or dead-lettered).
    pub failed: u64,
    /// Jobs whose lease was lost before their ack or fail (another worker may have run them).
    pub lost: u64,
    /// Jobs running now.
    pub in_flight: u64,
}

/// What [`WorkerHandle::shutdown`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// True when every in-flight job finished within the bound.
    pub drained: bool,
    /// Jobs still running when the bound ran out; their leases expire and they run again
    /// elsewhere.
    pub abandoned: u64,
}

impl ShutdownReport {
    /// A report of `abandoned` jobs left running (drained when none): what a binding reports
    /// when it bounds a shutdown by its own clock, or for a worker that never ran.
    pub fn abandoning(abandoned: u64) -> ShutdownReport {
        ShutdownReport { drained: abandoned == 0, abandoned }
    }
}

#[derive(Default)]
struct State {
    limit: usize,
    in_flight: usize,
    stopping: bool,
    killed: bool,
    loop_done: bool,
    /// [`WorkerOptions::max_jobs`] (`u64::MAX` without a limit).
    max_jobs: u64,
    /// Jobs reserved so far.
    taken: u64,
    /// Jobs that reserves under way may still bring (counted against `max_jobs` beforehand,
    /// so concurrent reserves never take more than it allows).
    claimed: u64,
    /// Reserves begun so far.
    cycles: u64,
    /// The latest reserve that found nothing while no job was in flight.
    idle_cycle: u64,
    /// [`WorkerHandle::wait_idle`]'s mark: only reserves begun after it count.
    idle_after: u64,
    /// Set by [`WorkerHandle::wait_idle`]: end an idle wait and reserve again now.
    poke: bool,
    wakers: Vec<Waker>,
}

impl State {
    /// How many more jobs a reserve may ask for ([`WorkerOptions::max_jobs`]).
    fn left(&self) -> u64 {
        self.max_jobs.saturating_sub(self.taken + self.claimed)
    }

    /// Claims up to `want` jobs for a reserve about to be sent; returns how many it may ask for.
    fn claim(&mut self, want: usize) -> usize {
        let granted = want.min(usize::try_from(self.left()).unwrap_or(usize::MAX));
        self.claimed += granted as u64;
        granted
    }

    /// Settles a claim of `claimed` jobs of which the reserve brought `got`; taking the last
    /// job allowed stops the worker.
    fn settle(&mut self, claimed: usize, got: usize) {
        self.claimed -= claimed as u64;
        self.taken += got as u64;
        if self.taken >= self.max_jobs {
            self.stopping = true;
        }
    }
}

struct Shared {
    queue: Queue,
    handlers: HashMap<String, Handler>,
    concurrency: usize,
    lease: Duration,
    heartbeat: Duration,
    idle_wait: Duration,
    state: Mutex<State>,
    completed: AtomicU64,
    failed: AtomicU64,
    lost: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the state and wakes every waiter to re-check it.
    fn update(&self, f: impl FnOnce(&mut State)) {
        let wakers = {
            let mut s = self.lock();
            f(&mut s);
            std::mem::take(&mut s.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Resolves once `ready` holds for the state.
    fn until(self: &Arc<Self>, ready: fn(&State) -> bool) -> impl Future<Output = ()> + Send + 'static {
        let shared = self.clone();
        std::future::poll_fn(move |cx| {
            let mut s = shared.lock();
            if ready(&s) {
                return Poll::Ready(());
            }
            s.wakers.push(cx.waker().clone());
            Poll::Pending
        })
    }
}

/// A running worker.
#[derive(Clone)]
pub struct WorkerHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WorkerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WorkerHandle({:?})", self.stats())
    }
}

/// A handler future that turns a panic into an error result.
struct CatchPanic(BoxFuture<'static, HandlerResult>);

impl Future for CatchPanic {
    type Output = HandlerResult;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HandlerResult> {
        let fut = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx))) {
            Ok(p) => p,
            Err(_) => Poll::Ready(Err("the handler panicked".to_string())),
        }
    }
}

impl Worker {
    /// A worker for `queue`.
    pub fn new(queue: &Queue, options: WorkerOptions) -> Worker {
        Worker { queue: queue.clone(), options, handlers: HashMap::new() }
    }

    /// Runs `handler` for jobs of `job_type` (replacing an earlier one).
    #[must_use]
    pub fn handle<F, Fut>(mut self, job_type: &str, handler: F) -> Worker
    where
        F: Fn(ReservedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let h: Handler = Arc::new(move |job| Box::pin(handler(job)));
        self.handlers.insert(job_type.to_string(), h);
        self
    }

    /// Starts reserving and running jobs in a background task ([`crate::backend::Backend::spawn`]).
    /// Fails with [`ErrorKind::InvalidArgument`] on a concurrency outside 1–1000, a zero
    /// heartbeat or idle wait, or a heartbeat not shorter than the lease.
    pub fn start(self) -> Result<WorkerHandle> {
        let o = &self.options;
        let invalid = |m: String| Err(Error::new(ErrorKind::InvalidArgument, m));
        if o.concurrency == 0 || o.concurrency > 1000 {
            return invalid(format!("concurrency must be 1..=1000, got {}", o.concurrency));
        }
        let lease = o.lease.unwrap_or(self.queue.options().lease);
        let heartbeat = o.heartbeat.unwrap_or(lease / 3);
        if lease.as_millis() < 1 || heartbeat.as_millis() < 1 || heartbeat >= lease {
            return invalid(format!(
                "the heartbeat ({heartbeat:?}) must be at least 1 ms and shorter than the lease ({lease:?})"
            ));
        }
        if o.idle_wait.as_millis() < 1 {
            return invalid("idle_wait must be at least 1 ms".to_string());
        }
        let shared = Arc::new(Shared {
            queue: self.queue.clone(),
            handlers: self.handlers,
            concurrency: o.concurrency,
            lease,
            heartbeat,
            idle_wait: o.idle_wait,
            state: Mutex::new(State {
                limit: o.concurrency,
                max_jobs: o.max_jobs.unwrap_or(u64::MAX),
                ..State::default()
            }),
            completed: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            lost: AtomicU64::new(0),
        });
        self.queue.backend().spawn(Box::pin(main_loop(shared.clone())))?;
        Ok(WorkerHandle { shared })
    }
}

/// Reserves while there are free slots; waits for a wake-up when there is nothing to do.
async fn main_loop(shared: Arc<Shared>) {
    let backend = shared.queue.backend().clone();
    let mut error_backoff = Duration::from_millis(50);
    loop {
        shared.until(|s| s.stopping || (s.in_flight < s.limit && s.left() > 0)).await;
        let free = {
            let mut s = shared.lock();
            if s.stopping {
                break;
            }
            let free = shared.concurrency.saturating_sub(s.in_flight);
            s.claim(free)
        };
        if free == 0 {
            continue;
        }
        let cycle = {
            let mut s = shared.lock();
            s.cycles += 1;
            s.poke = false;
            s.cycles
        };
        let reserved = select(shared.queue.reserve_many(free, shared.lease), shared.until(|s| s.stopping)).await;
        let got = match &reserved {
            Either::Left(Ok(r)) => r.jobs.len(),
            _ => 0,
        };
        shared.update(|s| s.settle(free, got));
        let reservation = match reserved {
            Either::Right(()) => break,
            Either::Left(Ok(r)) => r,
            Either::Left(Err(_)) => {
                // The backend is unreachable or refused: back off (bounded), then try again.
                select(backend.sleep(error_backoff), shared.until(|s| s.stopping)).await;
                error_backoff = (error_backoff * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        error_backoff = Duration::from_millis(50);
        if reservation.jobs.is_empty() {
            shared.update(|s| {
                if s.in_flight == 0 {
                    s.idle_cycle = cycle;
                }
            });
            let due = reservation.next_due_in.filter(|d| *d < shared.idle_wait);
            let wait = due.unwrap_or(shared.idle_wait);
            if wait.as_millis() >= 1 {
                let cmd = Cmd::new("BLPOP").arg(shared.queue.wake_key()).arg(format!("{:.3}", wait.as_secs_f64()));
                // A failed BLPOP (connection trouble) waits out its time instead of spinning.
                let blpop = async {
                    if backend.blocking(cmd).await.is_err() {
                        backend.sleep(wait).await;
                    }
                };
                let woken = async {
                    match due {
                        // Redis checks blocking timeouts only as often as its event loop turns
                        // (up to 1/hz late), so a job falling due is met by a timer of our own.
                        Some(d) => {
                            select(blpop, backend.sleep(d)).await;
                        }
                        None => blpop.await,
                    }
                };
                select(woken, shared.until(|s| s.stopping || s.poke)).await;
            }
            continue;
        }
        for job in reservation.jobs {
            shared.update(|s| s.in_flight += 1);
            let task = run_job(shared.clone(), job);
            if backend.spawn(Box::pin(task)).is_err() {
                // Cannot run it here: its lease expires and it runs elsewhere.
                shared.update(|s| s.in_flight -= 1);
            }
        }
    }
    shared.update(|s| s.loop_done = true);
}

/// Sends heartbeats every interval until the lease is lost (then stays pending, letting the
/// handler finish; its ack will report the loss). Never completes by itself.
async fn heartbeats(shared: Arc<Shared>, job: ReservedJob) -> Infallible {
    let backend = shared.queue.backend().clone();
    loop {
        backend.sleep(shared.heartbeat).await;
        match shared.queue.heartbeat(&job, shared.lease).await {
            Err(e) if matches!(e.kind, ErrorKind::LockNotOwned | ErrorKind::NotFound) => break,
            // A transient error: the next beat tries again, within the lease.
            _ => {}
        }
    }
    std::future::pending().await
}

/// Runs jobs in one slot: the handler raced against its heartbeats and a kill, then ack or
/// fail. A successful job is acked together with the reservation of the next one (one round
/// trip per job while there is work; the main loop reserves only for free slots), so the slot
/// goes on with that job; it is freed when no job came, on a failure, or once stopping.
async fn run_job(shared: Arc<Shared>, mut job: ReservedJob) {
    loop {
        let next = run_one(&shared, job).await;
        match next {
            Some(j) => job = j,
            None => break,
        }
    }
    shared.update(|s| {
        s.in_flight -= 1;
        // A pending wait_idle needs a reserve after the last job ends: wake an idle loop.
        if s.in_flight == 0 && s.idle_cycle <= s.idle_after {
            s.poke = true;
        }
    });
}

/// Whether a slot may reserve its next job with its ack (not stopping, `max_jobs` not
/// reached); if so the job is claimed.
fn claim_next(shared: &Shared) -> bool {
    let mut s = shared.lock();
    !s.stopping && s.claim(1) == 1
}

/// Runs one job and settles it; returns the next job reserved with its ack, if any.
async fn run_one(shared: &Arc<Shared>, job: ReservedJob) -> Option<ReservedJob> {
    let handler = shared.handlers.get(&job.job_type).cloned();
    let outcome = match &handler {
        None => Some(Err(format!("no handler for job type {:?}", job.job_type))),
        Some(h) => {
            let work = select(CatchPanic(h(job.clone())), heartbeats(shared.clone(), job.clone()));
            // The kill is polled first, so a killed worker sends no further heartbeat.
            match select(shared.until(|s| s.killed), work).await {
                Either::Left(()) => None, // killed: abandon the job without ack, as a crash would
                Either::Right(Either::Left(result)) => Some(result),
                Either::Right(Either::Right(never)) => match never {},
            }
        }
    };
    let queue = &shared.queue;
    let mut next = None;
    let counter = match outcome {
        None => None,
        Some(Ok(result)) if !claim_next(shared) => Some(queue.ack(&job, result).await.map(|_| &shared.completed)),
        Some(Ok(result)) => {
            let acked = queue.ack_and_reserve(&job, result, 1, shared.lease).await;
            let got = acked.as_ref().map_or(0, |(_, r)| r.jobs.len());
            shared.update(|s| s.settle(1, got));
            match acked {
                Ok((acked, reservation)) => {
                    next = reservation.jobs.into_iter().next();
                    Some(acked.map(|_| &shared.completed))
                }
                Err(e) => Some(Err(e)),
            }
        }
        // Without a handler, retrying cannot help: dead-letter at once (requeue it later).
        Some(Err(message)) => {
            Some(queue.fail_by_id(&job.id, &job.token, &message, handler.is_some()).await.map(|_| &shared.failed))
        }
    };
    match counter {
        Some(Ok(c)) => c.fetch_add(1, Ordering::Relaxed),
        // The lease was lost (or the backend failed): the job runs again after its lease ends.
        Some(Err(_)) => shared.lost.fetch_add(1, Ordering::Relaxed),
        None => 0,
    };
    next
}

impl WorkerHandle {
    /// The worker's counters.
    pub fn stats(&self) -> WorkerStats {
        let s = &self.shared;
        WorkerStats {
            completed: s.completed.load(Ordering::Relaxed),
            failed: s.failed.load(Ordering::Relaxed),
            lost: s.lost.load(Ordering::Relaxed),
            in_flight: s.lock().in_flight as u64,
        }
    }

    /// Stops reserving, at once and without waiting: no job is reserved after this returns
    /// (a reserve already sent still hands its jobs to handlers); jobs in flight finish and
    /// are acked or failed as usual. [`WorkerHandle::shutdown`] also waits for them.
    pub fn stop(&self) {
        self.shared.update(|s| s.stopping = true);
    }

    /// Resolves once the worker stopped reserving: [`WorkerHandle::stop`], a kill, a shutdown,
    /// or its [`WorkerOptions::max_jobs`] taken. Jobs in flight may still be running.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        self.shared.until(|s| s.stopping)
    }

    /// Stops reserving and waits up to `timeout` for the jobs in flight to finish (they are
    /// acked or failed as usual). Jobs still running after it are abandoned to their leases.
    pub async fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        self.stop();
        let drained = self.shared.until(|s| s.in_flight == 0 && s.loop_done);
        let drained = matches!(select(drained, self.shared.queue.backend().sleep(timeout)).await, Either::Left(()));
        let abandoned = self.shared.lock().in_flight as u64;
        ShutdownReport { drained: drained || abandoned == 0, abandoned }
    }

    /// Waits up to `timeout` until the worker is idle: nothing in flight, and a reserve begun
    /// after this call found no job (ready jobs are done; delayed ones may remain). An idle
    /// worker is woken to check at once. Returns
    /// false if the time ran out. Useful in tests: enqueue, then wait for the worker to drain.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        self.shared.update(|s| {
            s.idle_after = s.cycles;
            s.poke = true;
        });
        let idle = self.shared.until(|s| s.in_flight == 0 && s.idle_cycle > s.idle_after);
        matches!(select(idle, self.shared.queue.backend().sleep(timeout)).await, Either::Left(()))
    }

    /// Stops at once as a crash would: no more reserves, and jobs in flight are abandoned
    /// without ack, fail or heartbeat, so they run again once their leases expire. For tests
    /// of crash recovery, and for emergencies.
    pub fn kill(&self) {
        self.shared.update(|s| {
            s.stopping = true;
            s.killed = true;
        });
    }
}
