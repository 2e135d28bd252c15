//! Serving one client from a byte stream (redkit-server's sockets): the commands of a pipeline
//! run back to back under one acquisition of the lock, their replies written in the bytes
//! redis-server would send, and the connection's task is registered to be woken when something
//! arrives for it later — a pub/sub message, the reply of its blocked command, or its end (CLIENT
//! KILL) — so a server needs no thread per connection and no polling.

use super::client::Client;
use super::dispatch::{self, Outcome};
use super::{run_locked, write_frames, Connection};
use crate::resp::write_value;
use std::task::Waker;
use std::time::Duration;

/// Why [`Connection::serve_wire`] stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServeStop {
    /// Every command ran.
    Drained,
    /// The last command consumed blocks: await [`Connection::reply`], then write it with
    /// [`Connection::wire_frames`].
    Blocked,
    /// CLIENT PAUSE holds back the next command until this simulator-clock millisecond (or an
    /// earlier CLIENT UNPAUSE): try again later.
    Paused(u64),
    /// The connection is over (QUIT, CLIENT KILL): write what was produced, then close.
    Closed,
    /// SHUTDOWN succeeded: its own reply is not written; the host stops.
    Shutdown,
}

/// What [`Connection::serve_wire`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// How many of the commands ran (a prefix).
    pub consumed: usize,
    /// Why it stopped.
    pub stop: ServeStop,
}

/// True for a command CLIENT PAUSE WRITE holds back: one that may write or replicate.
fn may_write(argv: &[Vec<u8>]) -> bool {
    dispatch::resolve(argv).is_ok_and(|r| r.cmd.has_flag("write") || r.cmd.has_flag("may_replicate"))
}

/// Makes `waker` the one `c` wakes (cloned only when it changed).
fn arm(c: &mut Client, waker: &Waker) {
    if !c.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
        c.waker = Some(waker.clone());
    }
}

impl Connection {
    /// Runs `argvs` (commands read from a socket, in order) as a pipeline: under one lock
    /// acquisition and one reading of the clock, like [`Connection::execute_batch`], appending to
    /// `out` exactly what redis-server writes back (pending out-of-band frames, then each reply, in
    /// the connection's protocol). Stops early after a command that blocks, before one that CLIENT
    /// PAUSE holds back, at SHUTDOWN, or when the connection ends. `REDKIT.ADVANCE` moves the
    /// clock before the next command runs. Finally registers `waker` to be woken when a frame, a
    /// blocked reply or the connection's end arrives later; with no commands it just writes the
    /// frames pending and registers again.
    pub fn serve_wire(&mut self, argvs: &[Vec<Vec<u8>>], out: &mut Vec<u8>, waker: &Waker) -> Served {
        let id = self.id;
        let mut st = self.sim.lock();
        let mut now = self.sim.shared.clock.now_us();
        let mut consumed = 0;
        let stop = loop {
            let Some(proto_before) = st.clients.get(&id).map(|c| c.proto) else { break ServeStop::Closed };
            let Some(argv) = argvs.get(consumed) else { break ServeStop::Drained };
            if let Some(p) = st.host.pause_for(now / 1000, || may_write(argv)) {
                break ServeStop::Paused(p.until_ms);
            }
            let (outcome, _) = run_locked(&mut st, id, argv, now);
            consumed += 1;
            if st.host.shutdown {
                break ServeStop::Shutdown; // no reply: the server goes away
            }
            let Some(c) = st.clients.get_mut(&id) else {
                // QUIT or a CLIENT KILL of itself: the reply still goes out, then the socket closes.
                if let Outcome::Reply(v) = &outcome {
                    write_value(out, v, proto_before);
                }
                break ServeStop::Closed;
            };
            match outcome {
                Outcome::Reply(v) => write_frames(c, Some(&v), out),
                Outcome::Silent => write_frames(c, None, out),
                Outcome::Blocked => break ServeStop::Blocked,
            }
            let advance = std::mem::take(&mut st.host.advance_us);
            if advance > 0 {
                drop(st);
                self.sim.advance(Duration::from_micros(advance));
                st = self.sim.lock();
                now = self.sim.shared.clock.now_us();
            }
        };
        if let Some(c) = st.clients.get_mut(&id) {
            write_frames(c, None, out);
            arm(c, waker);
        }
        drop(st);
        self.sim.shared.notify();
        Served { consumed, stop }
    }

    /// Registers `waker` again, as [`Connection::serve_wire`] does (a wake-up consumes it);
    /// false once the connection is over (CLIENT KILL, a subscriber too far behind).
    pub fn watch(&mut self, waker: &Waker) -> bool {
        let mut st = self.sim.lock();
        let Some(c) = st.clients.get_mut(&self.id) else { return false };
        arm(c, waker);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Clock, Simulator};

    fn argvs(lines: &[&str]) -> Vec<Vec<Vec<u8>>> {
        lines.iter().map(|l| l.split(' ').map(|a| a.as_bytes().to_vec()).collect()).collect()
    }

    #[test]
    fn a_pipeline_runs_until_a_command_blocks() {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let mut conn = sim.connect();
        let mut out = Vec::new();
        let cmds = argvs(&["SET k v", "GET k", "BLPOP q 0", "GET k"]);
        let served = conn.serve_wire(&cmds, &mut out, Waker::noop());
        assert_eq!(served, Served { consumed: 3, stop: ServeStop::Blocked });
        assert_eq!(out, b"+OK\r\n$1\r\nv\r\n");
        sim.connect().execute(&["RPUSH", "q", "x"]);
        assert_eq!(
            conn.poll(),
            Some(crate::resp::Value::Array(vec![crate::resp::Value::bulk("q"), crate::resp::Value::bulk("x")]))
        );
    }

    #[test]
    fn pushes_precede_replies_and_pauses_hold_writes() {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let mut conn = sim.connect();
        let mut out = Vec::new();
        conn.serve_wire(&argvs(&["SUBSCRIBE c"]), &mut out, Waker::noop());
        assert_eq!(out, b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n");
        sim.connect().execute(&["PUBLISH", "c", "m"]);
        out.clear();
        assert_eq!(conn.serve_wire(&[], &mut out, Waker::noop()).stop, ServeStop::Drained);
        assert_eq!(out, b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n");
        let mut other = sim.connect();
        other.execute(&["CLIENT", "PAUSE", "100", "WRITE"]);
        out.clear();
        let served = other.serve_wire(&argvs(&["GET k", "SET k v"]), &mut out, Waker::noop());
        assert_eq!(served, Served { consumed: 1, stop: ServeStop::Paused(1_100) });
        sim.advance_ms(100);
        assert_eq!(other.serve_wire(&argvs(&["SET k v"]), &mut out, Waker::noop()).consumed, 1);
    }
}
