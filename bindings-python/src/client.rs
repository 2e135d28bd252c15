//! `Simulator`, `Client` and `connect()`: where every Python program starts.
//!
//! A `Client` is a core backend plus the API it was made for (sync or asyncio). The pattern
//! factories (`client.lock(...)` …) live beside each pattern's class, in its own file, as
//! further `#[pymethods]` blocks on `Client`.

use crate::convert::{arg_bytes, reply_to_py, value_to_py, Seconds};
use crate::fork::{Connector, ForkSafe};
use crate::runtime::{runtime, Mode};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use pyo3::IntoPyObjectExt;
use redkit::backend::{BackendRef, ClusterBackend, Cmd, RedisBackend, RedisOptions, SimBackend};
use redkit::resp::Value;
use redkit::sim::{Clock, Simulator as CoreSimulator};
use std::sync::Arc;

/// An in-memory Redis 7 server with an optional manual (virtual) clock.
#[pyclass(module = "redkit._native", frozen)]
pub struct Simulator {
    /// The core simulator.
    pub sim: CoreSimulator,
}

#[pymethods]
impl Simulator {
    #[new]
    #[pyo3(signature = (manual_clock = false, start = None))]
    fn new(manual_clock: bool, start: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let start_ms = match start {
            None => None,
            Some(s) if s.hasattr("timestamp")? => Some(s.call_method0("timestamp")?.extract::<f64>()?),
            Some(s) => Some(s.extract::<f64>().map_err(|_| {
                PyTypeError::new_err("start must be seconds since the epoch (int or float) or a datetime")
            })?),
        };
        let clock = match start_ms {
            Some(s) if !s.is_finite() || s < 0.0 => {
                return Err(PyValueError::new_err(format!("start must be a time ≥ 0 in seconds, got {s}")))
            }
            Some(_) if !manual_clock => {
                return Err(PyValueError::new_err("start needs manual_clock=True (a system clock cannot be moved)"))
            }
            Some(s) => Clock::manual((s * 1000.0).round() as u64),
            None if manual_clock => Clock::manual(Clock::system().now_ms()),
            None => Clock::system(),
        };
        Ok(Simulator { sim: CoreSimulator::with_clock(clock) })
    }

    /// Moves a manual clock forward: keys expire, blocked commands time out and sleeping
    /// patterns wake as if that much time had passed.
    fn advance(&self, py: Python<'_>, seconds: Seconds) -> PyResult<()> {
        if !py.detach(|| self.sim.advance(seconds.0)) {
            return Err(PyValueError::new_err("advance() needs Simulator(manual_clock=True)"));
        }
        Ok(())
    }

    /// The simulator's time, in seconds since the epoch.
    fn now(&self) -> f64 {
        self.sim.clock().now_us() as f64 / 1e6
    }

    /// Whether the clock moves only when `advance` is called.
    #[getter]
    fn manual_clock(&self) -> bool {
        self.sim.clock().is_manual()
    }

    /// The whole keyspace as bytes (restore with `restore`).
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.sim.snapshot().map_err(crate::errors::to_py_err)?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Replaces the keyspace with one taken by `snapshot`.
    fn restore(&self, data: &[u8]) -> PyResult<()> {
        self.sim.restore(data).map_err(crate::errors::to_py_err)
    }

    /// Writes a snapshot to `path`.
    fn save(&self, path: std::path::PathBuf) -> PyResult<()> {
        self.sim.save_to_file(path).map_err(crate::errors::to_py_err)
    }

    /// Replaces the keyspace with the snapshot in `path`.
    fn load(&self, path: std::path::PathBuf) -> PyResult<()> {
        self.sim.load_from_file(path).map_err(crate::errors::to_py_err)
    }

    /// Refuses new connections (True) or accepts them again (False).
    fn refuse_connections(&self, refuse: bool) {
        self.sim.refuse_connections(refuse);
    }

    /// Makes the next `n` commands fail with the error reply `error` (its full text).
    #[pyo3(signature = (n, error = "ERR injected fault"))]
    fn fail_next(&self, n: u64, error: &str) {
        self.sim.fail_next(n, error);
    }

    /// Adds `seconds` of real latency before every command (0 removes it).
    fn set_latency(&self, seconds: Seconds) {
        self.sim.set_latency(seconds.0);
    }

    /// Clears every injected fault.
    fn heal(&self) {
        self.sim.heal();
    }

    /// A client of this simulator (database `db`) with the blocking API.
    #[pyo3(signature = (db = 0))]
    fn client(&self, db: usize) -> PyResult<Client> {
        Client::of_simulator(&self.sim, db, Mode::Sync)
    }

