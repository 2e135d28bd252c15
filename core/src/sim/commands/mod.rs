//! The command table: one file per command family, each exporting a `COMMANDS` slice.
//! [`lookup`] finds a command by case-insensitive name.

pub mod bitmaps;
pub mod connection;
pub mod geo;
pub mod hashes;
pub mod host;
pub mod hyperloglog;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod pubsub;
pub mod server;
pub mod sets;
pub mod streams;
pub mod strings;
pub mod transactions;
pub mod zsets;

use super::command::Command;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Every family's command list.
pub const FAMILIES: &[&[Command]] = &[
    connection::COMMANDS,
    server::COMMANDS,
    keys::COMMANDS,
    strings::COMMANDS,
    bitmaps::COMMANDS,
    hyperloglog::COMMANDS,
    hashes::COMMANDS,
    lists::COMMANDS,
    sets::COMMANDS,
    zsets::COMMANDS,
    geo::COMMANDS,
    streams::COMMANDS,
    pubsub::COMMANDS,
    transactions::COMMANDS,
    memory::COMMANDS,
    host::COMMANDS,
    super::scripting::commands::COMMANDS,
];

/// Name → command. Looked up once per command: a fast hasher, not SipHash (names are ours).
type Table = HashMap<&'static str, &'static Command, foldhash::fast::FixedState>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| FAMILIES.iter().flat_map(|f| f.iter()).map(|c| (c.name, c)).collect())
}

/// All commands.
pub fn all() -> impl Iterator<Item = &'static Command> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut buf = [0u8; 32];
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..name.len()]).ok()?;
    table().get(lower).copied()
}

/// Finds a subcommand of a container by name, case-insensitively.
pub fn lookup_sub(container: &'static Command, name: &[u8]) -> Option<&'static Command> {
    container.subcommands.iter().find(|c| c.name.as_bytes().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::HashSet::new();
        for c in all() {
            assert_eq!(c.name, c.name.to_ascii_lowercase());
            assert!(seen.insert(c.name), "duplicate command {}", c.name);
        }
    }
}
