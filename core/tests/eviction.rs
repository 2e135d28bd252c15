//! maxmemory accounting and eviction policies, the LRU/LFU access stamps, and the MEMORY
//! command, on a manual clock. Keys are written through the keyspace API (`Db::set_entry` +
//! `eviction::after_write`, what `Ctx::set_value` + `Ctx::written` do) so the tests do not depend
//! on other command families; the end-to-end tests at the bottom use SET.

use redkit::resp::Value;
use redkit::sim::bytes::SmallBytes;
use redkit::sim::config::EvictionPolicy;
use redkit::sim::db::{entry_cost, Entry, RValue};
use redkit::sim::eviction::{self, evict_if_needed, idle_seconds, lfu_counter, LFU_INIT_VAL};
use redkit::sim::{Clock, Simulator};

const T0: u64 = 1_700_000_000_000;

fn sim() -> Simulator {
    Simulator::with_clock(Clock::manual(T0))
}

fn now(sim: &Simulator) -> u64 {
    sim.clock().now_ms()
}

/// Stores a string like SET (+ optional absolute expiry), through the accounting hooks.
fn put(sim: &Simulator, db: usize, key: &str, val: &[u8], expire_at: u64) {
    let t = now(sim);
    let mut st = sim.lock();
    let e = Entry { expire_at, ..Entry::new(RValue::Str(SmallBytes::new(val))) };
    st.dbs[db].set_entry(key.as_bytes(), e);
    eviction::after_write(&mut st, db, key.as_bytes(), t);
}

/// Reads a key like GET (updates its access stamp).
fn touch(sim: &Simulator, db: usize, key: &str) {
    let t = now(sim);
    assert!(sim.lock().lookup(db, key.as_bytes(), t).is_some(), "{key} missing");
}

fn exists(sim: &Simulator, db: usize, key: &str) -> bool {
    sim.lock().dbs[db].keys.find(key.as_bytes()).is_some()
}

fn used(sim: &Simulator) -> usize {
    sim.lock().used_memory()
}

/// Sets the policy, the sample count and a limit that holds about `keep` of the current keys
/// (all keys the same size).
fn configure(sim: &Simulator, policy: EvictionPolicy, samples: usize, limit: usize) {
    let mut st = sim.lock();
    st.config.maxmemory_policy = policy;
    st.config.maxmemory_samples = samples;
    st.config.maxmemory = limit as u64;
}

fn evict(sim: &Simulator) -> bool {
    let t = now(sim);
    evict_if_needed(&mut sim.lock(), t)
}

fn key_cost(sim: &Simulator, db: usize, key: &str) -> usize {
    let st = sim.lock();
    let e = st.dbs[db].keys.get(key.as_bytes()).expect("key");
    entry_cost(key.as_bytes(), e)
}

/// Ten same-size keys k0..k9 created at T0; then the clock moves 100 s.
fn ten_keys(sim: &Simulator) -> usize {
    for i in 0..10 {
        put(sim, 0, &format!("k{i}"), b"0123456789", 0);
    }
    sim.advance_ms(100_000);
    key_cost(sim, 0, "k0")
}

#[test]
fn used_memory_follows_inserts_overwrites_expiry_and_removal() {
    let sim = sim();
    assert_eq!(used(&sim), 0);
    put(&sim, 0, "a", b"small", 0);
    let a = key_cost(&sim, 0, "a");
    assert_eq!(used(&sim), a);
    put(&sim, 2, "b", &[7u8; 1000], 0);
    let b = key_cost(&sim, 2, "b");
    assert!(b >= 1000 + a - 5, "long value counted: {b}");
    assert_eq!(used(&sim), a + b);
    // Overwrite with a shorter value.
    put(&sim, 2, "b", b"x", 0);
    assert_eq!(used(&sim), a + key_cost(&sim, 2, "b"));
    // A TTL costs its index slot; removing it gives it back.
    let before = used(&sim);
    assert!(sim.lock().dbs[0].set_expire(b"a", T0 + 1000));
    assert!(used(&sim) > before);
    assert!(sim.lock().dbs[0].set_expire(b"a", 0));
    assert_eq!(used(&sim), before);
    // Lazy expiry reclaims.
    sim.lock().dbs[0].set_expire(b"a", T0 + 1000);
    sim.advance_ms(1000);
    assert!(!exists(&sim, 0, "a"));
    assert_eq!(used(&sim), key_cost(&sim, 2, "b"));
    sim.lock().dbs[2].clear();
    assert_eq!(used(&sim), 0);
}

