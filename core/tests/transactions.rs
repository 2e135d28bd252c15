//! Transactions with several connections: WATCH invalidated by another connection's write, by
//! expiry on the manual clock (deleted by the clock, or still present but expired at EXEC, or
//! already expired when WATCHed), by FLUSHALL and SWAPDB; and the same scenarios compared byte
//! for byte with a real redis-server.

#[path = "support/multi.rs"]
mod multi;
mod support;

use multi::{Check, Pairs};
use redkit::resp::Value;
use redkit::sim::{Clock, Connection, Simulator};

const E: Check = Check::Exact;

/// Runs `MULTI; INCR counter; EXEC` and returns EXEC's reply.
fn try_incr(c: &mut Connection) -> Value {
    assert_eq!(c.execute(&["MULTI"]), Value::ok());
    assert_eq!(c.execute(&["INCR", "counter"]), Value::simple("QUEUED"));
    c.execute(&["EXEC"])
}

#[test]
fn watch_is_invalidated_by_another_connection() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut a = sim.connect();
    let mut b = sim.connect();
    a.execute(&["SET", "k", "1"]);
    a.execute(&["WATCH", "k"]);
    b.execute(&["SET", "k", "2"]);
    assert_eq!(try_incr(&mut a), Value::NilArray);
    // The failed EXEC unwatched: the next transaction runs.
    assert_eq!(try_incr(&mut a), Value::Array(vec![Value::Int(1)]));
    // A write to another key, or a read, does not invalidate.
    a.execute(&["WATCH", "k"]);
    b.execute(&["SET", "other", "x"]);
    b.execute(&["GET", "k"]);
    assert_eq!(try_incr(&mut a), Value::Array(vec![Value::Int(2)]));
}

#[test]
fn watch_is_invalidated_when_the_clock_expires_the_key() {
    let sim = Simulator::with_clock(Clock::manual(1_000_000));
    let mut a = sim.connect();
    a.execute(&["SET", "k", "v", "PX", "100"]);
    a.execute(&["WATCH", "k"]);
    sim.advance_ms(100);
    assert_eq!(try_incr(&mut a), Value::Array(vec![Value::Int(1)]), "alive in its own millisecond");
    a.execute(&["SET", "k", "v", "PX", "100"]);
    a.execute(&["WATCH", "k"]);
    sim.advance_ms(101);
    assert_eq!(try_incr(&mut a), Value::NilArray);
}

#[test]
fn watched_key_expired_but_not_yet_deleted_fails_exec() {
    let sim = Simulator::with_clock(Clock::manual(1_000_000));
    let mut a = sim.connect();
    a.execute(&["SET", "k", "v", "PX", "100"]);
    a.execute(&["WATCH", "k"]);
    // Move time without the tick that deletes due keys: EXEC itself must notice.
    sim.clock().advance_ms(150);
    assert_eq!(try_incr(&mut a), Value::NilArray);
}

#[test]
fn key_already_expired_when_watched_does_not_fail_exec() {
    let sim = Simulator::with_clock(Clock::manual(1_000_000));
    let mut a = sim.connect();
    let mut b = sim.connect();
    a.execute(&["SET", "k", "v", "PX", "100"]);
    sim.clock().advance_ms(150);
    a.execute(&["WATCH", "k"]);
    b.execute(&["GET", "k"]);
    sim.advance_ms(10);
    assert_eq!(try_incr(&mut a), Value::Array(vec![Value::Int(1)]));
    // … but writing it again does.
    a.execute(&["SET", "k", "v", "PX", "100"]);
    sim.clock().advance_ms(150);
    a.execute(&["WATCH", "k"]);
    b.execute(&["SET", "k", "new"]);
    assert_eq!(try_incr(&mut a), Value::NilArray);
}

