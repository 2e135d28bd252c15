//! `redkit.redlock(clients, name, ...)` → `Redlock`: the core's lock over several independent
//! masters (quorum N/2+1, drift, validity), with `with` / `async with` (acquire with retries,
//! a `TimeoutError` without a quorum, release on exit). One handle is one owner, like `Lock`.
//!
//! The clients only lend their backends: the handle's API (blocking or asyncio) is the one of
//! the function that made it (`redkit.redlock` or `redkit.aio.redlock`).
//!
//! The pause between retries is the first master's time: on manual-clock simulators a retry
//! waits for `advance`, so tests there use `retry_count=0` (or advance from another thread).

use crate::client::Client;
use crate::convert::Seconds;
use crate::errors::to_py_err;
use crate::record::record;
use crate::runtime::Mode;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::IntoPyObjectExt;
use redkit::patterns::redlock::{Redlock as CoreRedlock, RedlockOptions};
use redkit::{Error, ErrorKind};
use std::sync::Arc;

/// A lock over several independent Redis masters.
#[pyclass(module = "redkit._native", frozen)]
pub struct Redlock {
    inner: Arc<CoreRedlock>,
    mode: Mode,
}

/// A Redlock named `name` over the masters behind `clients` (see `Redlock`).
#[pyfunction]
#[pyo3(signature = (clients, name, *, ttl = None, drift_factor = None, retry_count = None, retry_delay = None, retry_jitter = None, instance_timeout = None, prefix = None, asyncio = false))]
#[allow(clippy::too_many_arguments)]
pub fn redlock(
    clients: Vec<Py<Client>>,
    name: &str,
    ttl: Option<Seconds>,
    drift_factor: Option<f64>,
    retry_count: Option<i64>,
    retry_delay: Option<Seconds>,
    retry_jitter: Option<Seconds>,
    instance_timeout: Option<Seconds>,
    prefix: Option<&str>,
    asyncio: bool,
) -> PyResult<Redlock> {
    let mut o = RedlockOptions::default();
    if let Some(d) = ttl {
        o = o.ttl(d.0);
    }
    if let Some(f) = drift_factor {
        o = o.drift_factor(f);
    }
    if let Some(n) = retry_count {
        let n = crate::limiter::count("retry_count", n)?;
        o = o.retry_count(u32::try_from(n).unwrap_or(u32::MAX));
    }
    if let Some(d) = retry_delay {
        o = o.retry_delay(d.0);
    }
    if let Some(d) = retry_jitter {
        o = o.retry_jitter(d.0);
    }
    if let Some(d) = instance_timeout {
        o = o.instance_timeout(d.0);
    }
    if let Some(p) = prefix {
        o = o.prefix(p);
    }
    let backends = clients.iter().map(|c| c.get().backend.clone()).collect();
    let inner = CoreRedlock::new(backends, name, o).map_err(to_py_err)?;
    Ok(Redlock { inner: Arc::new(inner), mode: Mode::of(asyncio) })
}

#[pymethods]
impl Redlock {
    /// Acquires with the retries; a `RedlockAcquisition` (truthy when a quorum granted it).
    fn acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run_with(py, async move { r.acquire().await }, |py, a| record(py, "RedlockAcquisition", &a))
    }

    /// One attempt, no retries.
    fn try_acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run_with(py, async move { r.try_acquire().await }, |py, a| record(py, "RedlockAcquisition", &a))
    }

    /// Releases on every instance; how many released a hold of this owner
    /// (`LockNotOwnedError` if none did).
    fn release(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run(py, async move { r.release().await })
    }

    /// Sets the lease on every instance to `ttl` seconds from now; needs the quorum
    /// (`LockNotOwnedError` otherwise: treat the lock as lost).
    fn extend(&self, py: Python<'_>, ttl: Seconds) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run_with(py, async move { r.extend(ttl.0).await }, |py, a| record(py, "RedlockAcquisition", &a))
    }

    /// The quorum: N/2+1.
    #[getter]
    fn quorum(&self) -> usize {
        self.inner.quorum()
    }

    /// The lock's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.hold(py)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.unhold(py)
    }

    fn __aenter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.hold(py)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.unhold(py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

impl Redlock {
    /// Acquires (with the retries); a `TimeoutError` without a quorum.
    fn hold(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run_with(
            py,
            async move {
                let held = r.acquire().await?;
                if !held.acquired {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!("Redlock {:?}: no quorum after {} attempts", r.name(), held.attempts),
                    ));
                }
                Ok(held)
            },
            |py, a| record(py, "RedlockAcquisition", &a),
        )
    }

    /// Releases everywhere; the exit answers False (never swallow the exception).
    fn unhold(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let r = self.inner.clone();
        self.mode.run_with(py, async move { r.release().await }, |py, _| false.into_py_any(py))
    }
}
