//! `client.semaphore(...)` → `Semaphore`: the core's distributed counting semaphore, whose
//! permits are leases (`Permit.token`, renewed with `extend`, lost if not renewed).
//!
//! One handle serves any number of holders. `with sem:` / `async with sem:` take a permit on
//! entry (waiting up to `blocking_timeout`) and release that same permit on exit: the entered
//! tokens are kept per thread (blocking API) or per asyncio task, so holders sharing a handle
//! never release each other's permits (a blocking handle shared by asyncio tasks of one thread
//! has one stack for them all: use a `redkit.aio` handle there).

use crate::client::Client;
use crate::convert::Seconds;
use crate::errors::to_py_err;
use crate::limiter::{count, none};
use crate::record::record;
use crate::runtime::Mode;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use pyo3::IntoPyObjectExt;
use redkit::patterns::semaphore::{Semaphore as CoreSemaphore, SemaphoreOptions};
use redkit::{Error, ErrorKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The tokens entered with `with`, per thread or asyncio task (innermost last).
type Entered = Arc<Mutex<HashMap<usize, Vec<String>>>>;

/// A distributed counting semaphore.
#[pyclass(module = "redkit._native", frozen)]
pub struct Semaphore {
    inner: Arc<CoreSemaphore>,
    mode: Mode,
    blocking_timeout: Duration,
    entered: Entered,
}

#[pymethods]
impl Client {
    /// A semaphore named `name` with `permits` holders at a time (see `Semaphore`).
    #[pyo3(signature = (name, *, permits = 1, lease = None, blocking_timeout = None, prefix = None))]
    fn semaphore(
        &self,
        name: &str,
        permits: i64,
        lease: Option<Seconds>,
        blocking_timeout: Option<Seconds>,
        prefix: Option<&str>,
    ) -> PyResult<Semaphore> {
        let permits = u32::try_from(count("permits", permits)?).unwrap_or(u32::MAX);
        let mut opts = SemaphoreOptions::default().permits(permits);
        if let Some(l) = lease {
            opts = opts.lease(l.0);
        }
        if let Some(p) = prefix {
            opts = opts.prefix(p);
        }
        let inner = CoreSemaphore::new(self.backend.clone(), name, opts).map_err(to_py_err)?;
        Ok(Semaphore {
            inner: Arc::new(inner),
            mode: self.mode,
            blocking_timeout: blocking_timeout.map_or(Duration::from_secs(10), |t| t.0),
            entered: Entered::default(),
        })
    }
}

impl Semaphore {
    /// Who is entering or leaving a `with`: the thread (blocking API) or the asyncio task.
    fn holder(&self, py: Python<'_>) -> PyResult<usize> {
        match self.mode {
            Mode::Sync => py.import("threading")?.call_method0("get_ident")?.extract(),
            Mode::Async => Ok(py.import("asyncio")?.call_method0("current_task")?.as_ptr() as usize),
        }
    }

    /// Takes a permit waiting up to `blocking_timeout` (a `TimeoutError` if none frees) and
    /// remembers its token for the exit.
    fn enter(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (sem, timeout, holder, entered) =
            (self.inner.clone(), self.blocking_timeout, self.holder(py)?, self.entered.clone());
        self.mode.run_with(
            py,
            async move {
                let permit = sem.acquire(timeout).await?;
                match &permit.token {
                    Some(token) => {
                        let mut map = entered.lock().unwrap_or_else(|p| p.into_inner());
                        map.entry(holder).or_default().push(token.clone());
                        Ok(permit)
                    }
                    None => Err(Error::new(
                        ErrorKind::Timeout,
                        format!("no permit of semaphore {:?} freed within {timeout:?}", sem.name()),
                    )),
                }
            },
            |py, p| record(py, "Permit", &p),
        )
    }

    /// Releases the permit this thread or task entered last; the exit answers False.
    fn exit(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let holder = self.holder(py)?;
        let token = {
            let mut map = self.entered.lock().unwrap_or_else(|p| p.into_inner());
            let token = map.get_mut(&holder).and_then(Vec::pop);
            if map.get(&holder).is_some_and(Vec::is_empty) {
                map.remove(&holder);
            }
            token
        };
        let sem = self.inner.clone();
        self.mode.run_with(
            py,
            async move {
                match token {
                    Some(t) => sem.release(&t).await,
                    None => Err(Error::new(
                        ErrorKind::LockNotOwned,
                        format!("semaphore {:?} was not entered by this thread or task", sem.name()),
                    )),
                }
            },
            |py, ()| false.into_py_any(py),
        )
    }
}

#[pymethods]
impl Semaphore {
    /// Takes a permit, waiting up to `timeout` seconds (default: `blocking_timeout`; 0 tries
    /// once). A `Permit`, truthy when acquired, with its token.
    #[pyo3(signature = (timeout = None))]
    fn acquire(&self, py: Python<'_>, timeout: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let sem = self.inner.clone();
        let timeout = timeout.map_or(self.blocking_timeout, |t| t.0);
        self.mode.run_with(
            py,
            async move {
                if timeout.is_zero() {
                    sem.try_acquire().await
                } else {
                    sem.acquire(timeout).await
                }
            },
            |py, p| record(py, "Permit", &p),
        )
    }

    /// Tries once without waiting.
    fn try_acquire(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.acquire(py, Some(Seconds(Duration::ZERO)))
    }

    /// Returns the permit `token`; `LockNotOwnedError` if it holds no live permit.
    fn release(&self, py: Python<'_>, token: String) -> PyResult<Py<PyAny>> {
        let sem = self.inner.clone();
        self.mode.run_with(py, async move { sem.release(&token).await }, none)
    }

    /// Renews the permit `token` for `lease` seconds from now; `LockNotOwnedError` if it holds
    /// no live permit.
    fn extend(&self, py: Python<'_>, token: String, lease: Seconds) -> PyResult<Py<PyAny>> {
        let sem = self.inner.clone();
        self.mode.run_with(py, async move { sem.extend(&token, lease.0).await }, none)
    }

    /// How many permits are held now.
    fn count(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let sem = self.inner.clone();
        self.mode.run(py, async move { sem.count().await })
    }

    /// The semaphore's name.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn __enter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.enter(py)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.exit(py)
    }

    fn __aenter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.enter(py)
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.exit(py)
    }

    fn __repr__(&self) -> String {
        format!("Semaphore({:?})", self.inner.name())
    }
}
