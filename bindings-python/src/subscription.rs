//! `Subscription` and `Messages`: a live pub/sub subscription read with a bounded wait
//! (`next_message(timeout)`), as an iterator (`for msg in sub`, `async for msg in sub`, or
//! `sub.listen(timeout=..., max=...)`), and closed by `close()`, `with` or `async with`.
//!
//! The core's `Subscription` reads and (un)subscribes through `&mut self`, so here it sits behind
//! an async mutex every Python call shares. Two things keep readers from starving the rest:
//! - a reader waiting for a message gives the mutex up as soon as another call queues for it,
//!   so `sub.subscribe(...)` from another thread or task does not wait for the next message;
//! - `close()` wakes every reader at once: their `next_message` returns None and their
//!   iterations end.
//!
//! For that hand-over a read is the core's `next()` raced against the backend's clock here,
//! rather than the core's `next_timeout` (which would hold the mutex for the whole wait); the
//! core's `next()` loses no message when it is dropped.
//!
//! Blocking waits of the sync API wake every [`SIGNAL_CHECK`] to let Python run its signal
//! handlers, so Ctrl-C stops a `for msg in sub:` loop. An asyncio read that is cancelled
//! (`asyncio.wait_for`, `asyncio.timeout`) just as a message arrives puts the message back for
//! the next read ([`read_async`]) instead of dropping it with the cancelled future.

use crate::errors::to_py_err;
use crate::runtime::{self, Mode};
use pyo3::exceptions::{PyStopAsyncIteration, PyStopIteration};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyCFunction, PyDict, PyTuple, PyType};
use pyo3::IntoPyObjectExt;
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{Message as CoreMessage, Subscription as CoreSubscription};
use redkit::{Error, ErrorKind};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::{pending, Future};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// How often a blocking wait of the sync API wakes to let Python handle signals.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Drives `fut` on this thread with the GIL released, waking every [`SIGNAL_CHECK`] to run
/// Python's signal handlers; an exception they raise (KeyboardInterrupt) drops `fut`.
fn block_interruptible<F: Future + Send>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F::Output: Send,
{
    let mut fut = std::pin::pin!(fut);
    loop {
        match runtime::block(py, async { tokio::time::timeout(SIGNAL_CHECK, fut.as_mut()).await }) {
            Ok(v) => return Ok(v),
            Err(_) => py.check_signals()?,
        }
    }
}

