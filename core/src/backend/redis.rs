//! [`RedisBackend`]: the patterns over one Redis server, through redis-rs and tokio.
//!
//! Why this shape:
//! - **One multiplexed connection per backend**, shared by every pattern built on it: callers
//!   that run concurrently have their commands pipelined on that one socket automatically
//!   (redis-rs `ConnectionManager` over a `MultiplexedConnection`), which is what makes 50
//!   concurrent callers on one client fast.
//! - **Reconnect with backoff**: a dropped connection fails the calls in flight with
//!   [`ErrorKind::Connection`] and is re-established in the background with exponential
//!   backoff ([`RedisOptions::backoff_min`] … [`RedisOptions::backoff_max`], at most
//!   [`RedisOptions::retries`] attempts per outage); later calls use the new connection.
//! - **Every call is bounded** by [`RedisOptions::call_timeout`] ([`ErrorKind::Timeout`]);
//!   a blocking command gets its own blocking timeout on top.
//! - **Blocking commands never touch the shared connection**: they run on dedicated
//!   connections from a small pool of idle ones, so a BLPOP waiting 5 s stalls nobody.
//! - **Replies are the simulator's**: RESP2 shapes, null arrays where Redis sends them, error
//!   replies with the server's exact text (see `redis_value`), so a pattern sees the same
//!   [`Value`] on both backends.
//!
//! URLs: `redis://[user[:password]@]host[:port][/db]` and `rediss://…` for TLS (feature
//! `tls`, rustls; a private CA via [`RedisOptions::tls_root_cert`]).
//!
//! What the shared connection rules out: connection state. WATCH (other callers' commands
//! interleave with yours), SELECT (put the db in the URL) and CLIENT settings belong on a
//! connection of their own; patterns use scripts for atomic read-modify-write instead. A
//! blocking command sent through [`Backend::command`] is diverted to a dedicated connection; one
//! inside a pipeline is not (it would stall the shared connection), so pipelines should not
//! contain blocking commands with a timeout.
//!
//! After the server drops the connection, the calls in flight and the first call to notice
//! fail with [`ErrorKind::Connection`] (a call that may have reached the server is never
//! retried behind the caller's back); the calls after it run on the new connection.

use super::redis_value::{from_redis, map_error, restore_nil_arrays, to_redis_cmd, Context};
use super::wire::{self, send_all_on, send_on, Wire};
use super::{reply_to_result, Backend, BoxFuture, Cmd, Message, Subscriber};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::scripts::Script;
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::io::tcp::TcpSettings;
use redis::{AsyncConnectionConfig, IntoConnectionInfo};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// How a [`RedisBackend`] connects, waits and reconnects.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisOptions {
    /// The longest any one call may take before it fails with [`ErrorKind::Timeout`]
    /// (default 5 s). Blocking commands get their own timeout on top of it.
    pub call_timeout: Duration,
    /// The longest one connection attempt may take (default 2 s).
    pub connect_timeout: Duration,
    /// The first delay before reconnecting after a dropped connection (default 50 ms).
    pub backoff_min: Duration,
    /// The longest delay between reconnection attempts (default 2 s).
    pub backoff_max: Duration,
    /// Reconnection attempts per outage before calls fail until the next one (default 6).
    pub retries: usize,
    /// Idle dedicated connections kept for blocking commands (default 4).
    pub blocking_pool: usize,
    /// A PEM root certificate to trust for `rediss://` instead of the system's roots.
    pub tls_root_cert: Option<Vec<u8>>,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions {
            call_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            retries: 6,
            blocking_pool: 4,
            tls_root_cert: None,
        }
    }
}

impl RedisOptions {
    /// Sets [`RedisOptions::call_timeout`].
    #[must_use]
    pub fn call_timeout(mut self, d: Duration) -> Self {
        self.call_timeout = d;
        self
    }

