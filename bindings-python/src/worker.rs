//! `queue.worker(handler, ...)` → `Worker`: the core's queue worker (concurrency, lease
//! heartbeats, idle waits without polling, graceful shutdown) running Python handlers.
//!
//! A handler is a plain function or an `async def` taking a `redkit.results.Job`; what it
//! returns (JSON-able) acks the job, an exception fails it with `"Type: message"` (a plain
//! `Exception("message")` with just the message) and the core retries it after its backoff or
//! dead-letters it. Each call runs on tokio's blocking pool (a plain handler may block; a
//! coroutine is awaited on the event loop the worker was started from, or in a fresh one under
//! the sync API), so handlers never stall the I/O threads.
//!
//! One start is a *run*: a supervisor task waits for a stop request (`stop()`, `max_jobs`
//! handlers started, the `run` timeout, a signal, leaving `with`) and then shuts the core worker
//! down gracefully, bounded by `shutdown_timeout` in real time as well as the backend's (a manual
//! clock would otherwise never end it). The sync `run` waits in short slices with the GIL
//! released and checks for signals between them, so a signal handler can call `stop()`.

use crate::callback::Callback;
use crate::convert::Seconds;
use crate::errors::to_py_err;
use crate::json::to_json;
use crate::queue::{quoted, Queue, DEFAULT_JOB_TYPE};
use crate::record::record;
use crate::runtime::{block, runtime, spawn, Mode};
use pyo3::exceptions::{PyException, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use redkit::patterns::queue::{Queue as CoreQueue, ReservedJob};
use redkit::patterns::worker::{
    HandlerResult, ShutdownReport, Worker as CoreWorker, WorkerHandle, WorkerOptions, WorkerStats,
};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long the sync `run` waits with the GIL released before checking for signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);
/// Extra real time a shutdown gets beyond its bound before it is given up.
const GRACE: Duration = Duration::from_millis(500);

/// What ends a run and what its end was.
struct Control {
    stop: AtomicBool,
    drain_ms: AtomicU64,
    wake: Notify,
    finished: AtomicBool,
    done: Notify,
    report: Mutex<Option<ShutdownReport>>,
}

impl Control {
    fn request_stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }

    /// Resolves once `ready` holds (checked whenever `notify` fires).
    async fn until(&self, notify: &Notify, ready: impl Fn(&Control) -> bool) {
        loop {
            let notified = notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if ready(self) {
                return;
            }
            notified.await;
        }
    }

    /// Waits up to `bound` for the run to end; true if it did.
    async fn finished_within(&self, bound: Option<Duration>) -> bool {
        let done = self.until(&self.done, |c| c.finished.load(Ordering::Acquire));
        match bound {
            Some(b) => tokio::time::timeout(b, done).await.is_ok(),
            None => {
                done.await;
                true
            }
        }
    }

    fn drain(&self) -> Duration {
        Duration::from_millis(self.drain_ms.load(Ordering::Acquire))
    }
}

/// One start of a worker.
struct Run {
    handle: WorkerHandle,
    control: Arc<Control>,
}

/// Waits for a stop request or the core worker stopping by itself (`max_jobs`), then shuts it
/// down (bounded by the backend's clock and by real time) and records how.
async fn supervise(run: Arc<Run>) {
    let c = &run.control;
    tokio::select! {
        () = c.until(&c.wake, |c| c.stop.load(Ordering::Acquire)) => {}
        () = run.handle.stopped() => {}
    }
    let drain = c.drain();
    let report = tokio::time::timeout(drain + GRACE, run.handle.shutdown(drain))
        .await
        .unwrap_or_else(|_| ShutdownReport::abandoning(run.handle.stats().in_flight));
    *c.report.lock().unwrap_or_else(|p| p.into_inner()) = Some(report);
    c.finished.store(true, Ordering::Release);
    c.done.notify_waiters();
}

/// `"Type: message"` of an exception; just the message of a plain `Exception("message")`, whose
/// type says nothing more (the job's error is then the handler's words, as in the other APIs).
fn describe(py: Python<'_>, e: &PyErr) -> String {
    let name = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
    let text = e.value(py).to_string();
    if e.get_type(py).is(py.get_type::<PyException>()) && !text.is_empty() {
        return text;
    }
    if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    }
}

/// Calls `cb` with the job (as a `Job`) and turns its return value or exception into the
/// core's handler result.
async fn call(cb: Callback, job: ReservedJob) -> HandlerResult {
    match cb.call(move |py| PyTuple::new(py, [record(py, "Job", &job)?])).await {
        Ok(v) => Python::attach(|py| to_json(v.bind(py)).map_err(|e| describe(py, &e))),
        Err(e) => Err(Python::attach(|py| describe(py, &cb.error(e)))),
    }
}

/// The core handler for one Python callable: calls it on the blocking pool.
fn handler(
    cb: Callback,
) -> impl Fn(ReservedJob) -> std::pin::Pin<Box<dyn Future<Output = HandlerResult> + Send>> + Send + Sync + 'static {
    move |job| {
        let cb = cb.clone();
        Box::pin(async move {
            let task = runtime().spawn_blocking(move || redkit::backend::block_on(call(cb, job)));
            task.await.unwrap_or_else(|_| Err("the handler panicked".to_string()))
        })
    }
}

