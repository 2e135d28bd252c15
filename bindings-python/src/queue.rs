//! `client.queue(...)` → `Queue`: the core's reliable job queue (priorities, delays, retries
//! with backoff, de-duplication, leases with heartbeats, dead letters, repeatable jobs, pause,
//! counts, lookup). Job data and results are JSON-able Python values ([`crate::json`]); jobs
//! come back as `redkit.results.Job` / `JobInfo`. `queue.worker(handler)` is in `worker.rs`.

use crate::client::Client;
use crate::convert::Seconds;
use crate::errors::to_py_err;
use crate::json::to_json;
use crate::record::{fields, record};
use crate::runtime::Mode;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use redkit::patterns::queue::{
    Backoff, JobOptions, NewJob, Queue as CoreQueue, QueueOptions, Reservation, ReservedJob, Schedule,
};
use serde_json::Value as Json;
use std::time::Duration;

/// The job type `enqueue` uses unless told otherwise, and the one a worker's single handler
/// serves.
pub const DEFAULT_JOB_TYPE: &str = "default";

/// A job queue (see the `Queue` stub for the methods).
#[pyclass(module = "redkit._native", frozen)]
pub struct Queue {
    pub(crate) inner: CoreQueue,
    pub(crate) mode: Mode,
}

#[pymethods]
impl Client {
    /// A job queue named `name`: `lease` is the default visibility timeout of a reserve,
    /// `result_ttl` how long completed jobs and their results are kept.
    #[pyo3(signature = (name, *, lease = None, result_ttl = None, prefix = None))]
    fn queue(
        &self,
        name: &str,
        lease: Option<Seconds>,
        result_ttl: Option<Seconds>,
        prefix: Option<&str>,
    ) -> PyResult<Queue> {
        let mut o = QueueOptions::default();
        if let Some(l) = lease {
            o = o.lease(l.0);
        }
        if let Some(t) = result_ttl {
            o = o.result_ttl(t.0);
        }
        if let Some(p) = prefix {
            o = o.prefix(p);
        }
        let inner = CoreQueue::new(self.backend.clone(), name, o).map_err(to_py_err)?;
        Ok(Queue { inner, mode: self.mode })
    }
}

/// A time as milliseconds since the epoch: seconds (int or float) or a `datetime`.
pub(crate) fn epoch_ms(t: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    let secs: f64 = if t.hasattr("timestamp")? {
        t.call_method0("timestamp")?.extract()?
    } else {
        t.extract().map_err(|_| {
            PyTypeError::new_err(format!("{what} must be seconds since the epoch (int or float) or a datetime"))
        })?
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(PyValueError::new_err(format!("{what} must be a time ≥ 0, got {secs}")));
    }
    Ok((secs * 1000.0).round() as u64)
}

/// The options of one job, as keyword arguments give them.
pub(crate) struct Opts<'py> {
    pub id: Option<String>,
    pub priority: i64,
    pub delay: Option<Seconds>,
    pub run_at: Option<Bound<'py, PyAny>>,
    pub max_attempts: i64,
    pub backoff: Option<Seconds>,
    pub backoff_kind: String,
    pub jitter: f64,
}

impl Default for Opts<'_> {
    fn default() -> Self {
        Opts {
            id: None,
            priority: 0,
            delay: None,
            run_at: None,
            max_attempts: 3,
            backoff: None,
            backoff_kind: "exponential".into(),
            jitter: 0.0,
        }
    }
}

impl Opts<'_> {
    /// The core's options (its own checks run on enqueue).
    fn build(self) -> PyResult<JobOptions> {
        let range = |what: &str, v: i64, max: i64| {
            if (0..=max).contains(&v) {
                Ok(v)
            } else {
                Err(to_py_err(redkit::Error::new(
                    redkit::ErrorKind::InvalidArgument,
                    format!("{what} must be 0..={max}, got {v}"),
                )))
            }
        };
        let mut o = JobOptions::default()
            .priority(range("priority", self.priority, i64::from(u16::MAX))? as u16)
            .max_attempts(range("max_attempts", self.max_attempts, i64::from(u32::MAX))? as u32)
            .jitter(self.jitter);
        if let Some(id) = self.id {
            o = o.id(id);
        }
        if let Some(d) = self.delay {
            o = o.delay(d.0);
        }
        if let Some(t) = &self.run_at {
            o = o.run_at_ms(epoch_ms(t, "run_at")?);
        }
        let backoff = self.backoff.map_or(Duration::from_secs(1), |b| b.0);
        o = o.backoff(match self.backoff_kind.as_str() {
            "exponential" => Backoff::Exponential(backoff),
            "fixed" => Backoff::Fixed(backoff),
            other => {
                return Err(PyValueError::new_err(format!(
                    "backoff_kind must be \"exponential\" or \"fixed\", got {other:?}"
                )))
            }
        });
        Ok(o)
    }
}

