//! `client.pubsub()` → `PubSub`: publish (bytes, str, numbers, or JSON), sharded publish,
//! subscriptions (`subscription.rs`), and request/response over pub/sub — `request` with a
//! timeout that fails at once when nobody serves, a kept `Requester`, and `serve`, whose
//! handler is a plain function or an `async def`.
//!
//! The asyncio API's `subscribe`, `psubscribe`, `subscription`, `requester` and `serve` return
//! an `Opening`: await it for the object, or use it with `async with` to close (or stop) the
//! object on exit — `async with ps.subscribe("news") as sub:`.
//!
//! Request and answer bodies are JSON: Python values go through `json.dumps` (a value it cannot
//! encode is its TypeError or ValueError), answers come back as dict, list, str, int, float,
//! bool or None. An exception a handler raises reaches the requester with its kind: a redkit
//! exception as itself, a TimeoutError, ConnectionError, LookupError or ValueError as the redkit
//! exception subclassing that built-in, anything else as a `ResponseError` naming its type.

use crate::callback::Callback;
use crate::convert::{arg_bytes, Seconds};
use crate::errors::{kind_of, to_py_err};
use crate::record::json_to_py;
use crate::runtime::Mode;
use crate::subscription::{run_waiting, Shared, Subscription};
use pyo3::exceptions::{PyConnectionError, PyLookupError, PyTimeoutError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use pyo3::IntoPyObjectExt;
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{
    PubSub as CorePubSub, PubSubOptions, Requester as CoreRequester, Responder as CoreResponder,
    Subscription as CoreSubscription,
};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Publishes, subscribes, and asks and answers requests.
#[pyclass(module = "redkit._native", frozen)]
pub struct PubSub {
    inner: CorePubSub,
    backend: BackendRef,
    mode: Mode,
}

#[pymethods]
impl crate::client::Client {
    /// Pub/sub over this client (see `PubSub`); `prefix` names the request/response channels.
    #[pyo3(signature = (*, prefix = None))]
    fn pubsub(&self, prefix: Option<&str>) -> PyResult<PubSub> {
        let mut opts = PubSubOptions::default();
        if let Some(p) = prefix {
            opts = opts.prefix(p);
        }
        let inner = CorePubSub::new(self.backend.clone(), opts).map_err(to_py_err)?;
        Ok(PubSub { inner, backend: self.backend.clone(), mode: self.mode })
    }
}

/// A Python value as JSON, through `json.dumps` (NaN and infinities refused).
fn py_to_json(v: &Bound<'_, PyAny>) -> PyResult<Json> {
    let py = v.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("allow_nan", false)?;
    kwargs.set_item("ensure_ascii", false)?;
    let text: String = py.import("json")?.call_method("dumps", (v,), Some(&kwargs))?.extract()?;
    serde_json::from_str(&text)
        .map_err(|e| crate::errors::internal(format!("json.dumps wrote what serde rejects: {e}")))
}

/// What a sync call returns, or for asyncio the `Opening` of it.
fn opening<T, F, C>(mode: Mode, py: Python<'_>, fut: F, convert: C) -> PyResult<Py<PyAny>>
where
    F: Future<Output = redkit::Result<T>> + Send + 'static,
    T: Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    let made = run_waiting(mode, py, fut, convert)?;
    match mode {
        Mode::Sync => Ok(made),
        Mode::Async => Opening { awaitable: made }.into_py_any(py),
    }
}

impl PubSub {
    fn publish_with(&self, py: Python<'_>, sharded: bool, channel: String, payload: Vec<u8>) -> PyResult<Py<PyAny>> {
        let ps = self.inner.clone();
        self.mode.run(py, async move {
            if sharded {
                ps.spublish(&channel, payload).await
            } else {
                ps.publish(&channel, payload).await
            }
        })
    }

    /// A subscription to nothing (`to` None), to channels (`(false, names)`) or to patterns.
    fn subscription_with(&self, py: Python<'_>, to: Option<(bool, Vec<String>)>) -> PyResult<Py<PyAny>> {
        let (ps, backend, mode) = (self.inner.clone(), self.backend.clone(), self.mode);
        opening(
            mode,
            py,
            async move {
                let sub: CoreSubscription = match &to {
                    None => ps.subscription().await?,
                    Some((patterns, names)) => {
                        let names: Vec<&str> = names.iter().map(String::as_str).collect();
                        if *patterns {
                            ps.psubscribe(&names).await?
                        } else {
                            ps.subscribe(&names).await?
                        }
                    }
                };
                Ok(sub)
            },
            move |py, sub| Subscription::new(Shared::new(sub, backend), mode).into_py_any(py),
        )
    }
}

#[pymethods]
impl PubSub {
    /// Publishes `payload` (bytes, str, int or float) on `channel`; returns how many subscribers
    /// received it (on a cluster: those on the node that ran it).
    fn publish(&self, py: Python<'_>, channel: String, payload: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.publish_with(py, false, channel, arg_bytes(payload)?)
    }

    /// Publishes `message` as JSON on `channel`; returns how many subscribers received it.
    fn publish_json(&self, py: Python<'_>, channel: String, message: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let message = py_to_json(message)?;
        let ps = self.inner.clone();
        self.mode.run(py, async move { ps.publish_json(&channel, &message).await })
    }

    /// Publishes to a shard channel (SPUBLISH): on a cluster only the shard owning the
    /// channel's slot gets it. Shard subscribers receive it, plain subscribers do not.
    fn spublish(&self, py: Python<'_>, channel: String, payload: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.publish_with(py, true, channel, arg_bytes(payload)?)
    }

    /// A `Subscription` to `channels` (at least one), confirmed by the server.
    #[pyo3(signature = (*channels))]
    fn subscribe(&self, py: Python<'_>, channels: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.subscription_with(py, Some((false, channels.extract()?)))
    }

    /// A `Subscription` to glob `patterns` (`news.*`; at least one).
    #[pyo3(signature = (*patterns))]
    fn psubscribe(&self, py: Python<'_>, patterns: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.subscription_with(py, Some((true, patterns.extract()?)))
    }

    /// A `Subscription` to nothing yet, on a connection of its own.
    fn subscription(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.subscription_with(py, None)
    }

    /// Sends `body` (JSON) to `service` and waits up to `timeout` seconds for the answer.
    /// `NotFoundError` at once when nobody serves it, `TimeoutError` when no answer came in time,
    /// or the error the handler raised.
    fn request(
        &self,
        py: Python<'_>,
        service: String,
        body: &Bound<'_, PyAny>,
        timeout: Seconds,
    ) -> PyResult<Py<PyAny>> {
        let body = py_to_json(body)?;
        let ps = self.inner.clone();
        run_waiting(
            self.mode,
            py,
            async move { ps.request::<Json, Json>(&service, &body, timeout.0).await },
            json_to_py,
        )
    }

    /// A `Requester` for `service`: a reply channel of its own, kept for many requests.
    fn requester(&self, py: Python<'_>, service: String) -> PyResult<Py<PyAny>> {
        let (ps, mode) = (self.inner.clone(), self.mode);
        opening(mode, py, async move { ps.requester(&service).await.map(|r| (r, service)) }, move |py, (r, service)| {
            let reply_channel = r.reply_channel().to_string();
            let inner = Arc::new(tokio::sync::Mutex::new(Some(r)));
            Requester { inner, mode, service, reply_channel }.into_py_any(py)
        })
    }

    /// Serves `service` in the background until `stop()`: each request's JSON body is passed
    /// to `handler` (a function or an `async def`), whose return value (JSON) is the answer and
    /// whose exception is sent back as an error. Requests are answered one at a time.
    fn serve(&self, py: Python<'_>, service: String, handler: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let callback = Callback::new(handler)?;
        let (ps, mode) = (self.inner.clone(), self.mode);
        opening(
            mode,
            py,
            async move { ps.serve(&service, respond(callback)).await.map(|r| (r, service)) },
            move |py, (r, service)| {
                Responder { inner: Mutex::new(Some(r)), stopped: Mutex::new(Stats::default()), mode, service }
                    .into_py_any(py)
            },
        )
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}

/// A responder's handler: the JSON body in, the callback's value out as JSON.
fn respond(callback: Callback) -> impl Fn(Json) -> BoxFuture<'static, redkit::Result<Json>> + Send + Sync + 'static {
    move |body| {
        let cb = callback.clone();
        Box::pin(async move {
            let out = cb
                .call(move |py| PyTuple::new(py, [json_to_py(py, body)?]))
                .await
                .map_err(|e| wire_error(cb.error(e)))?;
            Python::attach(|py| py_to_json(out.bind(py)))
                .map_err(|e| Error::new(ErrorKind::Serialization, format!("the handler's answer is not JSON: {e}")))
        })
    }
}

/// A handler's exception as the error the requester gets (see the module docs).
fn wire_error(e: PyErr) -> Error {
    Python::attach(|py| {
        if let Some(kind) = kind_of(py, &e) {
            return Error::new(kind, e.value(py).to_string());
        }
        let kind = if e.is_instance_of::<PyTimeoutError>(py) {
            ErrorKind::Timeout
        } else if e.is_instance_of::<PyConnectionError>(py) {
            ErrorKind::Connection
        } else if e.is_instance_of::<PyLookupError>(py) {
            ErrorKind::NotFound
        } else if e.is_instance_of::<PyValueError>(py) {
            ErrorKind::InvalidArgument
        } else {
            ErrorKind::Reply
        };
        let name = e.get_type(py).name().map(|n| n.to_string()).unwrap_or_else(|_| "Exception".into());
        Error::new(kind, format!("{name}: {}", e.value(py)))
    })
}

/// asyncio: what `subscribe`, `psubscribe`, `subscription`, `requester` and `serve` return.
/// Await it for the object, or `async with` it to close (stop) the object on exit.
#[pyclass(module = "redkit._native", frozen)]
pub struct Opening {
    awaitable: Py<PyAny>,
}

#[pymethods]
impl Opening {
    fn __await__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.awaitable.bind(py).call_method0("__await__")
    }

    fn __aenter__(&self, py: Python<'_>) -> Py<PyAny> {
        self.awaitable.clone_ref(py)
    }

    /// Closes (stops) what it opened through that object's own `__aexit__`.
    #[pyo3(signature = (*exc_info))]
    fn __aexit__<'py>(&self, py: Python<'py>, exc_info: &Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let opened = self.awaitable.bind(py).call_method0("result")?;
        opened.call_method1("__aexit__", exc_info)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let done = self.awaitable.bind(py).call_method0("done").and_then(|d| d.is_truthy()).unwrap_or(false);
        format!("Opening({})", if done { "done" } else { "pending" })
    }
}

