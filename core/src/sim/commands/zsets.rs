//! Commands of the zsets family (to be filled in).

use crate::sim::command::Command;

/// The zsets commands.
pub static COMMANDS: &[Command] = &[];