/// The keys a bulk job's dict may have: `data`, `job_type` and `enqueue`'s keyword options.
const BULK_KEYS: [&str; 10] =
    ["data", "job_type", "id", "priority", "delay", "run_at", "max_attempts", "backoff", "backoff_kind", "jitter"];

/// One job of `enqueue_bulk` from its dict.
fn bulk_job(item: &Bound<'_, PyAny>) -> PyResult<NewJob> {
    let d = item.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "enqueue_bulk takes dicts like {{\"data\": ..., \"priority\": 5}}, not {}",
            item.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))
    })?;
    for k in d.keys() {
        let k: String = k.extract()?;
        if !BULK_KEYS.contains(&k.as_str()) {
            return Err(PyTypeError::new_err(format!("unknown job key {k:?} (expected one of {BULK_KEYS:?})")));
        }
    }
    let get = |k: &str| d.get_item(k);
    let mut o = Opts::default();
    if let Some(v) = get("id")?.filter(|v| !v.is_none()) {
        o.id = Some(v.extract()?);
    }
    if let Some(v) = get("priority")? {
        o.priority = v.extract()?;
    }
    if let Some(v) = get("delay")?.filter(|v| !v.is_none()) {
        o.delay = Some(v.extract()?);
    }
    o.run_at = get("run_at")?.filter(|v| !v.is_none());
    if let Some(v) = get("max_attempts")? {
        o.max_attempts = v.extract()?;
    }
    if let Some(v) = get("backoff")?.filter(|v| !v.is_none()) {
        o.backoff = Some(v.extract()?);
    }
    if let Some(v) = get("backoff_kind")? {
        o.backoff_kind = v.extract()?;
    }
    if let Some(v) = get("jitter")? {
        o.jitter = v.extract()?;
    }
    let data = match get("data")? {
        Some(v) => to_json(&v)?,
        None => Json::Null,
    };
    let job_type = match get("job_type")? {
        Some(v) => v.extract::<String>()?,
        None => DEFAULT_JOB_TYPE.to_string(),
    };
    Ok(NewJob::new(job_type, data, o.build()?))
}

/// A job named by a `Job` (its `id` and `token`) or by an id string plus `token`.
fn id_token(job: &Bound<'_, PyAny>, token: Option<String>) -> PyResult<(String, String)> {
    if let Ok(id) = job.cast::<PyString>() {
        let token = token.ok_or_else(|| PyTypeError::new_err("a job given by id needs its lease token (token=...)"))?;
        return Ok((id.to_cow()?.into_owned(), token));
    }
    match (job.getattr("id"), job.getattr("token")) {
        (Ok(id), Ok(t)) => Ok((id.extract()?, token.map_or_else(|| t.extract(), Ok)?)),
        _ => Err(PyTypeError::new_err(format!(
            "expected a reserved Job or a job id, not {}",
            job.get_type().name().map(|n| n.to_string()).unwrap_or_default()
        ))),
    }
}

/// `s` as Python's `repr` writes it (`'text'`), for the reprs of the classes here.
pub(crate) fn quoted(py: Python<'_>, s: &str) -> String {
    PyString::new(py, s).repr().map(|r| r.to_string()).unwrap_or_else(|_| format!("{s:?}"))
}

/// A list of core results as `redkit.results.<class>` instances.
pub(crate) fn records<T: serde::Serialize>(py: Python<'_>, class: &str, items: &[T]) -> PyResult<Py<PyAny>> {
    let items = items.iter().map(|x| record(py, class, x)).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)?.into_py_any(py)
}

/// A `Reservation` whose jobs are `Job` instances.
fn reservation(py: Python<'_>, r: &Reservation) -> PyResult<Py<PyAny>> {
    let f = fields(py, r)?;
    f.set_item("jobs", records(py, "Job", &r.jobs)?)?;
    py.import("redkit.results")?.getattr("Reservation")?.call((), Some(&f))?.into_py_any(py)
}

