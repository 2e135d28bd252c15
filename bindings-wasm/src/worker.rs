//! `queue.worker(handlers, options)` → `Worker`: the core's queue worker (concurrency, lease
//! heartbeats, idle waits without polling, graceful shutdown) running JavaScript handlers,
//! with the Node package's surface (`run`, `start`, `stop`, `close`, `kill`, `waitIdle`,
//! `stats`, `running`, `concurrency`; the package's JavaScript makes it disposable).
//!
//! A handler is a function of the job (a `Job` object), plain or `async`: what it returns
//! (JSON) acks the job; a throw or rejection — or a result JSON cannot hold — fails it with
//! the error's message, and the core retries it after its backoff or dead-letters it. One
//! function serves jobs of the default type; an object maps job types to functions. The core
//! worker's loop runs on the event loop (the backend's spawner, `spawn_local`).
//!
//! One start is a *run*: a supervisor task waits for a stop request (`stop()`, `close()`,
//! `run`'s timeout) or for the core worker to stop by itself (`maxJobs`), then shuts it down
//! gracefully, bounded by `shutdownTimeout` in real time as well as the simulator's (a manual
//! clock nobody advances would otherwise never end it), as the Node package does. Jobs a
//! shutdown abandons are killed as `kill()` would (left to their leases, no more heartbeats),
//! so a handler that never settles does not keep the page's or Node's event loop busy.

use crate::callback::{call, message_of};
use crate::convert::{json_of, millis, options, record, whole};
use crate::errors::{invalid, to_js, type_error};
use crate::queue::{Queue, DEFAULT_JOB_TYPE};
use crate::tasks::{promise, Local};
use crate::ticker::Ticker;
use crate::timer::within;
use js_sys::{Function, Object, Promise};
use redkit::patterns::queue::{Queue as CoreQueue, ReservedJob};
use redkit::patterns::worker::{
    HandlerResult, ShutdownReport, Worker as CoreWorker, WorkerHandle, WorkerOptions, WorkerStats,
};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// Extra real time a shutdown gets beyond its bound before it is given up.
const GRACE: Duration = Duration::from_millis(500);

/// What the worker's options hold beyond the core's: the default drain time of `close()`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Shutdown {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    shutdown_timeout: Option<Duration>,
}

/// Options of `run`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct RunOptions {
    max_jobs: Option<u64>,
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    timeout: Option<Duration>,
}

/// A flag futures can wait for (one thread: no locking).
#[derive(Default)]
struct Flag {
    set: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
}

impl Flag {
    fn raise(&self) {
        self.set.set(true);
        self.waiters.take().into_iter().for_each(Waker::wake);
    }

    async fn raised(&self) {
        poll_fn(|cx| {
            if self.set.get() {
                return Poll::Ready(());
            }
            self.waiters.borrow_mut().push(cx.waker().clone());
            Poll::Pending
        })
        .await;
    }
}

/// One start of a worker.
struct Run {
    handle: WorkerHandle,
    stop: Flag,
    /// How long the shutdown waits for jobs in flight (`close(timeout)` may shorten it).
    drain: Cell<Duration>,
    ended: Flag,
    report: Cell<Option<ShutdownReport>>,
}

impl Run {
    /// Resolves when a stop was requested or the core worker stopped by itself (`maxJobs`).
    async fn stopping(&self) {
        let stopped = self.handle.stopped();
        let asked = self.stop.raised();
        futures_first(stopped, asked).await;
    }

    fn finished(&self) -> bool {
        self.ended.set.get()
    }

    /// Waits (bounded by the drain time plus grace, in real time) for the run's end.
    async fn end(&self) -> ShutdownReport {
        within(self.drain.get() + GRACE * 2, self.ended.raised()).await;
        self.report.get().unwrap_or_else(|| ShutdownReport::abandoning(self.handle.stats().in_flight))
    }
}

/// Awaits whichever of two unit futures finishes first.
async fn futures_first(a: impl Future<Output = ()>, b: impl Future<Output = ()>) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            return Poll::Ready(());
        }
        Poll::Pending
    })
    .await;
}