    /// A client of this simulator (database `db`) with the asyncio API (`redkit.aio`).
    #[pyo3(signature = (db = 0))]
    fn async_client(&self, db: usize) -> PyResult<Client> {
        Client::of_simulator(&self.sim, db, Mode::Async)
    }

    /// How many waits (blocked commands, sleeping patterns) are parked on the simulator's
    /// clock: a test can wait for a background call to reach its wait before advancing time.
    fn parked(&self) -> usize {
        self.sim.parked()
    }

    fn __repr__(&self) -> String {
        format!("Simulator(manual_clock={}, now={:.3})", if self.manual_clock() { "True" } else { "False" }, self.now())
    }
}

/// A connection to Redis or a simulator, and the factory of every pattern.
#[pyclass(module = "redkit._native", frozen)]
pub struct Client {
    /// The backend every pattern made from this client uses.
    pub backend: BackendRef,
    /// Sync or asyncio.
    pub mode: Mode,
    /// The simulator behind it, if any.
    pub sim: Option<CoreSimulator>,
    /// The same backend as `backend` when it is a simulator: raw commands skip the future.
    direct: Option<Arc<SimBackend>>,
    url: String,
}

impl Client {
    fn of_simulator(sim: &CoreSimulator, db: usize, mode: Mode) -> PyResult<Client> {
        let databases = sim.lock().dbs.len();
        if db >= databases {
            return Err(PyValueError::new_err(format!("db must be below {databases}, got {db}")));
        }
        let backend = Arc::new(SimBackend::with_db(sim.clone(), db).with_spawner(Arc::new(crate::runtime::spawn)));
        Ok(Client {
            backend: backend.clone(),
            mode,
            sim: Some(sim.clone()),
            direct: Some(backend),
            url: format!("memory://{db}"),
        })
    }
}

#[pymethods]
impl Client {
    /// Runs one command; returns bytes, int, float, list, dict (RESP3 maps), set or None, and
    /// raises `ResponseError` on an error reply. Blocking commands (BLPOP …) need a timeout > 0.
    #[pyo3(signature = (*args))]
    fn execute(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let cmd = command(args.iter())?;
        let blocking = cmd.blocking_timeout().is_some();
        if let (Mode::Sync, Some(sim), false) = (self.mode, &self.direct, blocking) {
            let reply = py.detach(|| sim.execute_now(cmd.args())).map_err(crate::errors::to_py_err)?;
            return reply_to_py(py, reply);
        }
        let backend = self.backend.clone();
        self.mode.run_with(
            py,
            async move {
                match blocking {
                    true => backend.blocking(cmd).await,
                    false => backend.command(cmd).await,
                }
            },
            reply_to_py,
        )
    }

    /// Runs several commands in one round trip (`transaction=True`: MULTI/EXEC, all or none).
    /// Returns their replies in order; an error reply raises the first error unless
    /// `raise_on_error=False`, which puts `ResponseError` instances in the list instead.
    #[pyo3(signature = (commands, transaction = false, raise_on_error = true))]
    fn execute_many(
        &self,
        py: Python<'_>,
        commands: &Bound<'_, PyAny>,
        transaction: bool,
        raise_on_error: bool,
    ) -> PyResult<Py<PyAny>> {
        let cmds = match commands.cast::<PyList>() {
            Ok(list) => list.iter().map(|c| command_of(&c)).collect::<PyResult<Vec<Cmd>>>()?,
            Err(_) => commands.try_iter()?.map(|c| command_of(&c?)).collect::<PyResult<Vec<Cmd>>>()?,
        };
        let convert = move |py: Python<'_>, replies: Vec<Value>| {
            let items = replies
                .into_iter()
                .map(|v| if raise_on_error { reply_to_py(py, v) } else { value_to_py(py, v, true) })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        };
        if let (Mode::Sync, Some(sim)) = (self.mode, &self.direct) {
            if cmds.iter().all(|c| c.blocking_timeout().is_none()) {
                let replies = py.detach(|| sim.pipeline_now(&cmds, transaction)).map_err(crate::errors::to_py_err)?;
                return convert(py, replies);
            }
        }
        let backend = self.backend.clone();
        self.mode.run_with(py, async move { backend.pipeline(cmds, transaction).await }, convert)
    }

    /// True for a `redkit.aio` client (methods return awaitables).
    #[getter]
    fn is_async(&self) -> bool {
        self.mode == Mode::Async
    }

    /// The simulator behind this client, or None for a real Redis.
    #[getter]
    fn simulator(&self) -> Option<Simulator> {
        self.sim.as_ref().map(|s| Simulator { sim: s.clone() })
    }

    /// `"sim"`, `"redis"` or `"cluster"`.
    #[getter]
    fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    fn __repr__(&self) -> String {
        format!("Client({:?}, {})", self.url, self.mode.label())
    }
}

