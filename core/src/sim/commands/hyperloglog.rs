//! Commands of the hyperloglog family (to be filled in).

use crate::sim::command::Command;

/// The hyperloglog commands.
pub static COMMANDS: &[Command] = &[];
