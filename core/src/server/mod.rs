//! The simulator on a TCP port (feature `server`): any Redis client — redis-cli,
//! redis-benchmark, redis-py, ioredis — talks to it as to redis-server, over RESP2 or RESP3.
//!
//! A library first, so a process can serve a simulator in-process ([`Server::start`] returns at
//! once with a [`ServerHandle`]); `redkit-server` is a thin `main` over it. The server runs its
//! own tokio runtime on its own thread(s); each connection is one task and one simulator
//! [`Connection`](crate::sim::Connection). Pipelined commands run under one lock acquisition and
//! their replies leave in one write; blocked commands and pub/sub messages wake their
//! connection's task through the simulator's wakers, with no thread per connection.
//!
//! ```no_run
//! use redkit::server::{Server, ServerOptions};
//!
//! let mut options = ServerOptions::default();
//! options.port = 0; // any free port
//! options.manual_clock = true;
//! let server = Server::start(options)?;
//! println!("redis://{}", server.addr());
//! server.simulator().advance_ms(1_000); // or REDKIT.ADVANCE 1000 from any client
//! server.shutdown();
//! server.wait();
//! # Ok::<(), redkit::Error>(())
//! ```

mod conn;
mod log;
mod options;
mod request;

pub use options::{parse_args, Invocation, ServerOptions, HELP};

use crate::error::{Error, ErrorKind, Result};
use crate::sim::Simulator;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// Longest a stopping server waits for its connections to close before it drops them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the server stops.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stop {
    /// Write the snapshot file first (SIGTERM, [`ServerHandle::shutdown`]); SHUTDOWN saved itself.
    save: bool,
}

/// What the accept loop and every connection task share.
pub(crate) struct ServerShared {
    options: ServerOptions,
    stop: watch::Sender<Option<Stop>>,
}

impl ServerShared {
    /// Asks the server to stop (the first request wins).
    pub(crate) fn request_stop(&self, save: bool) {
        self.stop.send_if_modified(|s| s.is_none() && s.replace(Stop { save }).is_none());
    }
}

/// Starts servers; see the module documentation.
#[derive(Debug)]
#[non_exhaustive]
pub struct Server;

/// A running server: its address and simulator, and how to stop it and wait for it. Dropping
/// the handle stops the server.
pub struct ServerHandle {
    addr: SocketAddr,
    sim: Simulator,
    shared: Arc<ServerShared>,
    done: watch::Receiver<bool>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerHandle({})", self.addr)
    }
}

fn io_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Io, format!("{what}: {e}"))
}

impl Server {
    /// Builds the simulator `options` describe ([`ServerOptions::simulator`]) and serves it.
    pub fn start(options: ServerOptions) -> Result<ServerHandle> {
        options.check().map_err(|e| Error::new(ErrorKind::InvalidArgument, e))?;
        let sim = options.simulator().map_err(|e| Error::new(ErrorKind::InvalidArgument, e))?;
        Server::serve(sim, options)
    }

    /// Serves an existing simulator (its configuration and clock stay; `options` gives the
    /// address, the limits and the snapshot file). Returns once the port is bound.
    pub fn serve(sim: Simulator, options: ServerOptions) -> Result<ServerHandle> {
        options.check().map_err(|e| Error::new(ErrorKind::InvalidArgument, e))?;
        let listener = std::net::TcpListener::bind((options.bind, options.port))
            .map_err(|e| io_error(&format!("binding {}:{}", options.bind, options.port), e))?;
        listener.set_nonblocking(true).map_err(|e| io_error("listener", e))?;
        let addr = listener.local_addr().map_err(|e| io_error("listener", e))?;
        {
            let mut st = sim.lock();
            st.host.attached = true;
            st.host.shutdown = false;
            st.host.snapshot_path = options.save.clone();
            st.host.max_pending_pushes = options.max_pending_messages;
            st.host.tcp_port = Some(addr.port());
            // CONFIG GET tells clients what they are connected to.
            let listening = [
                ("port", addr.port().to_string()),
                ("bind", options.bind.to_string()),
                ("maxclients", options.max_clients.to_string()),
                ("protected-mode", if options.allow_remote { "no" } else { "yes" }.to_string()),
            ];
            st.config.other.extend(listening.map(|(k, v)| (k.to_string(), v)));
        }
        let runtime = if options.threads > 1 {
            tokio::runtime::Builder::new_multi_thread().worker_threads(options.threads).enable_all().build()
        } else {
            tokio::runtime::Builder::new_current_thread().enable_all().build()
        }
        .map_err(|e| io_error("tokio runtime", e))?;
        let (stop, _) = watch::channel(None);
        let shared = Arc::new(ServerShared { options, stop });
        let (done_tx, done) = watch::channel(false);
        let (serve_sim, serve_shared) = (sim.clone(), shared.clone());
        let thread = std::thread::Builder::new()
            .name("redkit-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => run(listener, serve_sim, serve_shared).await,
                        Err(e) => log::notice(true, &format!("listener: {e}")),
                    }
                });
                drop(runtime);
                let _ = done_tx.send(true);
            })
            .map_err(|e| io_error("server thread", e))?;
        Ok(ServerHandle { addr, sim, shared, done, thread: Mutex::new(Some(thread)) })
    }
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The simulator it serves (advance its manual clock, inspect it, run commands in-process).
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    /// Stops the server like SIGTERM: no new connections, open ones closed, the snapshot file
    /// written when one is configured. Returns at once; see [`ServerHandle::wait`].
    pub fn shutdown(&self) {
        self.shared.request_stop(true);
    }

    /// True once the server has stopped.
    pub fn is_stopped(&self) -> bool {
        *self.done.borrow()
    }

    /// Resolves when the server has stopped (by [`ServerHandle::shutdown`], SHUTDOWN or a
    /// signal).
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut done = self.done.clone();
        async move {
            let _ = done.wait_for(|d| *d).await;
        }
    }

    /// Blocks the calling thread until the server has stopped.
    pub fn wait(&self) {
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
        self.wait();
    }
}

