//! Snapshot and restore: round trips (strings, binary bytes, TTLs, several databases, keyspace
//! order), expiry across save/load on a manual clock, files, validation of truncated, corrupted
//! and crafted input (an error, never a panic, never a partial load), and speed at scale.
//! Aggregates are built through real commands and compared through the replies of every read
//! command (OBJECT ENCODING, HSCAN/SSCAN order, XINFO STREAM FULL, XPENDING with idle times …)
//! before and after a round trip, and again after identical writes and clock moves on both.

use redkit::resp::Value;
use redkit::sim::bytes::SmallBytes;
use redkit::sim::db::{Entry, RValue};
use redkit::sim::snapshot::{fnv1a64, put_bytes, put_id, put_ivarint, put_varint, MAGIC, VERSION};
use redkit::sim::types::stream::StreamId;
use redkit::sim::{Clock, Connection, Simulator};
use redkit::ErrorKind;
use std::time::Instant;

const T0: u64 = 1_700_000_000_000;

fn put(sim: &Simulator, db: usize, key: &[u8], val: &[u8], expire_at: u64) {
    let e = Entry { expire_at, ..Entry::new(RValue::Str(SmallBytes::new(val))) };
    sim.lock().dbs[db].set_entry(key, e);
}

/// Every (db, key, value, expiry) in keyspace storage order.
fn dump(sim: &Simulator) -> Vec<(usize, Vec<u8>, Vec<u8>, u64)> {
    let st = sim.lock();
    let mut out = Vec::new();
    for (i, db) in st.dbs.iter().enumerate() {
        for (k, e) in db.keys.iter() {
            let RValue::Str(v) = &e.value else { panic!("string expected") };
            out.push((i, k.to_vec(), v.to_vec(), e.expire_at));
        }
    }
    out
}

fn sample(sim: &Simulator) {
    put(sim, 0, b"plain", b"value", 0);
    put(sim, 0, b"", b"empty key", 0);
    put(sim, 0, b"empty value", b"", 0);
    put(sim, 0, b"bin\x00\xff\r\n", b"\x00\x01\x02\xff\xfe", 0);
    put(sim, 0, b"long", &[b'L'; 5000], T0 + 60_000);
    put(sim, 5, b"ttl", b"soon", T0 + 1_000);
    put(sim, 15, &[b'k'; 300], b"last db", T0 + 3_600_000);
}

/// Recomputes the trailing checksum after editing a snapshot's body.
fn reseal(mut body: Vec<u8>) -> Vec<u8> {
    let sum = fnv1a64(&body);
    body.extend_from_slice(&sum.to_le_bytes());
    body
}

/// A hand-built snapshot: one db section with raw key records.
fn crafted(db: u64, records: &[(u8, u64, &[u8], &[u8])], count: u64) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.push(VERSION);
    put_varint(&mut b, 16);
    b.push(0xFE);
    put_varint(&mut b, db);
    b.extend_from_slice(&count.to_le_bytes());
    for (tag, exp, k, v) in records {
        b.push(*tag);
        b.extend_from_slice(&exp.to_le_bytes());
        put_bytes(&mut b, k);
        put_bytes(&mut b, v);
    }
    b.push(0xFF);
    reseal(b)
}

fn err_kind(r: redkit::Result<()>) -> ErrorKind {
    r.err().map(|e| e.kind).unwrap_or(ErrorKind::Reply)
}

#[test]
fn round_trip_keeps_values_ttls_databases_and_order() {
    let a = Simulator::with_clock(Clock::manual(T0));
    sample(&a);
    let bytes = a.snapshot().expect("snapshot");
    assert_eq!(&bytes[..11], b"REDKIT-SNAP");
    let b = Simulator::with_clock(Clock::manual(T0));
    put(&b, 3, b"stale", b"replaced by the restore", 0);
    b.restore(&bytes).expect("restore");
    assert_eq!(dump(&a), dump(&b));
    assert_eq!(a.lock().used_memory(), b.lock().used_memory(), "memory accounting rebuilt");
    assert_eq!(b.lock().dbs[5].volatile_len(), 1, "TTL index rebuilt");
    // The TTL keeps running on the restored simulator's clock.
    b.advance_ms(1_001);
    assert!(b.lock().dbs[5].is_empty());
}

#[test]
fn expired_keys_are_neither_saved_nor_loaded() {
    let a = Simulator::with_clock(Clock::manual(T0));
    sample(&a);
    a.set_time_ms(T0 + 2_000); // "ttl" (1 s) expires and is reclaimed by the tick
    put(&a, 1, b"lazy", b"x", T0 + 1_500); // already past: only skipped by the writer
    let bytes = a.snapshot().expect("snapshot");
    let b = Simulator::with_clock(Clock::manual(T0));
    b.restore(&bytes).expect("restore");
    assert!(b.lock().dbs[1].is_empty() && b.lock().dbs[5].is_empty());
    // Loaded later than its expiry: dropped at load.
    let c = Simulator::with_clock(Clock::manual(T0 + 120_000));
    c.restore(&bytes).expect("restore");
    assert!(c.lock().dbs[0].keys.find(&b"long"[..]).is_none(), "60 s TTL passed");
    assert!(c.lock().dbs[0].keys.find(&b"plain"[..]).is_some());
    assert_eq!(c.lock().dbs[15].len(), 1);
}

