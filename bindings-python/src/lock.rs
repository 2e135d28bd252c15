//! `client.lock(...)` → `Lock`: the core's distributed lock, with `with lock:` and
//! `async with lock:` (acquire waiting up to `blocking_timeout`, release on exit).

use crate::client::Client;
use crate::convert::{to_seconds, Seconds};
use crate::record::record;
use crate::runtime::Mode;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::IntoPyObjectExt;
use redkit::patterns::lock::{Lock as CoreLock, LockOptions, Release};
use redkit::{Error, ErrorKind};
use std::sync::Arc;
use std::time::Duration;

/// A distributed lock; one handle is one owner.
#[pyclass(module = "redkit._native", frozen)]
pub struct Lock {
    inner: Arc<CoreLock>,
    mode: Mode,
    blocking_timeout: Duration,
}

#[pymethods]
impl Client {
    /// A lock named `name` (see `Lock`).
    #[pyo3(signature = (name, *, ttl = None, blocking_timeout = None, reentrant = false, watchdog = false, prefix = None, token = None))]
    #[allow(clippy::too_many_arguments)]
    fn lock(
        &self,
        name: &str,
        ttl: Option<Seconds>,
        blocking_timeout: Option<Seconds>,
        reentrant: bool,
        watchdog: bool,
        prefix: Option<&str>,
        token: Option<&str>,
    ) -> PyResult<Lock> {
        let mut opts = LockOptions::default().reentrant(reentrant).watchdog(watchdog);
        if let Some(t) = ttl {
            opts = opts.ttl(t.0);
        }
        if let Some(p) = prefix {
            opts = opts.prefix(p);
        }
        if let Some(t) = token {
            opts = opts.token(t);
        }
        let inner = CoreLock::new(self.backend.clone(), name, opts).map_err(crate::errors::to_py_err)?;
        let blocking_timeout = blocking_timeout.map_or(Duration::from_secs(10), |t| t.0);
        Ok(Lock { inner: Arc::new(inner), mode: self.mode, blocking_timeout })
    }
}

impl Lock {
    /// Acquire waiting up to `timeout`; a `Timeout` error if still taken.
    fn hold(&self, py: Python<'_>, timeout: Duration) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        self.mode.run_with(
            py,
            async move {
                let got = lock.acquire(timeout).await?;
                if !got.acquired {
                    return Err(Error::new(
                        ErrorKind::Timeout,
                        format!("lock {:?} is still held by another owner after {timeout:?}", lock.name()),
                    ));
                }
                Ok(got)
            },
            |py, a| record(py, "Acquisition", &a),
        )
    }

    /// Releases; the context managers' exit answers False (never swallow the exception).
    fn release_then<C>(&self, py: Python<'_>, convert: C) -> PyResult<Py<PyAny>>
    where
        C: FnOnce(Python<'_>, Release) -> PyResult<Py<PyAny>> + Send + 'static,
    {
        let lock = self.inner.clone();
        self.mode.run_with(py, async move { lock.release().await }, convert)
    }
}

#[pymethods]
impl Lock {
    /// Acquires, waiting up to `timeout` seconds (default: the lock's `blocking_timeout`; 0 tries
    /// once). Returns an `Acquisition` (truthy when acquired, with its fencing token).
    #[pyo3(signature = (timeout = None))]
    fn acquire(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        let timeout = timeout.map_or(self.blocking_timeout, |t| t.0);
        self.mode.run_with(
            py,
            async move {
                if timeout.is_zero() {
                    lock.try_acquire().await
                } else {
                    lock.acquire(timeout).await
                }
            },
            |py, a| record(py, "Acquisition", &a),
        )
    }

    /// Tries once without waiting.
    fn try_acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.acquire(py, Some(Seconds(Duration::ZERO)))
    }

    /// Releases one hold; `LockNotOwnedError` if this owner does not hold it.
    fn release(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.release_then(py, |py, r| record(py, "Release", &r))
    }

    /// Sets the lease of the held lock to `ttl` seconds from now.
    fn extend(&self, py: Python<'_>, ttl: Seconds) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        self.mode.run_unit(py, async move { lock.extend(ttl.0).await })
    }

    /// Whether anyone holds the lock.
    fn is_locked(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        self.mode.run(py, async move { lock.is_locked().await })
    }

    /// Whether this owner holds the lock.
    fn is_owned(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        self.mode.run(py, async move { lock.is_owned().await })
    }

    /// The remaining lease in seconds, or None when free.
    fn ttl(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let lock = self.inner.clone();
        self.mode.run(py, async move { Ok(lock.ttl().await?.map(to_seconds)) })
    }

    /// Whether the watchdog could not renew the lease since the last acquire.
    #[getter]
    fn lost(&self) -> bool {
        self.inner.lost()
    }

    /// The lock's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// This owner's token.
    #[getter]
    fn token(&self) -> &str {
        self.inner.token()
    }

    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.hold(py, self.blocking_timeout)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.release_then(py, |py, _| false.into_py_any(py))
    }

    fn __aenter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.hold(py, self.blocking_timeout)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.release_then(py, |py, _| false.into_py_any(py))
    }

    fn __repr__(&self) -> String {
        format!("Lock({:?}, token={:?})", self.inner.name(), self.inner.token())
    }
}
