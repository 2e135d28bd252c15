//! Commands of the transactions family (to be filled in).

use crate::sim::command::Command;

/// The transactions commands.
pub static COMMANDS: &[Command] = &[];

/// Forgets every WATCH of a client (EXEC, DISCARD, UNWATCH, disconnect).
pub fn unwatch_all(_st: &mut crate::sim::state::State, _cl: &mut crate::sim::client::Client) {}