    /// Sets [`RedisOptions::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Sets [`RedisOptions::backoff_min`].
    #[must_use]
    pub fn backoff_min(mut self, d: Duration) -> Self {
        self.backoff_min = d;
        self
    }

    /// Sets [`RedisOptions::backoff_max`].
    #[must_use]
    pub fn backoff_max(mut self, d: Duration) -> Self {
        self.backoff_max = d;
        self
    }

    /// Sets [`RedisOptions::retries`].
    #[must_use]
    pub fn retries(mut self, n: usize) -> Self {
        self.retries = n;
        self
    }

    /// Sets [`RedisOptions::blocking_pool`].
    #[must_use]
    pub fn blocking_pool(mut self, n: usize) -> Self {
        self.blocking_pool = n;
        self
    }

    /// Sets [`RedisOptions::tls_root_cert`] (PEM).
    #[must_use]
    pub fn tls_root_cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root_cert = Some(pem.into());
        self
    }

    fn check(&self) -> Result<()> {
        if self.call_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(Error::new(ErrorKind::InvalidArgument, "call_timeout and connect_timeout must be above 0"));
        }
        if self.backoff_min > self.backoff_max {
            return Err(Error::new(ErrorKind::InvalidArgument, "backoff_min must not exceed backoff_max"));
        }
        Ok(())
    }

    fn manager_config(&self) -> ConnectionManagerConfig {
        ConnectionManagerConfig::new()
            .set_min_delay(self.backoff_min)
            .set_max_delay(self.backoff_max)
            .set_exponent_base(2.0)
            .set_number_of_retries(self.retries)
            .set_connection_timeout(Some(self.connect_timeout))
            // Calls are bounded here, by `bounded`, so one clock governs every wait.
            .set_response_timeout(None)
    }

    fn dedicated_config(&self) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new().set_connection_timeout(Some(self.connect_timeout)).set_response_timeout(None)
    }
}

/// The TCP settings of every connection: `TCP_NODELAY` on, as redis-py and ioredis set it
/// (redis-rs leaves it off). With Nagle's algorithm a request written while an earlier one on
/// the socket is still unacknowledged — concurrent callers on the shared connection — waits
/// for that acknowledgement, which a delayed ACK can hold back for up to 40 ms.
pub(crate) fn tcp_settings() -> TcpSettings {
    TcpSettings::default().set_nodelay(true)
}

/// Opens a redis-rs client for `url`: TLS with a private root when one is given.
pub(crate) fn open_client(url: &str, opts: &RedisOptions) -> Result<redis::Client> {
    let bad_url = |e: redis::RedisError| Error::new(ErrorKind::InvalidArgument, format!("invalid Redis URL: {e}"));
    let info = url.into_connection_info().map_err(bad_url)?.set_tcp_settings(tcp_settings());
    match &opts.tls_root_cert {
        #[cfg(feature = "tls")]
        Some(pem) => {
            let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(pem.clone()) };
            redis::Client::build_with_tls(info, certs).map_err(bad_url)
        }
        #[cfg(not(feature = "tls"))]
        Some(_) => Err(Error::new(ErrorKind::InvalidArgument, "tls_root_cert needs redkit's `tls` feature")),
        None => redis::Client::open(info).map_err(bad_url),
    }
}

/// Fails with [`ErrorKind::InvalidArgument`] outside a tokio runtime instead of panicking.
pub(crate) fn need_runtime(what: &str) -> Result<tokio::runtime::Handle> {
    tokio::runtime::Handle::try_current()
        .map_err(|_| Error::new(ErrorKind::InvalidArgument, format!("{what} needs a tokio runtime")))
}

/// Runs `fut` for at most `limit`; running out is [`ErrorKind::Timeout`].
pub(crate) async fn bounded<T>(limit: Duration, fut: impl Future<Output = Result<T>>) -> Result<T> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(ErrorKind::Timeout, format!("redis: no reply within {} ms", limit.as_millis()))),
    }
}