#[test]
fn empty_dataset_round_trips() {
    let a = Simulator::with_clock(Clock::manual(T0));
    let bytes = a.snapshot().expect("snapshot");
    let b = Simulator::with_clock(Clock::manual(T0));
    put(&b, 0, b"x", b"y", 0);
    b.restore(&bytes).expect("restore");
    assert!(dump(&b).is_empty());
    assert_eq!(b.lock().used_memory(), 0);
}

#[test]
fn snapshot_resets_the_change_counter_and_restore_invalidates_watch() {
    let a = Simulator::with_clock(Clock::manual(T0));
    sample(&a);
    a.lock().dirty = 7;
    let bytes = a.snapshot().expect("snapshot");
    assert_eq!(a.lock().dirty, 0);
    let conn = a.connect();
    a.lock().watched_keys.insert((0, SmallBytes::new(b"plain")), vec![conn.id()]);
    a.restore(&bytes).expect("restore");
    assert!(a.lock().clients.get(&conn.id()).map(|c| c.dirty_cas).unwrap_or(false));
}

#[test]
fn files_round_trip_and_missing_files_are_io_errors() {
    let dir = std::env::temp_dir().join(format!("redkit-snap-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("dump.redkit");
    let a = Simulator::with_clock(Clock::manual(T0));
    sample(&a);
    a.save_to_file(&path).expect("save");
    let b = Simulator::with_clock(Clock::manual(T0));
    b.load_from_file(&path).expect("load");
    assert_eq!(dump(&a), dump(&b));
    assert_eq!(err_kind(b.load_from_file(dir.join("missing"))), ErrorKind::Io);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs a command, returning its reply.
fn x(c: &mut Connection, args: &[&str]) -> Value {
    c.execute(args)
}

/// Runs a command built from owned strings.
fn xs(c: &mut Connection, args: &[String]) -> Value {
    c.execute(args)
}

fn bulk_strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items
            .iter()
            .filter_map(|i| match i {
                Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Every reply a read-only client could observe about the dataset, in a fixed order: per database
/// the SCAN order and per key its type, encoding, TTL and the type's read commands (SCAN-family
/// cursors iterated to the end, so their order is compared too).
fn observe(sim: &Simulator) -> Vec<(String, Value)> {
    let mut c = sim.connect();
    let mut out = Vec::new();
    let mut rec = |c: &mut Connection, args: Vec<String>| {
        let v = xs(c, &args);
        out.push((args.join(" "), v.clone()));
        v
    };
    for db in 0..16 {
        rec(&mut c, vec!["SELECT".into(), db.to_string()]);
        rec(&mut c, vec!["DBSIZE".into()]);
        let scan = rec(&mut c, vec!["SCAN".into(), "0".into(), "COUNT".into(), "100000".into()]);
        let keys = match &scan {
            Value::Array(parts) => parts.get(1).map(bulk_strings).unwrap_or_default(),
            _ => Vec::new(),
        };
        for k in keys {
            let cmd = |parts: &[&str]| -> Vec<String> {
                let mut v: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
                // Container commands take the key after their subcommand.
                let at = if matches!(parts.first(), Some(&"OBJECT") | Some(&"XINFO")) { 2 } else { 1 };
                v.insert(at.min(v.len()), k.clone());
                v
            };
            rec(&mut c, cmd(&["TYPE"]));
            rec(&mut c, cmd(&["OBJECT", "ENCODING"]));
            rec(&mut c, cmd(&["PTTL"]));
            let ty = xs(&mut c, &cmd(&["TYPE"]));
            let read: Vec<Vec<&str>> = match ty {
                Value::Simple(t) if t == b"list" => vec![vec!["LRANGE", "0", "-1"], vec!["LLEN"], vec!["LINDEX", "-1"]],
                Value::Simple(t) if t == b"hash" => vec![vec!["HGETALL"], vec!["HLEN"], vec!["HKEYS"], vec!["HVALS"]],
                Value::Simple(t) if t == b"set" => vec![vec!["SMEMBERS"], vec!["SCARD"]],
                Value::Simple(t) if t == b"zset" => vec![
                    vec!["ZRANGE", "0", "-1", "WITHSCORES"],
                    vec!["ZRANGE", "(0", "+inf", "BYSCORE", "WITHSCORES"],
                    vec!["ZCARD"],
                    vec!["ZRANK", "m1"],
                ],
                Value::Simple(t) if t == b"stream" => {
                    let mut r = vec![
                        vec!["XRANGE", "-", "+"],
                        vec!["XREVRANGE", "+", "-", "COUNT", "7"],
                        vec!["XLEN"],
                        vec!["XINFO", "STREAM"],
                        vec!["XINFO", "STREAM", "FULL"],
                        vec!["XINFO", "GROUPS"],
                    ];
                    for g in ["g1", "g2", "g3"] {
                        r.push(vec!["XINFO", "CONSUMERS", g]);
                        r.push(vec!["XPENDING", g]);
                        r.push(vec!["XPENDING", g, "-", "+", "1000"]);
                        r.push(vec!["XPENDING", g, "IDLE", "1500", "-", "+", "1000"]);
                        for consumer in ["alice", "bob", "carol"] {
                            r.push(vec!["XPENDING", g, "-", "+", "1000", consumer]);
                        }
                    }
                    r
                }
                _ => vec![vec!["GET"]],
            };
            for parts in read {
                rec(&mut c, cmd(&parts));
            }
            for scan_cmd in ["HSCAN", "SSCAN", "ZSCAN"] {
                let mut cursor = "0".to_string();
                for _ in 0..10_000 {
                    let v = rec(&mut c, vec![scan_cmd.into(), k.clone(), cursor.clone(), "COUNT".into(), "7".into()]);
                    let next = match &v {
                        Value::Array(parts) => parts.first().and_then(|p| match p {
                            Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
                            _ => None,
                        }),
                        _ => None,
                    };
                    match next {
                        Some(n) if n != "0" => cursor = n,
                        _ => break,
                    }
                }
            }
        }
    }
    out
}

/// Asserts two observation lists are equal, naming the first differing command.
fn assert_same(a: &[(String, Value)], b: &[(String, Value)], when: &str) {
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x, y, "{when}: first difference at `{}`", x.0);
    }
    assert_eq!(a.len(), b.len(), "{when}: observation count");
}

/// Builds one key of every supported type (and the encodings that matter) through commands.
fn build_mixed(sim: &Simulator, big: bool) {
    let mut c = sim.connect();
    x(&mut c, &["RPUSH", "list", "a", "b", "", "\0bin\r\n", "c"]);
    x(&mut c, &["LPUSH", "list", "head1", "head2"]);
    x(&mut c, &["LINSERT", "list", "BEFORE", "b", "ins"]);
    x(&mut c, &["LREM", "list", "1", "a"]);
    x(&mut c, &["HSET", "small", "a", "1", "b", "2", "c", "3", "d", "4"]);
    x(&mut c, &["HDEL", "small", "b"]);
    x(&mut c, &["HSET", "small", "b", "again", "a", "new"]);
    // Converted by a long value, then shrunk: stays hashtable.
    x(&mut c, &["HSET", "converted", "f", &"v".repeat(100)]);
    x(&mut c, &["HSET", "converted", "g", "1"]);
    x(&mut c, &["HDEL", "converted", "f"]);
    let nfields = if big { 600 } else { 3 };
    let mut args: Vec<String> = vec!["HSET".into(), "big".into()];
    for i in 0..nfields {
        args.push(format!("field:{i}"));
        args.push(format!("{}", i * 7));
    }
    xs(&mut c, &args);
    for i in (0..nfields).step_by(5) {
        xs(&mut c, &["HDEL".into(), "big".into(), format!("field:{i}")]);
    }
    x(&mut c, &["SADD", "ints", "5", "-3", "100", "7", "-9223372036854775808", "9223372036854775807"]);
    x(&mut c, &["SREM", "ints", "7"]);
    x(&mut c, &["SADD", "strs", "x", "y", "z", "1", "2", "w"]);
    x(&mut c, &["SREM", "strs", "y"]);
    // Hashtable holding only integers: must not come back as an intset.
    x(&mut c, &["SADD", "intsht", "3", "1", "2", "drop"]);
    x(&mut c, &["SREM", "intsht", "drop"]);
    if big {
        let mut args: Vec<String> = vec!["SADD".into(), "manyints".into()];
        args.extend((0..700).map(|i| (i * 3).to_string()));
        xs(&mut c, &args);
        for i in (0..700).step_by(3) {
            xs(&mut c, &["SREM".into(), "manyints".into(), (i * 3).to_string()]);
        }
    }
    // Sorted sets: a listpack with -0/inf scores and ties, one converted by a long member and
    // shrunk (stays skiplist), and with `big` one past the listpack limit with deletions.
    x(&mut c, &["ZADD", "zsmall", "1", "m1", "1", "m0", "-0", "neg0", "inf", "top", "-inf", "bottom", "2.5", "x"]);
    x(&mut c, &["ZREM", "zsmall", "x"]);
    x(&mut c, &["ZADD", "zconv", "1", "m1", "2", &"long".repeat(30)]);
    x(&mut c, &["ZREM", "zconv", &"long".repeat(30)]);
    x(&mut c, &["ZADD", "zconv", "-0", "neg0"]);
    let nmembers = if big { 300 } else { 4 };
    let mut args: Vec<String> = vec!["ZADD".into(), "zbig".into()];
    for i in 0..nmembers {
        args.push(format!("{}", (i % 17) as f64 / 4.0));
        args.push(format!("m{i}"));
    }
    xs(&mut c, &args);
    for i in (0..nmembers).step_by(4) {
        xs(&mut c, &["ZREM".into(), "zbig".into(), format!("m{i}")]);
    }
    build_stream(sim, &mut c, big);
    x(&mut c, &["SET", "str", "plain"]);
    x(&mut c, &["SET", "ttl", "soon", "PX", "5000"]);
    x(&mut c, &["SELECT", "7"]);
    x(&mut c, &["RPUSH", "other-db", "1", "2", "3"]);
    x(&mut c, &["PEXPIRE", "other-db", "90000"]);
    x(&mut c, &["SADD", "other-set", "m"]);
    x(&mut c, &["SELECT", "0"]);
}

/// Streams with deleted entries, trimmed nodes, groups, PELs, claims and an empty stream.
fn build_stream(sim: &Simulator, c: &mut Connection, big: bool) {
    let n = if big { 260 } else { 12 };
    for i in 0..n {
        if i % 3 == 0 {
            x(c, &["XADD", "s", "*", "f", &i.to_string(), "other", "x"]);
        } else {
            x(c, &["XADD", "s", "*", "f", &i.to_string()]);
        }
        if i % 50 == 49 {
            sim.advance_ms(10);
        }
    }
    x(c, &["XADD", "s", "99999999999999-5", "big", &"B".repeat(if big { 5000 } else { 50 })]);
    x(c, &["XDEL", "s", &format!("{T0}-1"), &format!("{T0}-4")]);
    if big {
        x(c, &["XTRIM", "s", "MAXLEN", "~", "150"]);
    }
    x(c, &["XGROUP", "CREATE", "s", "g1", "0"]);
    x(c, &["XGROUP", "CREATE", "s", "g2", "$", "ENTRIESREAD", "3"]);
    x(c, &["XGROUP", "CREATECONSUMER", "s", "g2", "carol"]);
    x(c, &["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "s", ">"]);
    sim.advance_ms(1000);
    x(c, &["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "s", ">"]);
    sim.advance_ms(1000);
    // Re-delivery of history bumps the delivery count.
    x(c, &["XREADGROUP", "GROUP", "g1", "alice", "STREAMS", "s", "0"]);
    let pending = c.execute(&["XPENDING", "s", "g1", "-", "+", "2", "alice"]);
    let ids: Vec<String> = match &pending {
        Value::Array(rows) => rows
            .iter()
            .filter_map(|r| match r {
                Value::Array(f) => f.first().and_then(|id| match id {
                    Value::Bulk(b) => Some(String::from_utf8_lossy(b).into_owned()),
                    _ => None,
                }),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    assert_eq!(ids.len(), 2, "alice has pending entries: {pending:?}");
    sim.advance_ms(500);
    x(c, &["XCLAIM", "s", "g1", "bob", "0", &ids[0]]);
    x(c, &["XCLAIM", "s", "g1", "carol", "0", &ids[1], "IDLE", "250", "RETRYCOUNT", "9"]);
    x(c, &["XACK", "s", "g1", &ids[0]]);
    x(c, &["XAUTOCLAIM", "s", "g1", "carol", "100", "0", "COUNT", "1"]);
    x(c, &["XREADGROUP", "GROUP", "g2", "bob", "NOACK", "STREAMS", "s", ">"]);
    x(c, &["XGROUP", "CREATE", "s", "g3", "0"]);
    x(c, &["XSETID", "s", "99999999999999-9", "ENTRIESADDED", "1000", "MAXDELETEDID", "99999999999999-7"]);
    x(c, &["XADD", "empty", "5-5", "a", "b"]);
    x(c, &["XDEL", "empty", "5-5"]);
    x(c, &["XGROUP", "CREATE", "empty", "g1", "$"]);
    sim.advance_ms(300);
}

/// Identical writes (and clock moves) on two simulators; returns both reply lists.
fn continue_both(a: &Simulator, b: &Simulator) -> (Vec<Value>, Vec<Value>) {
    let script: Vec<Vec<&str>> = vec![
        vec!["RPUSH", "list", "tail"],
        vec!["LPOP", "list", "2"],
        vec!["HSET", "small", "e", "5"],
        vec!["HDEL", "big", "field:1", "field:2"],
        vec!["HSET", "big", "new", "n"],
        vec!["HSET", "converted", "h", "2"],
        vec!["SADD", "ints", "42"],
        vec!["SADD", "intsht", "4"],
        vec!["SPOP", "strs"],
        vec!["SADD", "strs", "q"],
        vec!["XADD", "s", "*", "after", "restore"],
        vec!["XADD", "s", "MAXLEN", "~", "20", "*", "f", "v"],
        vec!["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "s", ">"],
        vec!["XAUTOCLAIM", "s", "g1", "alice", "1000", "0"],
        vec!["XINFO", "STREAM", "s", "FULL"],
        vec!["XPENDING", "s", "g1", "-", "+", "100"],
        vec!["XDEL", "s", "99999999999999-5"],
        vec!["XTRIM", "s", "MINID", "0-1"],
        vec!["XINFO", "GROUPS", "s"],
        vec!["XADD", "empty", "*", "c", "d"],
        vec!["XINFO", "STREAM", "empty", "FULL"],
    ];
    let run = |sim: &Simulator| {
        let mut c = sim.connect();
        let mut out = Vec::new();
        for step in &script {
            sim.advance_ms(123);
            out.push(x(&mut c, step));
        }
        out
    };
    (run(a), run(b))
}

#[test]
fn aggregates_round_trip_with_every_observable_reply() {
    let a = Simulator::with_clock(Clock::manual(T0));
    build_mixed(&a, true);
    let before = observe(&a);
    assert!(before.iter().any(|(c, v)| c == "OBJECT ENCODING big" && *v == Value::bulk("hashtable")));
    assert!(before.iter().any(|(c, v)| c == "OBJECT ENCODING intsht" && *v == Value::bulk("hashtable")));
    assert!(before.iter().any(|(c, v)| c == "OBJECT ENCODING ints" && *v == Value::bulk("intset")));
    assert!(before.iter().any(|(c, v)| c == "OBJECT ENCODING small" && *v == Value::bulk("listpack")));
    if std::env::var("SNAPSHOT_DUMP").is_ok() {
        for (c, v) in &before {
            if c.starts_with('X') {
                eprintln!("{c} => {v:?}");
            }
        }
    }
    let bytes = a.snapshot().expect("snapshot");
    // Restored on another simulator whose clock reads the same time.
    let b = Simulator::with_clock(Clock::manual(a.clock().now_ms()));
    b.restore(&bytes).expect("restore");
    assert_same(&before, &observe(&b), "after restore");
    // Saving the restored dataset gives the same bytes.
    assert_eq!(b.snapshot().expect("snapshot again"), bytes, "snapshot of the restore is identical");
    // Idle times keep counting on the clock; writes behave identically afterwards.
    a.advance_ms(2_000);
    b.advance_ms(2_000);
    assert_same(&observe(&a), &observe(&b), "after 2 s");
    let (ra, rb) = continue_both(&a, &b);
    assert_eq!(ra, rb, "writes after restore");
    assert_same(&observe(&a), &observe(&b), "after writes");
}

#[test]
fn aggregates_round_trip_through_a_file_and_into_the_same_simulator() {
    let dir = std::env::temp_dir().join(format!("redkit-snap-agg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("dump.redkit");
    let a = Simulator::with_clock(Clock::manual(T0));
    build_mixed(&a, false);
    let before = observe(&a);
    a.save_to_file(&path).expect("save");
    let mut c = a.connect();
    x(&mut c, &["FLUSHALL"]);
    x(&mut c, &["RPUSH", "list", "replaced"]);
    a.load_from_file(&path).expect("load");
    assert_same(&before, &observe(&a), "after load");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small snapshot with one key of every supported type (streams with groups and PELs).
fn mixed_small_snapshot() -> Vec<u8> {
    let a = Simulator::with_clock(Clock::manual(T0));
    build_mixed(&a, false);
    a.snapshot().expect("snapshot")
}

#[test]
fn every_truncation_of_a_mixed_snapshot_is_rejected() {
    let bytes = mixed_small_snapshot();
    let b = Simulator::with_clock(Clock::manual(T0));
    put(&b, 0, b"keep", b"me", 0);
    let before = observe(&b);
    let body = &bytes[..bytes.len() - 8];
    for n in 0..bytes.len() {
        assert_eq!(err_kind(b.restore(&bytes[..n])), ErrorKind::Serialization, "prefix {n}");
        // The same prefix with a valid checksum reaches the parser, which must see it is cut short.
        if n < body.len() {
            assert_eq!(err_kind(b.restore(&reseal(body[..n].to_vec()))), ErrorKind::Serialization, "body {n}");
        }
    }
    assert_same(&before, &observe(&b), "failed restores change nothing");
    b.restore(&bytes).expect("intact");
}

/// xorshift64 step.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

#[test]
fn random_corruption_of_a_mixed_snapshot_never_panics() {
    let bytes = mixed_small_snapshot();
    let body = bytes[..bytes.len() - 8].to_vec();
    let header = MAGIC.len() + 1;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut loaded = 0;
    for round in 0..3000 {
        let mut bad = body.clone();
        let flips = 1 + (next(&mut seed) % 4) as usize;
        for _ in 0..flips {
            let i = header + (next(&mut seed) as usize) % (bad.len() - header);
            let r = next(&mut seed);
            bad[i] = match round % 3 {
                0 => bad[i] ^ (1 << (r % 8)),
                1 => r as u8,
                _ => [0, 1, 0x7F, 0x80, 0xFF][(r % 5) as usize],
            };
        }
        let sim = Simulator::with_clock(Clock::manual(T0 + 20_000));
        if sim.restore(&reseal(bad)).is_ok() {
            // Whatever was accepted must be safe to use.
            loaded += 1;
            observe(&sim);
            continue_both(&sim, &Simulator::with_clock(Clock::manual(T0)));
        }
    }
    assert!(loaded > 0, "some corruptions only change data and still load");
}

/// A hand-built snapshot holding one value record (raw bytes after the key) in db 0.
fn value_record(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.push(VERSION);
    put_varint(&mut b, 16);
    b.push(0xFE);
    put_varint(&mut b, 0);
    b.extend_from_slice(&1u64.to_le_bytes());
    b.push(tag);
    b.extend_from_slice(&0u64.to_le_bytes());
    put_bytes(&mut b, b"k");
    b.extend_from_slice(value);
    b.push(0xFF);
    reseal(b)
}

/// Builds a value encoding with a closure.
fn enc(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    f(&mut v);
    v
}

fn items(out: &mut Vec<u8>, items: &[&[u8]]) {
    put_varint(out, items.len() as u64);
    for i in items {
        put_bytes(out, i);
    }
}

/// A stream with one entry 1-1 in one node, then `tail` (ids, groups …) appended by the caller.
fn stream_prefix(out: &mut Vec<u8>, live: u64, node_bytes: u64) {
    put_varint(out, 1);
    put_id(out, StreamId::new(1, 1));
    items(out, &[b"f", b"v"]);
    put_varint(out, 1);
    put_id(out, StreamId::new(1, 1));
    put_id(out, StreamId::new(1, 1));
    put_varint(out, live);
    put_varint(out, 0);
    put_varint(out, node_bytes);
    items(out, &[b"f"]);
}

/// Ids (last, first, max deleted), entries added and one group "g" with the given PEL and
/// consumers (name, owned ids).
fn stream_tail(out: &mut Vec<u8>, last: StreamId, pel: &[u64], consumers: &[(&[u8], &[u64])]) {
    stream_tail_counting(out, last, pel, consumers, 1);
}

/// [`stream_tail`] with `counter` as entries added and as every delivery count.
fn stream_tail_counting(out: &mut Vec<u8>, last: StreamId, pel: &[u64], consumers: &[(&[u8], &[u64])], counter: u64) {
    put_id(out, last);
    put_id(out, StreamId::new(1, 1));
    put_id(out, StreamId::MIN);
    put_varint(out, counter);
    put_varint(out, 1);
    put_bytes(out, b"g");
    put_id(out, StreamId::new(1, 1));
    put_ivarint(out, 1);
    put_varint(out, pel.len() as u64);
    for &ms in pel {
        put_id(out, StreamId::new(ms, 0));
        put_ivarint(out, T0 as i64);
        put_varint(out, counter);
    }
    put_varint(out, consumers.len() as u64);
    for (name, ids) in consumers {
        put_bytes(out, name);
        put_ivarint(out, T0 as i64);
        put_varint(out, ids.len() as u64);
        for &ms in *ids {
            put_id(out, StreamId::new(ms, 0));
        }
    }
}

#[test]
fn crafted_aggregates_are_rejected() {
    let sim = Simulator::with_clock(Clock::manual(T0));
    let good_stream = enc(|o| {
        stream_prefix(o, 1, 40);
        stream_tail(o, StreamId::new(1, 1), &[5, 6], &[(b"a", &[5]), (b"b", &[6])]);
    });
    sim.restore(&value_record(5, &good_stream)).expect("well-formed stream");
    let max_counters = enc(|o| {
        stream_prefix(o, 1, 40);
        stream_tail_counting(o, StreamId::new(1, 1), &[5], &[(b"a", &[5])], i64::MAX as u64);
    });
    sim.restore(&value_record(5, &max_counters)).expect("counters at i64::MAX");
    let mut c = sim.connect();
    assert_eq!(x(&mut c, &["XLEN", "k"]), Value::Int(1));
    let good_list = enc(|o| items(o, &[b"a", b"b"]));
    sim.restore(&value_record(1, &good_list)).expect("well-formed list");
    let cases: Vec<(&str, u8, Vec<u8>)> = vec![
        ("empty list", 1, enc(|o| put_varint(o, 0))),
        ("list count too large", 1, enc(|o| put_varint(o, u64::MAX))),
        (
            "list count above input",
            1,
            enc(|o| {
                put_varint(o, 1 << 40);
                put_bytes(o, b"a");
            }),
        ),
        (
            "hash bad encoding",
            2,
            enc(|o| {
                o.push(7);
                items(o, &[b"a", b"b"]);
            }),
        ),
        (
            "empty hash",
            2,
            enc(|o| {
                o.push(0);
                put_varint(o, 0);
            }),
        ),
        (
            "hash duplicate field",
            2,
            enc(|o| {
                o.push(1);
                put_varint(o, 2);
                for _ in 0..2 {
                    put_bytes(o, b"f");
                    put_bytes(o, b"v");
                }
            }),
        ),
        (
            "intset unsorted",
            3,
            enc(|o| {
                o.push(0);
                put_varint(o, 2);
                put_ivarint(o, 5);
                put_ivarint(o, 3);
            }),
        ),
        (
            "intset duplicate",
            3,
            enc(|o| {
                o.push(0);
                put_varint(o, 2);
                put_ivarint(o, 5);
                put_ivarint(o, 5);
            }),
        ),
        (
            "set duplicate member",
            3,
            enc(|o| {
                o.push(1);
                items(o, &[b"m", b"m"]);
            }),
        ),
        (
            "empty set",
            3,
            enc(|o| {
                o.push(1);
                put_varint(o, 0);
            }),
        ),
        (
            "stream entry without pairs",
            5,
            enc(|o| {
                put_varint(o, 1);
                put_id(o, StreamId::new(1, 1));
                items(o, &[b"f"]);
            }),
        ),
        (
            "stream entries unsorted",
            5,
            enc(|o| {
                put_varint(o, 2);
                put_id(o, StreamId::new(2, 0));
                items(o, &[b"f", b"v"]);
                put_id(o, StreamId::new(1, 0));
                items(o, &[b"f", b"v"]);
            }),
        ),
        (
            "stream node live mismatch",
            5,
            enc(|o| {
                stream_prefix(o, 2, 40);
                stream_tail(o, StreamId::new(1, 1), &[], &[]);
            }),
        ),
        (
            "stream node live zero",
            5,
            enc(|o| {
                stream_prefix(o, 0, 40);
                stream_tail(o, StreamId::new(1, 1), &[], &[]);
            }),
        ),
        (
            "stream node too small",
            5,
            enc(|o| {
                stream_prefix(o, 1, 3);
                stream_tail(o, StreamId::new(1, 1), &[], &[]);
            }),
        ),
        (
            "stream entry outside nodes",
            5,
            enc(|o| {
                put_varint(o, 1);
                put_id(o, StreamId::new(1, 1));
                items(o, &[b"f", b"v"]);
                put_varint(o, 0);
                stream_tail(o, StreamId::new(1, 1), &[], &[]);
            }),
        ),
        (
            "stream last id below entries",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail(o, StreamId::new(1, 0), &[], &[]);
            }),
        ),
        (
            "pending owned by nobody",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail(o, StreamId::new(1, 1), &[5, 6], &[(b"a", &[5])]);
            }),
        ),
        (
            "pending owned twice",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail(o, StreamId::new(1, 1), &[5], &[(b"a", &[5]), (b"b", &[5])]);
            }),
        ),
        (
            "consumer owns an id not pending",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail(o, StreamId::new(1, 1), &[], &[(b"a", &[9])]);
            }),
        ),
        (
            "counters beyond i64",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail_counting(o, StreamId::new(1, 1), &[5], &[(b"a", &[5])], u64::MAX);
            }),
        ),
        (
            "duplicate consumer",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                stream_tail(o, StreamId::new(1, 1), &[], &[(b"a", &[]), (b"a", &[])]);
            }),
        ),
        (
            "huge group count",
            5,
            enc(|o| {
                stream_prefix(o, 1, 40);
                for id in [StreamId::new(1, 1), StreamId::new(1, 1), StreamId::MIN] {
                    put_id(o, id);
                }
                put_varint(o, 1);
                put_varint(o, u64::MAX >> 1);
            }),
        ),
        (
            "trailing value bytes",
            1,
            enc(|o| {
                items(o, &[b"a"]);
                o.push(0);
            }),
        ),
    ];
    for (name, tag, value) in cases {
        assert_eq!(err_kind(sim.restore(&value_record(tag, &value))), ErrorKind::Serialization, "{name}");
    }
    assert_eq!(x(&mut c, &["LRANGE", "k", "0", "-1"]), Value::Array(vec![Value::bulk(b"a"), Value::bulk(b"b")]));
}

#[test]
fn every_truncation_and_every_bit_flip_is_rejected_without_change() {
    let a = Simulator::with_clock(Clock::manual(T0));
    put(&a, 0, b"k1", b"v1", 0);
    put(&a, 2, b"k2", &[9u8; 40], T0 + 10_000);
    let bytes = a.snapshot().expect("snapshot");
    let b = Simulator::with_clock(Clock::manual(T0));
    put(&b, 0, b"keep", b"me", 0);
    let before = dump(&b);
    for n in 0..bytes.len() {
        assert_eq!(err_kind(b.restore(&bytes[..n])), ErrorKind::Serialization, "prefix {n}");
    }
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = bytes.clone();
            bad[i] ^= bit;
            assert!(b.restore(&bad).is_err(), "flip at {i}");
        }
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(b.restore(&longer).is_err());
    assert_eq!(dump(&b), before, "failed restores change nothing");
    b.restore(&bytes).expect("the intact snapshot still loads");
}

#[test]
fn crafted_inconsistent_input_is_rejected() {
    let sim = Simulator::with_clock(Clock::manual(T0));
    let ok = crafted(1, &[(0, 0, b"a", b"1"), (0, 0, b"b", b"2")], 2);
    sim.restore(&ok).expect("well-formed");
    assert_eq!(dump(&sim).len(), 2);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("db out of range", crafted(16, &[(0, 0, b"a", b"1")], 1)),
        ("huge db index", crafted(u64::MAX, &[(0, 0, b"a", b"1")], 1)),
        ("duplicate key", crafted(0, &[(0, 0, b"a", b"1"), (0, 0, b"a", b"2")], 2)),
        ("unknown type", crafted(0, &[(42, 0, b"a", b"1")], 1)),
        ("count too large", crafted(0, &[(0, 0, b"a", b"1")], u64::MAX)),
        ("count too small", crafted(0, &[(0, 0, b"a", b"1"), (0, 0, b"b", b"2")], 1)),
        ("bad magic", reseal(b"REDKIT-SNAQ\x01\x10\xff".to_vec())),
        ("bad version", reseal(b"REDKIT-SNAP\x02\x10\xff".to_vec())),
        ("no end marker", reseal(b"REDKIT-SNAP\x01\x10".to_vec())),
        ("bad marker", reseal(b"REDKIT-SNAP\x01\x10\x07\xff".to_vec())),
        ("garbage", vec![0xAB; 100]),
        ("empty", Vec::new()),
    ];
    for (name, bytes) in cases {
        let r = sim.restore(&bytes);
        assert_eq!(err_kind(r), ErrorKind::Serialization, "{name}");
    }
    let mut twice = crafted(0, &[(0, 0, b"a", b"1")], 1);
    twice.truncate(twice.len() - 9); // drop end marker + checksum
    let section_start = 11 + 1 + 1;
    let section = twice[section_start..].to_vec();
    twice.extend_from_slice(&section);
    twice.push(0xFF);
    assert_eq!(err_kind(sim.restore(&reseal(twice))), ErrorKind::Serialization, "db twice");
    assert_eq!(dump(&sim).len(), 2, "still the last good dataset");
}

