//! `client.limiter(...)` → `Limiter` and `LimiterSet([...])`: the core's rate limiters (fixed
//! window, sliding log, sliding window, token bucket, GCRA, concurrency), chosen by
//! `algorithm="..."`, with cost, peek, reset, leases, `block_for`, fail-open/fail-closed and the
//! local fallback. Every call answers a `Decision` (`MultiDecision` for a set); the decorator
//! `@limiter.limit(key=...)` lives in `redkit/_limit.py` and only calls these methods.

use crate::client::Client;
use crate::convert::{to_seconds, Seconds};
use crate::errors::to_py_err;
use crate::record::{fields, record};
use crate::runtime::Mode;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::IntoPyObjectExt;
use redkit::patterns::limiter::{
    Algorithm, FailPolicy, Limiter as CoreLimiter, LimiterOptions, LimiterSet as CoreSet, MultiDecision,
};
use redkit::{Error, ErrorKind};

/// A count from Python (limit, cost, permits): a negative one is an `InvalidArgumentError`, not
/// the `OverflowError` an unsigned extraction would raise.
pub(crate) fn count(what: &str, n: i64) -> PyResult<u64> {
    u64::try_from(n)
        .map_err(|_| to_py_err(Error::new(ErrorKind::InvalidArgument, format!("{what} must be ≥ 0, got {n}"))))
}

/// `()` as None (its `IntoPyObject` is the empty tuple).
pub(crate) fn none(py: Python<'_>, (): ()) -> PyResult<Py<PyAny>> {
    Ok(py.None())
}

/// A rate limiter: one limit per caller key.
#[pyclass(module = "redkit._native", frozen)]
pub struct Limiter {
    inner: CoreLimiter,
    mode: Mode,
}

#[pymethods]
impl Client {
    /// A limiter named `name` (see `Limiter`). `algorithm` is one of `fixed_window`,
    /// `sliding_log`, `sliding_window`, `token_bucket`, `gcra`, `concurrency`.
    #[pyo3(signature = (name, *, algorithm = "fixed_window", limit = 10, window = None, burst = None, refill = None, refill_interval = None, block_for = None, on_unreachable = "error", local_fallback = false, prefix = None))]
    #[allow(clippy::too_many_arguments)]
    fn limiter(
        &self,
        name: &str,
        algorithm: &str,
        limit: i64,
        window: Option<Seconds>,
        burst: Option<i64>,
        refill: Option<i64>,
        refill_interval: Option<Seconds>,
        block_for: Option<Seconds>,
        on_unreachable: &str,
        local_fallback: bool,
        prefix: Option<&str>,
    ) -> PyResult<Limiter> {
        let mut o = LimiterOptions::default()
            .algorithm(Algorithm::parse(algorithm).map_err(to_py_err)?)
            .limit(count("limit", limit)?)
            .on_unreachable(FailPolicy::parse(on_unreachable).map_err(to_py_err)?)
            .local_fallback(local_fallback);
        if let Some(w) = window {
            o = o.window(w.0);
        }
        if let Some(b) = burst {
            o = o.burst(count("burst", b)?);
        }
        if refill.is_some() || refill_interval.is_some() {
            let tokens = refill.map_or(Ok(o.limit), |n| count("refill", n))?;
            let every = refill_interval.map_or(o.window, |d| d.0);
            o = o.refill(tokens, every);
        }
        if let Some(d) = block_for {
            o = o.block_for(d.0);
        }
        if let Some(p) = prefix {
            o = o.prefix(p);
        }
        let inner = CoreLimiter::new(self.backend.clone(), name, o).map_err(to_py_err)?;
        Ok(Limiter { inner, mode: self.mode })
    }
}

#[pymethods]
impl Limiter {
    /// Takes `cost` from `key`'s allowance if it fits; a `Decision` (truthy when allowed; a
    /// concurrency limiter's admitted call carries a `lease`).
    #[pyo3(signature = (key, cost = 1))]
    fn consume(&self, py: Python<'_>, key: String, cost: i64) -> PyResult<Py<PyAny>> {
        let (l, cost) = (self.inner.clone(), count("cost", cost)?);
        self.mode.run_with(py, async move { l.consume(&key, cost).await }, |py, d| record(py, "Decision", &d))
    }

    /// Whether `cost` would be allowed now, consuming nothing.
    #[pyo3(signature = (key, cost = 1))]
    fn peek(&self, py: Python<'_>, key: String, cost: i64) -> PyResult<Py<PyAny>> {
        let (l, cost) = (self.inner.clone(), count("cost", cost)?);
        self.mode.run_with(py, async move { l.peek(&key, cost).await }, |py, d| record(py, "Decision", &d))
    }

    /// Forgets everything about `key` (counts, tokens, leases, a block).
    fn reset(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let l = self.inner.clone();
        self.mode.run_with(py, async move { l.reset(&key).await }, none)
    }

    /// Ends a concurrency lease; True if it was live.
    fn release(&self, py: Python<'_>, key: String, lease: String) -> PyResult<Py<PyAny>> {
        let l = self.inner.clone();
        self.mode.run(py, async move { l.release(&key, &lease).await })
    }

    /// A decorator that consumes `cost` on every call (see `redkit/_limit.py`).
    #[pyo3(signature = (key, *, cost = 1, wait = None))]
    fn limit(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>, cost: i64, wait: Option<Seconds>) -> PyResult<Py<PyAny>> {
        decorator(slf.as_any(), slf.get().mode, key, cost, wait)
    }