#[test]
fn flushall_and_swapdb_invalidate_watchers() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut a = sim.connect();
    let mut b = sim.connect();
    a.execute(&["SET", "k", "1"]);
    a.execute(&["WATCH", "k"]);
    b.execute(&["FLUSHALL"]);
    assert_eq!(try_incr(&mut a), Value::NilArray);
    b.execute(&["SELECT", "1"]);
    b.execute(&["SET", "k", "in db 1"]);
    a.execute(&["WATCH", "k"]);
    b.execute(&["SWAPDB", "0", "1"]);
    assert_eq!(try_incr(&mut a), Value::NilArray);
}

#[test]
fn disconnect_and_unwatch_clean_the_registry() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut a = sim.connect();
    a.execute(&["WATCH", "k1", "k2", "k1"]);
    assert_eq!(sim.lock().watched_keys.len(), 2);
    a.execute(&["UNWATCH"]);
    assert!(sim.lock().watched_keys.is_empty());
    a.execute(&["WATCH", "k1"]);
    drop(a);
    assert!(sim.lock().watched_keys.is_empty());
}

#[test]
fn exec_replies_subscribe_frames_in_place() {
    let sim = Simulator::new();
    let mut a = sim.connect();
    a.execute(&["MULTI"]);
    a.execute(&["SUBSCRIBE", "ch"]);
    a.execute(&["PUBLISH", "ch", "x"]);
    let r = a.execute(&["EXEC"]);
    let sub = Value::Push(vec![Value::bulk("subscribe"), Value::bulk("ch"), Value::Int(1)]);
    assert_eq!(r, Value::Array(vec![sub, Value::Int(1)]));
    assert_eq!(a.drain_pushes(), vec![Value::Push(vec![Value::bulk("message"), Value::bulk("ch"), Value::bulk("x")])]);
}

#[test]
fn transactions_with_two_connections_match_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(0, &["SET", "k", "1"], E);
    p.step(0, &["WATCH", "k"], E);
    p.step(1, &["SET", "k", "2"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["INCR", "k"], E);
    p.step(0, &["EXEC"], E);
    p.step(0, &["GET", "k"], E);
    // Watched, untouched by a no-op write of #1.
    p.step(0, &["WATCH", "k", "missing"], E);
    p.step(1, &["DEL", "missing"], E);
    p.step(1, &["EXPIRE", "missing", "10"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["INCR", "k"], E);
    p.step(0, &["EXEC"], E);
    // A missing watched key created by #1.
    p.step(0, &["WATCH", "missing"], E);
    p.step(1, &["SADD", "missing", "x"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["SCARD", "missing"], E);
    p.step(0, &["EXEC"], E);
    // FLUSHALL of a watched existing key, SWAPDB bringing a key in.
    p.step(0, &["WATCH", "k"], E);
    p.step(1, &["FLUSHALL"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["EXEC"], E);
    p.step(1, &["SELECT", "1"], E);
    p.step(1, &["SET", "k", "db1"], E);
    p.step(0, &["WATCH", "k"], E);
    p.step(1, &["SWAPDB", "0", "1"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["GET", "k"], E);
    p.step(0, &["EXEC"], E);
    // A write in another db to a key of the same name does not touch the watch.
    p.step(0, &["WATCH", "k"], E);
    p.step(1, &["SET", "k", "db1 again"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["GET", "k"], E);
    p.step(0, &["EXEC"], E);
    // A transaction's writes are visible to #1 afterwards.
    p.step(1, &["SELECT", "0"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["HSET", "q", "a", "b"], E);
    p.step(0, &["EXEC"], E);
    p.step(1, &["HGETALL", "q"], E);
    p.assert_clean();
}

/// Redis dirties watchers on FLUSHALL / SWAPDB only when their key exists on one side
/// (touchAllWatchedKeysInDb); `transactions::touch_all_watched_keys_in_db` implements it for
/// the server commands to call before emptying or swapping.
#[test]
fn flush_and_swap_of_absent_watched_keys_match_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(0, &["WATCH", "absent"], E);
    p.step(1, &["FLUSHALL"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["EXEC"], E);
    p.step(0, &["WATCH", "absent"], E);
    p.step(1, &["SWAPDB", "0", "1"], E);
    p.step(0, &["MULTI"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["EXEC"], E);
    p.assert_clean();
}
