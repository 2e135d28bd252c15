//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, with Redis 7.0's rules. Dispatch queues
//! commands while `cl.multi` is set and flags `cl.multi_error` when one fails to queue; EXEC then
//! answers EXECABORT, or a null array when a WATCHed key was touched (`cl.dirty_cas`, set by
//! `State::signal_modified` on any write, expiry included, or found expired at EXEC time), or runs
//! the queue and returns every reply in place, errors included.
//!
//! A key that is already expired when WATCHed is deleted there (lazy expiry): Redis instead flags
//! it "expired" and ignores its later deletion; both make EXEC succeed unless the key is written
//! again, which is what clients can observe.

use crate::cmd;
use crate::resp::Value;
use crate::sim::bytes::SmallBytes;
use crate::sim::client::Client;
use crate::sim::command::{CmdError, CmdResult, Command, Ctx};
use crate::sim::db::is_expired;
use crate::sim::dispatch::call_nested;
use crate::sim::state::State;

/// The transactions commands.
pub static COMMANDS: &[Command] = &[
    cmd!(
        "multi",
        1,
        "noscript loading stale fast allow_busy",
        0,
        0,
        0,
        multi,
        "transactions",
        "Start a transaction block"
    ),
    cmd!(
        "exec",
        1,
        "noscript loading stale skip_slowlog",
        0,
        0,
        0,
        exec,
        "transactions",
        "Execute all commands issued after MULTI"
    ),
    cmd!(
        "discard",
        1,
        "noscript loading stale fast allow_busy",
        0,
        0,
        0,
        discard,
        "transactions",
        "Discard all commands issued after MULTI"
    ),
    cmd!(
        "watch",
        -2,
        "noscript loading stale fast allow_busy",
        1,
        -1,
        1,
        watch,
        "transactions",
        "Watch the given keys to determine execution of the MULTI/EXEC block"
    ),
    cmd!(
        "unwatch",
        1,
        "noscript loading stale fast allow_busy",
        0,
        0,
        0,
        unwatch,
        "transactions",
        "Forget about all watched keys"
    ),
];

fn multi(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if ctx.cl.multi.is_some() {
        return Err(CmdError::msg("ERR MULTI calls can not be nested"));
    }
    ctx.cl.multi = Some(Vec::new());
    Ok(Value::ok())
}

/// Leaves MULTI state: drops the queue, the queued-error flag and every WATCH.
pub fn discard_transaction(st: &mut State, cl: &mut Client) {
    cl.multi = None;
    cl.multi_error = false;
    unwatch_all(st, cl);
}

/// True when a WATCHed key is still present but logically expired (Redis's isWatchedKeyExpired).
fn watched_key_expired(st: &State, cl: &Client, now_ms: u64) -> bool {
    cl.watched.iter().any(|(db, key)| {
        st.dbs.get(*db).and_then(|d| d.keys.get(key.as_slice())).is_some_and(|e| is_expired(e.expire_at, now_ms))
    })
}

fn exec(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if ctx.cl.multi.is_none() {
        return Err(CmdError::msg("ERR EXEC without MULTI"));
    }
    if watched_key_expired(ctx.st, ctx.cl, ctx.now_ms) {
        ctx.cl.dirty_cas = true;
    }
    if ctx.cl.multi_error {
        discard_transaction(ctx.st, ctx.cl);
        return Err(CmdError::msg("EXECABORT Transaction discarded because of previous errors."));
    }
    if ctx.cl.dirty_cas {
        discard_transaction(ctx.st, ctx.cl);
        return Ok(Value::NilArray);
    }
    let queue = ctx.cl.multi.take().unwrap_or_default();
    // Unwatch before running: the transaction's own writes must not mark it dirty.
    discard_transaction(ctx.st, ctx.cl);
    let mut replies = Vec::with_capacity(queue.len());
    for argv in &queue {
        replies.push(call_nested(ctx, argv));
    }
    Ok(Value::Array(replies))
}

/// The reply to an EXEC refused by dispatch (e.g. wrong arity) inside MULTI: Redis discards the
/// transaction and answers `EXECABORT Transaction discarded because of: <error without ERR>`.
pub fn exec_abort(st: &mut State, cl: &mut Client, error: &str) -> Value {
    discard_transaction(st, cl);
    let reason = error.strip_prefix("ERR ").unwrap_or(error);
    Value::error(format!("EXECABORT Transaction discarded because of: {reason}"))
}

fn discard(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    if ctx.cl.multi.is_none() {
        return Err(CmdError::msg("ERR DISCARD without MULTI"));
    }
    discard_transaction(ctx.st, ctx.cl);
    Ok(Value::ok())
}