/// The patterns' backend over one Redis server.
///
/// ```no_run
/// # async fn demo() -> redkit::Result<()> {
/// use redkit::backend::{Backend, RedisBackend};
/// use std::sync::Arc;
///
/// let backend = Arc::new(RedisBackend::connect("redis://127.0.0.1:6379/0").await?);
/// backend.command(redkit::command!("SET", "greeting", "hello")).await?;
/// # Ok(()) }
/// ```
pub struct RedisBackend {
    client: redis::Client,
    shared: ConnectionManager,
    opts: RedisOptions,
    dedicated: Dedicated,
    round_trips: AtomicU64,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addr = &self.client.get_connection_info().addr();
        write!(f, "RedisBackend({addr})")
    }
}

impl RedisBackend {
    /// Connects to `url` with default options; fails if the server cannot be reached.
    pub async fn connect(url: &str) -> Result<RedisBackend> {
        RedisBackend::with_options(url, RedisOptions::default()).await
    }

    /// Connects to `url` with `opts`; fails if the server cannot be reached (after
    /// [`RedisOptions::retries`] attempts).
    pub async fn with_options(url: &str, opts: RedisOptions) -> Result<RedisBackend> {
        let backend = RedisBackend::lazy(url, opts)?;
        backend.shared.clone().send_packed_command(&redis::cmd("PING")).await.map_err(map_error)?;
        Ok(backend)
    }

    /// A backend that connects on its first call (and reconnects on later ones), so building
    /// it never fails for an unreachable server: each call then fails with
    /// [`ErrorKind::Connection`]. Needs a tokio runtime; a bad URL is
    /// [`ErrorKind::InvalidArgument`].
    pub fn lazy(url: &str, opts: RedisOptions) -> Result<RedisBackend> {
        opts.check()?;
        need_runtime("RedisBackend")?;
        let client = open_client(url, &opts)?;
        let shared =
            ConnectionManager::new_lazy_with_config(client.clone(), opts.manager_config()).map_err(map_error)?;
        let dedicated = Dedicated::new(&opts);
        Ok(RedisBackend { client, shared, opts, dedicated, round_trips: AtomicU64::new(0) })
    }

    /// Requests sent so far: a command, a pipeline, a transaction and a script call count one
    /// each (a script that had to fall back from EVALSHA to EVAL counts two). Tests use it to
    /// prove an operation costs one round trip.
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// The options in force.
    pub fn options(&self) -> &RedisOptions {
        &self.opts
    }

    fn count(&self) {
        self.round_trips.fetch_add(1, Ordering::Relaxed);
    }
}

impl Wire for RedisBackend {
    fn send<'a>(&'a self, argv: &'a [Vec<u8>]) -> BoxFuture<'a, Result<Value>> {
        self.count();
        Box::pin(send_on(&self.shared, self.opts.call_timeout, argv))
    }

    fn send_all<'a>(&'a self, argvs: &'a [Vec<Vec<u8>>]) -> BoxFuture<'a, Result<Vec<Value>>> {
        self.count();
        Box::pin(send_all_on(&self.shared, self.opts.call_timeout, argvs))
    }

    fn run_blocking<'a>(&'a self, cmd: &'a Cmd) -> BoxFuture<'a, Result<Value>> {
        self.count();
        Box::pin(async move {
            let v = self.dedicated.run(&self.client, cmd).await?;
            reply_to_result(restore_nil_arrays(cmd.args(), from_redis(v), Context::Alone))
        })
    }
}

/// A small pool of idle dedicated connections to one server, for blocking commands.
pub(crate) struct Dedicated {
    opts: RedisOptions,
    idle: Mutex<Vec<MultiplexedConnection>>,
}

impl Dedicated {
    pub(crate) fn new(opts: &RedisOptions) -> Dedicated {
        Dedicated { opts: opts.clone(), idle: Mutex::new(Vec::new()) }
    }

