//! Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) on several connections of
//! one simulator under a manual clock: first-blocked-first-served wake order, BLMOVE chains,
//! multi-key waits served from the key that received data, timeouts that fire exactly at the
//! deadline and never before, timeout 0 waiting forever, dropped clients that consume nothing.
//! The last test replays multi-client scenarios on a real redis-server and compares who gets what.

mod support;

use redkit::resp::{write_value, Protocol, Value};
use redkit::sim::bytes::SmallBytes;
use redkit::sim::db::{Entry, RValue};
use redkit::sim::{blocking, commands, Clock, Connection, Simulator, Submitted};
use std::time::Duration;
use support::{RedisServer, RespClient};

fn sim() -> Simulator {
    Simulator::with_clock(Clock::manual(1_000_000))
}

fn pair(k: &str, v: &str) -> Value {
    Value::Array(vec![Value::bulk(k), Value::bulk(v)])
}

fn blocked(c: &mut Connection, args: &[&str]) {
    assert_eq!(c.submit(args), Submitted::Blocked, "{args:?} should block");
}

#[test]
fn fifo_wake_order() {
    let sim = sim();
    let (mut a, mut b, mut c, mut p) = (sim.connect(), sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "q", "0"]);
    blocked(&mut b, &["BLPOP", "q", "0"]);
    blocked(&mut c, &["BRPOP", "q", "0"]);
    assert_eq!(p.execute(&["RPUSH", "q", "x", "y"]), Value::Int(2));
    assert_eq!(a.poll(), Some(pair("q", "x")));
    assert_eq!(b.poll(), Some(pair("q", "y")));
    assert_eq!(c.poll(), None);
    assert_eq!(p.execute(&["LLEN", "q"]), Value::Int(0));
    assert_eq!(p.execute(&["LPUSH", "q", "z"]), Value::Int(1));
    assert_eq!(c.poll(), Some(pair("q", "z")));
    assert_eq!(p.execute(&["LLEN", "q"]), Value::Int(0));
}

#[test]
fn blmove_chain_serves_the_next_waiter() {
    let sim = sim();
    let (mut a, mut b, mut p) = (sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "dst", "0"]);
    blocked(&mut b, &["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]);
    assert_eq!(p.execute(&["RPUSH", "src", "v"]), Value::Int(1));
    assert_eq!(b.poll(), Some(Value::bulk("v")));
    assert_eq!(a.poll(), Some(pair("dst", "v")));
    assert_eq!(p.execute(&["LLEN", "src"]), Value::Int(0));
    assert_eq!(p.execute(&["LLEN", "dst"]), Value::Int(0));
    // BRPOPLPUSH into a key nobody waits on keeps the element.
    blocked(&mut b, &["BRPOPLPUSH", "src", "dst", "0"]);
    p.execute(&["RPUSH", "src", "w"]);
    assert_eq!(b.poll(), Some(Value::bulk("w")));
    assert_eq!(p.execute(&["LRANGE", "dst", "0", "-1"]), Value::bulk_array(["w"]));
}

#[test]
fn multi_key_wait_is_served_from_the_key_with_data() {
    let sim = sim();
    let (mut a, mut b, mut p) = (sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "k1", "k2", "k3", "0"]);
    blocked(&mut b, &["BLMPOP", "0", "2", "k3", "k2", "RIGHT", "COUNT", "5"]);
    p.execute(&["RPUSH", "k2", "a", "b", "c"]);
    assert_eq!(a.poll(), Some(pair("k2", "a")));
    let expect = Value::Array(vec![Value::bulk("k2"), Value::bulk_array(["c", "b"])]);
    assert_eq!(b.poll(), Some(expect));
    assert_eq!(p.execute(&["LLEN", "k2"]), Value::Int(0));
}

#[test]
fn served_from_the_ready_key_in_signal_order() {
    // Redis serves each ready key in the order keys were signalled, and a client waiting on
    // several keys takes from the key being served, not from the first of its keys.
    let sim = sim();
    let (mut a, mut b) = (sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "k1", "0"]);
    blocked(&mut b, &["BLPOP", "k1", "k2", "0"]);
    {
        let mut st = sim.lock();
        for (k, v) in [("k2", "from-k2"), ("k1", "from-k1")] {
            let list = [SmallBytes::new(v.as_bytes())].into_iter().collect();
            st.dbs[0].set_entry(k.as_bytes(), Entry::new(RValue::List(Box::new(list))));
            st.signal_ready(0, k.as_bytes());
        }
        assert_eq!(blocking::serve_ready(&mut st, 1_000_000_000), 2);
    }
    assert_eq!(a.poll(), Some(pair("k1", "from-k1")));
    assert_eq!(b.poll(), Some(pair("k2", "from-k2")));
}

