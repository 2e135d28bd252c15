//! Commands of the keys family (to be filled in).

use crate::sim::command::Command;

/// The keys commands.
pub static COMMANDS: &[Command] = &[];
