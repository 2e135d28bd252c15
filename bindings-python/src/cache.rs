//! `client.cache(...)` → `Cache`: the core's cache (TTLs, single flight in process and across
//! processes, XFetch, stale-while-revalidate, negative caching, tags, prefix and namespace
//! invalidation, a local tier kept coherent by pub/sub, write-through and write-behind with
//! retries and dead letters, counters). Values go through [`Codec`]; loaders and sinks are
//! [`Callback`]s; `@cache.cached` is `redkit/_cached.py` over `get_or_set` and `delete`.

use crate::callback::Callback;
use crate::client::Client;
use crate::convert::Seconds;
use crate::json::{from_json, to_json};
use crate::record::record;
use crate::runtime::Mode;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use redkit::backend::BoxFuture;
use redkit::patterns::cache::{
    Cache as CoreCache, CacheOptions, DrainOptions, Drainer as CoreDrainer, SetOptions, Write,
};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// How a cache's values become the core's JSON and back: the mapping of [`crate::json`], with
/// a user serializer's `dumps`/`loads` around it when the cache has one.
#[derive(Clone)]
struct Codec {
    serializer: Option<Arc<Py<PyAny>>>,
}

impl Codec {
    fn new(serializer: Option<&Bound<'_, PyAny>>) -> PyResult<Codec> {
        let Some(s) = serializer.filter(|s| !s.is_none()) else { return Ok(Codec { serializer: None }) };
        for method in ["dumps", "loads"] {
            if !s.getattr(method).is_ok_and(|m| m.is_callable()) {
                return Err(PyTypeError::new_err(format!(
                    "serializer= needs callable dumps and loads (like the json or pickle modules); {} has no {method}",
                    s.get_type().name()?
                )));
            }
        }
        Ok(Codec { serializer: Some(Arc::new(s.clone().unbind())) })
    }

    fn encode(&self, v: &Bound<'_, PyAny>) -> PyResult<Json> {
        let Some(s) = &self.serializer else { return to_json(v) };
        let out = s.bind(v.py()).call_method1("dumps", (v,))?;
        if !(out.is_instance_of::<PyBytes>() || out.is_instance_of::<PyString>()) {
            return Err(PyTypeError::new_err(format!(
                "serializer.dumps must return bytes or str, not {}",
                out.get_type().name()?
            )));
        }
        to_json(&out)
    }

    fn decode(&self, py: Python<'_>, v: Option<Json>) -> PyResult<Py<PyAny>> {
        let Some(v) = v else { return Ok(py.None()) };
        let value = from_json(py, v)?;
        match &self.serializer {
            None => Ok(value),
            Some(s) => Ok(s.bind(py).call_method1("loads", (value,))?.unbind()),
        }
    }
}

/// A cache over Redis whose values are Python objects.
///
/// Values: `dict`, `list`, `tuple` (read back as a list), `str`, `int`, `float`, `bool` and
/// `None` are stored as JSON — the core's format, readable by every redkit client — and `bytes`
/// as the tagged object `{"$bytes": "<base64>"}`, read back as bytes. Other types raise
/// `TypeError`; with `serializer=` (any object with `dumps(value) -> bytes | str` and
/// `loads(data)`, e.g. `pickle` if you trust every writer) values go through it first. Nothing
/// is pickled unless you ask. A stored `None` reads like a miss; a loader's `None` means "no
/// value" (cached for `negative_ttl` when set). Dict keys come back sorted (JSON objects keep
/// no order in the core).
///
/// Every method blocks (GIL released) on a `redkit` client and returns an awaitable on a
/// `redkit.aio` one, except `stats`, `local_len`, `spawn_drainer` and `cached`.
#[pyclass(module = "redkit._native", frozen)]
pub struct Cache {
    inner: CoreCache,
    mode: Mode,
    codec: Codec,
    name: String,
    ttl: Option<Duration>,
}