fn watch(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    if ctx.cl.multi.is_some() {
        return Err(CmdError::msg("ERR WATCH inside MULTI is not allowed"));
    }
    // No point in watching once already dirty (Redis answers OK and does nothing).
    if ctx.cl.dirty_cas {
        return Ok(Value::ok());
    }
    let db = ctx.cl.db;
    for key in &argv[1..] {
        let key = SmallBytes::new(key);
        if ctx.cl.watched.iter().any(|(d, k)| *d == db && *k == key) {
            continue;
        }
        // An already expired key is reclaimed now, so its deletion does not count as a change.
        ctx.st.lookup_no_touch(db, key.as_slice(), ctx.now_ms);
        ctx.st.watched_keys.entry((db, key.clone())).or_default().push(ctx.cl.id);
        ctx.cl.watched.push((db, key));
    }
    Ok(Value::ok())
}

fn unwatch(ctx: &mut Ctx, _argv: &[Vec<u8>]) -> CmdResult {
    unwatch_all(ctx.st, ctx.cl);
    Ok(Value::ok())
}

/// Forgets every WATCH of a client and clears its dirty flag (EXEC, DISCARD, UNWATCH, RESET,
/// disconnect).
pub fn unwatch_all(st: &mut State, cl: &mut Client) {
    for (db, key) in cl.watched.drain(..) {
        let slot = (db, key);
        if let Some(ids) = st.watched_keys.get_mut(&slot) {
            ids.retain(|&id| id != cl.id);
            if ids.is_empty() {
                st.watched_keys.remove(&slot);
            }
        }
    }
    cl.dirty_cas = false;
}

/// Marks a client dirty, whether it is in the client table or the one running the command.
fn mark_dirty(st: &mut State, id: u64) {
    if let Some(c) = st.clients.get_mut(&id) {
        c.dirty_cas = true;
    }
    if id == st.running_client {
        st.running_dirty_cas = true;
    }
}

/// Redis's touchAllWatchedKeysInDb, for FLUSHDB/FLUSHALL (`replaced_with` None) and SWAPDB
/// (`emptied` receives the contents of `replaced_with`; call it once per direction). Call it
/// BEFORE emptying or swapping: a watcher is dirtied only when its key exists in `emptied`, or
/// exists unexpired in `replaced_with`. Watching a key absent on both sides survives the flush.
pub fn touch_all_watched_keys_in_db(st: &mut State, emptied: usize, replaced_with: Option<usize>, now_ms: u64) {
    if st.watched_keys.is_empty() {
        return;
    }
    let live = |st: &State, db: usize, key: &SmallBytes| {
        st.dbs.get(db).and_then(|d| d.keys.get(key.as_slice())).map(|e| !is_expired(e.expire_at, now_ms))
    };
    let mut dirty = Vec::new();
    for ((db, key), ids) in &st.watched_keys {
        if *db != emptied {
            continue;
        }
        // Present in `emptied` (even logically expired) is a change; so is a live key coming
        // in from `replaced_with`. An expired key coming in counts as absent.
        let changed = live(st, emptied, key).is_some() || replaced_with.and_then(|r| live(st, r, key)) == Some(true);
        if changed {
            dirty.extend(ids.iter().copied());
        }
    }
    for id in dirty {
        mark_dirty(st, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::db::{Entry, RValue};
    use crate::sim::{Clock, Simulator};

    fn put(st: &mut State, db: usize, key: &str, expire_at: u64) {
        let mut e = Entry::new(RValue::Str(SmallBytes::new(b"v")));
        e.expire_at = expire_at;
        st.dbs[db].set_entry(key.as_bytes(), e);
    }

    fn dirty(sim: &Simulator, id: u64) -> bool {
        sim.lock().clients.get(&id).is_some_and(|c| c.dirty_cas)
    }

    #[test]
    fn touch_all_follows_redis_rules() {
        let sim = Simulator::with_clock(Clock::manual(1000));
        let mut a = sim.connect();
        let mut b = sim.connect();
        let mut c = sim.connect();
        let mut d = sim.connect();
        for (conn, key) in [(&mut a, "here"), (&mut b, "absent"), (&mut c, "there"), (&mut d, "stale")] {
            assert_eq!(conn.execute(&["WATCH", key]), Value::ok());
        }
        {
            let mut st = sim.lock();
            put(&mut st, 0, "here", 0);
            put(&mut st, 1, "there", 0);
            put(&mut st, 1, "stale", 500);
            // FLUSHDB 0: only the watcher of an existing key is dirtied.
            touch_all_watched_keys_in_db(&mut st, 0, None, 1000);
        }
        assert!(dirty(&sim, a.id()));
        assert!(!dirty(&sim, b.id()) && !dirty(&sim, c.id()) && !dirty(&sim, d.id()));
        // SWAPDB 0 1: a live key coming in dirties, an expired one does not.
        touch_all_watched_keys_in_db(&mut sim.lock(), 0, Some(1), 1000);
        assert!(dirty(&sim, c.id()));
        assert!(!dirty(&sim, b.id()) && !dirty(&sim, d.id()));
    }

    #[test]
    fn exec_abort_strips_the_error_code() {
        let sim = Simulator::new();
        let mut a = sim.connect();
        a.execute(&["WATCH", "k"]);
        let v = a.execute(&["EXEC", "x"]);
        assert_eq!(
            v,
            Value::error("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")
        );
        assert!(sim.lock().watched_keys.is_empty(), "a refused EXEC unwatches");
    }
}
