//! How a core future comes back to Python: blocking with the GIL released (the sync API) or as
//! an asyncio awaitable (`redkit.aio`), both on one tokio runtime that survives `fork()`.
//!
//! Every binding method builds a `'static` core future and hands it to [`Mode::run`]; nothing
//! else in the binding knows which API the caller used.
//!
//! A tokio runtime's threads do not survive `fork()`: the child inherits a runtime with no
//! threads behind it. `redkit/__init__.py` registers [`after_fork`] with
//! `os.register_at_fork`; it bumps a generation, the next call builds a fresh runtime, and
//! Redis backends reconnect ([`crate::fork`]). The parent's runtime is leaked in the child, never
//! dropped: dropping would wait for threads that do not exist there.

use crate::errors::to_py_err;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;
use pyo3_async_runtimes::generic::{ContextExt, JoinError, Runtime as AsyncRuntime};
use pyo3_async_runtimes::TaskLocals;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;
use std::task::{Context, Poll, Waker};
use tokio::runtime::Runtime;

static GENERATION: AtomicU64 = AtomicU64::new(0);
/// The current runtime and the generation it was built in (leaked: never dropped, see above).
static CURRENT: RwLock<Option<(u64, &'static Runtime)>> = RwLock::new(None);

/// How many forks this process has seen; a backend built in another generation is stale.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

fn current(generation: u64) -> Option<&'static Runtime> {
    match *CURRENT.read().unwrap_or_else(|p| p.into_inner()) {
        Some((g, rt)) if g == generation => Some(rt),
        _ => None,
    }
}

/// The runtime of this process (built on first use, and again after a fork).
pub fn runtime() -> &'static Runtime {
    let generation = generation();
    if let Some(rt) = current(generation) {
        return rt;
    }
    let mut slot = CURRENT.write().unwrap_or_else(|p| p.into_inner());
    match *slot {
        Some((g, rt)) if g == generation => rt,
        _ => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("redkit-io")
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("redkit cannot start its I/O runtime: {e}"));
            let rt: &'static Runtime = Box::leak(Box::new(rt));
            *slot = Some((generation, rt));
            rt
        }
    }
}

/// Called in the child after `fork()`: the next call builds a new runtime and reconnects.
#[pyfunction]
pub fn after_fork() {
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Which API an object was created for: blocking calls or asyncio awaitables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `redkit`: calls block (GIL released) and return values.
    Sync,
    /// `redkit.aio`: calls return awaitables.
    Async,
}

impl Mode {
    /// The asyncio API when `asyncio`, else the blocking one.
    pub fn of(asyncio: bool) -> Mode {
        if asyncio {
            Mode::Async
        } else {
            Mode::Sync
        }
    }

