//! Per-connection state: selected db, protocol, MULTI queue, WATCHed keys, subscriptions, name,
//! pending out-of-band messages (pub/sub pushes) and the blocked-command state. All of it lives in
//! the simulator's shared state so other clients' commands (PUBLISH, CLIENT LIST, a push that wakes
//! a BLPOP) can reach it.

use super::bytes::SmallBytes;
use crate::resp::{Protocol, Value};
use std::collections::{BTreeSet, VecDeque};

/// A command line: the command name followed by its arguments.
pub type Argv = Vec<Vec<u8>>;

/// What a blocked client waits for.
#[derive(Debug, Clone)]
pub struct Blocked {
    /// The command to re-run when one of `keys` is signalled.
    pub argv: Argv,
    /// Database the keys live in.
    pub db: usize,
    /// Keys it waits on.
    pub keys: Vec<SmallBytes>,
    /// Absolute deadline in ms (None = wait forever).
    pub deadline_ms: Option<u64>,
    /// Reply sent when the deadline passes.
    pub on_timeout: Value,
    /// Order of blocking, for first-blocked-first-served.
    pub seq: u64,
    /// While the command re-runs because a key was signalled: that key. Redis serves a blocked
    /// client from the key that became ready, not from the first of its keys with data.
    pub ready_key: Option<SmallBytes>,
}

/// One client connection's state.
#[derive(Debug)]
pub struct Client {
    /// CLIENT ID.
    pub id: u64,
    /// CLIENT SETNAME.
    pub name: Option<Vec<u8>>,
    /// lib-name / lib-ver from CLIENT SETINFO.
    pub lib_name: Option<Vec<u8>>,
    /// lib-ver from CLIENT SETINFO.
    pub lib_ver: Option<Vec<u8>>,
    /// Selected database.
    pub db: usize,
    /// RESP2 or RESP3.
    pub proto: Protocol,
    /// Queued commands while in MULTI (`None` outside MULTI).
    pub multi: Option<Vec<Argv>>,
    /// A command failed to queue: EXEC must answer EXECABORT.
    pub multi_error: bool,
    /// WATCHed (db, key) pairs.
    pub watched: Vec<(usize, SmallBytes)>,
    /// A watched key was modified: EXEC must fail.
    pub dirty_cas: bool,
    /// SUBSCRIBE channels.
    pub channels: BTreeSet<Vec<u8>>,
    /// PSUBSCRIBE patterns.
    pub patterns: BTreeSet<Vec<u8>>,
    /// SSUBSCRIBE shard channels.
    pub shard_channels: BTreeSet<Vec<u8>>,
    /// Out-of-band frames waiting to be read (pub/sub messages, extra subscribe confirmations).
    pub pushes: VecDeque<Value>,
    /// Set while a blocking command waits.
    pub blocked: Option<Blocked>,
    /// The reply of a blocking command that completed (served or timed out).
    pub unblocked_reply: Option<Value>,
    /// XREAD/XREADGROUP: the ids a blocked read waits after, resolved when it blocked (`$`
    /// means the last id at that moment, not when the command is re-run).
    pub blocked_stream_ids: Vec<(u64, u64)>,
    /// Connection time (ms).
    pub created_ms: u64,
    /// Last command time (ms).
    pub last_cmd_ms: u64,
    /// The last command, for CLIENT LIST: (container, command) as in `client|list`.
    pub last_cmd: (Option<&'static str>, &'static str),
    /// Address reported by CLIENT LIST/INFO.
    pub addr: String,
    /// Client flagged to be closed (QUIT, CLIENT KILL).
    pub closing: bool,
    /// Passed AUTH (or connected while the default user needed no password).
    pub authenticated: bool,
    /// The task awaiting this client's blocked reply or next push ([`crate::sim::Connection::reply`]).
    pub waker: Option<std::task::Waker>,
}

impl Client {
    /// A fresh client with id `id` connected at `now_ms`.
    pub fn new(id: u64, now_ms: u64) -> Client {
        Client {
            id,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            proto: Protocol::Resp2,
            multi: None,
            multi_error: false,
            watched: Vec::new(),
            dirty_cas: false,
            channels: BTreeSet::new(),
            patterns: BTreeSet::new(),
            shard_channels: BTreeSet::new(),
            pushes: VecDeque::new(),
            blocked: None,
            unblocked_reply: None,
            blocked_stream_ids: Vec::new(),
            created_ms: now_ms,
            last_cmd_ms: now_ms,
            last_cmd: (None, "NULL"),
            addr: format!("127.0.0.1:{}", 40000 + (id % 20000)),
            closing: false,
            waker: None,
            authenticated: true,
        }
    }

    /// The last command's full name as CLIENT LIST shows it (`client|list`, `get`, `NULL`).
    pub fn last_cmd_name(&self) -> String {
        match self.last_cmd {
            (Some(parent), name) => format!("{parent}|{name}"),
            (None, name) => name.to_string(),
        }
    }

    /// Number of channel + pattern subscriptions (what SUBSCRIBE replies count).
    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }

    /// True while in the RESP2 subscribed state that restricts commands.
    pub fn in_pubsub_mode(&self) -> bool {
        self.subscription_count() + self.shard_channels.len() > 0
    }

    /// Wakes the task waiting on this client, if any: its blocked reply or a push arrived.
    pub fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }
}