/// [`Mode::run_with`] for calls that may wait long: the sync API's wait can be interrupted.
pub fn run_waiting<T, F, C>(mode: Mode, py: Python<'_>, fut: F, convert: C) -> PyResult<Py<PyAny>>
where
    F: Future<Output = redkit::Result<T>> + Send + 'static,
    T: Send + 'static,
    C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
{
    match mode {
        Mode::Sync => {
            let value = block_interruptible(py, fut)?.map_err(to_py_err)?;
            convert(py, value)
        }
        Mode::Async => mode.run_with(py, fut, convert),
    }
}

/// The error of a call on a closed subscription.
fn closed() -> Error {
    Error::new(ErrorKind::Connection, "the subscription is closed")
}

type Convert = Box<dyn FnOnce(Python<'_>, Next) -> PyResult<Py<PyAny>> + Send>;

/// Reads with `read` (a future of `shared`) the caller's way and converts what it found.
fn read<F>(shared: &Arc<Shared>, mode: Mode, py: Python<'_>, read: F, convert: Convert) -> PyResult<Py<PyAny>>
where
    F: Future<Output = redkit::Result<Next>> + Send + 'static,
{
    match mode {
        Mode::Sync => {
            let next = block_interruptible(py, read)?.map_err(to_py_err)?;
            convert(py, next)
        }
        Mode::Async => read_async(shared.clone(), py, read, convert),
    }
}

/// An asyncio future of `read`. Unlike `Mode::Async`, whose cancelled future throws away a
/// value that was already read, a message read for a caller cancelled meanwhile goes back to
/// `shared`'s stash; cancelling also stops the read at once (releasing the subscription).
fn read_async<F>(shared: Arc<Shared>, py: Python<'_>, read: F, convert: Convert) -> PyResult<Py<PyAny>>
where
    F: Future<Output = redkit::Result<Next>> + Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let fut = event_loop.call_method0("create_future")?;
    let cancel = Arc::new(Notify::new());
    let on_cancel = cancel.clone();
    let on_done = PyCFunction::new_closure(py, None, None, move |args, _| -> PyResult<()> {
        if args.get_item(0)?.call_method0("cancelled")?.is_truthy()? {
            on_cancel.notify_one();
        }
        Ok(())
    })?;
    fut.call_method1("add_done_callback", (on_done,))?;
    let (target, event_loop) = (fut.clone().unbind(), event_loop.unbind());
    runtime::spawn(async move {
        let found = tokio::select! {
            found = read => found,
            _ = cancel.notified() => return,
        };
        Python::attach(|py| {
            let pending = Mutex::new(Some((found, convert)));
            let keep = shared.clone();
            let target2 = target.clone_ref(py);
            // Runs on the event loop's thread, the only one that may touch the future.
            let deliver = PyCFunction::new_closure(py, None, None, move |args, _| -> PyResult<()> {
                let py = args.py();
                let Some((found, convert)) = pending.lock().unwrap_or_else(|p| p.into_inner()).take() else {
                    return Ok(());
                };
                let fut = target2.bind(py);
                if fut.call_method0("done")?.is_truthy()? {
                    if let Ok(Next::Message(m)) = found {
                        keep.stash.lock().unwrap_or_else(|p| p.into_inner()).push_front(m);
                    }
                    return Ok(());
                }
                match found.map_err(to_py_err).and_then(|next| convert(py, next)) {
                    Ok(value) => fut.call_method1("set_result", (value,))?,
                    Err(e) => fut.call_method1("set_exception", (e.into_value(py),))?,
                };
                Ok(())
            });
            // Fails only when the loop is closed: then nobody is left to receive anything.
            let _ = deliver.and_then(|d| event_loop.bind(py).call_method1("call_soon_threadsafe", (d,)));
        });
    });
    Ok(fut.unbind())
}

/// What a read found.
enum Next {
    Message(CoreMessage),
    /// The subscription was closed (by `close()` or by its connection).
    Closed,
    /// No message within the timeout.
    Idle(Duration),
}

/// Which (un)subscribe call.
#[derive(Clone, Copy)]
enum Op {
    Subscribe,
    PSubscribe,
    Unsubscribe,
    PUnsubscribe,
}

/// The core subscription and what every Python handle of it shares.
pub struct Shared {
    sub: tokio::sync::Mutex<Option<CoreSubscription>>,
    backend: BackendRef,
    closed: watch::Sender<bool>,
    /// Notified by a call queuing for `sub`: a waiting reader lets go of it.
    wanted: Notify,
    /// Messages read for an asyncio caller that was cancelled meanwhile: read first.
    stash: Mutex<VecDeque<CoreMessage>>,
}

impl Shared {
    pub fn new(sub: CoreSubscription, backend: BackendRef) -> Arc<Shared> {
        Arc::new(Shared {
            sub: tokio::sync::Mutex::new(Some(sub)),
            backend,
            closed: watch::Sender::new(false),
            wanted: Notify::new(),
            stash: Mutex::default(),
        })
    }

    /// Locks `sub`, asking a waiting reader to let go of it first.
    async fn take_turn(&self) -> tokio::sync::MutexGuard<'_, Option<CoreSubscription>> {
        tokio::select! {
            biased;
            guard = self.sub.lock() => guard,
            never = async {
                // Runs once the lock above is queued for, so the reader's re-lock comes after.
                self.wanted.notify_one();
                pending::<Infallible>().await
            } => match never {},
        }
    }

    /// The next message, waiting up to `timeout` of the backend's time (None: until closed).
    async fn next(self: Arc<Self>, timeout: Option<Duration>) -> redkit::Result<Next> {
        let mut closed = self.closed.subscribe();
        let mut deadline: BoxFuture<'static, ()> = match timeout {
            Some(t) => self.backend.sleep(t),
            None => Box::pin(pending()),
        };
        let idle = Next::Idle(timeout.unwrap_or_default());
        if let Some(m) = self.stash.lock().unwrap_or_else(|p| p.into_inner()).pop_front() {
            return Ok(Next::Message(m));
        }
        loop {
            let mut guard = tokio::select! {
                biased;
                _ = closed.wait_for(|c| *c) => return Ok(Next::Closed),
                guard = self.sub.lock() => guard,
                _ = &mut deadline => return Ok(idle),
            };
            let Some(sub) = guard.as_mut() else { return Ok(Next::Closed) };
            tokio::select! {
                biased;
                _ = closed.wait_for(|c| *c) => return Ok(Next::Closed),
                m = sub.next() => return Ok(m?.map_or(Next::Closed, Next::Message)),
                _ = &mut deadline => return Ok(idle),
                _ = self.wanted.notified() => {} // another call wants the subscription: let go, then read on
            }
        }
    }

    async fn control(self: Arc<Self>, op: Op, names: Vec<String>) -> redkit::Result<()> {
        let mut guard = self.take_turn().await;
        let sub = guard.as_mut().ok_or_else(closed)?;
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        match op {
            Op::Subscribe => sub.subscribe(&names).await,
            Op::PSubscribe => sub.psubscribe(&names).await,
            Op::Unsubscribe => sub.unsubscribe(&names).await,
            Op::PUnsubscribe => sub.punsubscribe(&names).await,
        }
    }

    /// Ends every read, unsubscribes from everything (so a publish right after counts no one)
    /// and closes the connection. Closing twice is harmless.
    async fn close(self: Arc<Self>) -> redkit::Result<()> {
        self.closed.send_replace(true);
        let sub = self.take_turn().await.take();
        if let Some(mut sub) = sub {
            // The connection is closed below whatever these answer.
            let _ = sub.unsubscribe(&[]).await;
            let _ = sub.punsubscribe(&[]).await;
        }
        Ok(())
    }

    fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }
}

static MESSAGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A core message as `redkit.results.Message` (the payload as bytes, as published).
fn message(py: Python<'_>, m: CoreMessage) -> PyResult<Py<PyAny>> {
    let class = MESSAGE.get_or_try_init(py, || {
        let class = py.import("redkit.results")?.getattr("Message")?.cast_into::<PyType>()?;
        PyResult::Ok(class.unbind())
    })?;
    let fields = PyDict::new(py);
    fields.set_item("channel", &m.channel)?;
    fields.set_item("pattern", &m.pattern)?;
    fields.set_item("payload", PyBytes::new(py, &m.payload))?;
    class.bind(py).call((), Some(&fields))?.into_py_any(py)
}

/// A live subscription on a connection of its own (see the module docs).
#[pyclass(module = "redkit._native", frozen)]
pub struct Subscription {
    shared: Arc<Shared>,
    mode: Mode,
}

impl Subscription {
    pub fn new(shared: Arc<Shared>, mode: Mode) -> Subscription {
        Subscription { shared, mode }
    }

    fn control(&self, py: Python<'_>, op: Op, names: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let names = names.extract::<Vec<String>>()?;
        let shared = self.shared.clone();
        run_waiting(self.mode, py, shared.control(op, names), |py, ()| Ok(py.None()))
    }

    fn messages(&self, timeout: Option<Duration>, max: Option<u64>) -> Messages {
        Messages { shared: self.shared.clone(), timeout, left: Arc::new(Mutex::new(max)) }
    }

    fn close_in(&self, mode: Mode, py: Python<'_>) -> PyResult<Py<PyAny>> {
        run_waiting(mode, py, self.shared.clone().close(), |py, ()| false.into_py_any(py))
    }
}

#[pymethods]
impl Subscription {
    /// Adds channels (at least one).
    #[pyo3(signature = (*channels))]
    fn subscribe(&self, py: Python<'_>, channels: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.control(py, Op::Subscribe, channels)
    }

    /// Adds glob patterns (at least one).
    #[pyo3(signature = (*patterns))]
    fn psubscribe(&self, py: Python<'_>, patterns: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.control(py, Op::PSubscribe, patterns)
    }

    /// Removes channels; all of them when none is given.
    #[pyo3(signature = (*channels))]
    fn unsubscribe(&self, py: Python<'_>, channels: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.control(py, Op::Unsubscribe, channels)
    }

