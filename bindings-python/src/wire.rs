//! `WireConnection`: one client connection to a `Simulator` that speaks bytes, as a socket to
//! redis-server does. `redkit.testing` puts it under redis-py's own `Connection` classes (the
//! fakeredis-compatible `FakeRedis`), so redis-py's packers and parsers, pipelines, MULTI/EXEC,
//! pub/sub and RESP3 run unchanged against the simulator with no socket.
//!
//! `send` takes what the client writes (RESP commands, several pipelined, possibly cut
//! anywhere) and runs each complete command; `read` hands back exactly the bytes redis-server
//! would have written (replies, then pub/sub pushes as they arrive). A blocking command (BLPOP …)
//! holds the commands pipelined after it until it is served or times out, as on Redis; `read`
//! waits for it at most the `timeout` it is given, so the caller chooses the bound (redis-py's
//! socket timeout). `readable()` is the asyncio form of that wait. Waits never hold the GIL, and
//! never hold this connection's lock: another thread may `send` while one waits (a pub/sub
//! reader thread and a `subscribe()` from the main thread).
//!
//! The fast path of `redkit.testing`'s sync connection uses the same connection without the
//! bytes on the way in and, when it can, on the way out: `send_command` / `send_packed` run
//! commands given as redis-py's arguments (`wire_args`), in order with any bytes sent before,
//! and `reply` turns the next reply into the value redis-py's parser would make of it
//! (`wire_reply`), leaving it unread for that parser whenever it would not be exact.
//!
//! After QUIT, CLIENT KILL or a protocol error the server side is gone: `read` answers the last
//! bytes, then `b""` (end of stream), and what is sent afterwards is dropped.

use crate::convert::Seconds;
use crate::runtime::{block, Mode};
use crate::wire_args::{self, PackedCommands};
use crate::wire_reply::{self, Read, Style};
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use redkit::resp::{write_value, Parser};
use redkit::sim::Connection;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

/// One connection's state: the simulator side, the bytes received and not yet run, and the
/// bytes to hand back.
struct Wire {
    /// None once closed by the client (`close()`).
    conn: Option<Connection>,
    parser: Parser,
    /// Bytes written back; those before `taken` were read already.
    out: Vec<u8>,
    taken: usize,
    /// How many bytes were read in all (a reader that converted a reply without the lock
    /// checks nobody read in the meantime).
    consumed: u64,
    /// A blocking command waits; the commands after it stay in `parser`.
    blocked: bool,
    /// The server side closed the connection: `read` answers end of stream once `out` is empty.
    eof: bool,
}

impl Wire {
    /// Runs every complete command received, up to the first that blocks.
    fn pump(&mut self) {
        while !self.blocked && !self.eof && self.conn.is_some() {
            match self.parser.next_command() {
                Ok(None) => return,
                Ok(Some(argv)) => self.execute(&argv),
                Err(e) => {
                    // Redis answers a malformed request with an error and closes the connection.
                    self.out.extend_from_slice(format!("-ERR {e}\r\n").as_bytes());
                    self.eof = true;
                }
            }
        }
    }

    /// Runs one command that is next in line, writing its reply (or blocking).
    fn execute(&mut self, argv: &[Vec<u8>]) {
        let Some(conn) = self.conn.as_mut() else { return };
        if !is_open(conn) {
            // Killed by another client (CLIENT KILL) since its last command: the socket is gone.
            self.eof = true;
            return;
        }
        match conn.submit_wire(argv) {
            Some(bytes) => {
                self.out.extend_from_slice(&bytes);
                self.eof = !is_open(conn);
            }
            None => self.blocked = true,
        }
    }

    /// Runs a command the client sent as arguments, after those it sent before: at once when
    /// none waits, else queued behind them as the bytes a socket would have carried.
    fn run(&mut self, argv: &[Vec<u8>]) {
        if self.eof {
            return;
        }
        if self.blocked || self.parser.pending() > 0 {
            let mut bytes = Vec::new();
            wire_args::to_resp(argv, &mut bytes);
            self.parser.feed(&bytes);
            self.pump();
        } else {
            self.execute(argv);
        }
    }

    /// Marks `n` bytes of `out` read.
    fn consume(&mut self, n: usize) {
        self.consumed += n as u64;
        self.taken += n;
        if self.taken >= self.out.len() {
            self.out.clear();
            self.taken = 0;
        }
    }

    /// Whether `read` can answer now (bytes, or end of stream).
    fn ready(&self) -> bool {
        self.out.len() > self.taken || self.eof || self.conn.is_none()
    }

