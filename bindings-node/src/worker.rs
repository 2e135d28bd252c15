//! `queue.worker(handler, options)` → `Worker`: the core's queue worker (concurrency, lease
//! heartbeats, idle waits without polling, graceful shutdown) running JavaScript handlers.
//!
//! A handler is a plain or `async` function of the job (a `Job` object), run as a
//! [`Callback`]: what it returns (JSON) acks the job, a throw or rejection fails it with the
//! error's message and the core retries it after its backoff or dead-letters it. One function
//! serves jobs of the default type; an object maps job types to functions.
//!
//! One start is a *run*: a supervisor task waits for a stop request (`stop()`, `close()`,
//! `maxJobs` handlers started, `run`'s timeout) and then shuts the core worker down gracefully,
//! bounded by `shutdownTimeout` in real time as well as the backend's (a manual clock would
//! otherwise never end it). Nothing here holds Node's event loop open but a pending Promise;
//! `lib/queue.js` keeps the process alive while a run begun with `start()` lasts.

use crate::callback::{report_text, Callback};
use crate::convert::{count, millis};
use crate::errors::{to_js, type_error};
use crate::queue::{Queue, DEFAULT_JOB_TYPE};
use crate::record::record;
use napi::bindgen_prelude::Either;
use napi_derive::napi;
use redkit::patterns::queue::{Queue as CoreQueue, ReservedJob};
use redkit::patterns::worker::{
    HandlerResult, ShutdownReport, Worker as CoreWorker, WorkerHandle, WorkerOptions as CoreOptions, WorkerStats,
};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Extra real time a shutdown gets beyond its bound before it is given up.
const GRACE: Duration = Duration::from_millis(500);

/// Options of `queue.worker(handler, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct WorkerOptions {
    /// Jobs run at once (default 1).
    pub concurrency: Option<u32>,
    /// Lease of each reserve (default: the queue's).
    pub lease: Option<f64>,
    /// How often a running job's lease is extended (default: a third of the lease).
    pub heartbeat: Option<f64>,
    /// Longest wait between reserves when the queue looks empty.
    pub idle_wait: Option<f64>,
    /// How long `close()` waits for jobs in flight by default (default 30,000).
    pub shutdown_timeout: Option<f64>,
}

/// Options of `run`.
#[napi(object)]
#[derive(Default)]
pub struct RunOptions {
    /// Stop after this many jobs were started (and finished).
    pub max_jobs: Option<f64>,
    /// Stop after this many ms (real time).
    pub timeout: Option<f64>,
}

/// What ends one run, and its end.
struct Control {
    stop: watch::Sender<bool>,
    drain_ms: AtomicU64,
    /// `Some` once the run ended.
    done: watch::Sender<Option<ShutdownReport>>,
}

impl Control {
    fn request_stop(&self) {
        self.stop.send_replace(true);
    }

    fn finished(&self) -> bool {
        self.done.borrow().is_some()
    }

    /// Waits (bounded by the drain time plus grace, in real time) for the run's end.
    async fn ended(&self) -> Option<ShutdownReport> {
        let mut rx = self.done.subscribe();
        let bound = Duration::from_millis(self.drain_ms.load(Ordering::Acquire)) + GRACE * 2;
        let _ = tokio::time::timeout(bound, rx.wait_for(Option::is_some)).await;
        let r = *rx.borrow();
        r
    }
}

/// One start of a worker.
struct Run {
    handle: WorkerHandle,
    control: Arc<Control>,
}

impl Run {
    /// Resolves when a stop was requested or the core worker stopped by itself (`maxJobs`).
    async fn stopping(&self) {
        let mut stop = self.control.stop.subscribe();
        tokio::select! {
            _ = stop.wait_for(|s| *s) => {}
            () = self.handle.stopped() => {}
        }
    }
}