    /// Removes patterns; all of them when none is given.
    #[pyo3(signature = (*patterns))]
    fn punsubscribe(&self, py: Python<'_>, patterns: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.control(py, Op::PUnsubscribe, patterns)
    }

    /// The next `Message`, waiting up to `timeout` seconds of the backend's time (0 takes one
    /// only if it is already there); `TimeoutError` when none arrives, None once closed.
    fn next_message(&self, py: Python<'_>, timeout: crate::convert::Seconds) -> PyResult<Py<PyAny>> {
        let t = timeout.0;
        let convert: Convert = Box::new(|py, next| match next {
            Next::Message(m) => message(py, m),
            Next::Closed => Ok(py.None()),
            Next::Idle(t) => {
                Err(to_py_err(Error::new(ErrorKind::Timeout, format!("no message within {} ms", t.as_millis()))))
            }
        });
        read(&self.shared, self.mode, py, self.shared.clone().next(Some(t)), convert)
    }

    /// An iterator of messages (`for` and `async for`) that ends when the subscription is
    /// closed, after `max` messages, or when no message came within `timeout` seconds.
    #[pyo3(signature = (*, timeout = None, max = None))]
    fn listen(&self, timeout: Option<crate::convert::Seconds>, max: Option<u64>) -> Messages {
        self.messages(timeout.map(|t| t.0), max)
    }

    /// Unsubscribes from everything and closes the connection; waiting reads return None and
    /// iterations end. Closing twice is harmless.
    fn close(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let shared = self.shared.clone();
        run_waiting(self.mode, py, shared.close(), |py, ()| Ok(py.None()))
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Messages until the subscription is closed.
    fn __iter__(&self) -> Messages {
        self.messages(None, None)
    }

    /// Messages until the subscription is closed.
    fn __aiter__(&self) -> Messages {
        self.messages(None, None)
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc_info))]
    fn __exit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close_in(Mode::Sync, py)
    }

    fn __aenter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Mode::Async.run_with(py, async { Ok::<(), Error>(()) }, move |py, ()| Ok(slf.into_any().clone_ref(py)))
    }

    #[pyo3(signature = (*_exc_info))]
    fn __aexit__(&self, py: Python<'_>, _exc_info: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        self.close_in(Mode::Async, py)
    }

    fn __repr__(&self) -> String {
        format!("Subscription({}, {})", self.shared.backend.name(), if self.closed() { "closed" } else { "open" })
    }
}

/// The messages of a subscription, for `for` (blocking) and `async for`: ends when the
/// subscription is closed, after `max` messages, or after `timeout` seconds without one.
#[pyclass(module = "redkit._native", frozen)]
pub struct Messages {
    shared: Arc<Shared>,
    timeout: Option<Duration>,
    left: Arc<Mutex<Option<u64>>>,
}

impl Messages {
    fn step(&self, py: Python<'_>, mode: Mode) -> PyResult<Py<PyAny>> {
        let end = move || match mode {
            Mode::Sync => PyStopIteration::new_err(()),
            Mode::Async => PyStopAsyncIteration::new_err(()),
        };
        let left = self.left.clone();
        let done = *left.lock().unwrap_or_else(|p| p.into_inner()) == Some(0);
        let (shared, timeout) = (self.shared.clone(), self.timeout);
        let convert: Convert = Box::new(move |py, next| match next {
            Next::Message(m) => {
                if let Some(n) = left.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
                    *n = n.saturating_sub(1);
                }
                message(py, m)
            }
            Next::Closed | Next::Idle(_) => Err(end()),
        });
        let reading = async move {
            if done {
                Ok(Next::Closed)
            } else {
                shared.next(timeout).await
            }
        };
        read(&self.shared, mode, py, reading, convert)
    }
}

#[pymethods]
impl Messages {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.step(py, Mode::Sync)
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.step(py, Mode::Async)
    }

    fn __repr__(&self) -> String {
        let left = *self.left.lock().unwrap_or_else(|p| p.into_inner());
        format!(
            "Messages(timeout={}, left={})",
            self.timeout.map_or("None".to_string(), |t| format!("{}", t.as_secs_f64())),
            left.map_or("None".to_string(), |n| n.to_string())
        )
    }
}
