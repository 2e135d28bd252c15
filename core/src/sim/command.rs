//! The command table's building blocks: a [`Command`] spec (name, arity, flags, key positions,
//! handler), the [`Ctx`] every handler receives (shared state, the calling client, the current
//! time) with the keyspace accessors all families share, and argument-parsing helpers.

use super::bytes::SmallBytes;
use super::client::{Argv, Client};
use super::db::{Db, Entry, RValue};
use super::errors;
use super::float::{parse_f64, parse_i64};
use super::state::State;
use crate::resp::Value;

/// Why a handler did not produce a normal reply.
#[derive(Debug)]
pub enum CmdError {
    /// An error reply (full text, e.g. `ERR syntax error`).
    Reply(String),
    /// The command must block until one of the keys is signalled or the deadline passes.
    Block(Box<BlockOn>),
    /// The handler wrote its replies as push frames itself (SUBSCRIBE & co.).
    Silent,
}

impl CmdError {
    /// An error reply from its text.
    pub fn msg(s: impl Into<String>) -> CmdError {
        CmdError::Reply(s.into())
    }
}

/// A blocking request returned by BLPOP & co. when no data is available.
#[derive(Debug)]
pub struct BlockOn {
    /// Keys to wait on (in the client's current db).
    pub keys: Vec<Vec<u8>>,
    /// Absolute deadline in ms, None for "forever" (timeout 0).
    pub deadline_ms: Option<u64>,
    /// Reply when the deadline passes (null array, null bulk …).
    pub on_timeout: Value,
}

/// Result of a command handler.
pub type CmdResult = Result<Value, CmdError>;

/// A handler: receives the context and the full argv (argv\[0\] is the command name).
pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> CmdResult;

/// One command (or subcommand) of the table.
#[derive(Debug)]
pub struct Command {
    /// Lowercase name (`get`, or the subcommand `setname` under `client`).
    pub name: &'static str,
    /// Redis arity: positive = exact, negative = at least -arity (argv including the name).
    pub arity: i32,
    /// Space-separated Redis flags: write readonly denyoom admin pubsub noscript blocking loading
    /// stale fast no_multi … (`COMMAND INFO` reports them).
    pub flags: &'static str,
    /// First key position (0 = no keys).
    pub first_key: i32,
    /// Last key position (-1 = last argument, -2 = one before …).
    pub last_key: i32,
    /// Step between keys.
    pub step: i32,
    /// The handler (for containers: handles `HELP` and unknown subcommands is done by dispatch).
    pub handler: Handler,
    /// Subcommands of a container command (CLIENT, CONFIG, XGROUP …); empty otherwise.
    pub subcommands: &'static [Command],
    /// Command group as COMMAND DOCS names it (string, list, generic …).
    pub group: &'static str,
    /// One-line summary (COMMAND DOCS).
    pub summary: &'static str,
}

impl Command {
    /// True when the space-separated flags contain `flag`.
    pub fn has_flag(&self, flag: &str) -> bool {
        // On the hot path of every command: a walk over a few short words, split on a byte (a
        // substring or char searcher costs more to set up than the whole walk).
        let flag = flag.as_bytes();
        self.flags.as_bytes().split(|&b| b == b' ').any(|word| word == flag)
    }

    /// True when argv length satisfies the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.arity;
        (a >= 0 && argc == a as usize) || (a < 0 && argc >= (-a) as usize)
    }

    /// Key positions in `argv` according to first/last/step.
    pub fn key_positions(&self, argc: usize) -> Vec<usize> {
        if self.first_key <= 0 || argc as i32 <= self.first_key {
            return Vec::new();
        }
        let last = if self.last_key < 0 { argc as i32 + self.last_key } else { self.last_key };
        let step = self.step.max(1);
        (self.first_key..=last.min(argc as i32 - 1)).step_by(step as usize).map(|i| i as usize).collect()
    }
}

/// Builds a [`Command`] entry: `cmd!(name, arity, flags, first, last, step, handler, group, summary)`.
#[macro_export]
#[doc(hidden)]
macro_rules! cmd {
    ($name:expr, $arity:expr, $flags:expr, $first:expr, $last:expr, $step:expr, $handler:expr, $group:expr, $summary:expr) => {
        $crate::sim::command::Command {
            name: $name,
            arity: $arity,
            flags: $flags,
            first_key: $first,
            last_key: $last,
            step: $step,
            handler: $handler,
            subcommands: &[],
            group: $group,
            summary: $summary,
        }
    };
}