    /// Makes what progress the simulator allows without waiting: the blocked command's reply,
    /// pushes that arrived. `Pending` registers `cx` to be woken when there may be more.
    fn progress(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.ready() {
                return Poll::Ready(());
            }
            let Some(conn) = self.conn.as_mut() else { return Poll::Ready(()) };
            let polled = if self.blocked { pin!(conn.reply()).poll(cx) } else { pin!(conn.next_push_async()).poll(cx) };
            match polled {
                Poll::Ready(Some(frame)) => self.arrived(frame),
                Poll::Ready(None) => self.eof = true,
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// [`Wire::progress`] without registering a waker (a waiting thread keeps its own).
    fn progress_now(&mut self) -> bool {
        if !self.ready() {
            if let Some(conn) = self.conn.as_mut() {
                let frame = if self.blocked { conn.poll() } else { conn.pop_push() };
                if let Some(frame) = frame {
                    self.arrived(frame);
                }
            }
        }
        self.ready()
    }

    /// Writes what the simulator sent: the blocked command's reply (then runs the commands
    /// that waited behind it) or a push, each after the pushes queued before it.
    fn arrived(&mut self, frame: redkit::resp::Value) {
        let Some(conn) = self.conn.as_mut() else { return };
        if self.blocked {
            let bytes = conn.wire_frames(Some(&frame));
            self.out.extend_from_slice(&bytes);
            self.blocked = false;
            self.pump();
        } else {
            write_value(&mut self.out, &frame, conn.protocol());
            let rest = conn.wire_frames(None);
            self.out.extend_from_slice(&rest);
        }
    }

    /// Takes up to `max` bytes (all of them when `peek`, leaving them in place). A big reply is
    /// read in many chunks: each moves an offset, and the buffer is emptied once all was read.
    fn take(&mut self, max: usize, peek: bool) -> Vec<u8> {
        let end = self.out.len().min(self.taken.saturating_add(max));
        let bytes = self.out[self.taken..end].to_vec();
        if !peek {
            self.consume(end - self.taken);
        }
        bytes
    }
}

/// Whether the simulator still knows this connection's client (not QUIT, not killed).
fn is_open(conn: &Connection) -> bool {
    conn.simulator().lock().clients.contains_key(&conn.id())
}

fn lock(state: &Mutex<Wire>) -> MutexGuard<'_, Wire> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Resolves when `read` can answer without waiting; the lock is taken per poll only.
fn readable(state: Arc<Mutex<Wire>>) -> impl Future<Output = ()> + Send + 'static {
    poll_fn(move |cx| lock(&state).progress(cx))
}

/// A byte-level client connection to a simulator (what `redkit.testing`'s sockets wrap).
#[pyclass(module = "redkit._native", frozen)]
pub struct WireConnection {
    state: Arc<Mutex<Wire>>,
    id: u64,
    /// How `reply` reads, once `configure`d.
    style: OnceLock<Style>,
}

#[pymethods]
impl WireConnection {
    #[new]
    fn new(py: Python<'_>, simulator: &crate::client::Simulator) -> Self {
        let sim = simulator.sim.clone();
        let conn = py.detach(|| sim.connect());
        let id = conn.id();
        let wire = Wire {
            conn: Some(conn),
            parser: Parser::new(),
            out: Vec::new(),
            taken: 0,
            consumed: 0,
            blocked: false,
            eof: false,
        };
        WireConnection { state: Arc::new(Mutex::new(wire)), id, style: OnceLock::new() }
    }

    /// Hands the simulator bytes the client wrote and runs every complete command in them (up
    /// to one that blocks). Raises `OSError` once the connection is closed.
    fn send(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        py.detach(|| {
            let mut w = lock(&self.state);
            if w.conn.is_none() {
                return Err(PyOSError::new_err("the connection is closed"));
            }
            if !w.eof {
                w.parser.feed(data);
                w.pump();
            }
            Ok(())
        })
    }

    /// Up to `max` bytes of what the server wrote back: waits at most `timeout` seconds
    /// (None: as long as it takes) for some. Returns None on timeout, `b""` at end of stream.
    /// `peek=True` leaves the bytes to be read again.
    #[pyo3(signature = (max = 65536, timeout = None, peek = false))]
    fn read<'py>(
        &self,
        py: Python<'py>,
        max: usize,
        timeout: Option<Seconds>,
        peek: bool,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let ready = py.detach(|| lock(&self.state).progress_now())
            || match timeout {
                Some(t) if t.0.is_zero() => false,
                Some(t) => {
                    let wait = readable(self.state.clone());
                    block(py, async move { tokio::time::timeout(t.0, wait).await.is_ok() })
                }
                None => {
                    block(py, readable(self.state.clone()));
                    true
                }
            };
        if !ready {
            return Ok(None);
        }
        let bytes = py.detach(|| lock(&self.state).take(max.max(1), peek));
        Ok(Some(PyBytes::new(py, &bytes)))
    }