/// Waits for the run to stop, then shuts the core worker down (bounded by the simulator's
/// clock and by real time, holding the host-clock cron meanwhile) and records how.
async fn supervise(run: Rc<Run>, ticker: Rc<Ticker>) {
    run.stopping().await;
    let _hold = ticker.hold();
    let drain = run.drain.get();
    let report = within(drain + GRACE, run.handle.shutdown(drain))
        .await
        .unwrap_or_else(|| ShutdownReport::abandoning(run.handle.stats().in_flight));
    if !report.drained {
        // Abandoned jobs are left to their leases: no more heartbeats for them, and their
        // tasks end (they would otherwise hold the host-clock cron, and Node, for ever).
        run.handle.kill();
    }
    run.report.set(Some(report));
    run.ended.raise();
}

/// Runs the handler on a job and turns its result or throw into the core's.
async fn handle(f: Local<Function>, job: ReservedJob) -> HandlerResult {
    let job = record(&job).map_err(|e| message_of(&e))?;
    let out = call(&f, &job).await.map_err(|e| message_of(&e))?;
    json_of(&out, "the handler's result").map_err(|e| message_of(&e))
}

/// The handlers given to `queue.worker`: a function (the default job type) or an object of
/// job type → function.
fn handlers(value: &JsValue) -> Result<Vec<(String, Function)>, JsValue> {
    if let Some(f) = value.dyn_ref::<Function>() {
        return Ok(vec![(DEFAULT_JOB_TYPE.to_string(), f.clone())]);
    }
    let Some(map) = value.dyn_ref::<Object>().filter(|_| !js_sys::Array::is_array(value)) else {
        return Err(type_error("a worker's handler must be a function or an object of job type → function"));
    };
    let mut out = Vec::new();
    for entry in Object::entries(map).iter() {
        let pair = js_sys::Array::from(&entry);
        let job_type = pair.get(0).as_string().unwrap_or_default();
        let f = pair
            .get(1)
            .dyn_into::<Function>()
            .map_err(|_| type_error(format!("the handler of {job_type:?} must be a function")))?;
        out.push((job_type, f));
    }
    if out.is_empty() {
        return Err(type_error("a worker needs at least one handler"));
    }
    Ok(out)
}

/// A queue worker running JavaScript handlers.
#[wasm_bindgen]
pub struct Worker {
    queue: CoreQueue,
    options: WorkerOptions,
    handlers: Vec<(String, Function)>,
    shutdown_timeout: Duration,
    current: RefCell<Option<Rc<Run>>>,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Queue {
    /// A worker running `handler` (a function of the job, or an object of job type → function)
    /// for this queue's jobs. Not started: use `run()` or `start()`.
    pub fn worker(
        &self,
        #[wasm_bindgen(unchecked_param_type = "((job: Job) => unknown) | Record<string, (job: Job) => unknown>")]
        handler: JsValue,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "WorkerOptions")] options_: JsValue,
    ) -> Result<Worker, JsValue> {
        let handlers = handlers(&handler)?;
        let core: WorkerOptions = options(&options_, "worker options")?;
        let shutdown: Shutdown = options(&options_, "worker options")?;
        Ok(Worker {
            queue: self.inner.clone(),
            options: core,
            handlers,
            shutdown_timeout: shutdown.shutdown_timeout.unwrap_or(Duration::from_secs(30)),
            current: RefCell::new(None),
            ticker: self.ticker.clone(),
        })
    }
}

impl Worker {
    fn current(&self) -> Option<Rc<Run>> {
        self.current.borrow().clone()
    }

    /// Starts a run (an error if one is going on).
    fn start_run(&self, max_jobs: Option<u64>) -> Result<Rc<Run>, JsValue> {
        if self.current().is_some_and(|r| !r.finished()) {
            return Err(invalid("this worker is already running"));
        }
        let options = match max_jobs {
            Some(n) => self.options.clone().max_jobs(n),
            None => self.options.clone(),
        };
        let mut w = CoreWorker::new(&self.queue, options);
        for (job_type, f) in &self.handlers {
            let f = Local::new(f.clone());
            w = w.handle(job_type, move |job| Local::new(handle(f.clone(), job)));
        }
        let handle = w.start().map_err(to_js)?;
        let run = Rc::new(Run {
            handle,
            stop: Flag::default(),
            drain: Cell::new(self.shutdown_timeout),
            ended: Flag::default(),
            report: Cell::new(None),
        });
        spawn_local(supervise(run.clone(), self.ticker.clone()));
        *self.current.borrow_mut() = Some(run.clone());
        Ok(run)
    }
}

