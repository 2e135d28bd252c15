//! Differential test (2): a seeded random command generator runs long random sequences over a
//! small key space on a real redis-server and on the simulator, compares every reply and then the
//! final keyspace. The seed is printed; `DIFF_SEED=<n>` replays a run, `DIFF_RANDOM_COMMANDS=<n>`
//! changes its length (default 20,000 in RESP2 plus 10,000 in RESP3).
//!
//! Only deterministic commands are generated (random pops would make the two keyspaces drift);
//! replies Redis leaves unordered compare as sets, random read-only replies by their shape.

#[path = "support/compare.rs"]
mod compare;
mod support;
use support::rng::Rng;

use compare::{encode, matches, on_the_wire, show, Mode};
use redkit::resp::{Protocol, Value};
use redkit::sim::Submitted;
use support::RedisServer;

const KEYS: &[&str] = &["k0", "k1", "k2", "k3", "k4", "k5", "{t}a", "{t}b"];
const FIELDS: &[&str] = &["f0", "f1", "f2", "f3", "", "f\u{e9}"];
const VALUES: &[&str] =
    &["v", "0", "1", "-7", "42", "3.5", "", "hello world", "9223372036854775807", "1e3", "abc\u{1}"];
const INDEXES: &[&str] = &["0", "1", "-1", "2", "-2", "5", "-100", "100"];
const SCORES: &[&str] = &["0", "1", "1.5", "-2", "10", "inf", "-inf", "3"];
const BOUNDS: &[&str] = &["-inf", "+inf", "0", "(1", "1.5", "(3", "10", "-2"];
const LEX: &[&str] = &["-", "+", "[a", "(b", "[m1", "(m3", "[", "[z"];

struct Gen {
    rng: Rng,
    next_stream_ms: u64,
}

impl Gen {
    fn key(&mut self) -> String {
        self.rng.pick(KEYS).to_string()
    }
    fn member(&mut self) -> String {
        format!("m{}", self.rng.below(6))
    }
    fn val(&mut self) -> String {
        self.rng.pick(VALUES).to_string()
    }
    fn int(&mut self, lo: i64, hi: i64) -> String {
        (lo + self.rng.below((hi - lo + 1) as usize) as i64).to_string()
    }