    /// Sets how `reply` reads (once; later calls are ignored): the protocol of the client's
    /// parser (`resp3`), the encoder's `decode` when it decodes responses and whether its
    /// encoding is UTF-8, the parser's `parse_error` and redis-py's `ConnectionError` class.
    #[pyo3(signature = (*, resp3, decode, utf8, parse_error, connection_error))]
    fn configure(
        &self,
        resp3: bool,
        decode: Option<Py<PyAny>>,
        utf8: bool,
        parse_error: Py<PyAny>,
        connection_error: Py<PyAny>,
    ) {
        let _ = self.style.set(Style { resp3, decode, utf8, parse_error, connection_error });
    }

    /// Runs the command redis-py's `send_command(*args)` would have packed, from its arguments
    /// (after the commands sent before it). False, with nothing done, when an argument needs
    /// redis-py's packer or the connection is closed: the caller then sends the bytes itself.
    fn send_command(&self, py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<bool> {
        let Some(argv) = wire_args::pack(args)? else { return Ok(false) };
        Ok(py.detach(|| {
            let mut w = lock(&self.state);
            if w.conn.is_none() {
                return false;
            }
            w.run(&argv);
            true
        }))
    }

    /// `commands` (argument tuples) packed for `send_packed`, or None where redis-py must pack.
    #[staticmethod]
    fn pack_commands(commands: &Bound<'_, PyAny>) -> PyResult<Option<PackedCommands>> {
        PackedCommands::pack_all(commands)
    }

    /// Runs packed commands in order; False (nothing done) once the connection is closed.
    fn send_packed(&self, py: Python<'_>, commands: &PackedCommands) -> bool {
        py.detach(|| {
            let mut w = lock(&self.state);
            if w.conn.is_none() {
                return false;
            }
            commands.commands.iter().for_each(|argv| w.run(argv));
            true
        })
    }

    /// The next reply as the Python value redis-py's parser would make of it, if it is here
    /// already and that parser would read it plainly; `NotImplemented` otherwise (nothing read:
    /// the caller's parser reads the bytes, waiting for them if need be).
    #[pyo3(signature = (disable_decoding = false))]
    fn reply(&self, py: Python<'_>, disable_decoding: bool) -> PyResult<Py<PyAny>> {
        let Some(style) = self.style.get() else { return Ok(py.NotImplemented()) };
        // The frame is copied out and converted without the lock: converting runs Python code
        // (decoding, error classes, the garbage collector), which may hand the GIL to a thread
        // that would then wait for this lock while holding the GIL.
        let frame = {
            let mut w = lock(&self.state);
            if w.out.len() == w.taken && !w.progress_now() {
                return Ok(py.NotImplemented());
            }
            let rest = &w.out[w.taken..];
            wire_reply::frame_len(rest).map(|n| (rest[..n].to_vec(), w.consumed))
        };
        let Some((frame, mark)) = frame else { return Ok(py.NotImplemented()) };
        match wire_reply::read(py, &frame, style, !disable_decoding)? {
            Read::Value(v, used) => {
                let mut w = lock(&self.state);
                if w.consumed == mark {
                    w.consume(used);
                }
                Ok(v)
            }
            Read::Parser => Ok(py.NotImplemented()),
        }
    }

    /// What a read would find now, without waiting: 0 nothing yet, 1 bytes, 2 end of stream
    /// (or closed).
    fn poll(&self, py: Python<'_>) -> u8 {
        py.detach(|| {
            let mut w = lock(&self.state);
            if !w.progress_now() {
                0
            } else if w.out.len() > w.taken {
                1
            } else {
                2
            }
        })
    }

    /// An awaitable that completes when `read(timeout=0)` has something to answer (asyncio).
    fn readable(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let wait = readable(self.state.clone());
        Mode::Async.run(py, async move {
            wait.await;
            Ok(())
        })
    }

    /// Closes the client side: the simulator forgets the connection (its subscriptions,
    /// WATCHes and blocked command) at once.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            let conn = lock(&self.state).conn.take();
            drop(conn);
        });
    }

    /// True while a blocking command waits (the commands sent after it wait too).
    #[getter]
    fn blocked(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.state).blocked)
    }

    /// True once `close()` was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.state).conn.is_none())
    }

    /// The connection's CLIENT ID in the simulator.
    #[getter]
    fn client_id(&self) -> u64 {
        self.id
    }

    fn __repr__(&self) -> String {
        format!("WireConnection(client_id={})", self.id)
    }
}