/// A worker nobody can reach any more stops gracefully instead of running on unseen.
impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(r) = self.current() {
            r.stop.raise();
        }
    }
}

#[wasm_bindgen]
impl Worker {
    /// Runs until `maxJobs` jobs were started (and finished), `timeout` ms passed (real time),
    /// or `stop()` / `close()` was called; then shuts down gracefully. Resolves to the run's
    /// `WorkerStats`.
    #[wasm_bindgen(unchecked_return_type = "Promise<WorkerStats>")]
    pub fn run(
        &self,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "RunOptions")] options_: JsValue,
    ) -> Promise {
        let run =
            options::<RunOptions>(&options_, "run options").and_then(|o| Ok((self.start_run(o.max_jobs)?, o.timeout)));
        let (run, timeout) = match run {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        promise(&self.ticker, async move {
            match timeout {
                Some(t) => drop(within(t, run.stopping()).await),
                None => run.stopping().await,
            }
            run.stop.raise();
            run.end().await;
            record(&run.handle.stats())
        })
    }

    /// Starts a run in the background (stop it with `close()`); `maxJobs` ends it after that
    /// many jobs. Throws if one is going on.
    pub fn start(&self, #[wasm_bindgen(js_name = maxJobs)] max_jobs: Option<f64>) -> Result<(), JsValue> {
        let max_jobs = max_jobs.map(|n| whole("maxJobs", n)).transpose()?;
        self.start_run(max_jobs).map(drop)
    }

    /// Asks a run to stop gracefully without waiting; does nothing when not running.
    pub fn stop(&self) {
        if let Some(r) = self.current() {
            r.stop.raise();
        }
    }

    /// Stops and waits for the jobs in flight to finish, up to `timeout` ms (default: the
    /// worker's `shutdownTimeout`). Resolves to a `ShutdownReport`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ShutdownReport>")]
    pub fn close(&self, timeout: Option<f64>) -> Promise {
        let timeout = match timeout.map(|ms| millis("timeout", ms)).transpose() {
            Ok(t) => t,
            Err(e) => return Promise::reject(&e),
        };
        let Some(run) = self.current() else {
            return promise(&self.ticker, async { record(&ShutdownReport::abandoning(0)) });
        };
        if let Some(t) = timeout.filter(|_| !run.finished()) {
            run.drain.set(t);
        }
        run.stop.raise();
        promise(&self.ticker, async move { record(&run.end().await) })
    }

    /// Stops at once as a crash would: jobs in flight are abandoned to their leases.
    pub fn kill(&self) {
        if let Some(r) = self.current() {
            r.handle.kill();
            r.stop.raise();
        }
    }

    /// Waits up to `timeout` ms until the running worker has nothing in flight and found the
    /// queue empty; resolves to whether it did.
    #[wasm_bindgen(js_name = waitIdle, unchecked_return_type = "Promise<boolean>")]
    pub fn wait_idle(&self, timeout: f64) -> Promise {
        let args = millis("timeout", timeout)
            .and_then(|t| Ok((t, self.current().ok_or_else(|| type_error("the worker is not running"))?)));
        let (t, run) = match args {
            Ok(a) => a,
            Err(e) => return Promise::reject(&e),
        };
        promise(&self.ticker, async move { Ok(within(t, run.handle.wait_idle(t)).await.unwrap_or(false).into()) })
    }

    /// The current (or last) run's `WorkerStats`.
    #[wasm_bindgen(unchecked_return_type = "WorkerStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        record(&self.current().map_or_else(WorkerStats::default, |r| r.handle.stats()))
    }

    /// Whether a run is going on.
    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        self.current().is_some_and(|r| !r.finished())
    }

    /// How many jobs run at once.
    #[wasm_bindgen(getter)]
    pub fn concurrency(&self) -> u32 {
        self.options.concurrency as u32
    }
}