/// The accept loop, then the orderly stop: connections closed (bounded wait), snapshot saved.
async fn run(listener: tokio::net::TcpListener, sim: Simulator, shared: Arc<ServerShared>) {
    let options = &shared.options;
    let log = options.log;
    if options.handle_signals {
        tokio::spawn(stop_on_signals(shared.clone()));
    }
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(options.port);
    log::notice(
        log,
        &format!("redkit-server {} (Redis {} simulator)", crate::sim::REDKIT_VERSION, crate::sim::REDIS_VERSION),
    );
    log::notice(log, &format!("Ready to accept connections tcp on {}:{port}", options.bind));
    let open = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let mut stop = shared.stop.subscribe();
    loop {
        tokio::select! {
            _ = stop.wait_for(Option::is_some) => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    if open.load(Ordering::SeqCst) >= options.max_clients {
                        tasks.spawn(conn::refuse(socket));
                        continue;
                    }
                    let conn = sim.connect();
                    if let Some(c) = sim.lock().clients.get_mut(&conn.id()) {
                        c.addr = peer.to_string();
                    }
                    let guard = OpenGuard::new(open.clone());
                    let shared = shared.clone();
                    tasks.spawn(async move {
                        conn::serve(socket, conn, shared).await;
                        drop(guard);
                    });
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    drop(listener);
    let stop = (*shared.stop.borrow()).unwrap_or(Stop { save: true });
    log::notice(log, "User requested shutdown...");
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async { while tasks.join_next().await.is_some() {} }).await;
    tasks.abort_all();
    if let (true, Some(path)) = (stop.save, &options.save) {
        log::notice(log, "Saving the final snapshot before exiting.");
        match sim.save_to_file(path) {
            Ok(()) => log::notice(log, "DB saved on disk"),
            Err(e) => log::notice(log, &format!("Error trying to save the DB: {e}")),
        }
    }
    // The simulator outlives its server (it may be served again, or used in-process).
    let mut st = sim.lock();
    st.host.attached = false;
    st.host.shutdown = false;
    st.host.snapshot_path = None;
    st.host.max_pending_pushes = 0;
    st.host.tcp_port = None;
    drop(st);
    log::notice(log, "redkit-server is now ready to exit, bye bye...");
}

/// Counts an open connection for `maxclients` while it lives.
struct OpenGuard(Arc<AtomicUsize>);

impl OpenGuard {
    fn new(open: Arc<AtomicUsize>) -> OpenGuard {
        open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(open)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// SIGTERM and SIGINT stop the server like [`ServerHandle::shutdown`].
#[cfg(unix)]
async fn stop_on_signals(shared: Arc<ServerShared>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    log::notice(shared.options.log, &format!("Received {name} scheduling shutdown..."));
    shared.request_stop(true);
}

/// Ctrl-C stops the server like [`ServerHandle::shutdown`].
#[cfg(not(unix))]
async fn stop_on_signals(shared: Arc<ServerShared>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        shared.request_stop(true);
    }
}
