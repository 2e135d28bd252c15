//! `Simulator`, `Client` and `connect()`: where every Node program starts.
//!
//! A `Client` is a core backend; the pattern factories (`client.lock(...)` …) live beside each
//! pattern's class, in its own file, as further `#[napi] impl Client` blocks.
//!
//! Raw commands on a simulator run right on the JavaScript thread: a napi `async fn` would hop
//! to the tokio runtime and back through a threadsafe function for every call, which costs far
//! more than the command itself (tens of µs against one). There the native method returns the
//! reply itself (an error as a rejected Promise) and `lib/adopt.js` hands JavaScript
//! `Promise.resolve(reply)`: a Promise made in JavaScript costs a fraction of napi's (a
//! deferred with a persistent handle). Blocking commands, a simulator with injected latency
//! (it sleeps per command) and real backends still go through the runtime and return a Promise.

use crate::convert::{argv, millis, Arg, Reply, Slot, Strings};
use crate::errors::{invalid, to_js, type_error};
use napi::bindgen_prelude::{Buffer, PromiseRaw, Uint32Array};
use napi::Either;
use napi::Env;
use napi_derive::napi;
use redkit::backend::{BackendRef, ClusterBackend, Cmd, RedisBackend, RedisOptions, SimBackend};
use redkit::resp::Value;
use redkit::sim::{Clock, Simulator as CoreSimulator};
use std::sync::Arc;

/// Options of `new Simulator(...)`.
#[napi(object)]
pub struct SimulatorOptions {
    /// Time moves only when `advance(ms)` is called (default false: the system clock).
    pub manual_clock: Option<bool>,
    /// Where a manual clock starts, in milliseconds since the epoch (default: now).
    pub start: Option<f64>,
}

/// An in-memory Redis 7 server with an optional manual (virtual) clock.
#[napi]
pub struct Simulator {
    pub(crate) sim: CoreSimulator,
}

#[napi]
impl Simulator {
    #[napi(strict, constructor, catch_unwind)]
    pub fn new(options: Option<SimulatorOptions>) -> napi::Result<Self> {
        let (manual, start) = options.map_or((false, None), |o| (o.manual_clock.unwrap_or(false), o.start));
        let clock = match start {
            Some(_) if !manual => {
                return Err(invalid("start needs manualClock: true (a system clock cannot be moved)"))
            }
            Some(ms) => Clock::manual(millis("start", ms)?.as_millis() as u64),
            None if manual => Clock::manual(Clock::system().now_ms()),
            None => Clock::system(),
        };
        Ok(Simulator { sim: CoreSimulator::with_clock(clock) })
    }

    /// Moves a manual clock forward by `ms`: keys expire, blocked commands time out and
    /// sleeping patterns wake as if that much time had passed.
    #[napi(strict, catch_unwind)]
    pub fn advance(&self, ms: f64) -> napi::Result<()> {
        if !self.sim.advance(millis("ms", ms)?) {
            return Err(invalid("advance() needs new Simulator({ manualClock: true })"));
        }
        Ok(())
    }

    /// The simulator's time in milliseconds since the epoch.
    #[napi(strict, catch_unwind)]
    pub fn now(&self) -> f64 {
        self.sim.clock().now_us() as f64 / 1e3
    }

    /// Whether the clock moves only when `advance` is called.
    #[napi(strict, getter, catch_unwind)]
    pub fn manual_clock(&self) -> bool {
        self.sim.clock().is_manual()
    }

    /// The whole keyspace as bytes (give them back to `restore`).
    #[napi(strict, catch_unwind)]
    pub fn snapshot(&self) -> napi::Result<Buffer> {
        self.sim.snapshot().map(Buffer::from).map_err(to_js)
    }

    /// Replaces the keyspace with one taken by `snapshot`.
    #[napi(strict, catch_unwind)]
    pub fn restore(&self, data: Buffer) -> napi::Result<()> {
        self.sim.restore(&data).map_err(to_js)
    }