/// A command of `execute_many`: a tuple, a list or any other iterable of arguments. Tuples and
/// lists are read in place (an iterator object per command would also wake Python's GC).
fn command_of(c: &Bound<'_, PyAny>) -> PyResult<Cmd> {
    if let Ok(t) = c.cast::<PyTuple>() {
        return command(t.iter());
    }
    if let Ok(l) = c.cast::<PyList>() {
        return command(l.iter());
    }
    command(c.try_iter()?.collect::<PyResult<Vec<_>>>()?)
}

/// A command from Python arguments: `execute("SET", "k", 1)`.
fn command<'py>(args: impl IntoIterator<Item = Bound<'py, PyAny>>) -> PyResult<Cmd> {
    let args = args.into_iter();
    let mut argv = Vec::with_capacity(args.size_hint().0);
    for a in args {
        argv.push(arg_bytes(&a)?);
    }
    if argv.is_empty() {
        return Err(PyValueError::new_err("a command needs at least its name"));
    }
    Ok(Cmd::from_argv(argv))
}

fn options(
    call_timeout: Option<Seconds>,
    connect_timeout: Option<Seconds>,
    retries: Option<usize>,
    tls_root_cert: Option<Vec<u8>>,
) -> RedisOptions {
    let mut opts = RedisOptions::default();
    if let Some(t) = call_timeout {
        opts = opts.call_timeout(t.0);
    }
    if let Some(t) = connect_timeout {
        opts = opts.connect_timeout(t.0);
    }
    if let Some(n) = retries {
        opts = opts.retries(n);
    }
    if let Some(pem) = tls_root_cert {
        opts = opts.tls_root_cert(pem);
    }
    opts
}

/// A client for `url`: `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS) or
/// `memory://` (a fresh simulator). Connects lazily: an unreachable server raises
/// `ConnectionError` on the first call.
#[pyfunction]
#[pyo3(signature = (url, *, call_timeout = None, connect_timeout = None, retries = None, tls_root_cert = None, asyncio = false))]
pub fn connect(
    url: &str,
    call_timeout: Option<Seconds>,
    connect_timeout: Option<Seconds>,
    retries: Option<usize>,
    tls_root_cert: Option<Vec<u8>>,
    asyncio: bool,
) -> PyResult<Client> {
    let mode = Mode::of(asyncio);
    if let Some(rest) = url.strip_prefix("memory://") {
        if !rest.is_empty() {
            return Err(PyValueError::new_err(format!("memory:// takes no host or path, got {url:?}")));
        }
        return Client::of_simulator(&CoreSimulator::new(), 0, mode);
    }
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(PyValueError::new_err(format!(
            "a URL must start with redis://, rediss:// or memory://, got {url:?}"
        )));
    }
    let opts = options(call_timeout, connect_timeout, retries, tls_root_cert);
    let _context = runtime().enter();
    let first: BackendRef = Arc::new(RedisBackend::lazy(url, opts.clone()).map_err(crate::errors::to_py_err)?);
    let owned = url.to_string();
    let connector: Connector = Arc::new(move || {
        let (url, opts) = (owned.clone(), opts.clone());
        Box::pin(async move { RedisBackend::lazy(&url, opts).map(|b| Arc::new(b) as BackendRef) })
    });
    Ok(Client {
        backend: Arc::new(ForkSafe::new(first, connector)),
        mode,
        sim: None,
        direct: None,
        url: url.to_string(),
    })
}

/// A client for a Redis Cluster reached through any of `urls`.
#[pyfunction]
#[pyo3(signature = (urls, *, call_timeout = None, connect_timeout = None, retries = None, tls_root_cert = None, asyncio = false))]
pub fn connect_cluster(
    py: Python<'_>,
    urls: Vec<String>,
    call_timeout: Option<Seconds>,
    connect_timeout: Option<Seconds>,
    retries: Option<usize>,
    tls_root_cert: Option<Vec<u8>>,
    asyncio: bool,
) -> PyResult<Client> {
    let mode = Mode::of(asyncio);
    let opts = options(call_timeout, connect_timeout, retries, tls_root_cert);
    let connector: Connector = {
        let urls = urls.clone();
        Arc::new(move || {
            let (urls, opts) = (urls.clone(), opts.clone());
            Box::pin(async move {
                let refs: Vec<&str> = urls.iter().map(String::as_str).collect();
                ClusterBackend::with_options(&refs, opts).await.map(|b| Arc::new(b) as BackendRef)
            })
        })
    };
    let first = crate::runtime::block(py, connector()).map_err(crate::errors::to_py_err)?;
    Ok(Client {
        backend: Arc::new(ForkSafe::new(first, connector)),
        mode,
        sim: None,
        direct: None,
        url: urls.join(","),
    })
}
