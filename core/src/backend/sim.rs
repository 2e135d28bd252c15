//! [`SimBackend`]: the patterns over the in-process simulator — no I/O, no runtime, wasm32-ready.
//!
//! Commands run on pooled simulator connections (one per concurrent caller, like a connection
//! pool, so a blocking command never stalls another caller). Scripts run their native twin
//! under the simulator's lock ([`crate::sim::Connection::atomic`]), which makes them exactly
//! as atomic as Lua on Redis. Replies are the RESP2 shapes the Redis backend reads. Sleeps use the simulator's clock, so on a manual clock a pattern
//! that waits (a lock retry, a worker's poll) moves on when the test advances time.

use super::{check_bounded, reply_to_result, Backend, BoxFuture, Cmd, Message, Subscriber};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::scripts::{Env, Script};
use crate::sim::{faults, Connection, Simulator, Submitted};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs background tasks for a [`SimBackend`].
pub type SpawnFn = Arc<dyn Fn(BoxFuture<'static, ()>) + Send + Sync>;

/// The patterns' backend over a [`Simulator`].
pub struct SimBackend {
    sim: Simulator,
    db: usize,
    idle: Mutex<Vec<Connection>>,
    spawner: Option<SpawnFn>,
}

impl std::fmt::Debug for SimBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SimBackend(db={}, {:?})", self.db, self.sim)
    }
}

impl SimBackend {
    /// A backend on `sim`, database 0.
    ///
    /// ```
    /// use redkit::backend::{block_on, Backend, SimBackend};
    /// use redkit::resp::Value;
    /// use redkit::sim::{Clock, Simulator};
    ///
    /// let backend = SimBackend::new(Simulator::with_clock(Clock::manual(0)));
    /// block_on(backend.command(redkit::command!("SET", "k", 1))).unwrap();
    /// assert_eq!(block_on(backend.command(redkit::command!("INCR", "k"))).unwrap(), Value::Int(2));
    /// ```
    pub fn new(sim: Simulator) -> SimBackend {
        SimBackend::with_db(sim, 0)
    }

    /// A backend on `sim` using database `db`.
    pub fn with_db(sim: Simulator, db: usize) -> SimBackend {
        SimBackend { sim, db, idle: Mutex::new(Vec::new()), spawner: None }
    }

    /// Uses `spawner` for background tasks (e.g. `tokio::spawn`, or `spawn_local` on wasm).
    /// Without one, native builds run each task on a thread of its own; wasm32 refuses.
    #[must_use]
    pub fn with_spawner(mut self, spawner: SpawnFn) -> SimBackend {
        self.spawner = Some(spawner);
        self
    }

    /// The simulator.
    pub fn simulator(&self) -> &Simulator {
        &self.sim
    }

    fn open(&self) -> Result<Connection> {
        let mut c = self.sim.connect();
        if self.db != 0 {
            let select = ["SELECT".to_string(), self.db.to_string()];
            if let Submitted::Reply(Value::Error(e)) = c.submit(&select) {
                return Err(dead_or_reply(e));
            }
        }
        Ok(c)
    }

