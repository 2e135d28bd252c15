//! One client connection, one task: read what arrived, run every complete command as one
//! pipeline ([`Connection::serve_wire`]), write all the replies in one write, then sleep until
//! the socket has more or the simulator wakes the task (a pub/sub message, CLIENT KILL). A
//! blocked command (BLPOP, XREAD BLOCK …) parks the task on [`Connection::reply`] while the
//! socket is still read, so a client that hangs up is noticed.

use super::request::{BadInput, Requests};
use super::ServerShared;
use crate::resp::Value;
use crate::sim::client::Argv;
use crate::sim::serve::ServeStop;
use crate::sim::Connection;
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// How long a connection held back by CLIENT PAUSE waits before it looks again (the pause may
/// end early with CLIENT UNPAUSE, or, on a manual clock, when time is moved).
const PAUSE_RECHECK: Duration = Duration::from_millis(10);

/// The waker the simulator holds for this connection: it wakes the task's `notified()`.
struct Signal(Notify);

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.0.notify_one();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.notify_one();
    }
}

/// The reading side: the socket, the request parser, and the commands parsed but not yet run.
struct Input<'a> {
    socket: ReadHalf<'a>,
    requests: Requests,
    queued: Vec<Argv>,
    /// Malformed input: answered (after the commands before it) and the connection closes.
    bad: Option<BadInput>,
    buf: Vec<u8>,
}

impl Input<'_> {
    /// Reads once and parses what arrived; false when the client hung up.
    async fn read(&mut self) -> bool {
        match self.socket.read(&mut self.buf).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                if self.bad.is_none() {
                    self.bad = self.requests.feed(&self.buf[..n]).err();
                    self.parse();
                }
                true
            }
        }
    }

    /// Parses the complete commands buffered (one at a time before the client authenticated).
    fn parse(&mut self) {
        if self.bad.is_none() {
            self.bad = self.requests.drain_into(&mut self.queued).err();
        }
    }

    /// After commands ran: once the client has authenticated, lifts the size limits; then
    /// parses what was held back.
    fn after_commands(&mut self, conn: &Connection) {
        if !self.requests.is_authenticated() && authenticated(conn) {
            self.requests.authenticate();
        }
        if self.queued.is_empty() {
            self.parse();
        }
    }
}

fn authenticated(conn: &Connection) -> bool {
    conn.simulator().lock().clients.get(&conn.id()).is_some_and(|c| c.authenticated)
}

/// The simulator's side of the connection: the simulator connection and the waker it holds.
struct Session {
    conn: Connection,
    signal: Arc<Signal>,
    waker: Waker,
}

impl Session {
    /// Writes `out`, watching the simulator meanwhile: a client that does not read while the
    /// simulator gives up on it (CLIENT KILL, a subscriber too far behind) is dropped instead of
    /// waited for. `Some(woken)`: written, and whether something arrived during the write;
    /// None: the connection is over.
    async fn send(&mut self, wr: &mut WriteHalf<'_>, out: &[u8]) -> Option<bool> {
        if out.is_empty() {
            return Some(false);
        }
        let mut woken = false;
        let mut write = std::pin::pin!(wr.write_all(out));
        loop {
            tokio::select! {
                // The write first: the last reply of a connection that is over (QUIT) still
                // leaves when the socket takes it.
                biased;
                written = &mut write => return written.ok().map(|_| woken),
                _ = self.signal.0.notified() => {
                    woken = true;
                    if !self.conn.watch(&self.waker) {
                        return None;
                    }
                }
            }
        }
    }
}

/// Serves `socket` as `conn` until the client leaves, is killed, or the server stops.
pub(crate) async fn serve(mut socket: TcpStream, conn: Connection, server: Arc<ServerShared>) {
    let _ = socket.set_nodelay(true);
    let (rd, mut wr) = socket.split();
    let mut input = Input {
        socket: rd,
        requests: Requests::new(server.options.max_bulk, server.options.max_query_buffer, authenticated(&conn)),
        queued: Vec::new(),
        bad: None,
        buf: vec![0; 16 * 1024],
    };
    let signal = Arc::new(Signal(Notify::new()));
    let waker = Waker::from(signal.clone());
    let mut session = Session { conn, signal, waker };
    let mut stop = server.stop.subscribe();
    let mut out = Vec::with_capacity(16 * 1024);
    loop {
        out.clear();
        let served = session.conn.serve_wire(&input.queued, &mut out, &session.waker);
        input.queued.drain(..served.consumed);
        let last = match served.stop {
            ServeStop::Drained => match input.bad.take() {
                Some(BadInput(e)) => {
                    crate::resp::write_value(&mut out, &Value::error(e), crate::resp::Protocol::Resp2);
                    true
                }
                None => false,
            },
            ServeStop::Closed => true,
            ServeStop::Shutdown => {
                server.request_stop(false);
                true
            }
            ServeStop::Blocked | ServeStop::Paused(_) => false,
        };
        let Some(mut woken) = session.send(&mut wr, &out).await else { return };
        if last {
            return;
        }
        match served.stop {
            ServeStop::Blocked => {
                let Some(reply) = wait_blocked(&mut session.conn, &mut input, &mut stop).await else { return };
                let frames = session.conn.wire_frames(Some(&reply));
                if session.send(&mut wr, &frames).await.is_none() {
                    return;
                }
                woken = true; // look again: commands read and pushes queued meanwhile
            }
            ServeStop::Paused(_) => {
                tokio::select! {
                    _ = stop.wait_for(Option::is_some) => return,
                    _ = tokio::time::sleep(PAUSE_RECHECK) => {}
                }
                woken = true;
            }
            _ => {}
        }
        input.after_commands(&session.conn);
        if woken || !input.queued.is_empty() {
            continue;
        }
        tokio::select! {
            _ = stop.wait_for(Option::is_some) => return,
            _ = session.signal.0.notified() => {}
            alive = input.read() => if !alive { return },
        }
    }
}

/// Waits for the reply of the connection's blocked command, reading (not running) what the
/// client sends meanwhile; None when the client hung up, was killed, or the server stops.
async fn wait_blocked(
    conn: &mut Connection,
    input: &mut Input<'_>,
    stop: &mut tokio::sync::watch::Receiver<Option<super::Stop>>,
) -> Option<Value> {
    loop {
        tokio::select! {
            reply = conn.reply() => return reply,
            _ = stop.wait_for(Option::is_some) => return None,
            alive = input.read() => if !alive { return None },
        }
    }
}

/// Writes redis-server's answer to a connection over `maxclients`, then closes it.
pub(crate) async fn refuse(mut socket: TcpStream) {
    let _ = socket.write_all(b"-ERR max number of clients reached\r\n").await;
}
