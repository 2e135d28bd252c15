//! [`Callback`]: a Python callable the core calls back — a cache loader, a worker's handler, a
//! request handler — plain or `async def`, from the sync or the asyncio API.
//!
//! - A plain function runs on the calling thread with the GIL taken for the call.
//! - A coroutine function's coroutine is awaited on the event loop that was running where the
//!   callback was made (or bound, [`Callback::bind_loop`]); with no loop (the sync API), it runs
//!   to completion in a fresh one (`asyncio.run`).
//! - An exception it raises reaches the caller as itself, not as a core error: the core only
//!   sees an error of kind `Io` ("callback raised"), and [`Callback::error`] swaps the original
//!   exception back in when the pattern's call fails.

use crate::runtime::Tokio;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use redkit::{Error, ErrorKind};
use std::sync::{Arc, Mutex};

/// A Python callable shared with core futures.
#[derive(Clone)]
pub struct Callback {
    func: Arc<Py<PyAny>>,
    locals: Arc<Mutex<Option<TaskLocals>>>,
    raised: Arc<Mutex<Option<PyErr>>>,
}

impl Callback {
    /// Wraps `func` (checked callable), remembering the running event loop if there is one.
    pub fn new(func: &Bound<'_, PyAny>) -> PyResult<Callback> {
        if !func.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a callable, got {}",
                func.get_type().name()?
            )));
        }
        let cb = Callback {
            func: Arc::new(func.clone().unbind()),
            locals: Arc::new(Mutex::new(None)),
            raised: Arc::new(Mutex::new(None)),
        };
        cb.bind_loop(func.py());
        Ok(cb)
    }

    /// Remembers the event loop running now (if any) as the one coroutines are awaited on.
    pub fn bind_loop(&self, py: Python<'_>) {
        if let Ok(locals) = pyo3_async_runtimes::generic::get_current_locals::<Tokio>(py) {
            *self.locals.lock().unwrap_or_else(|p| p.into_inner()) = Some(locals);
        }
    }

    /// Calls it with `args` (converted under the GIL by `make_args`) and awaits a coroutine it
    /// returns. A Python exception is kept for [`Callback::error`]; the core sees `Io`.
    pub async fn call<A>(&self, make_args: A) -> redkit::Result<Py<PyAny>>
    where
        A: for<'py> FnOnce(Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyTuple>> + Send,
    {
        let locals = self.locals.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let started = Python::attach(|py| -> PyResult<Started> {
            let out = self.func.bind(py).call1(make_args(py)?)?;
            if !out.hasattr("__await__")? {
                return Ok(Started::Done(out.unbind()));
            }
            match locals {
                Some(locals) => {
                    Ok(Started::Awaiting(Box::pin(pyo3_async_runtimes::into_future_with_locals(&locals, out)?)))
                }
                None => Ok(Started::Done(py.import("asyncio")?.call_method1("run", (out,))?.unbind())),
            }
        });
        let result = match started {
            Ok(Started::Done(v)) => Ok(v),
            Ok(Started::Awaiting(fut)) => fut.await,
            Err(e) => Err(e),
        };
        result.map_err(|e| self.keep(e))
    }

    fn keep(&self, e: PyErr) -> Error {
        let message = Python::attach(|py| e.value(py).to_string());
        *self.raised.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        Error::new(ErrorKind::Io, format!("callback raised: {message}"))
    }

    /// The exception to raise for `e`: the callback's own if it raised, else `e` mapped.
    pub fn error(&self, e: Error) -> PyErr {
        match self.raised.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(original) => original,
            None => crate::errors::to_py_err(e),
        }
    }
}

type Awaiting = std::pin::Pin<Box<dyn std::future::Future<Output = PyResult<Py<PyAny>>> + Send>>;

enum Started {
    Done(Py<PyAny>),
    Awaiting(Awaiting),
}