/// Builds a container command whose subcommands are dispatched by name.
#[macro_export]
#[doc(hidden)]
macro_rules! container {
    ($name:expr, $flags:expr, $subs:expr, $group:expr, $summary:expr) => {
        $crate::sim::command::Command {
            name: $name,
            arity: -2,
            flags: $flags,
            first_key: 0,
            last_key: 0,
            step: 0,
            handler: $crate::sim::command::container_handler,
            subcommands: $subs,
            group: $group,
            summary: $summary,
        }
    };
}

/// Placeholder handler for containers: dispatch resolves the subcommand before calling anything.
pub fn container_handler(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    Err(CmdError::msg("ERR container command called without subcommand"))
}

/// What a handler sees: shared state, its own client (taken out of the client table while it
/// runs), and the time at the start of the command (Redis freezes time for one command).
pub struct Ctx<'a> {
    /// Everything shared: databases, config, other clients, pub/sub, blocking queues.
    pub st: &'a mut State,
    /// The calling client.
    pub cl: &'a mut Client,
    /// Milliseconds since the epoch, fixed for the command.
    pub now_ms: u64,
    /// Microseconds since the epoch, fixed for the command (TIME).
    pub now_us: u64,
    /// True inside EXEC or a script: blocking commands must not block.
    pub no_block: bool,
    /// True while re-running a blocked command that was signalled.
    pub unblocking: bool,
}

impl<'a> Ctx<'a> {
    /// The selected database.
    pub fn db(&mut self) -> &mut Db {
        let i = self.cl.db;
        &mut self.st.dbs[i]
    }

    /// Index of the selected database.
    pub fn db_index(&self) -> usize {
        self.cl.db
    }

    /// Looks a key up for reading or writing, deleting it first if it has expired (lazy expiry).
    /// Returns its position in the keyspace. Updates the access stamp like Redis's lookupKey.
    pub fn lookup(&mut self, key: &[u8]) -> Option<usize> {
        let db = self.cl.db;
        self.st.lookup(db, key, self.now_ms)
    }

    /// Looks a key up without touching its access stamp (OBJECT, TYPE-like introspection).
    pub fn lookup_no_touch(&mut self, key: &[u8]) -> Option<usize> {
        let db = self.cl.db;
        self.st.lookup_no_touch(db, key, self.now_ms)
    }

    /// The live entry for `key`.
    pub fn entry(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let i = self.lookup(key)?;
        let db = self.cl.db;
        self.st.dbs[db].keys.at_mut(i).map(|(_, e)| e)
    }

    /// True when `key` exists (and is not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.lookup(key).is_some()
    }

    /// The live value for `key`.
    pub fn value(&mut self, key: &[u8]) -> Option<&mut RValue> {
        self.entry(key).map(|e| &mut e.value)
    }

    /// Stores `value` under `key`, replacing any previous value and clearing its TTL
    /// (what SET and the STORE commands do). Does not signal: call [`Ctx::written`].
    pub fn set_value(&mut self, key: &[u8], value: RValue) {
        let db = self.cl.db;
        let mut entry = Entry::new(value);
        super::eviction::touch_access(&mut entry, self.st.config.maxmemory_policy, self.now_ms);
        if self.st.dbs[db].set_entry(key, entry) {
            self.notify('n', "new", key);
        }
    }

    /// Stores `value` keeping the existing TTL (KEEPTTL, in-place updates).
    pub fn set_value_keep_ttl(&mut self, key: &[u8], value: RValue) {
        if let Some(e) = self.entry(key) {
            e.value = value;
        } else {
            self.set_value(key, value);
        }
    }

    /// Deletes a key; returns true if it existed (and was live).
    pub fn delete(&mut self, key: &[u8]) -> bool {
        if self.lookup(key).is_none() {
            return false;
        }
        let db = self.cl.db;
        self.st.dbs[db].remove(key);
        true
    }

    /// Deletes `key` if its aggregate became empty (Redis never keeps empty lists/sets/…);
    /// returns true if it did, after signalling a `del` event.
    pub fn delete_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = match self.value(key) {
            Some(RValue::List(v)) => v.is_empty(),
            Some(RValue::Hash(v)) => v.is_empty(),
            Some(RValue::Set(v)) => v.is_empty(),
            Some(RValue::ZSet(v)) => v.is_empty(),
            _ => false,
        };
        if empty {
            self.delete(key);
            self.notify('g', "del", key);
        }
        empty
    }

    /// Records that a command modified `key`: invalidates WATCH, counts a change, wakes clients
    /// blocked on it, and publishes the keyspace event `event` of class `class` ('$' string,
    /// 'l' list, 's' set, 'h' hash, 'z' zset, 't' stream, 'g' generic, 'x' expired, 'e' evicted).
    pub fn written(&mut self, key: &[u8], class: char, event: &str) {
        let db = self.cl.db;
        super::eviction::after_write(self.st, db, key, self.now_ms);
        self.st.signal_modified(db, key);
        self.st.dirty += 1;
        self.st.signal_ready(db, key);
        self.notify(class, event, key);
    }

    /// Publishes a keyspace notification if enabled (`notify-keyspace-events`).
    pub fn notify(&mut self, class: char, event: &str, key: &[u8]) {
        if self.st.config.notify_flags != 0 {
            let db = self.cl.db;
            super::commands::pubsub::notify_keyspace_event_state(self.st, class, event, key, db);
        }
    }

    /// Typed access helpers: `Ok(None)` when missing, `WRONGTYPE` when of another type.
    pub fn get_str(&mut self, key: &[u8]) -> Result<Option<&mut SmallBytes>, CmdError> {
        match self.value(key) {
            None => Ok(None),
            Some(RValue::Str(s)) => Ok(Some(s)),
            Some(_) => Err(errors::wrong_type()),
        }
    }
}