fn closed_requester() -> Error {
    Error::new(ErrorKind::Connection, "the requester is closed")
}

/// Sends requests to one service from a reply channel of its own (one round trip each).
#[pyclass(module = "redkit._native", frozen)]
pub struct Requester {
    inner: Arc<tokio::sync::Mutex<Option<CoreRequester>>>,
    mode: Mode,
    service: String,
    reply_channel: String,
}

/// What a close returns: None from `close()`/`stop()`, False from `__exit__`/`__aexit__` (never
/// swallow the exception).
fn closed_value(py: Python<'_>, exiting: bool) -> PyResult<Py<PyAny>> {
    if exiting {
        false.into_py_any(py)
    } else {
        Ok(py.None())
    }
}

impl Requester {
    /// Waits for a request in progress, then drops the core requester (its subscription).
    fn close_in(&self, mode: Mode, py: Python<'_>, exiting: bool) -> PyResult<Py<PyAny>> {
        let inner = self.inner.clone();
        run_waiting(
            mode,
            py,
            async move {
                drop(inner.lock().await.take());
                Ok(())
            },
            move |py, ()| closed_value(py, exiting),
        )
    }
}

#[pymethods]
impl Requester {
    /// Sends `body` (JSON) and waits up to `timeout` seconds for the answer (see
    /// `PubSub.request`); a late answer to an earlier request is skipped.
    fn request(&self, py: Python<'_>, body: &Bound<'_, PyAny>, timeout: Seconds) -> PyResult<Py<PyAny>> {
        let body = py_to_json(body)?;
        let inner = self.inner.clone();
        run_waiting(
            self.mode,
            py,
            async move {
                let mut guard = inner.lock().await;
                let r = guard.as_mut().ok_or_else(closed_requester)?;
                r.request::<Json, Json>(&body, timeout.0).await
            },
            json_to_py,
        )
    }