    /// One command and how to compare its reply.
    fn command(&mut self) -> (Vec<String>, Mode) {
        let k = self.key();
        let r = &mut self.rng;
        let choice = r.below(100);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let m = Mode::Exact;
        match choice {
            // strings
            0..=3 => {
                let v = self.val();
                let opt = self.rng.pick(&["", "NX", "XX", "GET", "KEEPTTL", "EX 1000", "PX 900000"]);
                let mut a = s(&["SET", &k, &v]);
                a.extend(opt.split_whitespace().map(String::from));
                (a, m)
            }
            4..=5 => (s(&["GET", &k]), m),
            6 => (s(&[self.rng.pick(&["INCR", "DECR"]), &k]), m),
            7 => {
                let n = self.int(-20, 20);
                (s(&[self.rng.pick(&["INCRBY", "DECRBY"]), &k, &n]), m)
            }
            8 => {
                let v = self.val();
                (s(&["APPEND", &k, &v]), m)
            }
            9 => {
                let (a, b) = (self.rng.pick(INDEXES), self.rng.pick(INDEXES));
                (s(&["GETRANGE", &k, a, b]), m)
            }
            10 => {
                let (a, b) = (self.key(), self.val());
                (s(&["MSET", &k, &b, &a, "x"]), m)
            }
            11 => {
                let a = self.key();
                (s(&["MGET", &k, &a]), m)
            }
            12 => (s(&["STRLEN", &k]), m),
            13 => {
                let off = self.int(0, 30);
                let bit = self.int(0, 1);
                (s(&["SETBIT", &k, &off, &bit]), m)
            }
            14 => (s(&["BITCOUNT", &k]), m),
            15 => {
                let off = self.int(0, 12);
                let v = self.val();
                (s(&["SETRANGE", &k, &off, &v]), m)
            }
            // keys
            16 => {
                let a = self.key();
                (s(&["DEL", &k, &a]), m)
            }
            17 => (s(&["EXISTS", &k]), m),
            18 => (s(&["TYPE", &k]), m),
            19 => {
                let t = self.int(100, 5000);
                let opt = self.rng.pick(&["", "NX", "XX", "GT", "LT"]);
                let mut a = s(&["EXPIRE", &k, &t]);
                a.extend(opt.split_whitespace().map(String::from));
                (a, m)
            }
            20 => (s(&["TTL", &k]), Mode::Near(1)),
            21 => (s(&["PERSIST", &k]), m),
            22 => {
                let a = self.key();
                (s(&[self.rng.pick(&["RENAME", "RENAMENX"]), &k, &a]), m)
            }
            23 => {
                let a = self.key();
                (s(&["COPY", &k, &a, "REPLACE"]), m)
            }
            24 => (s(&["OBJECT", "ENCODING", &k]), m),
            // hashes
            25..=28 => {
                let (f, v, f2, v2) = (self.rng.pick(FIELDS), self.val(), self.rng.pick(FIELDS), self.val());
                (s(&["HSET", &k, f, &v, f2, &v2]), m)
            }
            29 => {
                let f = self.rng.pick(FIELDS);
                (s(&["HGET", &k, f]), m)
            }
            30 => {
                let f = self.rng.pick(FIELDS);
                (s(&["HDEL", &k, f]), m)
            }
            31 => (s(&["HGETALL", &k]), Mode::Pairs),
            32 => (s(&["HLEN", &k]), m),
            33 => {
                let (f, n) = (self.rng.pick(FIELDS), self.int(-5, 5));
                (s(&["HINCRBY", &k, f, &n]), m)
            }
            34 => (s(&[self.rng.pick(&["HKEYS", "HVALS"]), &k]), Mode::Unordered),
            35 => {
                let (f, f2) = (self.rng.pick(FIELDS), self.rng.pick(FIELDS));
                (s(&["HMGET", &k, f, f2]), m)
            }
            // lists
            36..=39 => {
                let (v, v2) = (self.val(), self.member());
                (s(&[self.rng.pick(&["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), &k, &v, &v2]), m)
            }
            40..=41 => {
                let cnt = self.rng.pick(&["", "1", "2", "0"]);
                let mut a = s(&[self.rng.pick(&["LPOP", "RPOP"]), &k]);
                a.extend(cnt.split_whitespace().map(String::from));
                (a, m)
            }
            42..=43 => {
                let (a, b) = (self.rng.pick(INDEXES), self.rng.pick(INDEXES));
                (s(&["LRANGE", &k, a, b]), m)
            }
            44 => (s(&["LLEN", &k]), m),
            45 => {
                let i = self.rng.pick(INDEXES);
                (s(&["LINDEX", &k, i]), m)
            }
            46 => {
                let (i, v) = (self.rng.pick(INDEXES), self.val());
                (s(&["LSET", &k, i, &v]), m)
            }
            47 => {
                let (n, v) = (self.int(-2, 2), self.member());
                (s(&["LREM", &k, &n, &v]), m)
            }
            48 => {
                let (a, b) = (self.rng.pick(INDEXES), self.rng.pick(INDEXES));
                (s(&["LTRIM", &k, a, b]), m)
            }
            49 => {
                let d = self.key();
                let (w1, w2) = (self.rng.pick(&["LEFT", "RIGHT"]), self.rng.pick(&["LEFT", "RIGHT"]));
                (s(&["LMOVE", &k, &d, w1, w2]), m)
            }
            50 => {
                let v = self.member();
                (s(&["LPOS", &k, &v]), m)
            }
            51 => {
                let (p, v) = (self.member(), self.val());
                (s(&["LINSERT", &k, self.rng.pick(&["BEFORE", "AFTER"]), &p, &v]), m)
            }
            // sets
            52..=55 => {
                let (a, b) = (self.member(), self.rng.pick(&["1", "2", "10", "m1"]).to_string());
                (s(&["SADD", &k, &a, &b]), m)
            }
            56 => {
                let a = self.member();
                (s(&["SREM", &k, &a]), m)
            }
            57 => (s(&["SMEMBERS", &k]), Mode::Unordered),
            58 => {
                let a = self.member();
                (s(&["SISMEMBER", &k, &a]), m)
            }
            59 => (s(&["SCARD", &k]), m),
            60 => {
                let a = self.key();
                (s(&[self.rng.pick(&["SINTER", "SUNION", "SDIFF"]), &k, &a]), Mode::Unordered)
            }
            61 => {
                let (a, b) = (self.key(), self.key());
                (s(&[self.rng.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), &k, &a, &b]), m)
            }
            62 => {
                let (d, a) = (self.key(), self.member());
                (s(&["SMOVE", &k, &d, &a]), m)
            }
            63 => (s(&["SRANDMEMBER", &k, "-3"]), Mode::Shape),
            // sorted sets
            64..=67 => {
                let opt = self.rng.pick(&["", "NX", "XX", "GT", "LT", "CH", "INCR"]);
                let (sc, mem) = (self.rng.pick(SCORES), self.member());
                let mut a = s(&["ZADD", &k]);
                a.extend(opt.split_whitespace().map(String::from));
                a.extend([sc.to_string(), mem]);
                (a, m)
            }
            68..=69 => {
                let (a, b) = (self.rng.pick(INDEXES), self.rng.pick(INDEXES));
                let ws = if self.rng.chance(50) { "WITHSCORES" } else { "" };
                let mut v = s(&["ZRANGE", &k, a, b]);
                v.extend(ws.split_whitespace().map(String::from));
                (v, m)
            }
            70 => {
                let (a, b) = (self.rng.pick(BOUNDS), self.rng.pick(BOUNDS));
                (s(&["ZRANGEBYSCORE", &k, a, b, "WITHSCORES"]), m)
            }
            71 => {
                let mem = self.member();
                (s(&[self.rng.pick(&["ZSCORE", "ZRANK", "ZREVRANK"]), &k, &mem]), m)
            }
            72 => {
                let (inc, mem) = (self.rng.pick(SCORES), self.member());
                (s(&["ZINCRBY", &k, inc, &mem]), m)
            }
            73 => {
                let mem = self.member();
                (s(&["ZREM", &k, &mem]), m)
            }
            74 => (s(&["ZCARD", &k]), m),
            75 => {
                let (a, b) = (self.rng.pick(BOUNDS), self.rng.pick(BOUNDS));
                (s(&["ZCOUNT", &k, a, b]), m)
            }
            76 => {
                let (a, b) = (self.rng.pick(LEX), self.rng.pick(LEX));
                (s(&["ZRANGEBYLEX", &k, a, b]), m)
            }
            77 => {
                let cnt = self.int(1, 3);
                (s(&[self.rng.pick(&["ZPOPMIN", "ZPOPMAX"]), &k, &cnt]), m)
            }
            78 => {
                let a = self.key();
                let agg = self.rng.pick(&["SUM", "MIN", "MAX"]);
                (s(&[self.rng.pick(&["ZUNIONSTORE", "ZINTERSTORE"]), &k, "2", &k, &a, "AGGREGATE", agg]), m)
            }
            79 => {
                let (a, b) = (self.rng.pick(INDEXES), self.rng.pick(INDEXES));
                (s(&["ZREMRANGEBYRANK", &k, a, b]), m)
            }
            // streams (explicit, increasing ids so both sides agree)
            80..=82 => {
                self.next_stream_ms += 1 + self.rng.below(2) as u64;
                let id = if self.rng.chance(10) { "1-1".to_string() } else { format!("{}-0", self.next_stream_ms) };
                let v = self.val();
                (s(&["XADD", &k, &id, "f", &v]), m)
            }
            83 => (s(&["XLEN", &k]), m),
            84 => (s(&["XRANGE", &k, "-", "+", "COUNT", "3"]), m),
            85 => (s(&["XREVRANGE", &k, "+", "-", "COUNT", "2"]), m),
            86 => {
                let n = self.int(0, 4);
                (s(&["XTRIM", &k, "MAXLEN", &n]), m)
            }
            87 => (s(&["XGROUP", "CREATE", &k, "g", "0", "MKSTREAM"]), m),
            88 => (s(&["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", &k, ">"]), m),
            89 => (s(&["XPENDING", &k, "g"]), m),
            90 => {
                let id = format!("{}-0", self.next_stream_ms.saturating_sub(self.rng.below(4) as u64));
                (s(&["XACK", &k, "g", &id]), m)
            }
            // hyperloglog, geo, misc
            91 => {
                let (a, b) = (self.member(), self.val());
                (s(&["PFADD", &k, &a, &b]), m)
            }
            92 => (s(&["PFCOUNT", &k]), m),
            93 => {
                let mem = self.member();
                let (lon, lat) = (self.int(-179, 179), self.int(-80, 80));
                (s(&["GEOADD", &k, &lon, &lat, &mem]), m)
            }
            94 => {
                let (a, b) = (self.member(), self.member());
                (s(&["GEODIST", &k, &a, &b, "km"]), m)
            }
            95 => (s(&["DBSIZE"]), m),
            96 => (s(&["HSTRLEN", &k, "f0"]), m),
            97 => (s(&["ZMSCORE", &k, "m0", "m1"]), m),
            98 => (s(&["SMISMEMBER", &k, "m0", "1"]), m),
            _ => (s(&["GETDEL", &k]), m),
        }
    }
}

fn sim_reply(conn: &mut redkit::sim::Connection, argv: &[Vec<u8>]) -> Value {
    match conn.submit_argv(argv) {
        Submitted::Reply(v) => v,
        _ => conn.wait(Some(std::time::Duration::from_secs(10))).unwrap_or(Value::error("SIM: blocked")),
    }
}

/// Reads a key's whole content on one side, in a canonical form.
fn dump_key(call: &mut dyn FnMut(&[&str]) -> Value, key: &str, p: Protocol) -> Vec<u8> {
    let t = call(&["TYPE", key]);
    let ty = t.as_bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
    let content = match ty.as_str() {
        "string" => call(&["GET", key]),
        "list" => call(&["LRANGE", key, "0", "-1"]),
        "hash" => {
            let v = call(&["HGETALL", key]);
            let mut pairs: Vec<Vec<u8>> = match &v {
                Value::Map(m) => m.iter().map(|(a, b)| [encode(a, p), encode(b, p)].concat()).collect(),
                Value::Array(a) => a.chunks(2).map(|c| c.iter().flat_map(|x| encode(x, p)).collect()).collect(),
                _ => vec![encode(&v, p)],
            };
            pairs.sort();
            Value::Array(pairs.into_iter().map(Value::Bulk).collect())
        }
        "set" => {
            let v = call(&["SMEMBERS", key]);
            let mut items: Vec<Vec<u8>> = v.as_array().unwrap_or(&[]).iter().map(|x| encode(x, p)).collect();
            items.sort();
            Value::Array(items.into_iter().map(Value::Bulk).collect())
        }
        "zset" => call(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
        "stream" => Value::Array(vec![call(&["XRANGE", key, "-", "+"]), call(&["XINFO", "GROUPS", key])]),
        _ => Value::Nil,
    };
    [ty.into_bytes(), encode(&content, p)].concat()
}

fn run(server: &RedisServer, seed: u64, n: usize, p: Protocol) -> Vec<String> {
    let (mut redis, _sim, mut conn) = support::fresh_pair(server, p);
    let mut gen = Gen { rng: Rng(seed), next_stream_ms: 1 };
    let mut failures = Vec::new();
    let mut history: Vec<String> = Vec::with_capacity(n);
    for i in 0..n {
        let (args, mode) = gen.command();
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
        let (sv, sb) = on_the_wire(sim_reply(&mut conn, &argv), p);
        let (rv, rb) = redis.call_raw(&argv).expect("redis reply");
        history.push(args.join(" "));
        if !matches(mode, (&sv, &sb), (&rv, &rb), p) {
            // The earlier commands on the same key, to make a failure readable without a replay.
            let key = args.iter().find(|a| KEYS.contains(&a.as_str())).cloned().unwrap_or_default();
            let before: Vec<&String> =
                history.iter().rev().skip(1).filter(|c| c.split(' ').any(|w| w == key)).take(8).collect();
            failures.push(format!(
                "#{i} [{p:?}] {}\n    sim:   {}\n    redis: {}\n    earlier on {key} (newest first): {before:?}",
                args.join(" "),
                show(&sb),
                show(&rb)
            ));
            if failures.len() >= 30 {
                break;
            }
        }
    }
    // Final keyspace: same keys, same contents.
    for key in KEYS {
        let s = dump_key(&mut |a: &[&str]| conn.execute(a), key, p);
        let r = dump_key(&mut |a: &[&str]| redis.call(a).unwrap_or(Value::error("io")), key, p);
        if s != r {
            failures.push(format!(
                "final keyspace differs at {key}:\n    sim:   {}\n    redis: {}",
                show(&s),
                show(&r)
            ));
        }
    }
    failures
}

#[test]
fn random_commands_match_real_redis() {
    let Some(server) = RedisServer::start() else { return };
    let seed: u64 = std::env::var("DIFF_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    });
    let n: usize = std::env::var("DIFF_RANDOM_COMMANDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    println!("random differential: seed {seed} (replay with DIFF_SEED={seed}), {n} commands RESP2 + {} RESP3", n / 2);
    let mut failures = run(&server, seed, n, Protocol::Resp2);
    failures.extend(run(&server, seed ^ 0x5555, n / 2, Protocol::Resp3));
    println!("random differential: {} commands compared, {} divergences", n + n / 2, failures.len());
    for f in &failures {
        println!("{f}");
    }
    assert!(failures.is_empty(), "{} divergences (seed {seed})", failures.len());
}
