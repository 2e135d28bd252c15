//! Commands of the lists family (to be filled in).

use crate::sim::command::Command;

/// The lists commands.
pub static COMMANDS: &[Command] = &[];