fn job(py: Python<'_>, j: Option<ReservedJob>) -> PyResult<Py<PyAny>> {
    match j {
        Some(j) => record(py, "Job", &j),
        None => Ok(py.None()),
    }
}

#[pymethods]
impl Queue {
    /// Enqueues one job; returns an `Enqueued` (truthy when added, falsy when `id` already
    /// existed).
    #[pyo3(signature = (data = None, *, job_type = "default", id = None, priority = 0, delay = None, run_at = None, max_attempts = 3, backoff = None, backoff_kind = "exponential", jitter = 0.0))]
    #[allow(clippy::too_many_arguments)]
    fn enqueue<'py>(
        &self,
        py: Python<'py>,
        data: Option<&Bound<'py, PyAny>>,
        job_type: &str,
        id: Option<String>,
        priority: i64,
        delay: Option<Seconds>,
        run_at: Option<Bound<'py, PyAny>>,
        max_attempts: i64,
        backoff: Option<Seconds>,
        backoff_kind: &str,
        jitter: f64,
    ) -> PyResult<Py<PyAny>> {
        let data = data.map(to_json).transpose()?.unwrap_or(Json::Null);
        let o = Opts { id, priority, delay, run_at, max_attempts, backoff, backoff_kind: backoff_kind.into(), jitter }
            .build()?;
        let job_type = job_type.to_string();
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.enqueue(&job_type, data, o).await }, |py, e| record(py, "Enqueued", &e))
    }

    /// Enqueues many jobs in one round trip, all or none. Each job is a dict with `data` and
    /// optionally `job_type` and `enqueue`'s options; returns a list of `Enqueued`.
    fn enqueue_bulk(&self, py: Python<'_>, jobs: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if jobs.is_instance_of::<PyDict>() || jobs.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err("enqueue_bulk takes an iterable of job dicts"));
        }
        let list = jobs.try_iter()?.map(|j| bulk_job(&j?)).collect::<PyResult<Vec<_>>>()?;
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.enqueue_bulk(list).await }, |py, e| records(py, "Enqueued", &e))
    }

    /// Reserves the next ready job under a lease (default: the queue's); returns a `Job`, or
    /// None when nothing is ready or the queue is paused.
    #[pyo3(signature = (*, lease = None))]
    fn reserve(&self, py: Python<'_>, lease: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        let lease = lease.map_or(q.options().lease, |l| l.0);
        self.mode.run_with(py, async move { Ok(q.reserve_many(1, lease).await?.jobs.into_iter().next()) }, job)
    }

    /// Reserves up to `count` jobs in one round trip; returns a `Reservation`.
    #[pyo3(signature = (count, *, lease = None))]
    fn reserve_many(&self, py: Python<'_>, count: usize, lease: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        let lease = lease.map_or(q.options().lease, |l| l.0);
        self.mode.run_with(py, async move { q.reserve_many(count, lease).await }, |py, r| reservation(py, &r))
    }

    /// Extends a reserved job's lease to `lease` from now (default: the queue's); returns the
    /// new deadline (seconds since the epoch). `LockNotOwnedError` if the lease was lost.
    #[pyo3(signature = (job, *, token = None, lease = None))]
    fn heartbeat(
        &self,
        py: Python<'_>,
        job: &Bound<'_, PyAny>,
        token: Option<String>,
        lease: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let (id, token) = id_token(job, token)?;
        let q = self.inner.clone();
        let lease = lease.map_or(q.options().lease, |l| l.0);
        self.mode
            .run(py, async move { Ok(q.heartbeat_by_id(&id, &token, lease).await?.lease_deadline_ms as f64 / 1000.0) })
    }

    /// Completes a reserved job with `result` (JSON-able, kept for the result TTL); returns
    /// when it completed (seconds since the epoch).
    #[pyo3(signature = (job, result = None, *, token = None))]
    fn ack(
        &self,
        py: Python<'_>,
        job: &Bound<'_, PyAny>,
        result: Option<&Bound<'_, PyAny>>,
        token: Option<String>,
    ) -> PyResult<Py<PyAny>> {
        let (id, token) = id_token(job, token)?;
        let result = result.map(to_json).transpose()?.unwrap_or(Json::Null);
        let q = self.inner.clone();
        self.mode.run(py, async move { Ok(q.ack_by_id(&id, &token, result).await?.completed_at_ms as f64 / 1000.0) })
    }

    /// Fails a reserved job with `error`: retried after its backoff while attempts remain
    /// (`retry=False`: dead-lettered at once). Returns a `Failed`.
    #[pyo3(signature = (job, error = "failed", *, token = None, retry = true))]
    fn fail(
        &self,
        py: Python<'_>,
        job: &Bound<'_, PyAny>,
        error: &str,
        token: Option<String>,
        retry: bool,
    ) -> PyResult<Py<PyAny>> {
        let (id, token) = id_token(job, token)?;
        let error = error.to_string();
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.fail_by_id(&id, &token, &error, retry).await }, |py, f| {
            record(py, "Failed", &f)
        })
    }

    /// Moves dead letters back to wait with their attempts reset: the given `ids`, or up to
    /// `limit` of the oldest. Returns how many moved.
    #[pyo3(signature = (ids = None, *, limit = 1000))]
    fn requeue_dead(&self, py: Python<'_>, ids: Option<Vec<String>>, limit: usize) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run(py, async move { q.requeue_dead(&ids.unwrap_or_default(), limit).await })
    }

    /// Returns jobs whose lease expired and promotes due delayed jobs now (every reserve does
    /// this too); returns a `Recovered`.
    fn recover_stalled(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.recover_stalled().await }, |py, r| record(py, "Recovered", &r))
    }

    /// Stops handing out jobs; returns whether this changed anything.
    fn pause(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run(py, async move { q.pause().await })
    }

    /// Hands out jobs again; returns whether this changed anything.
    fn resume(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run(py, async move { q.resume().await })
    }

    /// Jobs per state: a `Counts`.
    fn counts(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.counts().await }, |py, c| record(py, "Counts", &c))
    }

    /// Looks a job up: a `JobInfo`; `NotFoundError` if there is none (or its result expired).
    fn get(&self, py: Python<'_>, id: String) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.get(&id).await }, |py, j| record(py, "JobInfo", &j))
    }

    /// Adds (or replaces) the repeatable job `name`, run `every` seconds or on a five-field
    /// `cron` expression (UTC), with `enqueue`'s options. Returns a `Repeatable`.
    #[pyo3(signature = (name, data = None, *, every = None, cron = None, job_type = "default", priority = 0, max_attempts = 3, backoff = None, backoff_kind = "exponential", jitter = 0.0))]
    #[allow(clippy::too_many_arguments)]
    fn add_repeatable<'py>(
        &self,
        py: Python<'py>,
        name: String,
        data: Option<&Bound<'py, PyAny>>,
        every: Option<Seconds>,
        cron: Option<String>,
        job_type: &str,
        priority: i64,
        max_attempts: i64,
        backoff: Option<Seconds>,
        backoff_kind: &str,
        jitter: f64,
    ) -> PyResult<Py<PyAny>> {
        let schedule = match (every, cron) {
            (Some(e), None) => Schedule::Every(e.0),
            (None, Some(c)) => Schedule::Cron(c),
            _ => return Err(PyTypeError::new_err("add_repeatable needs exactly one of every= and cron=")),
        };
        let data = data.map(to_json).transpose()?.unwrap_or(Json::Null);
        let o = Opts { priority, max_attempts, backoff, backoff_kind: backoff_kind.into(), jitter, ..Opts::default() }
            .build()?;
        let job_type = job_type.to_string();
        let q = self.inner.clone();
        self.mode.run_with(py, async move { q.add_repeatable(&name, &job_type, data, schedule, o).await }, |py, r| {
            record(py, "Repeatable", &r)
        })
    }

    /// Removes a repeatable job (runs already created stay); returns whether it existed.
    fn remove_repeatable(&self, py: Python<'_>, name: String) -> PyResult<Py<PyAny>> {
        let q = self.inner.clone();
        self.mode.run(py, async move { q.remove_repeatable(&name).await })
    }

    /// The queue's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The default lease of a reserve, in seconds.
    #[getter]
    fn lease(&self) -> f64 {
        self.inner.options().lease.as_secs_f64()
    }

    /// How long completed jobs and their results are kept, in seconds.
    #[getter]
    fn result_ttl(&self) -> f64 {
        self.inner.options().result_ttl.as_secs_f64()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Queue({})", quoted(py, self.inner.name()))
    }
}