#[test]
fn random_bytes_never_panic() {
    let sim = Simulator::with_clock(Clock::manual(T0));
    let mut x: u64 = 0x1234_5678_9abc_def1;
    for round in 0..2000 {
        let len = (round % 200) + 1;
        let mut b = MAGIC.to_vec();
        b.push(VERSION);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.push(x as u8);
        }
        // Half of them with a valid checksum so the parser itself is exercised.
        let b = if round % 2 == 0 { reseal(b) } else { b };
        let _ = sim.restore(&b);
    }
}

#[test]
fn hundred_thousands_of_keys_are_fast() {
    // SNAPSHOT_KEYS=1000000 measures the 1M-key case.
    let n: usize = std::env::var("SNAPSHOT_KEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let a = Simulator::with_clock(Clock::manual(T0));
    {
        let mut st = a.lock();
        for i in 0..n {
            let e = Entry {
                expire_at: if i % 3 == 0 { T0 + 1_000_000 } else { 0 },
                ..Entry::new(RValue::Str(SmallBytes::new(b"0123456789abcdef")))
            };
            st.dbs[0].set_entry(format!("key:{i}").as_bytes(), e);
        }
    }
    let t = Instant::now();
    let bytes = a.snapshot().expect("snapshot");
    let save = t.elapsed();
    let b = Simulator::with_clock(Clock::manual(T0));
    let t = Instant::now();
    b.restore(&bytes).expect("restore");
    let load = t.elapsed();
    eprintln!("{n} keys: {} bytes, snapshot {save:?}, restore {load:?}", bytes.len());
    assert_eq!(b.lock().dbs[0].len(), n);
    assert_eq!(b.lock().dbs[0].volatile_len(), n.div_ceil(3));
    assert!(load.as_secs_f64() < 5.0 && save.as_secs_f64() < 5.0);
}

/// One value of a mixed dataset, built through the types' own API (fast enough for 1M keys).
fn mixed_value(i: usize) -> RValue {
    use redkit::sim::types::hash::HashLimits;
    use redkit::sim::types::{Hash, List, Set, Stream};
    let lim = HashLimits { entries: 512, value: 64 };
    let s = |t: &str| SmallBytes::new(t.as_bytes());
    match i % 6 {
        0 => RValue::Str(s("0123456789abcdef")),
        1 => RValue::List(Box::new(["a", "bb", "ccc", &i.to_string()].into_iter().map(s).collect::<List>())),
        2 => {
            let mut h = Hash::default();
            for f in ["name", "age", "city"] {
                h.set(f.as_bytes(), i.to_string().as_bytes(), lim);
            }
            RValue::Hash(Box::new(h))
        }
        3 => {
            let mut set = Set::default();
            for m in [i, i + 1, i * 2] {
                set.insert(m.to_string().as_bytes(), 512);
            }
            RValue::Set(Box::new(set))
        }
        4 => {
            let mut set = Set::default();
            for m in ["red", "green", "blue"] {
                set.insert(m.as_bytes(), 512);
            }
            RValue::Set(Box::new(set))
        }
        _ => {
            let mut st = Stream::default();
            for seq in 0..2 {
                st.append(StreamId::new(i as u64, seq), &[b"f".to_vec(), i.to_string().into_bytes()]);
            }
            RValue::Stream(Box::new(st))
        }
    }
}

#[test]
fn mixed_keys_are_fast() {
    // SNAPSHOT_MIXED_KEYS=1000000 (in release mode) measures the 1M-key case.
    let n: usize = std::env::var("SNAPSHOT_MIXED_KEYS").ok().and_then(|v| v.parse().ok()).unwrap_or(60_000);
    let a = Simulator::with_clock(Clock::manual(T0));
    {
        let mut st = a.lock();
        for i in 0..n {
            let e = Entry { expire_at: if i % 4 == 0 { T0 + 1_000_000 } else { 0 }, ..Entry::new(mixed_value(i)) };
            st.dbs[i % 2].set_entry(format!("key:{i}").as_bytes(), e);
        }
    }
    let t = Instant::now();
    let bytes = a.snapshot().expect("snapshot");
    let save = t.elapsed();
    let b = Simulator::with_clock(Clock::manual(T0));
    let t = Instant::now();
    b.restore(&bytes).expect("restore");
    let load = t.elapsed();
    let t = Instant::now();
    let parsed = redkit::sim::snapshot::decode_dbs(&bytes, 16, T0, 0).expect("parse");
    let parse = t.elapsed();
    let t = Instant::now();
    drop(parsed);
    let free = t.elapsed();
    eprintln!(
        "{n} mixed keys: {} bytes, snapshot {save:?}, restore {load:?} (parse alone {parse:?}, freeing {free:?})",
        bytes.len()
    );
    let restored = {
        let st = b.lock();
        st.dbs[0].len() + st.dbs[1].len()
    };
    assert_eq!(restored, n);
    assert_eq!(b.snapshot().expect("again"), bytes);
    assert!(load.as_secs_f64() < 10.0 && save.as_secs_f64() < 10.0);
}
