//! Commands of the connection family (to be filled in).

use crate::sim::command::Command;

/// The connection commands.
pub static COMMANDS: &[Command] = &[];
