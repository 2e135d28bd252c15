//! Fault injection for users' tests: refuse new connections, fail the next N commands with a
//! chosen error, add latency to every command — and heal.
//!
//! The faults live in the shared state, so they apply to every connection of a [`Simulator`]:
//!
//! - [`Simulator::refuse_connections`]`(true)`: a [`super::Connection`] opened while connections
//!   are refused is dead for its whole life — it is not registered as a client (CLIENT LIST does
//!   not show it, INFO does not count it) and every command it sends answers
//!   `ERR connection refused (fault injected)`. Connections opened before keep working; healing
//!   does not revive a refused connection (like a real refused TCP connect): open a new one.
//! - [`Simulator::fail_next`]`(n, text)`: the next `n` commands (from any connection, after name
//!   and arity checks, before they run) answer the error reply `text` and change nothing.
//!   Commands queued by MULTI are not counted; EXEC is.
//! - [`Simulator::set_latency`]`(d)`: every command first sleeps `d` of real time (millisecond
//!   resolution, rounded up; no sleep on wasm). The virtual clock does not move.
//! - [`Simulator::heal`]: clears all three.

use super::Simulator;
use crate::resp::Value;
use std::collections::HashSet;
use std::time::Duration;

/// The reply every command of a refused connection gets.
pub const REFUSED: &str = "ERR connection refused (fault injected)";

/// Active faults.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// New connections are refused.
    pub refuse_connections: bool,
    /// How many upcoming commands fail.
    pub fail_next: u64,
    /// The error those commands get.
    pub fail_error: String,
    /// Milliseconds of latency added to every command.
    pub latency_ms: u64,
    /// Client ids of connections opened while refused (dead until dropped).
    pub refused: HashSet<u64>,
}

impl Faults {
    /// The injected reply for the command about to run, if any.
    pub fn before_command(&mut self) -> Option<Value> {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Some(Value::error(self.fail_error.as_bytes()));
        }
        None
    }

    /// Called when connection `id` opens: returns true (and remembers it) when it is refused.
    pub fn refuse(&mut self, id: u64) -> bool {
        if self.refuse_connections {
            self.refused.insert(id);
        }
        self.refuse_connections
    }

    /// The reply for a command from connection `id` that has no client state: refused, or closed.
    pub fn dead_connection_reply(&self, id: u64) -> Value {
        if self.refused.contains(&id) {
            Value::error(REFUSED)
        } else {
            Value::error("ERR connection closed")
        }
    }

    /// Forgets a dropped connection.
    pub fn forget(&mut self, id: u64) {
        self.refused.remove(&id);
    }
}

impl Simulator {
    /// Refuses (true) or accepts again (false) new connections; see the module docs.
    pub fn refuse_connections(&self, refuse: bool) {
        self.lock().faults.refuse_connections = refuse;
    }

    /// Makes the next `n` commands fail with the error reply `error_text` (its full text, e.g.
    /// `"ERR injected"` or `"LOADING Redis is loading the dataset in memory"`).
    pub fn fail_next(&self, n: u64, error_text: &str) {
        let mut st = self.lock();
        st.faults.fail_next = n;
        st.faults.fail_error = error_text.to_string();
    }

    /// Adds `latency` of real time before every command (zero removes it).
    pub fn set_latency(&self, latency: Duration) {
        let ms = latency.as_micros().div_ceil(1000).min(u64::MAX as u128) as u64;
        self.lock().faults.latency_ms = ms;
    }

    /// Clears every injected fault (connections refused earlier stay dead).
    pub fn heal(&self) {
        let mut st = self.lock();
        let refused = std::mem::take(&mut st.faults.refused);
        st.faults = Faults { refused, ..Faults::default() };
    }
}
