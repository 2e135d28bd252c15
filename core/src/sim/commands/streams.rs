//! Commands of the streams family (to be filled in).

use crate::sim::command::Command;

/// The streams commands.
pub static COMMANDS: &[Command] = &[];