#[test]
fn a_key_of_another_type_does_not_serve_a_waiter() {
    let sim = sim();
    let (mut a, mut b, mut p) = (sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "w", "0"]);
    blocked(&mut b, &["BLMOVE", "src", "w", "LEFT", "LEFT", "0"]);
    {
        let mut st = sim.lock();
        st.dbs[0].set_entry(b"w", Entry::new(RValue::Str(SmallBytes::new(b"str"))));
        st.signal_ready(0, b"w");
        assert_eq!(blocking::serve_ready(&mut st, 1_000_000_000), 0);
    }
    assert_eq!(a.poll(), None);
    // BLMOVE into a key of another type: served with WRONGTYPE, the source keeps its element.
    p.execute(&["RPUSH", "src", "v"]);
    let reply = b.poll().expect("served");
    assert!(reply.to_text().starts_with("WRONGTYPE"), "{reply:?}");
    assert_eq!(p.execute(&["LLEN", "src"]), Value::Int(1));
    assert_eq!(a.poll(), None);
}

#[test]
fn timeouts_fire_at_the_deadline_not_before() {
    let sim = sim();
    let (mut a, mut b, mut c) = (sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "k", "1.5"]);
    blocked(&mut b, &["BLMOVE", "k", "d", "LEFT", "LEFT", "2"]);
    blocked(&mut c, &["BLMPOP", "0.0019", "1", "k", "LEFT"]);
    sim.advance_ms(1);
    assert_eq!(c.poll(), Some(Value::NilArray), "0.0019 s truncates to 1 ms like Redis");
    sim.advance_ms(1498);
    assert_eq!(a.poll(), None);
    sim.advance_ms(1);
    assert_eq!(a.poll(), Some(Value::NilArray));
    assert_eq!(b.poll(), None);
    sim.advance_ms(500);
    // Redis 7.0 answers every timed-out list command with a null array, BLMOVE included.
    assert_eq!(b.poll(), Some(Value::NilArray));
    // A timed-out client is no longer queued: a push stays in the list.
    assert_eq!(a.execute(&["RPUSH", "k", "v"]), Value::Int(1));
    assert_eq!(a.execute(&["LLEN", "k"]), Value::Int(1));
}

#[test]
fn timeout_zero_waits_forever() {
    let sim = sim();
    let (mut a, mut p) = (sim.connect(), sim.connect());
    blocked(&mut a, &["BRPOP", "k", "0"]);
    sim.advance_ms(365 * 24 * 3600 * 1000);
    assert_eq!(a.poll(), None);
    blocked(&mut p, &["BLPOP", "other", "0.0004"]);
    sim.advance_ms(3_600_000);
    assert_eq!(p.poll(), None, "under a millisecond is 0: forever");
    let mut q = sim.connect();
    q.execute(&["RPUSH", "other", "o"]);
    assert_eq!(p.poll(), Some(pair("other", "o")));
    q.execute(&["RPUSH", "k", "x"]);
    assert_eq!(a.poll(), Some(pair("k", "x")));
}

#[test]
fn a_dropped_waiter_consumes_nothing() {
    let sim = sim();
    let (mut a, mut b, mut p) = (sim.connect(), sim.connect(), sim.connect());
    blocked(&mut a, &["BLPOP", "k", "0"]);
    blocked(&mut b, &["BLPOP", "k", "0"]);
    drop(a);
    p.execute(&["RPUSH", "k", "x", "y"]);
    assert_eq!(b.poll(), Some(pair("k", "x")));
    assert_eq!(p.execute(&["LRANGE", "k", "0", "-1"]), Value::bulk_array(["y"]));
    let mut c = sim.connect();
    blocked(&mut c, &["BLMOVE", "e", "f", "RIGHT", "LEFT", "0"]);
    drop(c);
    p.execute(&["RPUSH", "e", "z"]);
    assert_eq!(p.execute(&["LLEN", "e"]), Value::Int(1));
    assert_eq!(p.execute(&["LLEN", "f"]), Value::Int(0));
}

