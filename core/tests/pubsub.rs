//! Pub/sub with several connections: subscription confirmations, message order and frame shapes
//! in RESP2 and RESP3, pattern matching, PUBSUB introspection and cleanup on disconnect, all
//! compared byte for byte with a real redis-server; keyspace notifications (including `expired`
//! fired by the manual clock) on the simulator.

#[path = "support/multi.rs"]
mod multi;
mod support;

use multi::{Check, Pairs};
use redkit::resp::Value;
use redkit::sim::commands::pubsub::parse_notify_flags;
use redkit::sim::{Clock, Simulator};

const E: Check = Check::Exact;

#[test]
fn resp2_subscribe_publish_matches_redis() {
    let Some(mut p) = Pairs::new(3, Simulator::new()) else { return };
    p.step(0, &["SUBSCRIBE", "news", "sport", "news"], E);
    p.step(1, &["PUBLISH", "news", "hello"], E);
    p.step(1, &["PUBLISH", "nobody", "x"], E);
    p.step(2, &["SUBSCRIBE", "news"], E);
    p.step(1, &["PUBLISH", "news", "to two"], E);
    p.step(0, &["PSUBSCRIBE", "n*", "x?"], E);
    p.step(1, &["PUBLISH", "news", "channel then pattern"], E);
    p.step(1, &["PUBLISH", "xy", "pattern only"], E);
    p.step(1, &["PUBLISH", "xyz", "no match"], E);
    p.step(1, &["PUBSUB", "NUMSUB", "news", "sport", "zz"], E);
    p.step(1, &["PUBSUB", "NUMPAT"], E);
    p.step(1, &["PUBSUB", "CHANNELS"], Check::Unordered);
    p.step(1, &["PUBSUB", "CHANNELS", "s*"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["PING", "hi"], E);
    p.step(0, &["GET", "k"], E);
    p.step(0, &["PUBSUB", "NUMPAT"], E);
    p.step(0, &["SSUBSCRIBE", "shard1", "shard2"], E);
    p.step(1, &["SPUBLISH", "shard1", "sharded"], E);
    p.step(1, &["PUBSUB", "SHARDNUMSUB", "shard1", "none"], E);
    p.step(1, &["PUBSUB", "SHARDCHANNELS", "*1"], E);
    p.step(0, &["UNSUBSCRIBE", "sport", "never"], E);
    p.step(0, &["UNSUBSCRIBE"], E);
    p.step(0, &["PUNSUBSCRIBE", "x?"], E);
    p.step(0, &["PUNSUBSCRIBE"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["SUNSUBSCRIBE", "shard2"], E);
    p.step(0, &["SUNSUBSCRIBE"], E);
    p.step(0, &["UNSUBSCRIBE"], E);
    p.step(0, &["PUNSUBSCRIBE"], E);
    p.step(0, &["SUNSUBSCRIBE"], E);
    p.step(1, &["PUBLISH", "news", "only #2 left"], E);
    p.close(2);
    p.step(1, &["PUBSUB", "NUMSUB", "news"], E);
    p.step(1, &["PUBLISH", "news", "nobody left"], E);
    p.assert_clean();
}

#[test]
fn resp3_pushes_match_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(0, &["HELLO", "3"], Check::Ignore);
    p.step(0, &["SUBSCRIBE", "a", "b"], E);
    p.step(1, &["PUBLISH", "a", "m1"], E);
    p.step(0, &["PUBLISH", "a", "to myself"], E);
    p.step(0, &["PSUBSCRIBE", "*"], E);
    p.step(0, &["PUBLISH", "b", "channel and pattern"], E);
    p.step(0, &["PING"], E);
    p.step(0, &["PUBSUB", "NUMSUB", "a", "b"], E);
    p.step(0, &["SSUBSCRIBE", "s"], E);
    p.step(0, &["SPUBLISH", "s", "sharded"], E);
    p.step(1, &["SPUBLISH", "s", "from #1"], E);
    p.step(0, &["UNSUBSCRIBE", "a"], E);
    p.step(0, &["UNSUBSCRIBE", "b"], E);
    p.step(0, &["UNSUBSCRIBE"], E);
    p.step(0, &["PUNSUBSCRIBE"], E);
    p.step(0, &["SUNSUBSCRIBE"], E);
    p.step(0, &["PUNSUBSCRIBE"], E);
    p.step(1, &["PUBLISH", "a", "gone"], E);
    p.assert_clean();
}

#[test]
fn pattern_matching_matches_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    let patterns =
        ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h[b-a]llo", "h\\*llo", "ab[", "*", "", "a*b*c"];
    let channels = ["hello", "hallo", "hbllo", "hllo", "heeeello", "h*llo", "ab[", "ab", "aXbYc", "", "h[llo"];
    for pat in patterns {
        p.step(0, &["PSUBSCRIBE", pat], E);
        for ch in channels {
            p.step(1, &["PUBLISH", ch, "m"], E);
        }
        p.step(0, &["PUNSUBSCRIBE", pat], E);
    }
    p.step(0, &["SUBSCRIBE", "", "hello"], E);
    for pat in patterns {
        p.step(1, &["PUBSUB", "CHANNELS", pat], Check::Unordered);
    }
    p.assert_clean();
}

#[test]
fn keyspace_notifications_match_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", "KEA"], E);
    p.step(0, &["PSUBSCRIBE", "__key*__:*"], E);
    p.step(1, &["SET", "k", "v"], E);
    p.step(1, &["SET", "k", "v2"], E);
    p.step(1, &["EXPIRE", "k", "100"], E);
    p.step(1, &["DEL", "k"], E);
    p.step(1, &["DEL", "k"], E);
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", "Kgn"], E);
    p.step(1, &["CONFIG", "GET", "notify-keyspace-events"], E);
    p.step(1, &["SET", "fresh", "1"], E);
    p.step(1, &["DEL", "fresh"], E);
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", "Em"], E);
    p.step(1, &["GET", "missing"], E);
    p.step(1, &["HGET", "missing", "f"], E);
    p.step(1, &["SET", "present", "1"], E);
    p.step(1, &["GET", "present"], E);
    p.step(1, &["INCR", "missing-counter"], E);
    p.step(1, &["MGET", "present", "nope"], E);
    p.step(1, &["EXISTS", "missing"], E);
    p.step(1, &["TYPE", "missing"], E);
    p.step(1, &["TTL", "missing"], E);
    p.step(1, &["OBJECT", "ENCODING", "missing"], E);
    p.step(1, &["LRANGE", "missing", "0", "-1"], E);
    p.step(1, &["ZSCORE", "missing", "m"], E);
    p.step(1, &["XRANGE", "missing", "-", "+"], E);
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", ""], E);
    p.step(1, &["SET", "quiet", "1"], E);
    p.assert_clean();
}