    /// An idle connection, or a new one to `client`'s server.
    async fn checkout(&self, client: &redis::Client) -> Result<MultiplexedConnection> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if let Some(c) = pooled {
            return Ok(c);
        }
        let cfg = self.opts.dedicated_config();
        bounded(self.opts.connect_timeout, async {
            client.get_multiplexed_async_connection_with_config(&cfg).await.map_err(map_error)
        })
        .await
    }

    fn checkin(&self, c: MultiplexedConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.opts.blocking_pool {
            idle.push(c);
        }
    }

    /// Runs `cmd` on a dedicated connection, bounded by the call timeout plus the command's own
    /// blocking timeout. A connection whose call failed is dropped, not pooled: after a
    /// timeout it may still be blocked in the server.
    pub(crate) async fn run(&self, client: &redis::Client, cmd: &Cmd) -> Result<redis::Value> {
        let limit = self.opts.call_timeout + cmd.blocking_timeout().unwrap_or_default();
        let rc = to_redis_cmd(cmd.args());
        let mut conn = None;
        let v = bounded(limit, async {
            let c = conn.insert(self.checkout(client).await?);
            c.req_packed_command(&rc).await.map_err(map_error)
        })
        .await?;
        if let Some(c) = conn {
            self.checkin(c);
        }
        Ok(v)
    }
}

impl Backend for RedisBackend {
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(wire::command(self, cmd))
    }

    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(wire::pipeline(self, cmds, atomic))
    }

    fn script(&self, script: &'static Script, keys: Vec<Vec<u8>>, args: Vec<Vec<u8>>) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { wire::script(self, script, &keys, &args).await })
    }

    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(wire::blocking(self, cmd))
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>> {
        Box::pin(wire::subscriber(&self.client, &self.opts))
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(d))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> Result<()> {
        need_runtime("RedisBackend::spawn")?.spawn(task);
        Ok(())
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}

/// `EVALSHA sha numkeys keys… args…` (or `EVAL lua …`).
pub(crate) fn script_argv(verb: &[u8], body: &[u8], keys: &[Vec<u8>], args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut argv = Vec::with_capacity(3 + keys.len() + args.len());
    argv.push(verb.to_vec());
    argv.push(body.to_vec());
    argv.push(keys.len().to_string().into_bytes());
    argv.extend(keys.iter().cloned());
    argv.extend(args.iter().cloned());
    argv
}

/// A subscription on a dedicated pub/sub connection.
pub(crate) struct RedisSubscriber {
    sink: redis::aio::PubSubSink,
    stream: redis::aio::PubSubStream,
    timeout: Duration,
}

impl RedisSubscriber {
    /// Wraps a redis-rs pub/sub connection; control calls are bounded by `timeout`.
    pub(crate) fn new(pubsub: redis::aio::PubSub, timeout: Duration) -> RedisSubscriber {
        let (sink, stream) = pubsub.split();
        RedisSubscriber { sink, stream, timeout }
    }
}

impl Subscriber for RedisSubscriber {
    fn subscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(bounded(self.timeout, async { self.sink.subscribe(channels).await.map_err(map_error) }))
    }

    fn psubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(bounded(self.timeout, async { self.sink.psubscribe(patterns).await.map_err(map_error) }))
    }

    fn unsubscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(bounded(self.timeout, async { self.sink.unsubscribe(channels).await.map_err(map_error) }))
    }

    fn punsubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(bounded(self.timeout, async { self.sink.punsubscribe(patterns).await.map_err(map_error) }))
    }

    fn next_message(&mut self) -> BoxFuture<'_, Result<Option<Message>>> {
        Box::pin(async move {
            use futures_util::StreamExt;
            let Some(msg) = self.stream.next().await else { return Ok(None) };
            let channel: Vec<u8> = msg.get_channel().map_err(map_error)?;
            let pattern: Option<Vec<u8>> = msg.get_pattern().map_err(map_error)?;
            Ok(Some(Message::new(channel, pattern, msg.get_payload_bytes().to_vec())))
        })
    }
}