    /// The limiter's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The algorithm's name (`"gcra"` …).
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.options().algorithm.as_str()
    }

    /// The options, durations in seconds (None where the algorithm's default applies).
    #[getter]
    fn options<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let o = self.inner.options();
        let d = PyDict::new(py);
        d.set_item("algorithm", o.algorithm.as_str())?;
        d.set_item("limit", o.limit)?;
        d.set_item("window", to_seconds(o.window))?;
        d.set_item("burst", o.burst)?;
        d.set_item("refill", o.refill)?;
        d.set_item("refill_interval", o.refill_interval.map(to_seconds))?;
        d.set_item("block_for", to_seconds(o.block_for))?;
        let policy = match o.on_unreachable {
            FailPolicy::Open => "open",
            FailPolicy::Closed => "closed",
            _ => "error",
        };
        d.set_item("on_unreachable", policy)?;
        d.set_item("local_fallback", o.local_fallback)?;
        d.set_item("prefix", &o.prefix)?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        let o = self.inner.options();
        format!(
            "Limiter({:?}, {}, {} per {} s)",
            self.inner.name(),
            o.algorithm.as_str(),
            o.limit,
            to_seconds(o.window)
        )
    }
}

/// Several limiters checked atomically: a call is allowed only if every limit allows it, and a
/// denied call consumes from none.
#[pyclass(module = "redkit._native", frozen)]
pub struct LimiterSet {
    inner: CoreSet,
    limiters: Vec<Py<Limiter>>,
    mode: Mode,
}

#[pymethods]
impl LimiterSet {
    /// A set of limiters made by one client (same backend, distinct names or prefixes).
    #[new]
    fn new(limiters: Vec<Py<Limiter>>) -> PyResult<Self> {
        let mode = limiters.first().map_or(Mode::Sync, |l| l.get().mode);
        if limiters.iter().any(|l| l.get().mode != mode) {
            return Err(PyValueError::new_err("a LimiterSet cannot mix blocking and asyncio limiters"));
        }
        let inner = CoreSet::new(limiters.iter().map(|l| l.get().inner.clone()).collect()).map_err(to_py_err)?;
        Ok(LimiterSet { inner, limiters, mode })
    }

    /// Takes `cost` from every limit if all allow it, from none otherwise; a `MultiDecision`.
    #[pyo3(signature = (key, cost = 1))]
    fn consume(&self, py: Python<'_>, key: String, cost: i64) -> PyResult<Py<PyAny>> {
        let (s, cost) = (self.inner.clone(), count("cost", cost)?);
        self.mode.run_with(py, async move { s.consume(&key, cost).await }, multi)
    }

    /// Whether `cost` would be allowed by every limit now, consuming nothing.
    #[pyo3(signature = (key, cost = 1))]
    fn peek(&self, py: Python<'_>, key: String, cost: i64) -> PyResult<Py<PyAny>> {
        let (s, cost) = (self.inner.clone(), count("cost", cost)?);
        self.mode.run_with(py, async move { s.peek(&key, cost).await }, multi)
    }

    /// Forgets `key` in every limit.
    fn reset(&self, py: Python<'_>, key: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.reset(&key).await }, none)
    }

    /// Ends a lease a concurrency limit of the set handed out; True if it was live.
    fn release(&self, py: Python<'_>, key: String, lease: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.release(&key, &lease).await })
    }

    /// A decorator that consumes `cost` from every limit on every call.
    #[pyo3(signature = (key, *, cost = 1, wait = None))]
    fn limit(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>, cost: i64, wait: Option<Seconds>) -> PyResult<Py<PyAny>> {
        decorator(slf.as_any(), slf.get().mode, key, cost, wait)
    }

    /// The limiters, in order.
    #[getter]
    fn limiters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(py, self.limiters.iter().map(|l| l.clone_ref(py)))
    }

    fn __repr__(&self) -> String {
        let names: Vec<&str> = self.inner.limiters().iter().map(CoreLimiter::name).collect();
        format!("LimiterSet({names:?})")
    }
}

/// A `MultiDecision` whose `decisions` are `Decision` objects (record() leaves nested structs
/// as dicts).
fn multi(py: Python<'_>, m: MultiDecision) -> PyResult<Py<PyAny>> {
    let kwargs = fields(py, &m)?;
    let decisions = m.decisions.iter().map(|d| record(py, "Decision", d)).collect::<PyResult<Vec<_>>>()?;
    kwargs.set_item("decisions", PyList::new(py, decisions)?)?;
    py.import("redkit.results")?.getattr("MultiDecision")?.call((), Some(&kwargs))?.into_py_any(py)
}

/// `redkit._limit.decorator(...)`: the Python-side wrapper of sync or async functions.
fn decorator(
    limiter: &Bound<'_, PyAny>,
    mode: Mode,
    key: &Bound<'_, PyAny>,
    cost: i64,
    wait: Option<Seconds>,
) -> PyResult<Py<PyAny>> {
    let py = limiter.py();
    let cost = count("cost", cost)?;
    let wait = wait.map_or(0.0, |w| to_seconds(w.0));
    py.import("redkit._limit")?
        .getattr("decorator")?
        .call1((limiter, key, cost, wait, mode == Mode::Async))?
        .into_py_any(py)
}
