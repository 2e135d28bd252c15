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
use tokio::net::tcp::ReadHalf;
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
                    let parsed =
                        self.requests.feed(&self.buf[..n]).and_then(|_| self.requests.drain_into(&mut self.queued));
                    self.bad = parsed.err();
                }
                true
            }
        }
    }
}

/// Serves `socket` as `conn` until the client leaves, is killed, or the server stops.
pub(crate) async fn serve(mut socket: TcpStream, mut conn: Connection, server: Arc<ServerShared>) {
    let _ = socket.set_nodelay(true);
    let (rd, mut wr) = socket.split();
    let mut input = Input {
        socket: rd,
        requests: Requests::new(server.options.max_bulk, server.options.max_query_buffer),
        queued: Vec::new(),
        bad: None,
        buf: vec![0; 16 * 1024],
    };
    let signal = Arc::new(Signal(Notify::new()));
    let waker = Waker::from(signal.clone());
    let mut stop = server.stop.subscribe();
    let mut out = Vec::with_capacity(16 * 1024);
    loop {
        out.clear();
        let served = conn.serve_wire(&input.queued, &mut out, &waker);
        input.queued.drain(..served.consumed);
        match served.stop {
            ServeStop::Drained => {
                if let Some(BadInput(e)) = input.bad.take() {
                    crate::resp::write_value(&mut out, &Value::error(e), crate::resp::Protocol::Resp2);
                    let _ = wr.write_all(&out).await;
                    return;
                }
            }
            ServeStop::Closed => {
                let _ = wr.write_all(&out).await;
                return;
            }
            ServeStop::Shutdown => {
                let _ = wr.write_all(&out).await;
                server.request_stop(false);
                return;
            }
            ServeStop::Blocked => {
                if wr.write_all(&out).await.is_err() {
                    return;
                }
                let Some(reply) = wait_blocked(&mut conn, &mut input, &mut stop).await else { return };
                out = conn.wire_frames(Some(&reply));
            }
            ServeStop::Paused(_) => {
                if wr.write_all(&out).await.is_err() {
                    return;
                }
                tokio::select! {
                    _ = stop.wait_for(Option::is_some) => return,
                    _ = tokio::time::sleep(PAUSE_RECHECK) => {}
                }
                continue;
            }
        }
        if !out.is_empty() && wr.write_all(&out).await.is_err() {
            return;
        }
        if !input.queued.is_empty() {
            continue; // commands read while a blocked one waited
        }
        tokio::select! {
            _ = stop.wait_for(Option::is_some) => return,
            _ = signal.0.notified() => {}
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
