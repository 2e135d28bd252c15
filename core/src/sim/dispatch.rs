//! Command dispatch: resolve the name (and subcommand) in the table, check arity, apply the
//! connection's state rules (RESP2 subscribed mode, MULTI queueing), injected faults and
//! maxmemory, run the handler, then deliver frames to other clients and serve blocked clients.
//! Error texts are Redis's own.

use super::blocking;
use super::client::Client;
use super::command::{CmdError, CmdResult, Command, Ctx};
use super::commands;
use super::errors;
use super::state::State;
use crate::resp::{Protocol, Value};

/// What running one command produced.
#[derive(Debug)]
pub enum Outcome {
    /// The reply.
    Reply(Value),
    /// The client is now blocked; its reply arrives later in `unblocked_reply`.
    Blocked,
    /// The handler sent its replies as frames in the client's push queue.
    Silent,
}

fn quote_args(argv: &[Vec<u8>]) -> String {
    let mut s = String::new();
    for a in argv.iter().skip(1) {
        let text = String::from_utf8_lossy(a);
        let part = format!("'{}' ", text);
        if s.len() + part.len() > 128 {
            let room = 128usize.saturating_sub(s.len());
            s.push_str(&part.chars().take(room).collect::<String>());
            break;
        }
        s.push_str(&part);
    }
    s
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `
fn unknown_command(argv: &[Vec<u8>]) -> CmdError {
    let name: String = String::from_utf8_lossy(&argv[0]).chars().take(128).collect();
    CmdError::msg(format!("ERR unknown command '{}', with args beginning with: {}", name, quote_args(argv)))
}

/// A command line resolved to the table entry that will run it.
#[derive(Debug, Clone, Copy)]
pub struct Resolved {
    /// The command, or the subcommand of a container.
    pub cmd: &'static Command,
    /// The container when `cmd` is a subcommand (CLIENT for `client|setname`).
    pub parent: Option<&'static Command>,
}

impl Resolved {
    /// The top-level command name (`client` for `client|setname`).
    pub fn top_name(&self) -> &'static str {
        self.parent.unwrap_or(self.cmd).name
    }

    /// The full name Redis uses in messages and CLIENT LIST (`client|setname`).
    pub fn full_name(&self) -> String {
        match self.parent {
            Some(p) => format!("{}|{}", p.name, self.cmd.name),
            None => self.cmd.name.to_string(),
        }
    }
}

/// Resolves argv to the command (or subcommand) that will handle it, checking arity.
pub fn resolve(argv: &[Vec<u8>]) -> Result<Resolved, CmdError> {
    let Some(first) = argv.first() else { return Err(CmdError::msg("ERR empty command")) };
    let Some(cmd) = commands::lookup(first) else { return Err(unknown_command(argv)) };
    if cmd.subcommands.is_empty() {
        if !cmd.arity_ok(argv.len()) {
            return Err(errors::wrong_arity(cmd.name));
        }
        return Ok(Resolved { cmd, parent: None });
    }
    if argv.len() < 2 {
        // A container whose bare form is a command of its own (COMMAND) says so by its arity.
        if cmd.arity_ok(argv.len()) {
            return Ok(Resolved { cmd, parent: None });
        }
        return Err(errors::wrong_arity(cmd.name));
    }
    let Some(sub) = commands::lookup_sub(cmd, &argv[1]) else {
        return Err(errors::unknown_subcommand(cmd.name, &argv[1]));
    };
    let resolved = Resolved { cmd: sub, parent: Some(cmd) };
    if !sub.arity_ok(argv.len()) {
        return Err(errors::wrong_arity(&resolved.full_name()));
    }
    Ok(resolved)
}

/// Resolves and runs a command's handler in an existing context, with no queueing or state
/// rules: what EXEC, scripts and blocked-client re-runs use.
pub fn call_handler(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let cmd = resolve(argv)?.cmd;
    ctx.st.read_command = !cmd.has_flag("write");
    (cmd.handler)(ctx, argv)
}

/// MONITOR shows every command that runs except admin ones (Redis's CMD_ADMIN|CMD_SKIP_MONITOR).
fn shown_to_monitors(cmd: &Command) -> bool {
    !cmd.has_flag("admin") && !cmd.has_flag("skip_monitor")
}

/// Runs a command inside EXEC or a script: no blocking, errors become error replies.
pub fn call_nested(ctx: &mut Ctx, argv: &[Vec<u8>]) -> Value {
    let saved = ctx.no_block;
    ctx.no_block = true;
    let before = ctx.cl.pushes.len();
    let r = call_handler(ctx, argv);
    if !ctx.st.host.monitors.is_empty() && resolve(argv).is_ok_and(|r| shown_to_monitors(r.cmd)) {
        super::host::feed_monitors(ctx.st, ctx.cl, argv, ctx.now_us);
    }
    ctx.no_block = saved;
    ctx.st.stats.commands += 1;
    match r {
        Ok(v) => v,
        Err(CmdError::Reply(e)) => {
            ctx.st.stats.errors += 1;
            Value::error(e)
        }
        Err(CmdError::Block(b)) => b.on_timeout,
        // SUBSCRIBE & co.: the reply is the first frame the command queued.
        Err(CmdError::Silent) => ctx.cl.pushes.remove(before).unwrap_or(Value::NilArray),
    }
}

const ALLOWED_IN_SUBSCRIBED: &[&str] =
    &["subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"];

const NOT_QUEUED: &[&str] = &["exec", "discard", "multi", "watch", "quit", "reset"];

/// Runs one command for client `id` at time `now_us`: the entry point of every connection.
pub fn run(st: &mut State, id: u64, argv: &[Vec<u8>], now_us: u64) -> Outcome {
    let now_ms = now_us / 1000;
    if now_ms >= st.last_sweep_ms + 100 {
        blocking::expire_timeouts(st, now_ms);
        st.active_expire(now_ms, 200);
    }
    let Some(mut cl) = st.clients.remove(&id) else {
        return Outcome::Reply(st.faults.dead_connection_reply(id));
    };
    st.running_client = id;
    st.running_dirty_cas = false;
    let outcome = process(st, &mut cl, argv, now_us);
    if st.running_dirty_cas {
        cl.dirty_cas = true;
    }
    st.running_client = 0;
    cl.last_cmd_ms = now_ms;
    let closing = cl.closing;
    st.clients.insert(id, cl);
    if closing {
        // QUIT or CLIENT KILL of itself: the reply goes out, then the connection is gone.
        disconnect(st, id);
    }
    deliver_outbox(st);
    if blocking::serve_ready(st, now_us) > 0 || !st.outbox.is_empty() {
        deliver_outbox(st);
    }
    outcome
}

/// Runs `body` for client `id` as one atomic unit, the way Redis runs a script: nothing else
/// interleaves, the time is fixed for the whole body (keys cannot expire half-way), blocking
/// commands called inside answer at once, and clients blocked on keys the body fed are served
/// right after it. `None` if the client is gone (closed or killed).
pub fn run_atomic<R>(st: &mut State, id: u64, now_us: u64, body: impl FnOnce(&mut Ctx) -> R) -> Option<R> {
    let now_ms = now_us / 1000;
    if now_ms >= st.last_sweep_ms + 100 {
        blocking::expire_timeouts(st, now_ms);
        st.active_expire(now_ms, 200);
    }
    let mut cl = st.clients.remove(&id)?;
    st.running_client = id;
    st.stats.commands += 1;
    let out = {
        let mut ctx = Ctx { st: &mut *st, cl: &mut cl, now_ms, now_us, no_block: true, unblocking: false };
        body(&mut ctx)
    };
    st.running_client = 0;
    cl.last_cmd_ms = now_ms;
    st.clients.insert(id, cl);
    deliver_outbox(st);
    if blocking::serve_ready(st, now_us) > 0 || !st.outbox.is_empty() {
        deliver_outbox(st);
    }
    Some(out)
}

/// Ends client `id`'s session: forgets its blocked command, subscriptions and WATCHes and
/// removes it, so its later commands answer `ERR connection closed` (disconnect, QUIT,
/// CLIENT KILL).
pub fn disconnect(st: &mut State, id: u64) {
    st.host.monitors.retain(|&m| m != id);
    if let Some(mut cl) = st.clients.remove(&id) {
        cl.wake();
        if let Some(b) = cl.blocked.take() {
            blocking::unqueue(st, id, &b);
        }
        commands::pubsub::unsubscribe_all(st, &mut cl);
        commands::transactions::unwatch_all(st, &mut cl);
    }
}

/// Moves frames queued by the last command into their clients' push queues. A client that has
/// fallen [`super::host::HostState::max_pending_pushes`] frames behind is disconnected, as Redis
/// closes a subscriber over its output buffer limit.
pub fn deliver_outbox(st: &mut State) {
    let max = st.host.max_pending_pushes;
    let mut overflowed = Vec::new();
    for (cid, frame) in std::mem::take(&mut st.outbox) {
        if let Some(c) = st.clients.get_mut(&cid) {
            if max > 0 && c.pushes.len() >= max {
                overflowed.push(cid);
                continue;
            }
            c.pushes.push_back(frame);
            c.wake();
        }
    }
    for id in overflowed {
        disconnect(st, id);
    }
}

fn process(st: &mut State, cl: &mut Client, argv: &[Vec<u8>], now_us: u64) -> Outcome {
    let now_ms = now_us / 1000;
    let in_multi = cl.multi.is_some();
    let resolved = match resolve(argv) {
        Ok(x) => x,
        Err(e) => return reject(st, cl, argv, e),
    };
    let cmd = resolved.cmd;
    if !cl.authenticated && st.config.requires_auth() && !resolved.parent.unwrap_or(cmd).has_flag("no_auth") {
        return reject(st, cl, argv, CmdError::msg("NOAUTH Authentication required."));
    }
    let top_name = resolved.top_name();
    cl.last_cmd = (resolved.parent.map(|p| p.name), cmd.name);
    if cl.proto == Protocol::Resp2 && cl.in_pubsub_mode() && !ALLOWED_IN_SUBSCRIBED.contains(&top_name) {
        let e = CmdError::msg(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            resolved.full_name()
        ));
        return reject(st, cl, argv, e);
    }
    if in_multi && !NOT_QUEUED.contains(&top_name) {
        if cmd.has_flag("no_multi") {
            cl.multi_error = true;
            return finish(st, Err(CmdError::msg("ERR Command not allowed inside a transaction")));
        }
        if cmd.has_flag("denyoom") && !super::eviction::evict_if_needed(st, now_ms) {
            cl.multi_error = true;
            return finish(st, Err(oom()));
        }
        if let Some(q) = cl.multi.as_mut() {
            q.push(argv.to_vec());
        }
        return Outcome::Reply(Value::simple("QUEUED"));
    }
    if let Some(v) = st.faults.before_command() {
        st.stats.errors += 1;
        return Outcome::Reply(v);
    }
    if cmd.has_flag("denyoom") && !super::eviction::evict_if_needed(st, now_ms) {
        return finish(st, Err(oom()));
    }
    st.stats.commands += 1;
    st.read_command = !cmd.has_flag("write");
    let result = {
        let mut ctx = Ctx { st: &mut *st, cl: &mut *cl, now_ms, now_us, no_block: false, unblocking: false };
        (cmd.handler)(&mut ctx, argv)
    };
    if !st.host.monitors.is_empty() && shown_to_monitors(cmd) {
        super::host::feed_monitors(st, cl, argv, now_us);
    }
    match result {
        Err(CmdError::Block(b)) => {
            blocking::register(st, cl, argv, *b);
            Outcome::Blocked
        }
        other => finish(st, other),
    }
}

/// A command refused before running (Redis's rejectCommand): inside MULTI it flags the
/// transaction for EXECABORT; a refused EXEC (in MULTI or not) discards the transaction and its
/// WATCHes and answers `EXECABORT Transaction discarded because of: <reason>`.
fn reject(st: &mut State, cl: &mut Client, argv: &[Vec<u8>], e: CmdError) -> Outcome {
    if let (Some(true), CmdError::Reply(msg)) = (argv.first().map(|a| a.eq_ignore_ascii_case(b"exec")), &e) {
        st.stats.errors += 1;
        return Outcome::Reply(commands::transactions::exec_abort(st, cl, msg));
    }
    if cl.multi.is_some() {
        cl.multi_error = true;
    }
    finish(st, Err(e))
}

fn oom() -> CmdError {
    CmdError::msg("OOM command not allowed when used memory > 'maxmemory'.")
}

fn finish(st: &mut State, r: CmdResult) -> Outcome {
    match r {
        Ok(v) => Outcome::Reply(v),
        Err(CmdError::Reply(e)) => {
            st.stats.errors += 1;
            Outcome::Reply(Value::error(e))
        }
        Err(CmdError::Silent) => Outcome::Silent,
        Err(CmdError::Block(b)) => Outcome::Reply(b.on_timeout),
    }
}
