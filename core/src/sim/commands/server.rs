//! Commands of the server family (to be filled in).

use crate::sim::command::Command;

/// The server commands.
pub static COMMANDS: &[Command] = &[];
