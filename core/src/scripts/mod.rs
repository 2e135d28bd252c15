//! Every pattern operation that must be atomic, as one [`Script`]: its Lua source, which runs on
//! Redis (EVALSHA, EVAL on NOSCRIPT), and a native Rust twin that runs the same command sequence
//! on the simulator under its lock.
//!
//! Why twins instead of a Lua VM in the simulator: the twin is as fast as the simulator itself
//! and compiles to wasm32 with nothing else; the equivalence test (`core/tests/scripts.rs`) runs
//! every script on a real redis-server and on the simulator with the same inputs and demands
//! identical replies and identical keyspaces, which keeps each pair honest.
//!
//! Rules every script follows:
//! - all keys come in `KEYS` and share one hash tag (`{name}`), so it runs on Redis Cluster;
//! - time is the server's (`redis.call('TIME')`, [`Env::time_us`] in the twin), never the
//!   caller's clock;
//! - a failing `redis.call` aborts the script with that error ([`Env::call`] returns it as
//!   `Err`, and `?` aborts the twin the same way); the Redis backend strips the
//!   ` script: <sha>, on @user_script:N.` suffix Redis adds, so both backends report the same
//!   text.

pub mod cache;
pub mod limiter;
pub mod session;
pub mod stream;

use crate::backend::Cmd;
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::sim::command::Ctx;
use crate::sim::dispatch;
use std::sync::OnceLock;

pub mod leaderboard;
pub mod lock;
pub mod queue;

/// A native twin: runs on the simulator with `(env, KEYS, ARGV)`.
pub type NativeFn = fn(&mut Env<'_, '_>, &[Vec<u8>], &[Vec<u8>]) -> Result<Value>;

/// One atomic operation: Lua for Redis, a native twin for the simulator.
pub struct Script {
    name: &'static str,
    lua: &'static str,
    native: NativeFn,
    sha: OnceLock<String>,
}

impl std::fmt::Debug for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Script({})", self.name)
    }
}

impl Script {
    /// A script named `name` (unique, snake_case) with its Lua source and native twin.
    ///
    /// Built with neither Redis nor Lua (wasm32), where only the native twin can ever run, the
    /// source is dropped: statics are evaluated at compile time, so the Lua text never reaches
    /// the binary (about a fifth of the WebAssembly module otherwise).
    pub const fn new(name: &'static str, lua: &'static str, native: NativeFn) -> Script {
        let lua = if cfg!(any(feature = "redis", feature = "lua")) { lua } else { "" };
        Script { name, lua, native, sha: OnceLock::new() }
    }

    /// The script's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The Lua source.
    pub fn lua(&self) -> &'static str {
        self.lua
    }

    /// The SHA1 of the Lua source in lowercase hex, as EVALSHA and SCRIPT LOAD use it.
    pub fn sha1(&self) -> &str {
        self.sha.get_or_init(|| sha1_smol::Sha1::from(self.lua).digest().to_string())
    }

    /// Runs the native twin.
    pub fn run_native(&self, env: &mut Env<'_, '_>, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
        (self.native)(env, keys, args)
    }
}

/// What a native twin sees: the simulator's command context, held for the whole script.
pub struct Env<'a, 'b> {
    ctx: &'a mut Ctx<'b>,
}

impl<'a, 'b> Env<'a, 'b> {
    /// Wraps a simulator context (see [`crate::sim::Connection::atomic`]).
    pub fn new(ctx: &'a mut Ctx<'b>) -> Env<'a, 'b> {
        Env { ctx }
    }

    /// `redis.call`: runs a command; an error reply is `Err`, which aborts the script when
    /// propagated with `?`.
    pub fn call(&mut self, cmd: Cmd) -> Result<Value> {
        match self.pcall(cmd) {
            Value::Error(e) => Err(Error::new(ErrorKind::Reply, String::from_utf8_lossy(&e).into_owned())),
            v => Ok(v),
        }
    }

    /// `redis.pcall`: runs a command; an error reply is returned as [`Value::Error`]. Replies
    /// have the RESP2 shapes Lua sees (a score is a bulk string, HGETALL a flat array).
    pub fn pcall(&mut self, cmd: Cmd) -> Value {
        dispatch::call_nested(self.ctx, cmd.args()).into_resp2()
    }

    /// The server time in microseconds since the epoch, as `TIME` reports it inside the script.
    pub fn time_us(&self) -> u64 {
        self.ctx.now_us
    }

    /// The server time in milliseconds.
    pub fn time_ms(&self) -> u64 {
        self.ctx.now_us / 1000
    }
}

/// The error a script raises itself (`return redis.error_reply(msg)` in Lua).
pub fn script_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Reply, msg)
}

/// Every script, for the equivalence test and for preloading with SCRIPT LOAD.
pub fn all() -> &'static [&'static Script] {
    ALL
}

const ALL: &[&Script] = &[
    &lock::LOCK_ACQUIRE,
    &lock::LOCK_RELEASE,
    &lock::LOCK_EXTEND,
    &lock::SEMAPHORE_ACQUIRE,
    &lock::SEMAPHORE_RELEASE,
    &lock::SEMAPHORE_EXTEND,
    &lock::SEMAPHORE_COUNT,
    &limiter::LIMITER_CHECK,
    &limiter::LIMITER_RELEASE,
    &queue::ENQUEUE,
    &queue::RESERVE,
    &queue::RECOVER,
    &queue::HEARTBEAT,
    &queue::ACK,
    &queue::ACK_NEXT,
    &queue::FAIL,
    &queue::REQUEUE,
    &queue::PAUSE,
    &queue::COUNTS,
    &queue::GET,
    &queue::REPEAT_ADD,
    &queue::REPEAT_NEXT,
    &queue::REPEAT_REMOVE,
    &cache::CACHE_GET,
    &cache::CACHE_SET,
    &cache::CACHE_UNLOCK,
    &session::CREATE,
    &session::READ,
    &session::WRITE,
    &session::REGENERATE,
    &session::DESTROY,
    &session::LIST,
    &session::REVOKE,
    &session::SAVE,
    &session::SCAN,
    &session::CLEAR,
    &stream::DEAD_LETTER,
    &leaderboard::AROUND,
    &leaderboard::WRITE,
];

/// Lua's `tonumber` on an argument: a float, or `None` where Lua gives nil.
pub fn tonumber(arg: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(arg).ok()?.trim();
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    let v: f64 = s.parse().ok()?;
    // Lua's strtod accepts inf/nan spellings Rust also parses; Lua's tonumber does not.
    if s.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    Some(v)
}

/// A Lua number returned from a script becomes an integer reply by truncation toward zero.
pub fn lua_number_reply(n: f64) -> Value {
    Value::Int(n as i64)
}