    fn checkout(&self) -> Result<Connection> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.open(),
        }
    }

    fn checkin(&self, c: Connection) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(c);
    }

    /// Runs `argv` on a pooled connection, awaiting it if it blocks. A connection that turns
    /// out closed or refused is dropped (the next call opens a new one) and the call fails with
    /// [`ErrorKind::Connection`].
    async fn run(&self, argv: Vec<Vec<u8>>) -> Result<Value> {
        let mut c = self.checkout()?;
        let v = run_on(&mut c, &argv).await;
        self.finish(c, v)
    }

    /// Runs a command that does not block, right now on this thread, with no future: the fast
    /// path of a binding's raw `execute` (a blocking command waits here — on wasm32 it answers
    /// an error instead — so route those through [`Backend::blocking`]). The same reply and
    /// errors as [`Backend::command`].
    pub fn execute_now(&self, argv: &[Vec<u8>]) -> Result<Value> {
        let mut c = self.checkout()?;
        let v = c.execute_argv(argv).into_resp2();
        self.finish(c, v).and_then(reply_to_result)
    }

    /// [`Backend::pipeline`] right now on this thread, with no future: the commands run back to
    /// back under one lock ([`Connection::execute_batch`]). The fast path of a binding's raw
    /// `execute_many`; the same replies and errors as [`Backend::pipeline`].
    #[cfg(not(target_family = "wasm"))]
    pub fn pipeline_now(&self, cmds: &[Cmd], atomic: bool) -> Result<Vec<Value>> {
        let mut c = self.checkout()?;
        let (multi, exec) = (vec![b"MULTI".to_vec()], vec![b"EXEC".to_vec()]);
        let wrapped = atomic
            .then_some(&multi[..])
            .into_iter()
            .chain(cmds.iter().map(Cmd::args))
            .chain(atomic.then_some(&exec[..]));
        let out: Vec<Value> = c.execute_batch(wrapped).into_iter().map(Value::into_resp2).collect();
        if let Some(Value::Error(e)) = out.iter().find(|v| matches!(v, Value::Error(e) if is_dead(e))) {
            return Err(dead_or_reply(e.clone()));
        }
        self.checkin(c);
        pipeline_replies(out, atomic)
    }

    /// [`Backend::blocking`] with the command sent now, on this thread: only the wait for the
    /// reply is left to the future (which owns the connection until then), so a timeout counts
    /// from this call, as from a client's write. For a host whose futures first run later (a
    /// JavaScript event loop), where a lazy future would send the command after whatever the
    /// caller does next — an `advance` of the clock, say.
    pub fn blocking_now(self: &Arc<Self>, cmd: Cmd) -> BoxFuture<'static, Result<Value>> {
        let sent = check_bounded(&cmd).and_then(|()| self.checkout()).map(|mut c| {
            let submitted = c.submit_argv(cmd.args());
            (c, submitted)
        });
        let this = self.clone();
        Box::pin(async move {
            let (mut c, submitted) = sent?;
            let v = reply_of(&mut c, submitted).await;
            this.finish(c, v).and_then(reply_to_result)
        })
    }

    fn finish(&self, c: Connection, v: Value) -> Result<Value> {
        match v {
            Value::Error(e) if is_dead(&e) => Err(dead_or_reply(e)),
            v => {
                self.checkin(c);
                Ok(v)
            }
        }
    }
}

/// Runs `argv` on `c`, awaiting the reply if the command blocks. The reply is what a RESP2
/// client reads, as from the Redis backend.
async fn run_on(c: &mut Connection, argv: &[Vec<u8>]) -> Value {
    let submitted = c.submit_argv(argv);
    reply_of(c, submitted).await
}

/// The reply to a command submitted on `c`: at once, or once a blocked one is served or
/// times out.
async fn reply_of(c: &mut Connection, submitted: Submitted) -> Value {
    let v = match submitted {
        Submitted::Reply(v) => v,
        Submitted::Blocked => c.reply().await.unwrap_or(Value::NilArray),
    };
    v.into_resp2()
}

/// A pipeline's replies: as they are, or for a transaction (MULTI … EXEC) EXEC's.
fn pipeline_replies(mut out: Vec<Value>, atomic: bool) -> Result<Vec<Value>> {
    if !atomic {
        return Ok(out);
    }
    match out.pop() {
        Some(Value::Array(replies)) => Ok(replies),
        Some(Value::Error(e)) => Err(dead_or_reply(e)),
        Some(Value::NilArray) => Err(Error::new(ErrorKind::Reply, "EXECABORT transaction aborted")),
        other => Err(Error::new(ErrorKind::Protocol, format!("unexpected EXEC reply {other:?}"))),
    }
}

fn is_dead(e: &[u8]) -> bool {
    e == faults::REFUSED.as_bytes() || e == b"ERR connection closed"
}

fn dead_or_reply(e: Vec<u8>) -> Error {
    let kind = if is_dead(&e) { ErrorKind::Connection } else { ErrorKind::Reply };
    Error::new(kind, String::from_utf8_lossy(&e).into_owned())
}

