//! Seeded random list commands (every list command, valid and invalid arguments, a small key
//! and value space so lists grow, shrink, empty and collide) run on redis-server and on the
//! simulator; every reply must be the same bytes, and so must the final contents. The seed is
//! printed; `LISTS_SEED=n` replays one run, `LISTS_OPS=n` changes its length.

mod support;
use support::rng::Rng;

use redkit::resp::{write_value, Protocol, Value};
use redkit::sim::{Simulator, Submitted};
use support::RedisServer;

const KEYS: &[&str] = &["a", "b", "c"];
const VALUES: &[&str] = &["x", "y", "z", "", "1", "x"];
const INTS: &[&str] = &["0", "1", "2", "3", "-1", "-2", "-4", "5", "100", "-100", "x", "9223372036854775807"];
const SIDES: &[&str] = &["LEFT", "RIGHT", "left", "up"];
const TIMEOUTS: &[&str] = &["0.01", "-1", "x", "0x"];

fn command(r: &mut Rng) -> Vec<String> {
    let mut v: Vec<&str> = Vec::new();
    let k = r.pick(KEYS);
    match r.below(22) {
        0 | 1 => {
            v.extend([r.pick(&["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]), k]);
            for _ in 0..=r.below(3) {
                v.push(r.pick(VALUES));
            }
        }
        2 | 3 => {
            v.extend([r.pick(&["LPOP", "RPOP"]), k]);
            if r.below(2) == 0 {
                v.push(r.pick(INTS));
            }
        }
        4 => v.extend(["LLEN", k]),
        5 | 6 => v.extend(["LRANGE", k, r.pick(INTS), r.pick(INTS)]),
        7 => v.extend(["LINDEX", k, r.pick(INTS)]),
        8 => v.extend(["LSET", k, r.pick(INTS), r.pick(VALUES)]),
        9 => v.extend(["LINSERT", k, r.pick(&["BEFORE", "AFTER", "after", "x"]), r.pick(VALUES), r.pick(VALUES)]),
        10 => v.extend(["LREM", k, r.pick(INTS), r.pick(VALUES)]),
        11 => v.extend(["LTRIM", k, r.pick(INTS), r.pick(INTS)]),
        12 => {
            v.extend(["LPOS", k, r.pick(VALUES)]);
            for _ in 0..r.below(3) {
                v.extend([r.pick(&["RANK", "COUNT", "MAXLEN", "rank"]), r.pick(INTS)]);
            }
        }
        13 => v.extend(["LMOVE", k, r.pick(KEYS), r.pick(SIDES), r.pick(SIDES)]),
        14 => v.extend(["RPOPLPUSH", k, r.pick(KEYS)]),
        15 | 16 => {
            let n = r.below(3) + 1;
            v.extend(["LMPOP", ["1", "2", "3"][n - 1]]);
            for _ in 0..n {
                v.push(r.pick(KEYS));
            }
            v.push(r.pick(SIDES));
            if r.below(2) == 0 {
                v.extend(["COUNT", r.pick(INTS)]);
            }
        }
        17 => {
            v.push(r.pick(&["BLPOP", "BRPOP"]));
            for _ in 0..=r.below(2) {
                v.push(r.pick(KEYS));
            }
            v.push(r.pick(TIMEOUTS));
        }
        18 => v.extend(["BLMOVE", k, r.pick(KEYS), r.pick(SIDES), r.pick(SIDES), r.pick(TIMEOUTS)]),
        19 => v.extend(["BRPOPLPUSH", k, r.pick(KEYS), r.pick(TIMEOUTS)]),
        20 => v.extend(["BLMPOP", r.pick(TIMEOUTS), "2", k, r.pick(KEYS), r.pick(SIDES), "COUNT", r.pick(INTS)]),
        _ => v.extend(["LRANGE", k, "0", "-1"]),
    }
    v.into_iter().map(String::from).collect()
}

fn encode(v: &Value) -> Vec<u8> {
    let mut b = Vec::new();
    write_value(&mut b, v, Protocol::Resp2);
    b
}

#[test]
fn random_list_commands_match_real_redis() {
    let Some(server) = RedisServer::start() else { return };
    let seed: u64 = std::env::var("LISTS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1)
    }) | 1;
    let ops: usize = std::env::var("LISTS_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(2000);
    println!("random list commands: seed {seed} (LISTS_SEED={seed} replays), {ops} commands");
    let mut redis = server.client();
    let sim = Simulator::new();
    let mut conn = sim.connect();
    let mut r = Rng(seed);
    for n in 0..ops {
        let argv = command(&mut r);
        let (_, rb) = redis.call_raw(&argv).expect("redis reply");
        let sv = match conn.submit(&argv) {
            Submitted::Reply(v) => v,
            _ => conn.wait(Some(std::time::Duration::from_secs(5))).unwrap_or(Value::error("SIM: no reply")),
        };
        let sb = encode(&sv);
        assert_eq!(
            String::from_utf8_lossy(&sb),
            String::from_utf8_lossy(&rb),
            "seed {seed}, command #{n}: {}",
            argv.join(" ")
        );
    }
    for k in KEYS {
        let (_, rb) = redis.call_raw(&["LRANGE", k, "0", "-1"]).expect("redis reply");
        assert_eq!(encode(&conn.execute(&["LRANGE", k, "0", "-1"])), rb, "seed {seed}: final contents of {k}");
    }
}