    /// Writes a snapshot to the file `path`.
    #[napi(strict, catch_unwind)]
    pub fn save(&self, path: String) -> napi::Result<()> {
        self.sim.save_to_file(path).map_err(to_js)
    }

    /// Replaces the keyspace with the snapshot in the file `path`.
    #[napi(strict, catch_unwind)]
    pub fn load(&self, path: String) -> napi::Result<()> {
        self.sim.load_from_file(path).map_err(to_js)
    }

    /// Refuses new connections (true) or accepts them again (false).
    #[napi(strict, catch_unwind)]
    pub fn refuse_connections(&self, refuse: bool) {
        self.sim.refuse_connections(refuse);
    }

    /// Makes the next `n` commands fail with the error reply `error` (its full text).
    #[napi(strict, catch_unwind)]
    pub fn fail_next(&self, n: u32, error: Option<String>) {
        self.sim.fail_next(u64::from(n), error.as_deref().unwrap_or("ERR injected fault"));
    }

    /// Adds `ms` of real latency before every command (0 removes it).
    #[napi(strict, catch_unwind)]
    pub fn set_latency(&self, ms: f64) -> napi::Result<()> {
        self.sim.set_latency(millis("ms", ms)?);
        Ok(())
    }

    /// Clears every injected fault.
    #[napi(strict, catch_unwind)]
    pub fn heal(&self) {
        self.sim.heal();
    }

    /// How many waits (blocked commands, sleeping patterns) are parked on the clock: a test
    /// can wait for a background call to reach its wait before advancing time.
    #[napi(strict, catch_unwind)]
    pub fn parked(&self) -> u32 {
        u32::try_from(self.sim.parked()).unwrap_or(u32::MAX)
    }

    /// A client of this simulator, on database `db` (default 0).
    #[napi(strict, catch_unwind)]
    pub fn client(&self, db: Option<u32>) -> napi::Result<Client> {
        Client::of_simulator(&self.sim, db.unwrap_or(0) as usize)
    }
}

/// A connection to Redis or a simulator, and the factory of every pattern.
#[napi]
pub struct Client {
    pub(crate) backend: BackendRef,
    sim: Option<CoreSimulator>,
    /// The same backend when it is a simulator: raw commands run without a thread hop.
    direct: Option<Arc<SimBackend>>,
}

/// Options of `client.executeMany(...)`.
#[napi(object)]
pub struct ExecuteManyOptions {
    /// Wrap the commands in MULTI/EXEC: all or none (default false).
    pub transaction: Option<bool>,
}

impl Client {
    fn of_simulator(sim: &CoreSimulator, db: usize) -> napi::Result<Client> {
        let databases = sim.lock().dbs.len();
        if db >= databases {
            return Err(invalid(format!("db must be below {databases}, got {db}")));
        }
        let spawner: redkit::backend::SpawnFn = Arc::new(|fut| {
            napi::bindgen_prelude::spawn(fut);
        });
        let backend = Arc::new(SimBackend::with_db(sim.clone(), db).with_spawner(spawner));
        Ok(Client { backend: backend.clone(), sim: Some(sim.clone()), direct: Some(backend) })
    }

    /// The simulator when a command may run right now on this thread: not while latency is
    /// injected (that sleeps per command and would stall the event loop).
    fn direct_now(&self) -> Option<&SimBackend> {
        let sim = self.direct.as_deref()?;
        (sim.simulator().lock().faults.latency_ms == 0).then_some(sim)
    }

    /// One command: its reply on the simulator's fast path, else a Promise of it.
    fn run<'env>(&self, env: &'env Env, args: Vec<Arg>, strings: Strings) -> napi::Result<Now<'env, Reply>> {
        let cmd = match argv(args) {
            Ok(argv) => Cmd::from_argv(argv),
            Err(e) => return PromiseRaw::reject(env, e).map(Either::B),
        };
        let reply = move |value| Reply { value, strings };
        let blocking = cmd.blocking_timeout().is_some();
        if let (Some(sim), false) = (self.direct_now(), blocking) {
            return settled(env, sim.execute_now(cmd.args()).map(reply));
        }
        let backend = self.backend.clone();
        env.spawn_future(async move {
            match blocking {
                true => backend.blocking(cmd).await,
                false => backend.command(cmd).await,
            }
            .map(reply)
            .map_err(to_js)
        })
        .map(Either::B)
    }
}

