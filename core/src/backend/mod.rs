//! The one interface every pattern talks to: run a command, a pipeline, a [`Script`], a command
//! that blocks, or open a subscription; plus the two things patterns need from time: sleeping
//! and spawning background tasks.
//!
//! Why one trait: a lock, a limiter or a queue is written once, against [`Backend`], and runs
//! unchanged on the in-process simulator ([`SimBackend`], also on wasm32), on one Redis server
//! (`RedisBackend`, feature `redis`) or on a Redis Cluster (`ClusterBackend`). Futures are
//! boxed and `Send` so the trait is object-safe: patterns hold a [`BackendRef`].
//!
//! Replies are [`Value`]s. An error reply to [`Backend::command`] or [`Backend::script`] comes
//! back as an [`Error`] of kind [`ErrorKind::Reply`] carrying the server's text; inside a
//! pipeline each reply keeps its place, errors included, as [`Value::Error`].

mod args;
#[cfg(feature = "redis")]
mod cluster;
mod executor;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod redis_value;
mod sim;
pub mod value;
#[cfg(feature = "redis")]
mod wire;

#[cfg(feature = "redis")]
pub use self::redis::{RedisBackend, RedisOptions};
pub use args::{Cmd, ToArg};
#[cfg(feature = "redis")]
pub use cluster::{slot_of, ClusterBackend};
#[cfg(not(target_family = "wasm"))]
pub use executor::block_on;
pub use sim::{SimBackend, SpawnFn};

use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::scripts::Script;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed, `Send` future: what the object-safe [`Backend`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A shared handle on a backend: what pattern constructors take.
pub type BackendRef = Arc<dyn Backend>;

/// Where commands go. Implemented by [`SimBackend`] and, with feature `redis`, by the Redis and
/// Redis Cluster backends.
pub trait Backend: Send + Sync + 'static {
    /// Runs one command. An error reply is `Err` of kind [`ErrorKind::Reply`].
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>>;

    /// Runs commands in one round trip, in order; replies keep their places, error replies
    /// included. `atomic` wraps them in MULTI/EXEC (the replies are then EXEC's).
    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, Result<Vec<Value>>>;

    /// Runs a [`Script`] atomically: EVALSHA (EVAL on NOSCRIPT) on Redis, the native twin under
    /// the simulator's lock. All `keys` must share a hash tag on a cluster.
    fn script(&self, script: &'static Script, keys: Vec<Vec<u8>>, args: Vec<Vec<u8>>) -> BoxFuture<'_, Result<Value>>;

    /// Runs a command that may block (BLPOP, BLMOVE, XREAD BLOCK …) on a connection of its own,
    /// so it never stalls other callers. The command's own timeout bounds the wait; `0` (wait
    /// forever) is refused with [`ErrorKind::InvalidArgument`]: every wait is bounded.
    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>>;

    /// Opens a subscription on a connection of its own.
    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>>;

    /// Sleeps `d` of the backend's time: wall-clock time on Redis, the simulator's clock on a
    /// simulator (so on a manual clock the sleep ends when the test advances time).
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()>;

    /// Runs a background task (lock watchdog, write-behind drain, worker loop) until it ends.
    fn spawn(&self, task: BoxFuture<'static, ()>) -> Result<()>;

    /// Short name for logs and scenario reports: `"sim"`, `"redis"`, `"cluster"`.
    fn name(&self) -> &'static str;
}

/// A message received on a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Message {
    /// The channel it was published to.
    pub channel: Vec<u8>,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<Vec<u8>>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Message {
    /// A message on `channel` (matched by `pattern`, if any).
    pub fn new(channel: Vec<u8>, pattern: Option<Vec<u8>>, payload: Vec<u8>) -> Message {
        Message { channel, pattern, payload }
    }

    /// Parses a pub/sub push frame (`message` / `pmessage` / `smessage`, RESP2 array or RESP3
    /// push); `None` for confirmations and other frames.
    pub fn from_push(frame: &Value) -> Option<Message> {
        let items = match frame {
            Value::Array(v) | Value::Push(v) => v,
            _ => return None,
        };
        let kind = items.first()?.as_bytes()?;
        let part = |i: usize| items.get(i).and_then(|v| v.as_bytes()).map(<[u8]>::to_vec);
        match (kind, items.len()) {
            (b"message" | b"smessage", 3) => Some(Message::new(part(1)?, None, part(2)?)),
            (b"pmessage", 4) => Some(Message::new(part(2)?, part(1), part(3)?)),
            _ => None,
        }
    }
}

/// A live subscription: channels and patterns can be added and removed while messages flow.
pub trait Subscriber: Send {
    /// Subscribes to channels; returns once the server confirmed them.
    fn subscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>>;
    /// Subscribes to glob patterns.
    fn psubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>>;
    /// Unsubscribes from channels (all when empty).
    fn unsubscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>>;
    /// Unsubscribes from patterns (all when empty).
    fn punsubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>>;
    /// The next message; `Ok(None)` when the subscription was closed.
    fn next_message(&mut self) -> BoxFuture<'_, Result<Option<Message>>>;
}

/// `Err` for an error reply (without the position suffix a script error carries, see
/// `strip_script_suffix`), the value otherwise.
pub fn reply_to_result(v: Value) -> Result<Value> {
    match v {
        Value::Error(e) => Err(Error::new(ErrorKind::Reply, strip_script_suffix(&String::from_utf8_lossy(&e)))),
        v => Ok(v),
    }
}

/// Removes the ` script: <40 hex>, on @user_script:N.` suffix Redis 7 appends to an error
/// raised inside a script (also the ` script: <sha>, on @user_function…` form).
pub(crate) fn strip_script_suffix(text: &str) -> String {
    let Some(at) = text.rfind(" script: ") else { return text.to_string() };
    let tail = &text[at + " script: ".len()..];
    let sha_ok = tail.len() > 40 && tail.as_bytes()[..40].iter().all(u8::is_ascii_hexdigit);
    if sha_ok && tail[40..].starts_with(", on @") && tail.ends_with('.') {
        text[..at].to_string()
    } else {
        text.to_string()
    }
}

/// Refuses a blocking command whose timeout argument is 0 (block forever): every wait a
/// pattern makes is bounded.
pub(crate) fn check_bounded(cmd: &Cmd) -> Result<()> {
    if cmd.blocking_timeout().is_some_and(|t| t.is_zero()) {
        return Err(Error::new(ErrorKind::InvalidArgument, "a blocking command needs a timeout above 0"));
    }
    Ok(())
}
