//! What the Redis and Redis Cluster backends share above their connections: one command or one
//! pipeline on a shared redis-rs connection under a time bound, and the [`super::Backend`]
//! methods that are the same for both — MULTI/EXEC pipelines, EVALSHA with EVAL on NOSCRIPT,
//! and routing commands that block to dedicated connections. Each backend says only how it
//! sends ([`Wire`]).

use super::redis::{bounded, script_argv, RedisOptions, RedisSubscriber};
use super::redis_value::{exec_replies, from_redis, map_error, restore_nil_arrays, to_redis_cmd, Context};
use super::{check_bounded, reply_to_result, BoxFuture, Cmd, Subscriber};
use crate::error::Result;
use crate::resp::Value;
use crate::scripts::Script;
use redis::aio::ConnectionLike;
use std::time::Duration;

/// How a backend sends: on its shared connection, and on a dedicated one for blocking commands.
pub(crate) trait Wire: Send + Sync {
    /// One command on the shared connection; an error reply comes back as [`Value::Error`].
    fn send<'a>(&'a self, argv: &'a [Vec<u8>]) -> BoxFuture<'a, Result<Value>>;
    /// Commands as one pipeline on the shared connection; every reply, in order.
    fn send_all<'a>(&'a self, argvs: &'a [Vec<Vec<u8>>]) -> BoxFuture<'a, Result<Vec<Value>>>;
    /// A command that may block, on a dedicated connection.
    fn run_blocking<'a>(&'a self, cmd: &'a Cmd) -> BoxFuture<'a, Result<Value>>;
}

/// Sends `argv` on `shared` within `limit`; the reply in the simulator's shape.
pub(crate) async fn send_on<C: ConnectionLike + Clone>(shared: &C, limit: Duration, argv: &[Vec<u8>]) -> Result<Value> {
    let mut conn = shared.clone();
    let cmd = to_redis_cmd(argv);
    let v = bounded(limit, async { conn.req_packed_command(&cmd).await.map_err(map_error) }).await?;
    Ok(restore_nil_arrays(argv, from_redis(v), Context::Alone))
}

/// Sends `argvs` as one pipeline on `shared` within `limit`; all replies, in order.
pub(crate) async fn send_all_on<C: ConnectionLike + Clone>(
    shared: &C,
    limit: Duration,
    argvs: &[Vec<Vec<u8>>],
) -> Result<Vec<Value>> {
    let mut pipe = redis::Pipeline::with_capacity(argvs.len());
    for a in argvs {
        pipe.add_command(to_redis_cmd(a));
    }
    let mut conn = shared.clone();
    let replies =
        bounded(limit, async { conn.req_packed_commands(&pipe, 0, argvs.len()).await.map_err(map_error) }).await?;
    Ok(replies.into_iter().zip(argvs).map(|(v, a)| restore_nil_arrays(a, from_redis(v), Context::Alone)).collect())
}

/// [`super::Backend::command`]: a blocking command never goes on the shared connection, where
/// everyone's commands would queue behind it.
pub(crate) async fn command<W: Wire>(w: &W, cmd: Cmd) -> Result<Value> {
    if cmd.blocking_timeout().is_some() {
        return w.run_blocking(&cmd).await;
    }
    w.send(cmd.args()).await.and_then(reply_to_result)
}

/// [`super::Backend::pipeline`]: MULTI … EXEC goes out as a plain pipeline, EXEC's reply last.
pub(crate) async fn pipeline<W: Wire>(w: &W, cmds: Vec<Cmd>, atomic: bool) -> Result<Vec<Value>> {
    if cmds.is_empty() {
        return Ok(Vec::new());
    }
    if !atomic {
        let argvs: Vec<Vec<Vec<u8>>> = cmds.into_iter().map(Cmd::into_args).collect();
        return w.send_all(&argvs).await;
    }
    let mut argvs = Vec::with_capacity(cmds.len() + 2);
    argvs.push(vec![b"MULTI".to_vec()]);
    argvs.extend(cmds.iter().map(|c| c.args().to_vec()));
    argvs.push(vec![b"EXEC".to_vec()]);
    let replies = w.send_all(&argvs).await?;
    exec_replies(&cmds, replies)
}

/// [`super::Backend::script`]: EVALSHA, and EVAL when the server does not know the script.
pub(crate) async fn script<W: Wire>(w: &W, script: &Script, keys: &[Vec<u8>], args: &[Vec<u8>]) -> Result<Value> {
    let argv = script_argv(b"EVALSHA", script.sha1().as_bytes(), keys, args);
    match w.send(&argv).await? {
        Value::Error(e) if e.starts_with(b"NOSCRIPT") => {
            let argv = script_argv(b"EVAL", script.lua().as_bytes(), keys, args);
            reply_to_result(w.send(&argv).await?)
        }
        v => reply_to_result(v),
    }
}

/// [`super::Backend::subscribe`]: a pub/sub connection of its own to `client`'s server, opened
/// within the connect timeout, each later call bounded by the call timeout.
pub(crate) async fn subscriber(client: &redis::Client, opts: &RedisOptions) -> Result<Box<dyn Subscriber>> {
    let pubsub = bounded(opts.connect_timeout, async { client.get_async_pubsub().await.map_err(map_error) }).await?;
    Ok(Box::new(RedisSubscriber::new(pubsub, opts.call_timeout)))
}

/// [`super::Backend::blocking`]: bounded waits only, on a dedicated connection.
pub(crate) async fn blocking<W: Wire>(w: &W, cmd: Cmd) -> Result<Value> {
    check_bounded(&cmd)?;
    w.run_blocking(&cmd).await
}