    /// Unsubscribes its reply channel; later requests raise `ConnectionError`.
    fn close(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.close_in(self.mode, py, false)
    }

    /// The service it asks.
    #[getter]
    fn service(&self) -> &str {
        &self.service
    }

    /// The channel its answers come back on.
    #[getter]
    fn reply_channel(&self) -> &str {
        &self.reply_channel
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close_in(Mode::Sync, py, true)
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Mode::Async.run_with(py, async { Ok::<(), Error>(()) }, move |py, ()| Ok(slf.into_any().clone_ref(py)))
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close_in(Mode::Async, py, true)
    }

    fn __repr__(&self) -> String {
        format!("Requester({:?}, reply_channel={:?})", self.service, self.reply_channel)
    }
}

/// A stopped responder's counters, as they were when `stop()` was called.
#[derive(Default)]
struct Stats {
    served: u64,
    resubscribed: u64,
    last_error: Option<Error>,
}

/// A background responder made by `PubSub.serve`; `stop()`, `with` or `async with` ends it.
#[pyclass(module = "redkit._native", frozen)]
pub struct Responder {
    inner: Mutex<Option<CoreResponder>>,
    stopped: Mutex<Stats>,
    mode: Mode,
    service: String,
}

impl Responder {
    fn stats<T>(&self, read: impl FnOnce(&CoreResponder) -> T, kept: impl FnOnce(&Stats) -> T) -> T {
        match self.inner.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(r) => read(r),
            None => kept(&self.stopped.lock().unwrap_or_else(|p| p.into_inner())),
        }
    }

    fn stop_in(&self, mode: Mode, py: Python<'_>, exiting: bool) -> PyResult<Py<PyAny>> {
        let taken = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(r) = &taken {
            *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) =
                Stats { served: r.served(), resubscribed: r.resubscribed(), last_error: r.last_error() };
        }
        run_waiting(
            mode,
            py,
            async move {
                match taken {
                    Some(r) => r.stop().await,
                    None => Ok(()),
                }
            },
            move |py, ()| closed_value(py, exiting),
        )
    }
}