#[test]
fn in_place_growth_is_remeasured_by_after_write() {
    let sim = sim();
    put(&sim, 0, "s", b"ab", 0);
    let small = used(&sim);
    {
        let mut st = sim.lock();
        if let Some(e) = st.dbs[0].keys.get_mut(&b"s"[..]) {
            if let RValue::Str(s) = &mut e.value {
                s.make_mut().extend_from_slice(&[1u8; 4000]);
            }
        }
        eviction::after_write(&mut st, 0, b"s", T0);
    }
    assert!(used(&sim) >= small + 4000);
    assert_eq!(used(&sim), key_cost(&sim, 0, "s"));
}

#[test]
fn no_limit_or_under_limit_never_evicts() {
    let sim = sim();
    let c = ten_keys(&sim);
    configure(&sim, EvictionPolicy::AllKeysLru, 5, 0);
    assert!(evict(&sim));
    configure(&sim, EvictionPolicy::AllKeysLru, 5, 10 * c);
    assert!(evict(&sim));
    assert_eq!(sim.lock().dbs[0].len(), 10);
}

#[test]
fn noeviction_refuses_and_keeps_everything() {
    let sim = sim();
    let c = ten_keys(&sim);
    configure(&sim, EvictionPolicy::NoEviction, 5, 5 * c);
    assert!(!evict(&sim));
    assert_eq!(sim.lock().dbs[0].len(), 10);
    assert_eq!(sim.lock().stats.evicted_keys, 0);
}

#[test]
fn allkeys_lru_evicts_the_least_recently_used() {
    let sim = sim();
    let c = ten_keys(&sim);
    for i in 5..10 {
        touch(&sim, 0, &format!("k{i}"));
    }
    configure(&sim, EvictionPolicy::AllKeysLru, 64, 5 * c);
    assert!(evict(&sim));
    for i in 0..10 {
        assert_eq!(exists(&sim, 0, &format!("k{i}")), i >= 5, "k{i}");
    }
    assert_eq!(sim.lock().stats.evicted_keys, 5);
    assert!(used(&sim) <= 5 * c);
}

#[test]
fn lru_sampling_with_default_samples_is_a_good_approximation() {
    let sim = sim();
    for i in 0..1000 {
        put(&sim, 0, &format!("old{i:04}"), b"v", 0);
    }
    sim.advance_ms(60_000);
    for i in 0..1000 {
        put(&sim, 0, &format!("new{i:04}"), b"v", 0);
    }
    let c = key_cost(&sim, 0, "old0000");
    configure(&sim, EvictionPolicy::AllKeysLru, 5, 1000 * c);
    assert!(evict(&sim));
    let st = sim.lock();
    let new_left = st.dbs[0].keys.iter().filter(|(k, _)| k.starts_with(b"new")).count();
    assert_eq!(st.dbs[0].len(), 1000);
    assert!(new_left >= 900, "pool-based LRU kept only {new_left} of the newer half");
}

#[test]
fn allkeys_lru_works_across_databases() {
    let sim = sim();
    put(&sim, 3, "old", b"0123456789", 0);
    sim.advance_ms(50_000);
    put(&sim, 0, "new", b"0123456789", 0);
    let c = key_cost(&sim, 0, "new");
    configure(&sim, EvictionPolicy::AllKeysLru, 5, c);
    assert!(evict(&sim));
    assert!(!exists(&sim, 3, "old"));
    assert!(exists(&sim, 0, "new"));
}

#[test]
fn volatile_lru_only_evicts_keys_with_a_ttl_and_fails_without_them() {
    let sim = sim();
    let c = ten_keys(&sim);
    for i in [1, 3] {
        sim.lock().dbs[0].set_expire(format!("k{i}").as_bytes(), T0 + 1_000_000);
    }
    let cv = key_cost(&sim, 0, "k1");
    configure(&sim, EvictionPolicy::VolatileLru, 5, 8 * c + cv);
    assert!(evict(&sim));
    assert!(!exists(&sim, 0, "k1") || !exists(&sim, 0, "k3"));
    assert_eq!(sim.lock().dbs[0].len(), 9);
    // Now ask for less than the persistent keys need: both volatile keys go, then OOM.
    configure(&sim, EvictionPolicy::VolatileLru, 5, 5 * c);
    assert!(!evict(&sim));
    assert!(!exists(&sim, 0, "k1") && !exists(&sim, 0, "k3"));
    assert_eq!(sim.lock().dbs[0].len(), 8);
    assert_eq!(sim.lock().stats.evicted_keys, 2);
}

