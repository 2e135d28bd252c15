//! Fuzzing without a fuzzing toolchain: a seeded generator throws random bytes at the RESP parser
//! and random argv at every command (and subcommand) of the table, over a keyspace holding every
//! type. Nothing may panic; a blocking command is submitted without waiting. `FUZZ_SEED` replays,
//! `FUZZ_ROUNDS` scales the run.

use redkit::resp::{Parser, ParserLimits};
use redkit::sim::{Clock, Simulator, Submitted};
use std::panic::{catch_unwind, AssertUnwindSafe};

#[path = "support/rng.rs"]
mod rng;
use rng::Rng;

fn seed() -> u64 {
    std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x00C0_FFEE_1234_5678)
}

fn rounds() -> usize {
    std::env::var("FUZZ_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(300)
}

const FRAGMENTS: &[&[u8]] = &[
    b"*",
    b"$",
    b"+",
    b"-",
    b":",
    b"%",
    b"~",
    b">",
    b"|",
    b",",
    b"#",
    b"(",
    b"_",
    b"=",
    b"!",
    b"\r\n",
    b"-1",
    b"0",
    b"3",
    b"2",
    b"10",
    b"99999999999999999999",
    b"-5",
    b"t",
    b"f",
    b"inf",
    b"nan",
    b"abc",
    b"\"",
    b"'",
    b"\\x4",
    b" ",
    b"\n",
    b"txt:",
    b"1.5e",
];

#[test]
fn parser_never_panics() {
    let mut rng = Rng(seed());
    let limits = ParserLimits { max_bulk: 1 << 20, max_elements: 1 << 16, max_depth: 32 };
    for _ in 0..rounds() * 500 {
        let mut input = Vec::new();
        for _ in 0..rng.below(24) {
            if rng.below(4) == 0 {
                input.push(rng.next() as u8);
            } else {
                input.extend_from_slice(FRAGMENTS[rng.below(FRAGMENTS.len())]);
            }
        }
        let mut p = Parser::with_limits(limits);
        let mut q = Parser::with_limits(limits);
        for chunk in input.chunks(1 + rng.below(5)) {
            p.feed(chunk);
            q.feed(chunk);
            for _ in 0..64 {
                match p.next_value() {
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            for _ in 0..64 {
                match q.next_command() {
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "k",
    "str",
    "list",
    "hash",
    "set",
    "zset",
    "stream",
    "nokey",
    "0",
    "1",
    "-1",
    "2",
    "5",
    "-100",
    "100000",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-2.5e3",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "(1",
    "[a",
    "(b",
    "-",
    "+",
    "*",
    "$",
    ">",
    "0-0",
    "1-1",
    "1-*",
    "",
    " ",
    "\u{0}\u{ff}",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "GET",
    "BYSCORE",
    "BYLEX",
    "REV",
    "LIMIT",
    "COUNT",
    "WITHSCORES",
    "MATCH",
    "TYPE",
    "STREAMS",
    "GROUP",
    "BLOCK",
    "NOACK",
    "MAXLEN",
    "MINID",
    "~",
    "=",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "STORE",
    "FROMMEMBER",
    "FROMLONLAT",
    "BYRADIUS",
    "BYBOX",
    "km",
    "m",
    "ASC",
    "DESC",
    "WITHCOORD",
    "WITHDIST",
    "WITHHASH",
    "ANY",
    "IDLE",
    "TIME",
    "RETRYCOUNT",
    "FORCE",
    "JUSTID",
    "MKSTREAM",
    "ENTRIESREAD",
    "g",
    "c",
    "u8",
    "i64",
    "#1",
    "OVERFLOW",
    "SAT",
    "WRAP",
    "FAIL",
    "INCRBY",
    "SET",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "BIT",
    "BYTE",
    "LEN",
    "IDX",
    "*",
    "h?llo",
    "[^a]*",
    "\\",
    "DB",
    "REPLACE",
    "ASYNC",
    "SYNC",
    "ID",
    "SETNAME",
    "2",
    "3",
    "#",
    "#-1",
    "#3",
    "0x1p3",
    "100",
    "13.36",
    "38.11",
    "180",
    "85.06",
    "1e400",
    "4294967296",
    "63",
    "64",
    "7",
    "0.01",
    "[",
    "a*",
    "DECODE",
    "ENCODING",
    "GETREG",
    "TODENSE",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "PERSIST",
    "STOREDIST",
    "i0",
    "i8",
    "u63",
    "u64",
    "hll",
    "geo",
    "HYLL",
    "HYLL\u{1}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}",
];

const SKIP: &[&str] = &["debug", "shutdown", "monitor", "sync", "psync", "replicaof", "slaveof", "failover"];

fn random_argv(rng: &mut Rng, name: &[&str]) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = name.iter().map(|n| n.as_bytes().to_vec()).collect();
    for _ in 0..rng.below(8) {
        if rng.below(10) == 0 {
            let len = rng.below(6);
            argv.push((0..len).map(|_| rng.next() as u8).collect());
        } else {
            argv.push(TOKENS[rng.below(TOKENS.len())].as_bytes().to_vec());
        }
    }
    argv
}

fn populate(c: &mut redkit::sim::Connection) {
    for cmd in [
        &["SET", "str", "hello"][..],
        &["RPUSH", "list", "a", "b", "c"],
        &["HSET", "hash", "f", "v", "n", "1"],
        &["SADD", "set", "a", "1", "2"],
        &["ZADD", "zset", "1", "a", "2", "b"],
        &["XADD", "stream", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "stream", "g", "0"],
        &["PFADD", "hll", "a", "b", "c"],
        &["GEOADD", "geo", "13.36", "38.11", "a", "15.08", "37.5", "b"],
    ] {
        c.submit(cmd);
    }
}

#[test]
fn every_command_survives_random_arguments() {
    let mut rng = Rng(seed() | 1);
    let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
    let names: Vec<Vec<&str>> = redkit::sim::commands::all()
        .filter(|c| !SKIP.contains(&c.name))
        .flat_map(|c| {
            if c.subcommands.is_empty() {
                vec![vec![c.name]]
            } else {
                c.subcommands.iter().map(|s| vec![c.name, s.name]).collect()
            }
        })
        .collect();
    let mut panics = Vec::new();
    let mut runs = 0usize;
    for name in &names {
        let mut conn = sim.connect();
        populate(&mut conn);
        for _ in 0..rounds() {
            let argv = random_argv(&mut rng, name);
            runs += 1;
            let r = catch_unwind(AssertUnwindSafe(|| conn.submit_argv(&argv)));
            match r {
                Err(_) => {
                    let shown: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
                    panics.push(shown.join(" "));
                    conn = sim.connect();
                }
                Ok(Submitted::Blocked) => {
                    conn = sim.connect();
                }
                Ok(_) => {}
            }
            if rng.below(20) == 0 {
                sim.advance_ms(rng.below(5000) as u64);
            }
        }
        conn.submit(&["RESET"]);
        conn.submit(&["FLUSHALL"]);
    }
    println!("fuzz: {} commands/subcommands, {runs} random calls, {} panics", names.len(), panics.len());
    assert!(panics.is_empty(), "handlers panicked on:\n{}", panics.join("\n"));
}
