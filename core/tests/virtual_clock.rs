//! The virtual clock end to end, on the simulator alone: one manual clock drives TTLs, key expiry
//! (also without any access), blocking-command timeouts, TIME and stream ids.

use redkit::resp::Value;
use redkit::sim::{Clock, Simulator, Submitted};

const T0: u64 = 1_700_000_000_000;

fn sim() -> Simulator {
    Simulator::with_clock(Clock::manual(T0))
}

#[test]
fn ttl_counts_down_only_when_the_clock_moves() {
    let sim = sim();
    let mut c = sim.connect();
    assert_eq!(c.execute(&["SET", "k", "v", "EX", "10"]), Value::ok());
    assert_eq!(c.execute(&["PTTL", "k"]), Value::Int(10_000));
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(c.execute(&["PTTL", "k"]), Value::Int(10_000), "wall time must not matter");
    sim.advance_ms(2_500);
    assert_eq!(c.execute(&["PTTL", "k"]), Value::Int(7_500));
    assert_eq!(c.execute(&["TTL", "k"]), Value::Int(8), "TTL rounds like Redis");
    sim.advance_ms(7_500);
    // Like Redis, a key is alive in the millisecond it expires at, with a TTL of 0.
    assert_eq!(c.execute(&["PTTL", "k"]), Value::Int(0));
    assert_eq!(c.execute(&["GET", "k"]), Value::bulk("v"));
    sim.advance_ms(1);
    assert_eq!(c.execute(&["GET", "k"]), Value::Nil);
    assert_eq!(c.execute(&["TTL", "k"]), Value::Int(-2));
}

#[test]
fn advancing_reclaims_expired_keys_without_access() {
    let sim = sim();
    let mut c = sim.connect();
    for i in 0..100 {
        c.execute(&["SET", &format!("k{i}"), "v", "PX", &(1_000 + i * 10).to_string()]);
    }
    c.execute(&["SET", "forever", "v"]);
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(101));
    sim.advance_ms(1_495);
    // deadlines T0+1000 ..= T0+1490 have passed, T0+1500 and later have not
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(51));
    sim.advance_ms(10_000);
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(1));
    let info = c.execute(&["INFO", "stats"]).to_text();
    assert!(info.contains("expired_keys:100"), "{info}");
}

#[test]
fn expireat_and_pexpiretime_use_the_virtual_epoch() {
    let sim = sim();
    let mut c = sim.connect();
    c.execute(&["SET", "k", "v"]);
    let at = (T0 / 1000 + 60).to_string();
    assert_eq!(c.execute(&["EXPIREAT", "k", &at]), Value::Int(1));
    assert_eq!(c.execute(&["PEXPIRETIME", "k"]), Value::Int(((T0 / 1000 + 60) * 1000) as i64));
    sim.set_time_ms((T0 / 1000 + 60) * 1000 + 1);
    assert_eq!(c.execute(&["EXISTS", "k"]), Value::Int(0));
}

#[test]
fn blocking_timeouts_fire_by_the_clock() {
    let sim = sim();
    let mut c = sim.connect();
    assert_eq!(c.submit(&["BLPOP", "q", "5"]), Submitted::Blocked);
    sim.advance_ms(4_999);
    assert_eq!(c.poll(), None);
    sim.advance_ms(1);
    assert_eq!(c.poll(), Some(Value::NilArray));
    // the connection is usable again
    assert_eq!(c.execute(&["PING"]), Value::simple("PONG"));
}

#[test]
fn time_follows_the_virtual_clock() {
    let sim = sim();
    let mut c = sim.connect();
    let t = c.execute(&["TIME"]);
    assert_eq!(t, Value::Array(vec![Value::bulk((T0 / 1000).to_string()), Value::bulk("0")]));
    sim.advance(std::time::Duration::from_micros(1_500_250));
    let t = c.execute(&["TIME"]);
    assert_eq!(t, Value::Array(vec![Value::bulk((T0 / 1000 + 1).to_string()), Value::bulk("500250")]));
}

#[test]
fn stream_ids_come_from_the_clock_and_stay_monotonic() {
    let sim = sim();
    let mut c = sim.connect();
    assert_eq!(c.execute(&["XADD", "s", "*", "f", "1"]), Value::bulk(format!("{T0}-0")));
    assert_eq!(c.execute(&["XADD", "s", "*", "f", "2"]), Value::bulk(format!("{T0}-1")));
    sim.advance_ms(5);
    assert_eq!(c.execute(&["XADD", "s", "*", "f", "3"]), Value::bulk(format!("{}-0", T0 + 5)));
    // a clock that goes backwards never produces a smaller id
    sim.set_time_ms(T0 - 1_000);
    assert_eq!(c.execute(&["XADD", "s", "*", "f", "4"]), Value::bulk(format!("{}-1", T0 + 5)));
}

#[test]
fn on_the_system_clock_keys_are_reclaimed_without_any_command() {
    let sim = Simulator::new();
    let mut c = sim.connect();
    for i in 0..50 {
        c.execute(&["SET", &format!("k{i}"), "v", "PX", "50"]);
    }
    // No command runs while we wait: only the simulator's own cron can reclaim the keys.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !sim.lock().dbs[0].is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(sim.lock().dbs[0].len(), 0);
    assert_eq!(sim.lock().stats.expired_keys, 50);
}

#[test]
fn with_active_expiry_off_only_access_reclaims() {
    let sim = sim();
    let mut c = sim.connect();
    assert_eq!(c.execute(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), Value::ok());
    c.execute(&["SET", "a", "1", "PX", "100"]);
    c.execute(&["SET", "b", "1", "PX", "100"]);
    sim.advance_ms(1_000);
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(2), "expired but not reclaimed, like Redis");
    assert_eq!(c.execute(&["GET", "a"]), Value::Nil);
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(1));
    assert_eq!(c.execute(&["DEBUG", "SET-ACTIVE-EXPIRE", "1"]), Value::ok());
    sim.advance_ms(1);
    assert_eq!(c.execute(&["DBSIZE"]), Value::Int(0));
}
