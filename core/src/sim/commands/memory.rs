//! MEMORY: USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP.
//!
//! The figures are this simulator's own estimate (see [`crate::sim::eviction`]): MEMORY USAGE of a
//! key is its keyspace slot + key + value bytes as the simulator stores them, which is not Redis's
//! allocator-level number (the differential corpus does not compare them byte for byte). Argument
//! parsing, error texts, reply shapes and the fixed texts (HELP, DOCTOR) are Redis 7.0's.

use crate::container;
use crate::resp::Value;
use crate::sim::command::{arg_i64, is_kw, CmdResult, Command, Ctx};
use crate::sim::db::{KEY_SLOT_BYTES, VOLATILE_SLOT_BYTES};
use crate::sim::errors;
use crate::sim::eviction;

/// The MEMORY container.
pub static COMMANDS: &[Command] =
    &[container!("memory", "", SUBCOMMANDS, "server", "A container for memory diagnostics commands.")];

static SUBCOMMANDS: &[Command] = &[
    crate::cmd!("doctor", 2, "", 0, 0, 0, doctor, "server", "Outputs a memory problems report."),
    crate::cmd!(
        "help",
        2,
        "loading stale",
        0,
        0,
        0,
        help,
        "server",
        "Returns helpful text about the different subcommands."
    ),
    crate::cmd!("malloc-stats", 2, "", 0, 0, 0, malloc_stats, "server", "Returns the allocator statistics."),
    crate::cmd!("purge", 2, "", 0, 0, 0, purge, "server", "Asks the allocator to release memory."),
    crate::cmd!("stats", 2, "", 0, 0, 0, stats, "server", "Returns details about memory usage."),
    crate::cmd!("usage", -3, "readonly", 2, 2, 1, usage, "server", "Estimates the memory usage of a key."),
];

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_FINE: &str =
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
/// Below this much used memory Redis's doctor declines to diagnose.
const DOCTOR_MIN_BYTES: usize = 5 * 1024 * 1024;

fn help(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Array(HELP.iter().map(|l| Value::simple(l)).collect()))
}

/// MEMORY USAGE key [SAMPLES count]: options are validated like Redis (SAMPLES must be a
/// non-negative integer; anything else is a syntax error); the estimate is exact, so the sample
/// count does not change the result. Like Redis, the key is found without lazy expiry.
fn usage(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let mut j = 3;
    while j < argv.len() {
        if is_kw(&argv[j], "samples") && j + 1 < argv.len() {
            if arg_i64(&argv[j + 1])? < 0 {
                return Err(errors::syntax());
            }
            j += 2;
        } else {
            return Err(errors::syntax());
        }
    }
    let key = argv[2].as_slice();
    Ok(match ctx.db().keys.get(key) {
        Some(e) => Value::Int(eviction::key_usage(key, e) as i64),
        None => Value::Nil,
    })
}

/// MEMORY STATS: Redis's fields, filled from the simulator's accounting (no allocator, so the
/// allocator and fragmentation figures are neutral: ratios 1, byte differences 0).
fn stats(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let st = &*ctx.st;
    let total = eviction::used_memory(st);
    let peak = st.eviction.peak.max(total);
    let clients = st.clients.len() + 1;
    let int = |n: usize| Value::Int(n.min(i64::MAX as usize) as i64);
    let kv = |k: &str, v: Value| (Value::bulk(k), v);
    let mut m = vec![
        kv("peak.allocated", int(peak)),
        kv("total.allocated", int(total)),
        kv("startup.allocated", int(0)),
        kv("replication.backlog", int(0)),
        kv("clients.slaves", int(0)),
        kv("clients.normal", int(clients * std::mem::size_of::<crate::sim::client::Client>())),
        kv("cluster.links", int(0)),
        kv("aof.buffer", int(0)),
        kv("lua.caches", int(0)),
        kv("functions.caches", int(0)),
    ];
    let mut overhead = 0;
    let mut keys = 0;
    for (i, db) in st.dbs.iter().enumerate().filter(|(_, d)| !d.is_empty()) {
        let main = db.len() * KEY_SLOT_BYTES;
        let expires = db.volatile_len() * VOLATILE_SLOT_BYTES;
        overhead += main + expires;
        keys += db.len();
        let inner = vec![
            kv("overhead.hashtable.main", int(main)),
            kv("overhead.hashtable.expires", int(expires)),
            kv("overhead.hashtable.slot-to-keys", int(0)),
        ];
        m.push(kv(&format!("db.{i}"), Value::Map(inner)));
    }
    let dataset = total.saturating_sub(overhead);
    let pct =
        |a: usize, b: usize| Value::Double(if b == 0 { 0.0 } else { (a as f64 * 100.0 / b as f64) as f32 as f64 });
    m.extend([
        kv("overhead.total", int(overhead)),
        kv("keys.count", int(keys)),
        kv("keys.bytes-per-key", int(total.checked_div(keys).unwrap_or(0))),
        kv("dataset.bytes", int(dataset)),
        kv("dataset.percentage", pct(dataset, total)),
        kv("peak.percentage", pct(total, peak)),
        kv("allocator.allocated", int(total)),
        kv("allocator.active", int(total)),
        kv("allocator.resident", int(total)),
        kv("allocator-fragmentation.ratio", Value::Double(1.0)),
        kv("allocator-fragmentation.bytes", int(0)),
        kv("allocator-rss.ratio", Value::Double(1.0)),
        kv("allocator-rss.bytes", int(0)),
        kv("rss-overhead.ratio", Value::Double(1.0)),
        kv("rss-overhead.bytes", int(0)),
        kv("fragmentation", Value::Double(1.0)),
        kv("fragmentation.bytes", int(0)),
    ]);
    Ok(Value::Map(m))
}

/// MEMORY DOCTOR: Redis's texts; the simulator has no allocator pathologies to report.
fn doctor(ctx: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    let text = if eviction::used_memory(ctx.st) < DOCTOR_MIN_BYTES { DOCTOR_EMPTY } else { DOCTOR_FINE };
    Ok(Value::Verbatim { format: *b"txt", text: text.as_bytes().to_vec() })
}

/// MEMORY MALLOC-STATS: there is no allocator to report on.
fn malloc_stats(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    Ok(Value::Verbatim { format: *b"txt", text: b"Stats not supported for the current allocator".to_vec() })
}

/// MEMORY PURGE: nothing to purge.
fn purge(_: &mut Ctx, _: &[Vec<u8>]) -> CmdResult {
    Ok(Value::ok())
}
