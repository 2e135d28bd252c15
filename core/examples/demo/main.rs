//! `make demo`: the simulator doing a small job with no Redis server anywhere — a few commands,
//! a key expiring under the virtual clock (no sleeping), a stream consumer group that hands
//! out, acknowledges and reclaims work — and then every pattern on it ([`patterns`]).

mod patterns;

use redkit::resp::Value;
use redkit::sim::{Clock, Simulator};

fn show(cmd: &[&str], reply: &Value) {
    println!("  > {:<58} {}", cmd.join(" "), reply.to_text());
}

fn run(conn: &mut redkit::sim::Connection, cmd: &[&str]) -> Value {
    let reply = conn.execute(cmd);
    show(cmd, &reply);
    if reply.is_error() {
        eprintln!("demo failed: unexpected error reply");
        std::process::exit(1);
    }
    reply
}

/// Stops the demo loudly when the simulator does not answer what Redis would.
fn expect<T: PartialEq + std::fmt::Debug>(got: T, want: T) {
    if got != want {
        eprintln!("demo failed: expected {want:?}, got {got:?}");
        std::process::exit(1);
    }
}

fn main() {
    // A virtual clock: time moves only when we say so.
    let start_ms = 1_700_000_000_000;
    let sim = Simulator::with_clock(Clock::manual(start_ms));
    let mut c = sim.connect();

    println!("redkit simulator demo (Redis {} behaviour, no server)\n", redkit::sim::REDIS_VERSION);
    println!("1. Strings and counters");
    run(&mut c, &["SET", "greeting", "hello"]);
    run(&mut c, &["APPEND", "greeting", ", world"]);
    run(&mut c, &["GET", "greeting"]);
    run(&mut c, &["INCRBY", "visits", "41"]);
    run(&mut c, &["INCR", "visits"]);

    println!("\n2. A session key expiring under the virtual clock");
    run(&mut c, &["SET", "session:abc", "user=42", "EX", "30"]);
    run(&mut c, &["TTL", "session:abc"]);
    sim.advance_ms(29_000);
    println!("  ... advanced the clock by 29 s");
    run(&mut c, &["TTL", "session:abc"]);
    sim.advance_ms(1_001);
    println!("  ... advanced the clock past the 30 s mark");
    expect(run(&mut c, &["GET", "session:abc"]), Value::Nil);
    expect(run(&mut c, &["EXISTS", "session:abc"]), Value::Int(0));

    println!("\n3. A stream consumer group: add, read, ack, reclaim a dead consumer's entry");
    run(&mut c, &["XGROUP", "CREATE", "orders", "billing", "$", "MKSTREAM"]);
    let first_id = run(&mut c, &["XADD", "orders", "*", "id", "1001", "total", "9.90"]).to_text();
    let second_id = run(&mut c, &["XADD", "orders", "*", "id", "1002", "total", "25.00"]).to_text();
    let mut worker_a = sim.connect();
    let mut worker_b = sim.connect();
    let got = worker_a.execute(&["XREADGROUP", "GROUP", "billing", "alice", "COUNT", "1", "STREAMS", "orders", ">"]);
    show(&["(alice) XREADGROUP", "GROUP", "billing", "alice", "COUNT", "1", "STREAMS", "orders", ">"], &got);
    let got = worker_b.execute(&["XREADGROUP", "GROUP", "billing", "bob", "COUNT", "1", "STREAMS", "orders", ">"]);
    show(&["(bob)   XREADGROUP", "GROUP", "billing", "bob", "COUNT", "1", "STREAMS", "orders", ">"], &got);
    expect(run(&mut worker_a, &["XACK", "orders", "billing", &first_id]), Value::Int(1));
    println!("  ... bob dies holding {second_id}; a minute passes");
    drop(worker_b);
    sim.advance_ms(60_000);
    run(&mut c, &["XPENDING", "orders", "billing"]);
    run(&mut worker_a, &["XAUTOCLAIM", "orders", "billing", "alice", "30000", "0-0"]);
    expect(run(&mut worker_a, &["XACK", "orders", "billing", &second_id]), Value::Int(1));
    expect(run(&mut c, &["XPENDING", "orders", "billing"]).as_array().map(|a| a.len()), Some(4));

    println!("\n4. The server's view");
    run(&mut c, &["DBSIZE"]);
    run(&mut c, &["TIME"]);
    if let Err(e) = patterns::tour(&sim) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    println!("\nAll of this ran in-process on a virtual clock: no Redis, no sleeps.");
}