/// What a raw command's native method returns: the reply when it ran right away, else a
/// Promise (of the reply, or rejected). `lib/adopt.js` makes either a Promise.
type Now<'env, T> = Either<T, PromiseRaw<'env, T>>;

/// `result` of a command that ran right away: its value, or a Promise rejected with its error.
fn settled<T: napi::bindgen_prelude::ToNapiValue>(env: &Env, result: redkit::Result<T>) -> napi::Result<Now<'_, T>> {
    match result {
        Ok(v) => Ok(Either::A(v)),
        Err(e) => PromiseRaw::reject(env, to_js(e)).map(Either::B),
    }
}

#[napi]
impl Client {
    /// Runs one command: bulk strings come back as strings (UTF-8), integers as numbers, nil
    /// as null, arrays as arrays; an error reply rejects with `ResponseError`. Blocking
    /// commands (BLPOP …) need a timeout > 0.
    #[napi(
        ts_args_type = "...args: Array<string | Buffer | number>",
        ts_return_type = "Promise<RedisReply>",
        catch_unwind
    )]
    pub fn execute<'env>(&self, env: &'env Env, args: Vec<Arg>) -> napi::Result<Now<'env, Reply>> {
        self.run(env, args, Strings::Text)
    }

    /// `execute` (`buffers` false) or `executeBuffer` (true) of a command of `n` ≤ 4 arguments
    /// passed one by one: `lib/adopt.js`'s entry for short commands, as napi reads a call's
    /// arguments at once but an array's one element at a time. Not part of the typed API.
    #[napi(skip_typescript, catch_unwind)]
    #[allow(clippy::too_many_arguments)]
    pub fn execute_short<'env>(
        &self,
        env: &'env Env,
        buffers: bool,
        n: u32,
        a: Slot,
        b: Slot,
        c: Slot,
        d: Slot,
    ) -> napi::Result<Now<'env, Reply>> {
        // A `null` or `undefined` among the first `n` is a wrong argument, as in `execute`.
        let given = [a, b, c, d].into_iter().take(n as usize).map(|s| s.0).collect::<Option<Vec<Arg>>>();
        let args = given.ok_or_else(|| type_error("command arguments must be strings, Buffers or numbers"))?;
        self.run(env, args, if buffers { Strings::Buffers } else { Strings::Text })
    }

    /// `execute` with bulk strings as `Buffer`s, byte for byte.
    #[napi(
        ts_args_type = "...args: Array<string | Buffer | number>",
        ts_return_type = "Promise<RedisReply<Buffer>>",
        catch_unwind
    )]
    pub fn execute_buffer<'env>(&self, env: &'env Env, args: Vec<Arg>) -> napi::Result<Now<'env, Reply>> {
        self.run(env, args, Strings::Buffers)
    }

    /// Runs several commands in one round trip and resolves to their replies in order; an
    /// error reply inside is an `Error` in its place (the others still ran). With
    /// `{ transaction: true }` they run in MULTI/EXEC: all or none.
    #[napi(ts_return_type = "Promise<Array<RedisReply | Error>>", catch_unwind)]
    pub fn execute_many<'env>(
        &self,
        env: &'env Env,
        commands: Vec<Vec<Arg>>,
        options: Option<ExecuteManyOptions>,
    ) -> napi::Result<Now<'env, Vec<Reply>>> {
        let cmds = match commands.into_iter().map(|c| argv(c).map(Cmd::from_argv)).collect::<napi::Result<Vec<_>>>() {
            Ok(cmds) => cmds,
            Err(e) => return PromiseRaw::reject(env, e).map(Either::B),
        };
        let transaction = options.and_then(|o| o.transaction).unwrap_or(false);
        let replies =
            |values: Vec<Value>| values.into_iter().map(|value| Reply { value, strings: Strings::Text }).collect();
        if let Some(sim) = self.direct_now().filter(|_| cmds.iter().all(|c| c.blocking_timeout().is_none())) {
            return settled(env, sim.pipeline_now(&cmds, transaction).map(replies));
        }
        let backend = self.backend.clone();
        env.spawn_future(async move { backend.pipeline(cmds, transaction).await.map(replies).map_err(to_js) })
            .map(Either::B)
    }

    /// `executeMany` of commands laid end to end: `args` holds all their arguments, `lengths`
    /// how many each takes. `lib/adopt.js`'s entry for arrays of arrays, as napi reads one
    /// array element at a time (one array instead of one per command; the lengths at once).
    /// Not part of the typed API.
    #[napi(skip_typescript, catch_unwind)]
    pub fn execute_laid_out<'env>(
        &self,
        env: &'env Env,
        args: Vec<Arg>,
        lengths: Uint32Array,
        options: Option<ExecuteManyOptions>,
    ) -> napi::Result<Now<'env, Vec<Reply>>> {
        let mut args = args.into_iter();
        let commands = lengths.iter().map(|&n| args.by_ref().take(n as usize).collect()).collect();
        self.execute_many(env, commands, options)
    }

    /// The simulator behind this client, or null for a real Redis.
    #[napi(strict, getter, catch_unwind)]
    pub fn simulator(&self) -> Option<Simulator> {
        self.sim.as_ref().map(|s| Simulator { sim: s.clone() })
    }

    /// `"sim"`, `"redis"` or `"cluster"`.
    #[napi(strict, getter, catch_unwind)]
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }
}

