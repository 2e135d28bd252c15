//! Commands of the hashes family (to be filled in).

use crate::sim::command::Command;

/// The hashes commands.
pub static COMMANDS: &[Command] = &[];
