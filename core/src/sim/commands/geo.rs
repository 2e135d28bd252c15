//! Commands of the geo family (to be filled in).

use crate::sim::command::Command;

/// The geo commands.
pub static COMMANDS: &[Command] = &[];