/// Generates the typed accessors `get_<type>` and `<type>_or_create` for aggregate types.
macro_rules! typed_access {
    ($get:ident, $create:ident, $variant:ident, $ty:ty) => {
        impl<'a> Ctx<'a> {
            /// The value of this type under `key`: `Ok(None)` when missing, WRONGTYPE otherwise.
            pub fn $get(&mut self, key: &[u8]) -> Result<Option<&mut $ty>, CmdError> {
                match self.value(key) {
                    None => Ok(None),
                    Some(RValue::$variant(v)) => Ok(Some(v)),
                    Some(_) => Err(errors::wrong_type()),
                }
            }

            /// The value of this type under `key`, created empty when missing.
            pub fn $create(&mut self, key: &[u8]) -> Result<&mut $ty, CmdError> {
                if self.lookup(key).is_none() {
                    self.set_value(key, RValue::$variant(Box::default()));
                }
                match self.value(key) {
                    Some(RValue::$variant(v)) => Ok(v),
                    _ => Err(errors::wrong_type()),
                }
            }
        }
    };
}

typed_access!(get_list, list_or_create, List, super::types::List);
typed_access!(get_hash, hash_or_create, Hash, super::types::Hash);
typed_access!(get_set, set_or_create, Set, super::types::Set);
typed_access!(get_zset, zset_or_create, ZSet, super::types::ZSet);
typed_access!(get_stream, stream_or_create, Stream, super::types::Stream);

/// Parses an integer argument (`ERR value is not an integer or out of range`).
pub fn arg_i64(b: &[u8]) -> Result<i64, CmdError> {
    parse_i64(b).ok_or_else(errors::not_integer)
}

/// Parses a non-negative integer argument, with Redis's message for negatives.
pub fn arg_u64(b: &[u8]) -> Result<u64, CmdError> {
    let v = arg_i64(b)?;
    if v < 0 {
        return Err(errors::not_positive());
    }
    Ok(v as u64)
}

/// Parses a float argument (`ERR value is not a valid float`).
pub fn arg_f64(b: &[u8]) -> Result<f64, CmdError> {
    parse_f64(b).ok_or_else(errors::not_float)
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn is_kw(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// Parses a blocking timeout in seconds into an absolute deadline; 0 (or under 1 ms) = forever.
/// Exactly Redis's parsing and errors: see [`super::blocking::timeout_ms`].
pub fn arg_timeout(b: &[u8], now_ms: u64) -> Result<Option<u64>, CmdError> {
    match super::blocking::timeout_ms(b) {
        Ok(0) => Ok(None),
        Ok(ms) => Ok(Some(now_ms.saturating_add(ms))),
        Err(true) => Err(errors::bad_timeout()),
        Err(false) => Err(errors::negative_timeout()),
    }
}

/// Keeps an argv around for re-dispatch (blocked clients, MULTI queue).
pub fn owned_argv(argv: &[Vec<u8>]) -> Argv {
    argv.to_vec()
}