#[test]
fn a_blocked_connection_refuses_new_commands() {
    let sim = sim();
    let mut a = sim.connect();
    blocked(&mut a, &["BLPOP", "k", "0"]);
    let Submitted::Reply(v) = a.submit(&["LLEN", "k"]) else { panic!("should reply") };
    assert!(v.is_error());
}

// ---- differential: the same multi-client scenario on redis-server and on the simulator ----

/// One step of a scenario: client `n` sends a command, or time passes.
enum Step {
    Cmd(usize, &'static [&'static str]),
    Sleep(u64),
}

use Step::{Cmd, Sleep};

const CLIENTS: usize = 4;

/// After each step: what each client received (None: nothing yet).
type Observed = Vec<Vec<Option<Vec<u8>>>>;

fn run_redis(server: &RedisServer, steps: &[Step], p: Protocol) -> Observed {
    let mut admin = server.client();
    admin.call(&["FLUSHALL"]).expect("flushall");
    let mut cs: Vec<RespClient> = (0..CLIENTS).map(|_| server.client()).collect();
    if p == Protocol::Resp3 {
        for c in &mut cs {
            c.call(&["HELLO", "3"]).expect("hello");
        }
    }
    let mut out = Vec::new();
    for s in steps {
        let mut seen = vec![None; CLIENTS];
        let sender = match s {
            Cmd(i, argv) => {
                cs[*i].send(argv).expect("send");
                Some(*i)
            }
            Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                None
            }
        };
        for (i, c) in cs.iter_mut().enumerate() {
            let mut wait = if Some(i) == sender { 60 } else { 15 };
            // Everything that arrives: the reply and any pushes (keyspace events).
            while let Some((_, bytes)) = c.try_read_raw(Duration::from_millis(wait)) {
                seen[i].get_or_insert_with(Vec::new).extend_from_slice(&bytes);
                wait = 5;
            }
        }
        out.push(seen);
    }
    out
}

fn run_sim(steps: &[Step], p: Protocol) -> Observed {
    let sim = sim();
    let mut cs: Vec<Connection> = (0..CLIENTS).map(|_| sim.connect()).collect();
    if p == Protocol::Resp3 {
        for c in &mut cs {
            c.execute(&["HELLO", "3"]);
        }
    }
    let encode = |v: Value| {
        let mut b = Vec::new();
        write_value(&mut b, &v, p);
        b
    };
    let mut out = Vec::new();
    for s in steps {
        let mut seen = vec![None; CLIENTS];
        match s {
            Cmd(i, argv) => {
                if let Submitted::Reply(v) = cs[*i].submit(argv) {
                    seen[*i] = Some(encode(v));
                }
            }
            Sleep(ms) => {
                sim.advance_ms(*ms);
            }
        }
        for (i, c) in cs.iter_mut().enumerate() {
            if seen[i].is_none() {
                seen[i] = c.poll().map(encode);
            }
            for push in c.drain_pushes() {
                seen[i].get_or_insert_with(Vec::new).extend_from_slice(&encode(push));
            }
        }
        out.push(seen);
    }
    out
}

fn show(o: &Option<Vec<u8>>) -> String {
    o.as_ref().map_or("-".into(), |b| String::from_utf8_lossy(b).replace("\r\n", " "))
}

fn compare(name: &str, steps: &[Step], server: &RedisServer) {
    for p in [Protocol::Resp2, Protocol::Resp3] {
        let r = run_redis(server, steps, p);
        let s = run_sim(steps, p);
        for (n, (rs, ss)) in r.iter().zip(&s).enumerate() {
            let what = match &steps[n] {
                Cmd(i, argv) => format!("client {i}: {}", argv.join(" ")),
                Sleep(ms) => format!("sleep {ms} ms"),
            };
            let rs: Vec<String> = rs.iter().map(show).collect();
            if std::env::var("SHOW_STEPS").is_ok() {
                eprintln!("{name} {n}: {rs:?}");
            }
            let ss: Vec<String> = ss.iter().map(show).collect();
            assert_eq!(ss, rs, "{name} [{p:?}] step {n} ({what}): sim vs redis, per client");
        }
    }
}