    /// `"sync"` or `"asyncio"`, for reprs.
    pub fn label(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "asyncio",
        }
    }

    /// Runs `fut` the caller's way and converts its value with `IntoPyObject`.
    pub fn run<T, F>(self, py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = redkit::Result<T>> + Send + 'static,
        T: for<'py> IntoPyObject<'py> + Send + 'static,
    {
        self.run_with(py, fut, |py, v| v.into_py_any(py))
    }

    /// Runs `fut`, a core call that answers nothing, the caller's way: Python gets `None` (a
    /// Rust `()` would become an empty tuple).
    pub fn run_unit<F>(self, py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = redkit::Result<()>> + Send + 'static,
    {
        self.run_with(py, fut, |py, ()| Ok(py.None()))
    }

    /// Runs `fut` the caller's way and converts its value with `convert` (GIL held).
    pub fn run_with<T, F, C>(self, py: Python<'_>, fut: F, convert: C) -> PyResult<Py<PyAny>>
    where
        F: Future<Output = redkit::Result<T>> + Send + 'static,
        T: Send + 'static,
        C: FnOnce(Python<'_>, T) -> PyResult<Py<PyAny>> + Send + 'static,
    {
        match self {
            Mode::Sync => {
                let value = block(py, fut).map_err(to_py_err)?;
                convert(py, value)
            }
            Mode::Async => {
                let awaitable = pyo3_async_runtimes::generic::future_into_py::<Tokio, _, Py<PyAny>>(py, async move {
                    let value = fut.await.map_err(to_py_err)?;
                    Python::attach(|py| convert(py, value))
                })?;
                Ok(awaitable.unbind())
            }
        }
    }
}

/// Drives `fut` on this thread with the GIL released. Most simulator calls finish on their first
/// poll, which needs no waker. On a thread outside any runtime (a Python thread), the thread's
/// own current-thread runtime runs it, with [`in_sync_call`] true: a Redis backend then
/// talks over this thread's own connection ([`crate::fork`]), whose I/O runs right here instead
/// of on a worker thread — two thread hand-offs fewer per round trip. Inside a runtime thread (a
/// sync handler called from a worker), where `Runtime::block_on` is refused, it parks instead,
/// in the shared runtime's context.
pub fn block<F: Future + Send>(py: Python<'_>, fut: F) -> F::Output
where
    F::Output: Send,
{
    py.detach(|| {
        let mut fut = std::pin::pin!(fut);
        let first_poll = |fut: std::pin::Pin<&mut F>| fut.poll(&mut Context::from_waker(Waker::noop()));
        if tokio::runtime::Handle::try_current().is_ok() {
            let _context = runtime().enter();
            if let Poll::Ready(v) = first_poll(fut.as_mut()) {
                return v;
            }
            return redkit::backend::block_on(fut);
        }
        LOCAL.with(|local| {
            let rt = local.runtime();
            local.in_sync_call.set(true);
            let first = {
                let _context = rt.enter();
                first_poll(fut.as_mut())
            };
            let out = match first {
                Poll::Ready(v) => v,
                Poll::Pending => rt.block_on(fut),
            };
            local.in_sync_call.set(false);
            out
        })
    })
}

/// What a Python thread keeps for its blocking calls.
struct Local {
    /// The thread's runtime and the fork generation it was built in.
    runtime: std::cell::RefCell<Option<(u64, std::rc::Rc<Runtime>)>>,
    in_sync_call: std::cell::Cell<bool>,
}

impl Local {
    /// This thread's runtime, built on first use and again in a forked child (the parent's is
    /// forgotten there, never dropped: its I/O driver's descriptors belong to the parent).
    fn runtime(&self) -> std::rc::Rc<Runtime> {
        let mut slot = self.runtime.borrow_mut();
        match &*slot {
            Some((g, rt)) if *g == generation() => rt.clone(),
            _ => {
                let rt = std::rc::Rc::new(
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap_or_else(|e| panic!("redkit cannot start a runtime for this thread: {e}")),
                );
                if let Some(stale) = slot.replace((generation(), rt.clone())) {
                    std::mem::forget(stale);
                }
                rt
            }
        }
    }
}

thread_local! {
    static LOCAL: Local = const {
        Local { runtime: std::cell::RefCell::new(None), in_sync_call: std::cell::Cell::new(false) }
    };
}

/// Whether this thread is inside a blocking call driven by its own runtime ([`block`]).
pub fn in_sync_call() -> bool {
    LOCAL.try_with(|l| l.in_sync_call.get()).unwrap_or(false)
}

/// Spawns a background task (a worker loop, a watchdog) on the runtime.
pub fn spawn(fut: impl Future<Output = ()> + Send + 'static) {
    runtime().spawn(fut);
}

tokio::task_local! {
    static TASK_LOCALS: std::cell::OnceCell<TaskLocals>;
}

/// [`runtime`] as pyo3-async-runtimes sees it.
pub struct Tokio;

/// A task's failure as pyo3-async-runtimes sees it.
pub struct TaskFailed(tokio::task::JoinError);

impl JoinError for TaskFailed {
    fn is_panic(&self) -> bool {
        self.0.is_panic()
    }

    fn into_panic(self) -> Box<dyn std::any::Any + Send + 'static> {
        self.0.into_panic()
    }
}

type Joined = Pin<Box<dyn Future<Output = Result<(), TaskFailed>> + Send>>;

impl AsyncRuntime for Tokio {
    type JoinError = TaskFailed;
    type JoinHandle = Joined;

    fn spawn<F>(fut: F) -> Joined
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = runtime().spawn(fut);
        Box::pin(async move { handle.await.map_err(TaskFailed) })
    }

    fn spawn_blocking<F>(f: F) -> Joined
    where
        F: FnOnce() + Send + 'static,
    {
        let handle = runtime().spawn_blocking(f);
        Box::pin(async move { handle.await.map_err(TaskFailed) })
    }
}

impl ContextExt for Tokio {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = std::cell::OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|c| c.get().cloned()).ok().flatten()
    }
}