/// Waits for the run to stop, then shuts the core worker down (bounded by the backend's clock
/// and by real time) and records how.
async fn supervise(run: Arc<Run>) {
    run.stopping().await;
    let drain = Duration::from_millis(run.control.drain_ms.load(Ordering::Acquire));
    let report = tokio::time::timeout(drain + GRACE, run.handle.shutdown(drain))
        .await
        .unwrap_or_else(|_| ShutdownReport::abandoning(run.handle.stats().in_flight));
    run.control.done.send_replace(Some(report));
}

/// Calls the handler with the job and turns its result or throw into the core's.
async fn call(cb: Callback, job: ReservedJob) -> HandlerResult {
    let job = record(&job).map_err(|e| e.reason)?;
    cb.call(vec![job]).await.map_err(|e| report_text(&e.message))
}

/// A queue worker running JavaScript handlers.
#[napi]
pub struct Worker {
    queue: CoreQueue,
    options: CoreOptions,
    handlers: Vec<(String, Callback)>,
    shutdown_timeout: Duration,
    current: Mutex<Option<Arc<Run>>>,
}

#[napi]
impl Queue {
    /// A worker running `handler` (a function of the job, or an object of job type → function)
    /// for this queue's jobs. Not started: use `run()` or `start()`.
    #[napi(
        strict,
        ts_args_type = "handler: ((job: Job) => unknown) | Record<string, (job: Job) => unknown>, options?: WorkerOptions",
        catch_unwind
    )]
    pub fn worker(
        &self,
        handler: Either<Callback, HashMap<String, Callback>>,
        options: Option<WorkerOptions>,
    ) -> napi::Result<Worker> {
        let handlers = match handler {
            Either::A(cb) => vec![(DEFAULT_JOB_TYPE.to_string(), cb)],
            Either::B(map) => map.into_iter().collect(),
        };
        if handlers.is_empty() {
            return Err(type_error("a worker needs at least one handler"));
        }
        let o = options.unwrap_or_default();
        let mut core = CoreOptions::default().concurrency(o.concurrency.unwrap_or(1) as usize);
        if let Some(ms) = o.lease {
            core = core.lease(millis("lease", ms)?);
        }
        if let Some(ms) = o.heartbeat {
            core = core.heartbeat(millis("heartbeat", ms)?);
        }
        if let Some(ms) = o.idle_wait {
            core = core.idle_wait(millis("idleWait", ms)?);
        }
        let shutdown_timeout =
            o.shutdown_timeout.map_or(Ok(Duration::from_secs(30)), |ms| millis("shutdownTimeout", ms))?;
        Ok(Worker { queue: self.inner.clone(), options: core, handlers, shutdown_timeout, current: Mutex::new(None) })
    }
}

impl Worker {
    fn current(&self) -> Option<Arc<Run>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Starts a run (error if one is going on).
    fn start_run(&self, max_jobs: Option<u64>) -> napi::Result<Arc<Run>> {
        let mut slot = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|r| !r.control.finished()) {
            return Err(crate::errors::tagged(redkit::ErrorKind::InvalidArgument, "this worker is already running"));
        }
        let control = Arc::new(Control {
            stop: watch::channel(false).0,
            drain_ms: AtomicU64::new(self.shutdown_timeout.as_millis() as u64),
            done: watch::channel(None).0,
        });
        let options = match max_jobs {
            Some(n) => self.options.clone().max_jobs(n),
            None => self.options.clone(),
        };
        let mut w = CoreWorker::new(&self.queue, options);
        for (job_type, cb) in &self.handlers {
            let cb = cb.clone();
            w = w.handle(job_type, move |job| call(cb.clone(), job));
        }
        let handle = napi::bindgen_prelude::within_runtime_if_available(|| w.start()).map_err(to_js)?;
        let run = Arc::new(Run { handle, control });
        napi::bindgen_prelude::spawn(supervise(run.clone()));
        *slot = Some(run.clone());
        Ok(run)
    }

    fn stats_of(run: Option<&Arc<Run>>) -> napi::Result<Json> {
        record(&run.map_or_else(WorkerStats::default, |r| r.handle.stats()))
    }
}