#[test]
fn blocking_order_matches_real_redis() {
    let Some(server) = RedisServer::start() else { return };
    compare(
        "fifo",
        &[
            Cmd(0, &["BLPOP", "q", "0"]),
            Cmd(1, &["BRPOP", "q", "0"]),
            Cmd(2, &["BLPOP", "q", "0"]),
            Cmd(3, &["RPUSH", "q", "a", "b"]),
            Cmd(3, &["LLEN", "q"]),
            Cmd(3, &["LPUSH", "q", "c", "d"]),
            Cmd(3, &["LRANGE", "q", "0", "-1"]),
        ],
        &server,
    );
    compare(
        "chain",
        &[
            Cmd(0, &["BLPOP", "dst", "0"]),
            Cmd(1, &["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]),
            Cmd(2, &["BRPOPLPUSH", "dst", "third", "0"]),
            Cmd(3, &["RPUSH", "src", "1", "2"]),
            Cmd(3, &["LRANGE", "src", "0", "-1"]),
            Cmd(3, &["LRANGE", "dst", "0", "-1"]),
            Cmd(3, &["LRANGE", "third", "0", "-1"]),
        ],
        &server,
    );
    compare(
        "multikey",
        &[
            Cmd(0, &["BLPOP", "k1", "k2", "0"]),
            Cmd(1, &["BLMPOP", "0", "3", "k3", "k2", "k1", "LEFT", "COUNT", "2"]),
            Cmd(2, &["BRPOP", "k2", "0"]),
            Cmd(3, &["RPUSH", "k2", "a", "b", "c", "d"]),
            Cmd(3, &["LRANGE", "k2", "0", "-1"]),
            Cmd(3, &["RPUSH", "k1", "x"]),
        ],
        &server,
    );
    compare(
        "timeouts",
        &[
            Cmd(0, &["BLPOP", "t", "2"]),
            Cmd(1, &["BLMOVE", "t", "u", "LEFT", "LEFT", "2"]),
            Cmd(2, &["BRPOPLPUSH", "t", "u", "2"]),
            Cmd(3, &["BLMPOP", "2", "1", "t", "RIGHT"]),
            Sleep(2500),
            Cmd(3, &["RPUSH", "t", "late"]),
            Cmd(3, &["LLEN", "t"]),
        ],
        &server,
    );
    if commands::lookup(b"multi").is_some() && commands::lookup(b"set").is_some() {
        compare(
            "transactions and types",
            &[
                Cmd(0, &["BLPOP", "k1", "0"]),
                Cmd(1, &["BLPOP", "k1", "k2", "0"]),
                Cmd(3, &["MULTI"]),
                Cmd(3, &["RPUSH", "k2", "from-k2"]),
                Cmd(3, &["RPUSH", "k1", "from-k1"]),
                Cmd(3, &["BLPOP", "empty", "0"]),
                Cmd(3, &["BLMOVE", "empty", "x", "LEFT", "LEFT", "0"]),
                Cmd(3, &["EXEC"]),
                Cmd(0, &["BLPOP", "w", "0"]),
                Cmd(3, &["SET", "w", "string"]),
                Cmd(3, &["DEL", "w"]),
                Cmd(3, &["RPUSH", "w", "list"]),
                Cmd(1, &["BRPOPLPUSH", "s", "w2", "0"]),
                Cmd(3, &["SET", "w2", "string"]),
                Cmd(3, &["RPUSH", "s", "v"]),
                Cmd(3, &["LLEN", "s"]),
            ],
            &server,
        );
    } else {
        eprintln!("blocking_order_matches_real_redis: MULTI/SET not in this build; transaction scenario not run");
    }
}

#[test]
fn list_keyspace_events_match_real_redis() {
    if commands::lookup(b"psubscribe").is_none() || commands::lookup(b"config").is_none() {
        eprintln!("list_keyspace_events_match_real_redis: PSUBSCRIBE/CONFIG not in this build; not run");
        return;
    }
    let Some(server) = RedisServer::start_with(&["--notify-keyspace-events", "KEA"]) else { return };
    compare(
        "keyspace events",
        &[
            Cmd(3, &["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
            Cmd(0, &["PSUBSCRIBE", "__key*__:*"]),
            Cmd(3, &["RPUSH", "l", "a", "b", "c", "d"]),
            Cmd(3, &["LPUSH", "l", "z"]),
            Cmd(3, &["LPUSHX", "nokey", "z"]),
            Cmd(3, &["RPUSHX", "l", "y"]),
            Cmd(3, &["LPOP", "l"]),
            Cmd(3, &["RPOP", "l", "2"]),
            Cmd(3, &["LPOP", "l", "0"]),
            Cmd(3, &["LSET", "l", "0", "A"]),
            Cmd(3, &["LINSERT", "l", "BEFORE", "A", "pre"]),
            Cmd(3, &["LINSERT", "l", "BEFORE", "nosuch", "pre"]),
            Cmd(3, &["LREM", "l", "0", "nosuch"]),
            Cmd(3, &["LREM", "l", "1", "pre"]),
            Cmd(3, &["LTRIM", "l", "0", "-1"]),
            Cmd(3, &["LMOVE", "l", "m", "LEFT", "RIGHT"]),
            Cmd(3, &["RPOPLPUSH", "l", "m"]),
            Cmd(3, &["LMOVE", "m", "m", "LEFT", "RIGHT"]),
            Cmd(3, &["LMPOP", "2", "nokey", "m", "LEFT", "COUNT", "5"]),
            Cmd(3, &["RPUSH", "t", "1", "2"]),
            Cmd(3, &["LTRIM", "t", "5", "6"]),
            Cmd(3, &["RPUSH", "t", "1", "2"]),
            Cmd(3, &["LREM", "t", "0", "1"]),
            Cmd(3, &["LREM", "t", "0", "2"]),
            Cmd(1, &["BLPOP", "b", "0"]),
            Cmd(2, &["BLMOVE", "c", "b", "LEFT", "LEFT", "0"]),
            Cmd(3, &["RPUSH", "c", "v"]),
            Cmd(3, &["RPUSH", "c", "w"]),
            Cmd(3, &["BLMPOP", "0", "1", "c", "RIGHT"]),
            Cmd(3, &["RPUSH", "d", "1"]),
            Cmd(3, &["BRPOPLPUSH", "d", "d", "0"]),
        ],
        &server,
    );
}

#[test]
fn stream_and_sorted_set_blocking_match_real_redis() {
    let Some(server) = RedisServer::start() else { return };
    compare(
        "xread served from the signalled stream only",
        &[
            Cmd(0, &["XREAD", "BLOCK", "0", "STREAMS", "s1", "s2", "$", "$"]),
            Cmd(1, &["XREAD", "BLOCK", "0", "STREAMS", "s2", "s1", "$", "$"]),
            Cmd(3, &["MULTI"]),
            Cmd(3, &["XADD", "s2", "1-1", "f", "v"]),
            Cmd(3, &["XADD", "s1", "1-1", "f", "v"]),
            Cmd(3, &["EXEC"]),
            Cmd(0, &["XREAD", "BLOCK", "0", "COUNT", "1", "STREAMS", "s1", "s2", "1-1", "1-1"]),
            Cmd(3, &["XADD", "s2", "2-1", "a", "1"]),
        ],
        &server,
    );
    compare(
        "xreadgroup first blocked first served",
        &[
            Cmd(3, &["XGROUP", "CREATE", "gs", "g", "$", "MKSTREAM"]),
            Cmd(0, &["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "gs", ">"]),
            Cmd(1, &["XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "COUNT", "5", "STREAMS", "gs", ">"]),
            Cmd(3, &["XADD", "gs", "5-1", "f", "1"]),
            Cmd(3, &["XADD", "gs", "5-2", "f", "2"]),
            Cmd(3, &["XPENDING", "gs", "g"]),
        ],
        &server,
    );
    compare(
        "bzpop fifo across keys",
        &[
            Cmd(0, &["BZPOPMIN", "z1", "z2", "0"]),
            Cmd(1, &["BZPOPMAX", "z2", "0"]),
            Cmd(2, &["BZMPOP", "0", "2", "z2", "z1", "MIN", "COUNT", "2"]),
            Cmd(3, &["ZADD", "z2", "1", "a", "2", "b", "3", "c", "4", "d"]),
            Cmd(3, &["ZRANGE", "z2", "0", "-1", "WITHSCORES"]),
        ],
        &server,
    );
}
