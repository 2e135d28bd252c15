//! Fault injection: refused connections, failing the next N commands, added latency, heal.
//! `MEMORY USAGE nokey` (a read that answers nil) serves as the probe command.

use redkit::resp::Value;
use redkit::sim::faults::REFUSED;
use redkit::sim::{Clock, Connection, Simulator};
use std::time::{Duration, Instant};

fn probe(c: &mut Connection) -> Value {
    c.execute(&["MEMORY", "USAGE", "nokey"])
}

#[test]
fn refused_connections_fail_every_command_and_others_keep_working() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut before = sim.connect();
    let connections = sim.lock().stats.connections;
    sim.refuse_connections(true);
    let mut dead = sim.connect();
    assert_eq!(probe(&mut dead), Value::error(REFUSED));
    assert_eq!(dead.execute(&["MEMORY", "HELP"]), Value::error(REFUSED));
    assert_eq!(probe(&mut before), Value::Nil, "existing connections are unaffected");
    {
        let st = sim.lock();
        assert!(!st.clients.contains_key(&dead.id()), "a refused connection is not a client");
        assert_eq!(st.stats.connections, connections, "nor counted as accepted");
    }
    sim.refuse_connections(false);
    let mut fresh = sim.connect();
    assert_eq!(probe(&mut fresh), Value::Nil);
    assert_eq!(probe(&mut dead), Value::error(REFUSED), "a refused connection stays dead");
    let id = dead.id();
    drop(dead);
    assert!(!sim.lock().faults.refused.contains(&id), "forgotten when dropped");
}

#[test]
fn fail_next_fails_exactly_n_commands_from_any_connection() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut a = sim.connect();
    let mut b = sim.connect();
    let errors = sim.lock().stats.errors;
    sim.fail_next(3, "ERR injected failure");
    let boom = Value::error("ERR injected failure");
    assert_eq!(probe(&mut a), boom);
    assert_eq!(probe(&mut b), boom);
    assert_eq!(a.execute(&["MEMORY", "PURGE"]), boom);
    assert_eq!(probe(&mut a), Value::Nil);
    assert_eq!(probe(&mut b), Value::Nil);
    assert_eq!(sim.lock().stats.errors, errors + 3);
    // Any error text, e.g. a LOADING error a client must retry on.
    sim.fail_next(1, "LOADING Redis is loading the dataset in memory");
    assert_eq!(probe(&mut a), Value::error("LOADING Redis is loading the dataset in memory"));
    assert_eq!(probe(&mut a), Value::Nil);
    // Zero disables.
    sim.fail_next(0, "ERR x");
    assert_eq!(probe(&mut a), Value::Nil);
}

#[test]
fn latency_delays_every_command_without_moving_the_virtual_clock() {
    let sim = Simulator::with_clock(Clock::manual(5_000));
    let mut c = sim.connect();
    sim.set_latency(Duration::from_millis(40));
    let start = Instant::now();
    assert_eq!(probe(&mut c), Value::Nil);
    assert_eq!(probe(&mut c), Value::Nil);
    assert!(start.elapsed() >= Duration::from_millis(80), "{:?}", start.elapsed());
    assert_eq!(sim.clock().now_ms(), 5_000);
    sim.set_latency(Duration::from_micros(1));
    assert_eq!(sim.lock().faults.latency_ms, 1, "sub-millisecond latency rounds up");
    sim.set_latency(Duration::ZERO);
    assert_eq!(sim.lock().faults.latency_ms, 0);
}

#[test]
fn heal_clears_every_fault() {
    let sim = Simulator::with_clock(Clock::manual(0));
    let mut c = sim.connect();
    sim.refuse_connections(true);
    sim.fail_next(100, "ERR down");
    sim.set_latency(Duration::from_secs(5));
    sim.heal();
    let start = Instant::now();
    assert_eq!(probe(&mut c), Value::Nil);
    let mut fresh = sim.connect();
    assert_eq!(probe(&mut fresh), Value::Nil);
    assert!(start.elapsed() < Duration::from_secs(2));
    let st = sim.lock();
    assert!(!st.faults.refuse_connections && st.faults.fail_next == 0 && st.faults.latency_ms == 0);
}
