//! `make bench`: the simulator engine in-process — GET, SET, INCR, LPUSH+RPOP, ZADD, XADD and a
//! MULTI block at 1 k and 1 M keys (ops/s, and how flat the cost stays) — and bytes per key for
//! 1 M small string keys (`key:N` → 16 bytes) beside redis-server's `used_memory` for the same
//! keys, measured in the same run.

use redkit::sim::{Clock, Simulator};
use redkit_bench::{live_bytes, measure, CountingAlloc, RedisServer};
use std::time::Duration;

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const MILLION: u64 = 1_000_000;

/// The 16-byte value DEBUG POPULATE writes for key N ("value:N" padded with NULs).
fn value_for(n: u64) -> Vec<u8> {
    let mut v = format!("value:{n}").into_bytes();
    v.resize(16, 0);
    v
}

fn populated(n: u64) -> Simulator {
    let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
    let mut c = sim.connect();
    for i in 0..n {
        c.execute(&[b"SET".as_slice(), format!("key:{i}").as_bytes(), &value_for(i)]);
    }
    sim
}

fn engine_rates(n: u64) -> Vec<(&'static str, f64)> {
    let sim = populated(n);
    let mut c = sim.connect();
    let t = Duration::from_millis(700);
    let max = 5_000_000;
    let key = |i: u64| format!("key:{}", (i.wrapping_mul(2_654_435_761)) % n);
    vec![
        ("GET", measure(t, max, |i| drop(c.execute(&["GET", &key(i)])))),
        ("SET", measure(t, max, |i| drop(c.execute(&["SET", &key(i), "0123456789abcdef"])))),
        ("INCR", measure(t, max, |i| drop(c.execute(&["INCR", &format!("ctr:{}", i % 1000)])))),
        (
            "LPUSH+RPOP",
            measure(t, max, |i| {
                let k = format!("list:{}", i % 100);
                c.execute(&["LPUSH", &k, "job"]);
                c.execute(&["RPOP", &k]);
            }),
        ),
        // The sorted set's own size stays the same at both keyspace sizes: only the keyspace grows.
        (
            "ZADD",
            measure(t, max, |i| {
                drop(c.execute(&["ZADD", "board", &(i % 10_000).to_string(), &format!("m{}", i % 1000)]))
            }),
        ),
        ("XADD", measure(t, max, |_| drop(c.execute(&["XADD", "events", "MAXLEN", "~", "10000", "*", "f", "v"])))),
        (
            "MULTI(3)+EXEC",
            measure(t, max, |i| {
                c.execute(&["MULTI"]);
                c.execute(&["INCR", "tx"]);
                c.execute(&["SET", &key(i), "v"]);
                c.execute(&["GET", &key(i + 1)]);
                c.execute(&["EXEC"]);
            }),
        ),
    ]
}

fn sim_bytes_per_key(n: u64) -> f64 {
    let before = live_bytes();
    let sim = populated(n);
    let after = live_bytes();
    let per_key = (after - before) as f64 / n as f64;
    drop(sim);
    per_key
}

fn redis_bytes_per_key(n: u64) -> Option<f64> {
    let server = RedisServer::start()?;
    let mut c = server.client()?;
    let before = c.used_memory()?;
    c.call(&["DEBUG", "POPULATE", &n.to_string(), "key", "16"])?;
    let after = c.used_memory()?;
    Some((after - before) as f64 / n as f64)
}

fn main() {
    println!("redkit engine benchmark (in-process simulator, one connection)\n");
    let small = engine_rates(1_000);
    let large = engine_rates(MILLION);
    println!("{:<16} {:>14} {:>14} {:>10}", "operation", "1k keys op/s", "1M keys op/s", "1M/1k");
    for ((name, a), (_, b)) in small.iter().zip(&large) {
        println!("{:<16} {:>14.0} {:>14.0} {:>9.2}x", name, a, b, b / a);
    }
    println!();
    let ours = sim_bytes_per_key(MILLION);
    match redis_bytes_per_key(MILLION) {
        Some(theirs) => println!(
            "memory, 1M keys `key:N` -> 16 bytes: redkit {:.1} B/key, redis-server 7.0 {:.1} B/key (ratio {:.2})",
            ours,
            theirs,
            ours / theirs
        ),
        None => println!("memory, 1M keys: redkit {ours:.1} B/key (redis-server not available for comparison)"),
    }
}