#[test]
fn volatile_ttl_evicts_the_nearest_expiry_first() {
    let sim = sim();
    for (i, ttl) in [(0, 500_000u64), (1, 100_000), (2, 900_000), (3, 300_000)] {
        put(&sim, 0, &format!("t{i}"), b"0123456789", T0 + ttl);
    }
    put(&sim, 0, "forever", b"0123456789", 0);
    let c = key_cost(&sim, 0, "t0");
    configure(&sim, EvictionPolicy::VolatileTtl, 64, 2 * c + key_cost(&sim, 0, "forever"));
    assert!(evict(&sim));
    assert!(!exists(&sim, 0, "t1") && !exists(&sim, 0, "t3"));
    assert!(exists(&sim, 0, "t0") && exists(&sim, 0, "t2") && exists(&sim, 0, "forever"));
}

#[test]
fn allkeys_lfu_keeps_frequently_used_keys() {
    let sim = sim();
    sim.lock().config.maxmemory_policy = EvictionPolicy::AllKeysLfu;
    for i in 0..10 {
        put(&sim, 0, &format!("k{i}"), b"0123456789", 0);
    }
    for _ in 0..200 {
        for i in 0..5 {
            touch(&sim, 0, &format!("k{i}"));
        }
    }
    let c = key_cost(&sim, 0, "k0");
    configure(&sim, EvictionPolicy::AllKeysLfu, 64, 5 * c);
    assert!(evict(&sim));
    for i in 0..10 {
        assert_eq!(exists(&sim, 0, &format!("k{i}")), i < 5, "k{i}");
    }
}

#[test]
fn volatile_lfu_only_considers_volatile_keys() {
    let sim = sim();
    sim.lock().config.maxmemory_policy = EvictionPolicy::VolatileLfu;
    put(&sim, 0, "hot", b"0123456789", T0 + 1_000_000);
    put(&sim, 0, "cold", b"0123456789", T0 + 1_000_000);
    put(&sim, 0, "persistent", b"0123456789", 0);
    for _ in 0..100 {
        touch(&sim, 0, "hot");
    }
    let total = used(&sim);
    configure(&sim, EvictionPolicy::VolatileLfu, 64, total - 1);
    assert!(evict(&sim));
    assert!(exists(&sim, 0, "hot") && exists(&sim, 0, "persistent") && !exists(&sim, 0, "cold"));
}

#[test]
fn random_policies_evict_until_under_the_limit() {
    let sim = sim();
    let c = ten_keys(&sim);
    configure(&sim, EvictionPolicy::AllKeysRandom, 5, 4 * c);
    assert!(evict(&sim));
    assert_eq!(sim.lock().dbs[0].len(), 4);

    let sim = self::sim();
    let c = ten_keys(&sim);
    for i in 0..3 {
        sim.lock().dbs[0].set_expire(format!("k{i}").as_bytes(), T0 + 1_000_000);
    }
    let cv = key_cost(&sim, 0, "k0");
    configure(&sim, EvictionPolicy::VolatileRandom, 5, 7 * c + cv);
    assert!(evict(&sim));
    assert_eq!(sim.lock().dbs[0].volatile_len(), 1);
    assert_eq!(sim.lock().dbs[0].len(), 8);
    configure(&sim, EvictionPolicy::VolatileRandom, 5, c);
    assert!(!evict(&sim), "persistent keys are not candidates");
    assert_eq!(sim.lock().dbs[0].len(), 7);
}

#[test]
fn eviction_invalidates_watch() {
    let sim = sim();
    let conn = sim.connect();
    let c = ten_keys(&sim);
    {
        let mut st = sim.lock();
        st.watched_keys.insert((0, SmallBytes::new(b"k0")), vec![conn.id()]);
    }
    configure(&sim, EvictionPolicy::AllKeysLru, 64, 9 * c);
    assert!(evict(&sim));
    assert!(!exists(&sim, 0, "k0"));
    assert!(sim.lock().clients.get(&conn.id()).map(|c| c.dirty_cas).unwrap_or(false));
}

#[test]
fn lru_stamp_and_idle_seconds() {
    let sim = sim();
    put(&sim, 0, "k", b"v", 0);
    let idle = |sim: &Simulator| {
        let st = sim.lock();
        idle_seconds(st.dbs[0].keys.get(&b"k"[..]).expect("k"), sim.clock().now_ms())
    };
    assert_eq!(idle(&sim), 0, "a new key starts with the current clock");
    sim.advance_ms(42_000);
    assert_eq!(idle(&sim), 42);
    touch(&sim, 0, "k");
    assert_eq!(idle(&sim), 0);
}