/// A worker nobody can reach any more stops gracefully instead of running on unseen.
impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(r) = self.current() {
            r.control.request_stop();
        }
    }
}

#[napi]
impl Worker {
    /// Runs until `maxJobs` jobs were started (and finished), `timeout` ms passed, or `stop()`
    /// / `close()` was called; then shuts down gracefully. Resolves to the run's `WorkerStats`.
    #[napi(strict, ts_return_type = "Promise<WorkerStats>")]
    pub async fn run(&self, options: Option<RunOptions>) -> napi::Result<Json> {
        let o = options.unwrap_or_default();
        let max_jobs = o.max_jobs.map(|n| count("maxJobs", n)).transpose()?;
        let timeout = o.timeout.map(|ms| millis("timeout", ms)).transpose()?;
        let run = self.start_run(max_jobs)?;
        match timeout {
            Some(t) => {
                let _ = tokio::time::timeout(t, run.stopping()).await;
            }
            None => run.stopping().await,
        }
        run.control.request_stop();
        run.control.ended().await;
        Self::stats_of(Some(&run))
    }

    /// Starts a run in the background (stop it with `close()`); `maxJobs` ends it after that
    /// many jobs. The process stays alive until the run ends, as with a BullMQ worker. Throws
    /// if one is going on.
    #[napi(strict, catch_unwind)]
    pub fn start(&self, max_jobs: Option<f64>) -> napi::Result<()> {
        let max_jobs = max_jobs.map(|n| count("maxJobs", n)).transpose()?;
        self.start_run(max_jobs).map(drop)
    }

    /// Asks a run to stop gracefully without waiting; does nothing when not running.
    #[napi(strict, catch_unwind)]
    pub fn stop(&self) {
        if let Some(r) = self.current() {
            r.control.request_stop();
        }
    }

    /// Stops and waits for the jobs in flight to finish, up to `timeout` ms (default: the
    /// worker's `shutdownTimeout`). Resolves to a `ShutdownReport`.
    #[napi(strict, ts_return_type = "Promise<ShutdownReport>")]
    pub async fn close(&self, timeout: Option<f64>) -> napi::Result<Json> {
        let timeout = timeout.map(|ms| millis("timeout", ms)).transpose()?;
        let Some(run) = self.current() else { return record(&ShutdownReport::abandoning(0)) };
        if let Some(t) = timeout {
            if !run.control.finished() {
                run.control.drain_ms.store(t.as_millis() as u64, Ordering::Release);
            }
        }
        run.control.request_stop();
        record(&run.control.ended().await.unwrap_or_else(|| ShutdownReport::abandoning(run.handle.stats().in_flight)))
    }

    /// Stops at once as a crash would: jobs in flight are abandoned to their leases.
    #[napi(strict, catch_unwind)]
    pub fn kill(&self) {
        if let Some(r) = self.current() {
            r.handle.kill();
            r.control.request_stop();
        }
    }

    /// Waits up to `timeout` ms until the running worker has nothing in flight and found the
    /// queue empty; resolves to whether it did.
    #[napi(strict)]
    pub async fn wait_idle(&self, timeout: f64) -> napi::Result<bool> {
        let t = millis("timeout", timeout)?;
        let run = self.current().ok_or_else(|| type_error("the worker is not running"))?;
        Ok(tokio::time::timeout(t, run.handle.wait_idle(t)).await.unwrap_or(false))
    }

    /// The current (or last) run's `WorkerStats`.
    #[napi(strict, ts_return_type = "WorkerStats", catch_unwind)]
    pub fn stats(&self) -> napi::Result<Json> {
        Self::stats_of(self.current().as_ref())
    }

    /// Whether a run is going on.
    #[napi(strict, getter, catch_unwind)]
    pub fn running(&self) -> bool {
        self.current().is_some_and(|r| !r.control.finished())
    }

    /// How many jobs run at once.
    #[napi(strict, getter, catch_unwind)]
    pub fn concurrency(&self) -> u32 {
        self.options.concurrency as u32
    }
}