#[pymethods]
impl Client {
    /// A cache named `name` (see `Cache`).
    #[pyo3(signature = (name, *, ttl = None, prefix = None, lock_ttl = None, lock_wait = None, beta = None, stale = None, negative_ttl = None, local_capacity = 0, local_ttl = None, serializer = None))]
    #[allow(clippy::too_many_arguments)]
    fn cache(
        &self,
        name: &str,
        ttl: Option<Seconds>,
        prefix: Option<&str>,
        lock_ttl: Option<Seconds>,
        lock_wait: Option<Seconds>,
        beta: Option<f64>,
        stale: Option<Seconds>,
        negative_ttl: Option<Seconds>,
        local_capacity: usize,
        local_ttl: Option<Seconds>,
        serializer: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Cache> {
        let mut o = CacheOptions::default();
        if let Some(p) = prefix {
            o = o.prefix(p);
        }
        if let Some(d) = lock_ttl {
            o = o.lock_ttl(d.0);
        }
        if let Some(d) = lock_wait {
            o = o.lock_wait(d.0);
        }
        if let Some(b) = beta {
            o = o.beta(b);
        }
        if let Some(d) = stale {
            o = o.stale(d.0);
        }
        if let Some(d) = negative_ttl {
            o = o.negative_ttl(d.0);
        }
        let local_ttl = local_ttl.map_or(o.local_ttl, |d| d.0);
        o = o.local(local_capacity, local_ttl);
        let codec = Codec::new(serializer)?;
        let inner = CoreCache::new(self.backend.clone(), name, o).map_err(crate::errors::to_py_err)?;
        Ok(Cache { inner, mode: self.mode, codec, name: name.to_string(), ttl: ttl.map(|t| t.0) })
    }
}

impl Cache {
    /// Per-entry settings: `ttl` or the cache's default, and tags.
    fn entry(&self, ttl: Option<Seconds>, tags: Option<Vec<String>>) -> PyResult<SetOptions> {
        let ttl = ttl.map(|t| t.0).or(self.ttl).ok_or_else(|| {
            PyTypeError::new_err("no ttl: pass ttl= to this call, or a default to client.cache(..., ttl=...)")
        })?;
        Ok(SetOptions::new(ttl).tags(tags.unwrap_or_default()))
    }

    /// Runs a call whose errors may stand for `cb`'s exception (re-raised as itself).
    fn run_calling<T, F, C>(&self, py: Python<'_>, cb: Callback, fut: F, convert: C) -> PyResult<Py<PyAny>>
    where
        F: std::future::Future<Output = redkit::Result<T>> + Send + 'static,
        T: Send + 'static,
        C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
    {
        self.mode.run_with(py, async move { Ok(fut.await) }, move |py, r| match r {
            Ok(v) => convert(py, v),
            Err(e) => Err(cb.error(e)),
        })
    }

    /// A Python callable as the core's sink: called with a list of `Write`.
    fn sink(&self, func: &Bound<'_, PyAny>) -> PyResult<PySink> {
        Ok(PySink { cb: Callback::for_call(func, self.mode)?, codec: self.codec.clone() })
    }
}

/// A Python sink (`sink(writes: list[Write])`, plain or `async def`) as the core's.
#[derive(Clone)]
struct PySink {
    cb: Callback,
    codec: Codec,
}

impl PySink {
    fn write(&self, batch: Vec<Write<Json>>) -> BoxFuture<'static, redkit::Result<()>> {
        let PySink { cb, codec } = self.clone();
        Box::pin(async move {
            cb.call(move |py| {
                let class = py.import("redkit.results")?.getattr("Write")?;
                let mut items = Vec::with_capacity(batch.len());
                for w in batch {
                    let kw = PyDict::new(py);
                    kw.set_item("key", w.key)?;
                    kw.set_item("deleted", w.value.is_none())?;
                    kw.set_item("value", codec.decode(py, w.value)?)?;
                    items.push(class.call((), Some(&kw))?);
                }
                PyTuple::new(py, [PyList::new(py, items)?])
            })
            .await
            .map(drop)
        })
    }
}

fn drain_options(
    batch: Option<usize>,
    retry_after: Option<Seconds>,
    poll: Option<Seconds>,
    max_attempts: Option<u32>,
) -> DrainOptions {
    let mut o = DrainOptions::default();
    if let Some(n) = batch {
        o = o.batch(n);
    }
    if let Some(d) = retry_after {
        o = o.retry_after(d.0);
    }
    if let Some(d) = poll {
        o = o.poll(d.0);
    }
    if let Some(n) = max_attempts {
        o = o.max_attempts(n);
    }
    o
}

#[pymethods]
impl Cache {
    /// The fresh value of `key`, or None (missing, expired, stale, or a cached absence).
    fn get(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let (c, codec) = (self.inner.clone(), self.codec.clone());
        self.mode.run_with(py, async move { c.get::<Json>(&key).await }, move |py, v| codec.decode(py, v))
    }