impl Backend for SimBackend {
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move { self.run(cmd.into_args()).await.and_then(reply_to_result) })
    }

    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, Result<Vec<Value>>> {
        Box::pin(async move {
            let mut c = self.checkout()?;
            let mut out = Vec::with_capacity(cmds.len() + 2);
            let wrapped =
                atomic.then(|| Cmd::new("MULTI")).into_iter().chain(cmds).chain(atomic.then(|| Cmd::new("EXEC")));
            for cmd in wrapped {
                let v = run_on(&mut c, cmd.args()).await;
                if let Value::Error(e) = &v {
                    if is_dead(e) {
                        return Err(dead_or_reply(e.clone()));
                    }
                }
                out.push(v);
            }
            self.checkin(c);
            pipeline_replies(out, atomic)
        })
    }

    fn script(&self, script: &'static Script, keys: Vec<Vec<u8>>, args: Vec<Vec<u8>>) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move {
            let mut c = self.checkout()?;
            let out = c.atomic(|ctx| script.run_native(&mut Env::new(ctx), &keys, &args).map(Value::into_resp2));
            match out {
                Some(r) => {
                    self.checkin(c);
                    r
                }
                None => Err(Error::new(ErrorKind::Connection, "ERR connection closed")),
            }
        })
    }

    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, Result<Value>> {
        Box::pin(async move {
            check_bounded(&cmd)?;
            self.run(cmd.into_args()).await.and_then(reply_to_result)
        })
    }

    fn subscribe(&self) -> BoxFuture<'_, Result<Box<dyn Subscriber>>> {
        Box::pin(async move {
            let conn = self.open()?;
            Ok(Box::new(SimSubscriber { conn }) as Box<dyn Subscriber>)
        })
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        Box::pin(self.sim.sleep(d))
    }

    fn spawn(&self, task: BoxFuture<'static, ()>) -> Result<()> {
        if let Some(s) = &self.spawner {
            s(task);
            return Ok(());
        }
        spawn_thread(task)
    }

    fn name(&self) -> &'static str {
        "sim"
    }
}

#[cfg(not(target_family = "wasm"))]
fn spawn_thread(task: BoxFuture<'static, ()>) -> Result<()> {
    std::thread::Builder::new()
        .name("redkit-task".into())
        .spawn(move || super::block_on(task))
        .map(drop)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot start a background task: {e}")))
}

#[cfg(target_family = "wasm")]
fn spawn_thread(_task: BoxFuture<'static, ()>) -> Result<()> {
    Err(Error::new(ErrorKind::InvalidArgument, "no spawner: give SimBackend::with_spawner one on wasm32"))
}

/// A subscription on its own simulator connection.
struct SimSubscriber {
    conn: Connection,
}

impl SimSubscriber {
    /// Sends a (un)subscribe command. Its first confirmation is the reply; the others are
    /// queued frames that [`Subscriber::next_message`] skips, as it skips every non-message.
    async fn control(&mut self, name: &str, targets: Vec<Vec<u8>>) -> Result<()> {
        let mut argv = vec![name.as_bytes().to_vec()];
        argv.extend(targets);
        match run_on(&mut self.conn, &argv).await {
            Value::Error(e) => Err(dead_or_reply(e)),
            _ => Ok(()),
        }
    }
}

impl Subscriber for SimSubscriber {
    fn subscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.control("SUBSCRIBE", channels))
    }

    fn psubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.control("PSUBSCRIBE", patterns))
    }

    fn unsubscribe(&mut self, channels: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.control("UNSUBSCRIBE", channels))
    }

    fn punsubscribe(&mut self, patterns: Vec<Vec<u8>>) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.control("PUNSUBSCRIBE", patterns))
    }

    fn next_message(&mut self) -> BoxFuture<'_, Result<Option<Message>>> {
        Box::pin(async move {
            loop {
                match self.conn.next_push_async().await {
                    None => return Ok(None),
                    Some(frame) => {
                        if let Some(m) = Message::from_push(&frame) {
                            return Ok(Some(m));
                        }
                    }
                }
            }
        })
    }
}
