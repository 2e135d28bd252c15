//! Commands of the sets family (to be filled in).

use crate::sim::command::Command;

/// The sets commands.
pub static COMMANDS: &[Command] = &[];
