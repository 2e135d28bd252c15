//! [`Callback`]: a Python callable the core calls back — a cache loader, a worker's handler, a
//! request handler — plain or `async def`, from the sync or the asyncio API.
//!
//! - A plain function runs on the calling thread with the GIL taken for the call.
//! - A coroutine function's coroutine is awaited on the event loop that was running where the
//!   callback was made (or bound, [`Callback::bind_loop`]); with no loop (the sync API), it runs
//!   to completion in a fresh one (`asyncio.run`).
//! - An exception it raises reaches the caller as itself, not as a core error: the core only
//!   sees an error of kind `Io` ("callback raised …"), and [`Callback::error`] swaps the original
//!   exception back in when the pattern's call fails. The exception is kept in a small registry
//!   under a number the error's message carries, so every caller the core hands that error to
//!   gets it — the callers of a cache's single flight that shared a failed load included.

use crate::runtime::Tokio;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use redkit::{Error, ErrorKind};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How many raised exceptions are kept for [`Callback::error`] (the oldest go first).
const KEPT: usize = 64;
/// Exceptions callbacks raised, by the number in their core error's message.
static RAISED: Mutex<VecDeque<(u64, PyErr)>> = Mutex::new(VecDeque::new());
static NEXT: AtomicU64 = AtomicU64::new(1);
/// How a core error's message ends when it stands for a kept exception: `… [#17]`.
const MARK: &str = " [#";

/// A Python callable shared with core futures.
#[derive(Clone)]
pub struct Callback {
    func: Arc<Py<PyAny>>,
    locals: Arc<Mutex<Option<TaskLocals>>>,
}

impl Callback {
    /// Wraps `func` (checked callable), remembering the running event loop if there is one.
    pub fn new(func: &Bound<'_, PyAny>) -> PyResult<Callback> {
        let cb = Callback::unbound(func)?;
        cb.bind_loop(func.py());
        Ok(cb)
    }

    /// Wraps `func` without remembering a loop, for a call that blocks the calling thread (the
    /// sync API): awaiting on a loop running on that thread would never finish, so a coroutine
    /// runs in a fresh loop instead — and asyncio refuses at once if this thread runs one.
    pub fn unbound(func: &Bound<'_, PyAny>) -> PyResult<Callback> {
        if !func.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a callable, got {}",
                func.get_type().name()?
            )));
        }
        Ok(Callback { func: Arc::new(func.clone().unbind()), locals: Arc::new(Mutex::new(None)) })
    }

    /// [`Callback::new`] for a call made the `mode` way: [`Callback::unbound`] when it blocks.
    pub fn for_call(func: &Bound<'_, PyAny>, mode: crate::runtime::Mode) -> PyResult<Callback> {
        match mode {
            crate::runtime::Mode::Sync => Callback::unbound(func),
            crate::runtime::Mode::Async => Callback::new(func),
        }
    }

    /// Forgets the remembered event loop: coroutines then run to completion in a fresh loop on
    /// the calling thread (a sync worker started where a loop runs, e.g. in Jupyter, must not
    /// send its handlers to a loop its own blocking wait may hold up).
    pub fn forget_loop(&self) {
        *self.locals.lock().unwrap_or_else(|p| p.into_inner()) = None;
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
                None => match py.import("asyncio")?.call_method1("run", (&out,)) {
                    Ok(v) => Ok(Started::Done(v.unbind())),
                    Err(e) => {
                        // asyncio refused (a loop runs on this thread): the coroutine never ran.
                        if out.hasattr("close")? {
                            out.call_method0("close")?;
                        }
                        Err(e)
                    }
                },
            }
        });
        let result = match started {
            Ok(Started::Done(v)) => Ok(v),
            Ok(Started::Awaiting(fut)) => fut.await,
            Err(e) => Err(e),
        };
        result.map_err(|e| self.keep(e))
    }

    /// Keeps `e` (raised by the callback, or by converting what it returned) for
    /// [`Callback::error`] and returns the core error that stands for it.
    pub fn keep(&self, e: PyErr) -> Error {
        let message = Python::attach(|py| {
            let value = e.value(py);
            let class = value.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            format!("{class}: {value}")
        });
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let mut kept = RAISED.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= KEPT {
            kept.pop_front();
        }
        kept.push_back((id, e));
        Error::new(ErrorKind::Io, format!("callback raised {message}{MARK}{id}]"))
    }

    /// The exception to raise for `e`: the callback's own if it raised, else `e` mapped.
    pub fn error(&self, e: Error) -> PyErr {
        raised(e)
    }
}

/// The number the mark [`Callback::keep`] appends to a message carries, if it has one.
fn mark(message: &str) -> Option<(&str, u64)> {
    let (head, tail) = message.rsplit_once(MARK)?;
    Some((head, tail.strip_suffix(']')?.parse::<u64>().ok()?))
}

/// The exception kept under `id`, while it is kept.
fn kept(py: Python<'_>, id: u64) -> Option<PyErr> {
    let kept = RAISED.lock().unwrap_or_else(|p| p.into_inner());
    kept.iter().find(|(k, _)| *k == id).map(|(_, original)| original.clone_ref(py))
}

/// A callback's error as a report's text (a drain's `error`): the message of the exception it
/// raised (`str(e)`), as the core reports any sink's error by its message; a message that
/// stands for no kept exception as it is, without the mark.
pub fn report_text(py: Python<'_>, message: &str) -> String {
    match mark(message) {
        Some((head, id)) => kept(py, id).map_or_else(|| head.to_string(), |e| e.value(py).to_string()),
        None => message.to_string(),
    }
}

/// The exception for a core error: the one a callback raised if `e` stands for one (see
/// [`Callback::keep`]), else the `redkit` exception of its kind.
pub fn raised(e: Error) -> PyErr {
    if let Some((_, id)) = mark(&e.message).filter(|_| e.kind == ErrorKind::Io) {
        // The GIL before the registry, always (keep() may be called holding the GIL).
        if let Some(original) = Python::attach(|py| kept(py, id)) {
            return original;
        }
    }
    crate::errors::to_py_err(e)
}

type Awaiting = std::pin::Pin<Box<dyn std::future::Future<Output = PyResult<Py<PyAny>>> + Send>>;

enum Started {
    Done(Py<PyAny>),
    Awaiting(Awaiting),
}