/// A queue worker running Python handlers (see the `Worker` stub).
#[pyclass(module = "redkit._native", frozen)]
pub struct Worker {
    queue: CoreQueue,
    mode: Mode,
    options: WorkerOptions,
    handlers: Vec<(String, Callback)>,
    shutdown_timeout: Duration,
    current: Mutex<Option<Arc<Run>>>,
}

#[pymethods]
impl Queue {
    /// A worker running `handler` for this queue's jobs: one callable for jobs of the default
    /// type, or a dict of job type → callable. Not started: use `run()`, `with` or `async with`.
    #[pyo3(signature = (handler, *, concurrency = 1, lease = None, heartbeat = None, idle_wait = None, shutdown_timeout = None))]
    fn worker(
        &self,
        handler: &Bound<'_, PyAny>,
        concurrency: usize,
        lease: Option<Seconds>,
        heartbeat: Option<Seconds>,
        idle_wait: Option<Seconds>,
        shutdown_timeout: Option<Seconds>,
    ) -> PyResult<Worker> {
        let handlers = match handler.cast::<PyDict>() {
            Ok(d) => {
                let mut all = Vec::new();
                for (k, v) in d.iter() {
                    let t = k.cast::<PyString>().map_err(|_| PyTypeError::new_err("job types must be str"))?;
                    all.push((t.to_cow()?.into_owned(), Callback::new(&v)?));
                }
                all
            }
            Err(_) => vec![(DEFAULT_JOB_TYPE.to_string(), Callback::new(handler)?)],
        };
        let mut o = WorkerOptions::default().concurrency(concurrency);
        if let Some(l) = lease {
            o = o.lease(l.0);
        }
        if let Some(h) = heartbeat {
            o = o.heartbeat(h.0);
        }
        if let Some(i) = idle_wait {
            o = o.idle_wait(i.0);
        }
        Ok(Worker {
            queue: self.inner.clone(),
            mode: self.mode,
            options: o,
            handlers,
            shutdown_timeout: shutdown_timeout.map_or(Duration::from_secs(30), |t| t.0),
            current: Mutex::new(None),
        })
    }
}

impl Worker {
    fn current(&self) -> Option<Arc<Run>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Starts a run (error if one is going on).
    fn start_run(&self, py: Python<'_>, max_jobs: Option<u64>, bind_loop: bool) -> PyResult<Arc<Run>> {
        let mut slot = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|r| !r.control.finished.load(Ordering::Acquire)) {
            return Err(PyRuntimeError::new_err("this worker is already running"));
        }
        for (_, cb) in &self.handlers {
            if bind_loop {
                cb.bind_loop(py);
            } else {
                cb.forget_loop();
            }
        }
        let control = Arc::new(Control {
            stop: AtomicBool::new(false),
            drain_ms: AtomicU64::new(self.shutdown_timeout.as_millis() as u64),
            wake: Notify::new(),
            finished: AtomicBool::new(false),
            done: Notify::new(),
            report: Mutex::new(None),
        });
        let options = match max_jobs {
            Some(n) => self.options.clone().max_jobs(n),
            None => self.options.clone(),
        };
        let mut w = CoreWorker::new(&self.queue, options);
        for (job_type, cb) in &self.handlers {
            w = w.handle(job_type, handler(cb.clone()));
        }
        let handle = {
            let _context = runtime().enter();
            w.start().map_err(to_py_err)?
        };
        let run = Arc::new(Run { handle, control });
        spawn(supervise(run.clone()));
        *slot = Some(run.clone());
        Ok(run)
    }

    /// Asks the current run to stop and returns a future of its end (bounded).
    fn stop_and_wait(&self, timeout: Option<Duration>) -> impl Future<Output = redkit::Result<Option<ShutdownReport>>> {
        let run = self.current();
        if let (Some(r), Some(t)) = (&run, timeout) {
            r.control.drain_ms.store(t.as_millis() as u64, Ordering::Release);
        }
        if let Some(r) = &run {
            r.control.request_stop();
        }
        async move {
            let Some(run) = run else { return Ok(None) };
            let c = &run.control;
            c.finished_within(Some(c.drain() + GRACE * 2)).await;
            let report = *c.report.lock().unwrap_or_else(|p| p.into_inner());
            Ok(report)
        }
    }

    fn stats_of(py: Python<'_>, run: Option<&Arc<Run>>) -> PyResult<Py<PyAny>> {
        record(py, "WorkerStats", &run.map_or_else(WorkerStats::default, |r| r.handle.stats()))
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

/// Asks the run to stop when dropped (an asyncio `run` cancelled mid-way still shuts down).
struct StopOnDrop(Arc<Control>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.request_stop();
    }
}

fn report(py: Python<'_>, r: Option<ShutdownReport>) -> PyResult<Py<PyAny>> {
    record(py, "ShutdownReport", &r.unwrap_or(ShutdownReport::abandoning(0)))
}

