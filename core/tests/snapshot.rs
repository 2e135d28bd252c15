//! Snapshot and restore: round trips (strings, binary bytes, TTLs, several databases, keyspace
//! order), expiry across save/load on a manual clock, files, validation of truncated, corrupted
//! and crafted input (an error, never a panic, never a partial load), and speed at scale.

use redkit::sim::bytes::SmallBytes;
use redkit::sim::db::{Entry, RValue};
use redkit::sim::snapshot::{fnv1a64, put_bytes, put_varint, MAGIC, VERSION};
use redkit::sim::{Clock, Simulator};
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
    b.advance_ms(1_000);
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

#[test]
fn aggregates_are_reported_as_not_supported_yet() {
    let a = Simulator::with_clock(Clock::manual(T0));
    a.lock().dbs[0].set_entry(b"l", Entry::new(RValue::List(Box::default())));
    let e = a.snapshot().expect_err("error");
    assert_eq!(e.kind, ErrorKind::Serialization);
    assert_eq!(e.message, "snapshot of list not supported yet");
    let b = Simulator::with_clock(Clock::manual(T0));
    let hash_record = crafted(0, &[(2, 0, b"h", b"")], 1);
    let e = b.restore(&hash_record).expect_err("error");
    assert_eq!(e.message, "snapshot of hash not supported yet");
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
