//! Fault injection for users' tests: refuse new connections, fail the next N commands with a
//! chosen error, add latency to every command — and heal.

use crate::resp::Value;

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
}

impl Faults {
    /// The injected reply for the command about to run, if any.
    pub fn before_command(&mut self) -> Option<Value> {
        if self.fail_next > 0 {
            self.fail_next -= 1;
            return Some(Value::error(self.fail_error.clone()));
        }
        None
    }
}