    /// Stores `value` under `key` for `ttl` seconds (default: the cache's), tagged `tags`.
    #[pyo3(signature = (key, value, ttl = None, *, tags = None))]
    fn set(
        &self,
        py: Python<'_>,
        key: String,
        value: &Bound<'_, PyAny>,
        ttl: Option<Seconds>,
        tags: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let (c, value, opts) = (self.inner.clone(), self.codec.encode(value)?, self.entry(ttl, tags)?);
        self.mode.run_unit(py, async move { c.set_with(&key, &value, opts).await })
    }

    /// Deletes `key` here and in every process's local tier; True if it existed.
    fn delete(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let c = self.inner.clone();
        self.mode.run(py, async move { c.delete(&key).await })
    }

    /// Cache-aside with stampede protection: the cached value of `key`, or `loader()`'s (a
    /// plain or `async def` callable taking no arguments), stored for `ttl`. Concurrent callers
    /// share one load (threads and tasks here, other processes through a short lock); a
    /// loader's exception reaches every caller sharing that load as itself, and is not cached.
    #[pyo3(signature = (key, loader, ttl = None, *, tags = None))]
    fn get_or_set(
        &self,
        py: Python<'_>,
        key: String,
        loader: &Bound<'_, PyAny>,
        ttl: Option<Seconds>,
        tags: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let (cb, opts, c) = (Callback::for_call(loader, self.mode)?, self.entry(ttl, tags)?, self.inner.clone());
        let (codec, to_value) = (self.codec.clone(), self.codec.clone());
        let caller = cb.clone();
        let load = move || async move {
            let out = cb.call(|py| Ok(PyTuple::empty(py))).await?;
            Python::attach(|py| {
                let out = out.bind(py);
                if out.is_none() {
                    Ok(None)
                } else {
                    codec.encode(out).map(Some)
                }
            })
            .map_err(|e| cb.keep(e))
        };
        self.run_calling(py, caller, async move { c.get_or_set_with(&key, load, opts).await }, move |py, v| {
            to_value.decode(py, v)
        })
    }

    /// Write-through: `sink([Write(key, value)])` (the store behind the cache) first,
    /// then the cache. If the sink raises, the key is dropped from the cache and its exception
    /// propagates.
    #[pyo3(signature = (key, value, sink, ttl = None, *, tags = None))]
    fn write_through(
        &self,
        py: Python<'_>,
        key: String,
        value: &Bound<'_, PyAny>,
        sink: &Bound<'_, PyAny>,
        ttl: Option<Seconds>,
        tags: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let (c, value, opts, sink) =
            (self.inner.clone(), self.codec.encode(value)?, self.entry(ttl, tags)?, self.sink(sink)?);
        self.run_calling(
            py,
            sink.cb.clone(),
            async move { c.write_through(&key, value, opts, &|batch| sink.write(batch)).await },
            |py, ()| Ok(py.None()),
        )
    }

    /// Write-behind: caches `value` and queues the write on the cache's durable stream in the
    /// same step; `drain_behind` or `spawn_drainer` deliver it to the sink.
    #[pyo3(signature = (key, value, ttl = None, *, tags = None))]
    fn write_behind(
        &self,
        py: Python<'_>,
        key: String,
        value: &Bound<'_, PyAny>,
        ttl: Option<Seconds>,
        tags: Option<Vec<String>>,
    ) -> PyResult<Py<PyAny>> {
        let (c, value, opts) = (self.inner.clone(), self.codec.encode(value)?, self.entry(ttl, tags)?);
        self.mode.run_unit(py, async move { c.write_behind(&key, &value, opts).await })
    }

    /// Write-behind delete: removes `key` and queues the delete for the sink; True if it existed.
    fn delete_behind(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let c = self.inner.clone();
        self.mode.run(py, async move { c.delete_behind(&key).await })
    }