#[pymethods]
impl Responder {
    /// Stops serving: waits (up to 10 s) for the request in progress, then unsubscribes, so
    /// later requests fail fast with `NotFoundError`. Stopping twice is harmless.
    fn stop(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.stop_in(self.mode, py, false)
    }

    /// How many requests it has handled (counted before each answer is sent; after `stop()`,
    /// the count when it was called).
    #[getter]
    fn served(&self) -> u64 {
        self.stats(|r| r.served(), |s| s.served)
    }

    /// How many times it subscribed again after losing its connection.
    #[getter]
    fn resubscribed(&self) -> u64 {
        self.stats(|r| r.resubscribed(), |s| s.resubscribed)
    }

    /// The last error its subscription met (a lost connection, a failed resubscribe), or None.
    #[getter]
    fn last_error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.stats(|r| r.last_error(), |s| s.last_error.clone()).map(|e| to_py_err(e).into_value(py).into_any())
    }

    /// Whether it is still serving.
    #[getter]
    fn is_running(&self) -> bool {
        self.stats(|r| r.is_running(), |_| false)
    }

    /// The service it answers.
    #[getter]
    fn service(&self) -> &str {
        &self.service
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.stop_in(Mode::Sync, py, true)
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Mode::Async.run_with(py, async { Ok::<(), Error>(()) }, move |py, ()| Ok(slf.into_any().clone_ref(py)))
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.stop_in(Mode::Async, py, true)
    }

    fn __repr__(&self) -> String {
        let running = if self.is_running() { "True" } else { "False" };
        format!("Responder({:?}, served={}, running={running})", self.service, self.served())
    }
}