#[test]
fn lfu_counter_starts_at_init_val_grows_and_decays() {
    let sim = sim();
    {
        let mut st = sim.lock();
        st.config.maxmemory_policy = EvictionPolicy::AllKeysLfu;
        st.config.lfu_decay_time = 1;
    }
    put(&sim, 0, "k", b"v", 0);
    let freq = |sim: &Simulator| {
        let st = sim.lock();
        lfu_counter(st.dbs[0].keys.get(&b"k"[..]).expect("k"), sim.clock().now_ms(), &st.config)
    };
    assert_eq!(freq(&sim), LFU_INIT_VAL);
    for _ in 0..1000 {
        touch(&sim, 0, "k");
    }
    let hot = freq(&sim);
    assert!(hot > 10 && hot < 40, "logarithmic growth with factor 10: {hot}");
    sim.advance_ms(5 * 60_000);
    assert_eq!(freq(&sim), hot - 5, "one per minute with lfu-decay-time 1");
    sim.lock().config.lfu_log_factor = 0;
    let base = freq(&sim);
    touch(&sim, 0, "k");
    assert_eq!(freq(&sim), base + 1, "factor 0 increments every access");
}

#[test]
fn memory_usage_reports_the_accounted_cost() {
    let sim = sim();
    let mut c = sim.connect();
    put(&sim, 0, "k", &[b'x'; 100], 0);
    let want = key_cost(&sim, 0, "k") as i64;
    assert_eq!(c.execute(&["MEMORY", "USAGE", "k"]), Value::Int(want));
    assert_eq!(c.execute(&["memory", "usage", "k", "SAMPLES", "0"]), Value::Int(want));
    assert_eq!(c.execute(&["MEMORY", "USAGE", "k", "samples", "5", "samples", "2"]), Value::Int(want));
    assert_eq!(c.execute(&["MEMORY", "USAGE", "nokey"]), Value::Nil);
    let syntax = Value::error("ERR syntax error");
    assert_eq!(c.execute(&["MEMORY", "USAGE", "k", "SAMPLES"]), syntax);
    assert_eq!(c.execute(&["MEMORY", "USAGE", "k", "SAMPLES", "-1"]), syntax);
    assert_eq!(c.execute(&["MEMORY", "USAGE", "k", "foo"]), syntax);
    assert_eq!(
        c.execute(&["MEMORY", "USAGE", "k", "SAMPLES", "x"]),
        Value::error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.execute(&["MEMORY", "USAGE"]),
        Value::error("ERR wrong number of arguments for 'memory|usage' command")
    );
    assert_eq!(c.execute(&["MEMORY", "FOO"]), Value::error("ERR unknown subcommand 'FOO'. Try MEMORY HELP."));
}

#[test]
fn memory_help_doctor_stats_purge() {
    let sim = sim();
    let mut c = sim.connect();
    let help = c.execute(&["MEMORY", "HELP"]);
    let lines = help.as_array().map(|a| a.len()).unwrap_or(0);
    assert_eq!(lines, 14);
    match c.execute(&["MEMORY", "DOCTOR"]) {
        Value::Verbatim { text, .. } => assert!(text.starts_with(b"Hi Sam, this instance is empty")),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.execute(&["MEMORY", "PURGE"]), Value::ok());
    put(&sim, 0, "a", b"1", 0);
    let stats = c.execute(&["MEMORY", "STATS"]);
    let Value::Map(m) = stats else { panic!("map expected") };
    let get = |name: &str| m.iter().find(|(k, _)| k.as_bytes() == Some(name.as_bytes())).map(|(_, v)| v.clone());
    assert_eq!(get("keys.count"), Some(Value::Int(1)));
    assert_eq!(get("total.allocated"), Some(Value::Int(used(&sim) as i64)));
    assert!(matches!(get("db.0"), Some(Value::Map(_))));
    assert!(get("db.1").is_none());
}

// End to end through dispatch: needs the strings family (SET/GET) merged.

#[test]
#[ignore = "needs the strings family (SET): un-ignore after merging"]
fn set_is_refused_with_oom_under_noeviction() {
    let sim = sim();
    let mut c = sim.connect();
    assert_eq!(c.execute(&["SET", "a", "1"]), Value::ok());
    sim.lock().config.maxmemory = 1;
    assert_eq!(c.execute(&["SET", "b", "2"]), Value::error("OOM command not allowed when used memory > 'maxmemory'."));
    assert_eq!(c.execute(&["GET", "a"]), Value::bulk("1"), "reads still work");
}

#[test]
#[ignore = "needs the strings family (SET): un-ignore after merging"]
fn set_evicts_under_allkeys_lru() {
    let sim = sim();
    let mut c = sim.connect();
    for i in 0..100 {
        c.execute(&["SET", &format!("k{i}"), "0123456789"]);
    }
    let limit = used(&sim) / 2;
    configure(&sim, EvictionPolicy::AllKeysLru, 5, limit);
    assert_eq!(c.execute(&["SET", "x", "y"]), Value::ok());
    assert!(used(&sim) <= limit + key_cost(&sim, 0, "x"));
    assert!(sim.lock().stats.evicted_keys >= 40);
}