/// Everything pending on a simulator connection, as (channel, message) for message frames.
fn messages(c: &mut redkit::sim::Connection) -> Vec<(String, String)> {
    c.drain_pushes()
        .iter()
        .filter_map(|f| match f.as_array() {
            Some([kind, _pattern, chan, msg]) if kind == &Value::bulk("pmessage") => {
                Some((chan.to_text(), msg.to_text()))
            }
            Some([kind, chan, msg]) if kind == &Value::bulk("message") => Some((chan.to_text(), msg.to_text())),
            _ => None,
        })
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn expired_event_fires_on_the_manual_clock() {
    let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
    sim.lock().config.notify_flags = parse_notify_flags("KEA").unwrap_or(0);
    let mut sub = sim.connect();
    let mut w = sim.connect();
    assert_eq!(sub.execute(&["PSUBSCRIBE", "__key*@0__:*"]).as_array().map(|a| a.len()), Some(3));
    w.execute(&["SET", "k", "v", "PX", "500"]);
    let set_events = vec![
        pair("__keyspace@0__:k", "set"),
        pair("__keyevent@0__:set", "k"),
        pair("__keyspace@0__:k", "expire"),
        pair("__keyevent@0__:expire", "k"),
    ];
    assert_eq!(messages(&mut sub), set_events);
    // Like Redis, the key is still alive in the millisecond it expires at.
    sim.advance_ms(500);
    assert_eq!(messages(&mut sub), vec![]);
    sim.advance_ms(1);
    assert_eq!(messages(&mut sub), vec![pair("__keyspace@0__:k", "expired"), pair("__keyevent@0__:expired", "k")]);
    w.execute(&["SET", "d", "1"]);
    w.execute(&["DEL", "d"]);
    let got = messages(&mut sub);
    assert_eq!(got[2..], [pair("__keyspace@0__:d", "del"), pair("__keyevent@0__:del", "d")]);
}

#[test]
fn keyevent_only_and_class_filter() {
    let sim = Simulator::with_clock(Clock::manual(0));
    sim.lock().config.notify_flags = parse_notify_flags("Ex").unwrap_or(0);
    let mut sub = sim.connect();
    let mut w = sim.connect();
    sub.execute(&["SUBSCRIBE", "__keyevent@0__:expired", "__keyevent@0__:set"]);
    sub.drain_pushes();
    w.execute(&["SET", "k", "v", "PX", "10"]);
    assert_eq!(messages(&mut sub), vec![], "string class disabled");
    sim.advance_ms(11);
    assert_eq!(messages(&mut sub), vec![pair("__keyevent@0__:expired", "k")]);
}

#[test]
fn subscribe_reply_is_the_first_confirmation_even_with_messages_pending() {
    let sim = Simulator::new();
    let mut a = sim.connect();
    let mut b = sim.connect();
    a.execute(&["SUBSCRIBE", "c1"]);
    assert_eq!(b.execute(&["PUBLISH", "c1", "m"]), Value::Int(1));
    let reply = a.execute(&["SUBSCRIBE", "c2", "c3"]);
    assert_eq!(reply, Value::Push(vec![Value::bulk("subscribe"), Value::bulk("c2"), Value::Int(2)]));
    let rest = a.drain_pushes();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0], Value::Push(vec![Value::bulk("message"), Value::bulk("c1"), Value::bulk("m")]));
    assert_eq!(rest[1], Value::Push(vec![Value::bulk("subscribe"), Value::bulk("c3"), Value::Int(3)]));
}

