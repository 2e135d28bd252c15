//! Commands of the bitmaps family (to be filled in).

use crate::sim::command::Command;

/// The bitmaps commands.
pub static COMMANDS: &[Command] = &[];