#[pymethods]
impl Worker {
    /// Runs until `max_jobs` jobs were started (and finished), `timeout` seconds passed, or
    /// `stop()` was called; then shuts down gracefully. Returns the run's `WorkerStats`.
    #[pyo3(signature = (max_jobs = None, timeout = None))]
    fn run(slf: &Bound<'_, Self>, max_jobs: Option<u64>, timeout: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let (this, py) = (slf.get(), slf.py());
        let run = this.start_run(py, max_jobs, this.mode == Mode::Async)?;
        let timeout = timeout.map(|t| t.0);
        match this.mode {
            Mode::Sync => {
                let deadline = timeout.map(|t| Instant::now() + t);
                let c = &run.control;
                loop {
                    let slice = deadline
                        .map_or(SIGNAL_CHECK, |d| d.saturating_duration_since(Instant::now()).min(SIGNAL_CHECK));
                    if block(py, c.finished_within(Some(slice))) {
                        break;
                    }
                    if let Err(e) = py.check_signals() {
                        c.request_stop();
                        block(py, c.finished_within(Some(c.drain() + GRACE * 2)));
                        return Err(e);
                    }
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        c.request_stop();
                    }
                }
                Self::stats_of(py, Some(&run))
            }
            Mode::Async => {
                // The awaitable keeps the worker alive (`await queue.worker(h).run()` drops
                // the only other reference, and a dropped worker stops).
                let keep = slf.clone().unbind();
                let fut = async move {
                    let guard = StopOnDrop(run.control.clone());
                    if !run.control.finished_within(timeout).await {
                        run.control.request_stop();
                        run.control.finished_within(None).await;
                    }
                    drop(guard);
                    Ok((run, keep))
                };
                this.mode.run_with(py, fut, |py, (run, _keep)| Self::stats_of(py, Some(&run)))
            }
        }
    }

    /// Starts a run in the background and returns at once (stop it with `stop()` or
    /// `shutdown()`); `RuntimeError` if one is going on.
    #[pyo3(signature = (max_jobs = None))]
    fn start(&self, py: Python<'_>, max_jobs: Option<u64>) -> PyResult<()> {
        self.start_run(py, max_jobs, self.mode == Mode::Async).map(drop)
    }

    /// Asks a run to stop gracefully without waiting (safe from another thread or a signal
    /// handler); does nothing when not running.
    fn stop(&self) {
        if let Some(r) = self.current() {
            r.control.request_stop();
        }
    }

    /// Stops and waits for the jobs in flight to finish, up to `timeout` seconds (default: the
    /// worker's `shutdown_timeout`). Returns a `ShutdownReport`.
    #[pyo3(signature = (timeout = None))]
    fn shutdown(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<Py<PyAny>> {
        self.mode.run_with(py, self.stop_and_wait(timeout.map(|t| t.0)), report)
    }

    /// Stops at once as a crash would: jobs in flight are abandoned to their leases.
    fn kill(&self) {
        if let Some(r) = self.current() {
            r.handle.kill();
            r.control.request_stop();
        }
    }

    /// Waits up to `timeout` seconds until the running worker has nothing in flight and found
    /// the queue empty; returns whether it did.
    fn wait_idle(&self, py: Python<'_>, timeout: Seconds) -> PyResult<Py<PyAny>> {
        let run = self.current().ok_or_else(|| PyRuntimeError::new_err("the worker is not running"))?;
        let t = timeout.0;
        self.mode.run(py, async move { Ok(tokio::time::timeout(t, run.handle.wait_idle(t)).await.unwrap_or(false)) })
    }

    /// The current (or last) run's `WorkerStats`.
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Self::stats_of(py, self.current().as_ref())
    }

    /// Whether a run is going on.
    #[getter]
    fn running(&self) -> bool {
        self.current().is_some_and(|r| !r.control.finished.load(Ordering::Acquire))
    }

    /// How many jobs run at once.
    #[getter]
    fn concurrency(&self) -> usize {
        self.options.concurrency
    }

    /// Starts a run in the background; leaving the block stops it gracefully.
    fn __enter__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        slf.get().start_run(slf.py(), None, false)?;
        slf.clone().into_py_any(slf.py())
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<bool> {
        block(py, self.stop_and_wait(None)).map_err(to_py_err)?;
        Ok(false)
    }

    fn __aenter__(slf: &Bound<'_, Self>) -> PyResult<Py<PyAny>> {
        slf.get().start_run(slf.py(), None, true)?;
        let me = slf.clone().unbind();
        Mode::Async.run_with(slf.py(), async { Ok(()) }, move |py, ()| me.into_py_any(py))
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        Mode::Async.run_with(py, self.stop_and_wait(None), |py, _| false.into_py_any(py))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let types: Vec<String> = self.handlers.iter().map(|(t, _)| quoted(py, t)).collect();
        format!(
            "Worker(queue={}, job_types=[{}], concurrency={}, running={})",
            quoted(py, self.queue.name()),
            types.join(", "),
            self.options.concurrency,
            if self.running() { "True" } else { "False" }
        )
    }
}