#[test]
fn disconnect_cleans_the_registry() {
    let sim = Simulator::new();
    let mut a = sim.connect();
    let mut b = sim.connect();
    a.execute(&["SUBSCRIBE", "x"]);
    a.execute(&["PSUBSCRIBE", "p*"]);
    a.execute(&["SSUBSCRIBE", "s"]);
    drop(a);
    assert_eq!(b.execute(&["PUBLISH", "x", "m"]), Value::Int(0));
    assert_eq!(b.execute(&["PUBLISH", "pq", "m"]), Value::Int(0));
    assert_eq!(b.execute(&["SPUBLISH", "s", "m"]), Value::Int(0));
    assert_eq!(b.execute(&["PUBSUB", "NUMPAT"]), Value::Int(0));
    assert_eq!(b.execute(&["PUBSUB", "CHANNELS"]), Value::Array(vec![]));
    assert_eq!(b.execute(&["PUBSUB", "SHARDCHANNELS"]), Value::Array(vec![]));
}

/// The events each command family emits (names, classes, order, `new`), compared with Redis by
/// a pattern subscriber. The writer is a RESP3 client subscribed to `set` events, which Redis
/// emits before the reply (the simulator writes a client's own frames first; Redis emits some
/// events, e.g. `expire`, `lpush`, `hset`, after the reply).
#[test]
fn keyspace_events_of_every_family_match_redis() {
    let Some(mut p) = Pairs::new(2, Simulator::new()) else { return };
    p.step(1, &["HELLO", "3"], Check::Ignore);
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", "KEg$lshzxetn"], E);
    p.step(0, &["PSUBSCRIBE", "__keyspace@0__:*"], E);
    p.step(1, &["SUBSCRIBE", "__keyevent@0__:set"], E);
    let script: &[&[&str]] = &[
        &["SET", "s", "1", "EX", "100"],
        &["INCR", "s"],
        &["INCRBYFLOAT", "s", "1.5"],
        &["APPEND", "s", "x"],
        &["SETRANGE", "s", "0", "y"],
        &["GETDEL", "s"],
        &["MSET", "a", "1", "b", "2"],
        &["RENAME", "a", "c"],
        &["PERSIST", "c"],
        &["EXPIRE", "c", "100"],
        &["PERSIST", "c"],
        &["DEL", "b", "c", "nokey"],
        &["RPUSH", "l", "a", "b", "c"],
        &["LPOP", "l"],
        &["LSET", "l", "0", "z"],
        &["LTRIM", "l", "0", "0"],
        &["RPOP", "l"],
        &["HSET", "h", "f", "v", "g", "w"],
        &["HINCRBY", "h", "n", "1"],
        &["HDEL", "h", "f", "g", "n"],
        &["SADD", "st", "a", "b"],
        &["SREM", "st", "a"],
        &["SPOP", "st"],
        &["ZADD", "z", "1", "a", "2", "b"],
        &["ZINCRBY", "z", "1", "a"],
        &["ZREM", "z", "a"],
        &["ZPOPMIN", "z"],
        &["SET", "k", "v"],
        &["COPY", "k", "k2"],
        &["UNLINK", "k", "k2"],
    ];
    for cmd in script {
        p.step(1, cmd, E);
    }
    p.step(1, &["CONFIG", "SET", "notify-keyspace-events", ""], E);
    p.assert_clean();
}