    /// One write-behind drain pass: retries writes pending for `retry_after` seconds, reads up
    /// to `batch` new ones and hands them to `sink` (called with a list of `Write`, plain
    /// or `async def`) as one batch, acknowledged when it returns. A sink exception is reported
    /// in `DrainReport.error` (the writes stay pending); a write tried `max_attempts` times
    /// goes to the dead-letter stream.
    #[pyo3(signature = (sink, *, batch = None, retry_after = None, poll = None, max_attempts = None))]
    fn drain_behind(
        &self,
        py: Python<'_>,
        sink: &Bound<'_, PyAny>,
        batch: Option<usize>,
        retry_after: Option<Seconds>,
        poll: Option<Seconds>,
        max_attempts: Option<u32>,
    ) -> PyResult<Py<PyAny>> {
        let (c, sink, opts) =
            (self.inner.clone(), self.sink(sink)?, drain_options(batch, retry_after, poll, max_attempts));
        self.mode.run_with(
            py,
            async move { c.drain_behind::<Json, _>(&|batch| sink.write(batch), &opts).await },
            |py, mut r| {
                r.error = r.error.map(|m| crate::callback::report_text(py, &m));
                record(py, "DrainReport", &r)
            },
        )
    }

    /// Starts a background drainer running `drain_behind` passes with these options until
    /// `Drainer.stop()`, sleeping `poll` seconds when there is nothing to do.
    #[pyo3(signature = (sink, *, batch = None, retry_after = None, poll = None, max_attempts = None))]
    fn spawn_drainer(
        &self,
        sink: &Bound<'_, PyAny>,
        batch: Option<usize>,
        retry_after: Option<Seconds>,
        poll: Option<Seconds>,
        max_attempts: Option<u32>,
    ) -> PyResult<Drainer> {
        // The drainer never blocks the caller: an async sink may run on the caller's loop.
        let sink = PySink { cb: Callback::new(sink)?, codec: self.codec.clone() };
        let write = Arc::new(move |batch| sink.write(batch));
        let opts = drain_options(batch, retry_after, poll, max_attempts);
        let inner = self.inner.spawn_drainer::<Json, _>(write, opts).map_err(crate::errors::to_py_err)?;
        Ok(Drainer { inner })
    }

    /// Drops every entry tagged `tag`; returns how many were removed.
    fn invalidate_tag(&self, py: Python<'_>, tag: String) -> PyResult<Py<PyAny>> {
        let c = self.inner.clone();
        self.mode.run(py, async move { c.invalidate_tag(&tag).await })
    }

    /// Drops every entry whose key starts with `prefix` (SCAN + UNLINK, never KEYS); returns
    /// how many were removed.
    fn invalidate_prefix(&self, py: Python<'_>, prefix: String) -> PyResult<Py<PyAny>> {
        let c = self.inner.clone();
        self.mode.run(py, async move { c.invalidate_prefix(&prefix).await })
    }

    /// Invalidates the whole cache in O(1) by bumping its namespace version; returns the new
    /// version.
    fn invalidate_all(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let c = self.inner.clone();
        self.mode.run(py, async move { c.invalidate_all().await })
    }

    /// The counters of this cache object so far (`CacheStats`; not awaitable).
    fn stats(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        record(py, "CacheStats", &self.inner.stats())
    }

    /// How many entries the local tier holds (0 without one; not awaitable).
    fn local_len(&self) -> usize {
        self.inner.local_len()
    }

    /// A decorator caching a function's results (see `redkit._cached`): `@cache.cached(ttl=60)`
    /// on a plain function (sync cache) or on a plain or `async def` one (asyncio cache).
    #[pyo3(signature = (ttl = None, *, key = None, tags = None))]
    fn cached(
        slf: &Bound<'_, Self>,
        ttl: Option<&Bound<'_, PyAny>>,
        key: Option<&Bound<'_, PyAny>>,
        tags: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let module = py.import("redkit._cached")?;
        Ok(module.getattr("cached")?.call1((slf, ttl, key, tags))?.unbind())
    }

    /// The cache's default entry TTL in seconds, or None.
    #[getter]
    fn ttl(&self) -> Option<f64> {
        self.ttl.map(|d| d.as_secs_f64())
    }

    /// The cache's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// True when made by a `redkit.aio` client (methods return awaitables).
    #[getter]
    fn is_async(&self) -> bool {
        self.mode == Mode::Async
    }

    fn __repr__(&self) -> String {
        format!("Cache({:?}, {})", self.name, self.mode.label())
    }
}

/// A background write-behind drainer (`Cache.spawn_drainer`).
#[pyclass(module = "redkit._native", frozen)]
pub struct Drainer {
    inner: CoreDrainer,
}

#[pymethods]
impl Drainer {
    /// Stops it after its current batch (not awaitable).
    fn stop(&self) {
        self.inner.stop();
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