/// Options of `connect(...)` and `connectCluster(...)`.
#[napi(object)]
pub struct ConnectOptions {
    /// Bound on each call, in milliseconds.
    pub call_timeout: Option<f64>,
    /// Bound on establishing a connection, in milliseconds.
    pub connect_timeout: Option<f64>,
    /// How many times a call is retried after a connection error.
    pub retries: Option<u32>,
    /// PEM root certificate(s) to trust for `rediss://`.
    pub tls_root_cert: Option<Buffer>,
}

fn redis_options(o: Option<ConnectOptions>) -> napi::Result<RedisOptions> {
    let mut opts = RedisOptions::default();
    let Some(o) = o else { return Ok(opts) };
    if let Some(ms) = o.call_timeout {
        opts = opts.call_timeout(millis("callTimeout", ms)?);
    }
    if let Some(ms) = o.connect_timeout {
        opts = opts.connect_timeout(millis("connectTimeout", ms)?);
    }
    if let Some(n) = o.retries {
        opts = opts.retries(n as usize);
    }
    if let Some(pem) = o.tls_root_cert {
        opts = opts.tls_root_cert(pem.to_vec());
    }
    Ok(opts)
}

/// A client for `url`: `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS) or
/// `memory://` (a fresh simulator). Resolves once the server answered, rejects with
/// `ConnectionError` when it cannot be reached.
#[napi(strict)]
pub async fn connect(url: String, options: Option<ConnectOptions>) -> napi::Result<Client> {
    if let Some(rest) = url.strip_prefix("memory://") {
        if !rest.is_empty() {
            return Err(invalid(format!("memory:// takes no host or path, got {url:?}")));
        }
        return Client::of_simulator(&CoreSimulator::new(), 0);
    }
    if !(url.starts_with("redis://") || url.starts_with("rediss://")) {
        return Err(invalid(format!("a URL must start with redis://, rediss:// or memory://, got {url:?}")));
    }
    let backend = RedisBackend::with_options(&url, redis_options(options)?).await.map_err(to_js)?;
    Ok(Client { backend: Arc::new(backend), sim: None, direct: None })
}

/// A client for a Redis Cluster reached through any of `urls`.
#[napi(strict)]
pub async fn connect_cluster(urls: Vec<String>, options: Option<ConnectOptions>) -> napi::Result<Client> {
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    let backend = ClusterBackend::with_options(&urls, redis_options(options)?).await.map_err(to_js)?;
    Ok(Client { backend: Arc::new(backend), sim: None, direct: None })
}
