//! Commands of the strings family (to be filled in).

use crate::sim::command::Command;

/// The strings commands.
pub static COMMANDS: &[Command] = &[];
