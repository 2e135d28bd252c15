//! Differential test (1): every command of the corpus in `tests/differential/corpus/*.redis`
//! runs on a real redis-server and on the simulator, in RESP2 and again in RESP3, and the replies
//! must be identical bytes (or equal under the line's comparison rule). Format: see
//! `tests/differential/README.md`. `DIFF_FILE=name` runs only files whose name contains `name`.

#[path = "support/compare.rs"]
mod compare;
mod support;

use compare::{matches, on_the_wire, show, Mode};
use redkit::resp::{split_inline, Protocol, Value};
use redkit::sim::Submitted;
use support::{RedisServer, RespClient};

struct Line {
    file: String,
    lineno: usize,
    mode: Mode,
    scan_all: bool,
    argv: Vec<Vec<u8>>,
}

fn corpus_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/differential/corpus")
}

fn parse_line(file: &str, lineno: usize, text: &str) -> Option<Line> {
    let t = text.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let mut mode = Mode::Exact;
    let mut scan_all = false;
    let mut rest = t;
    while let Some(stripped) = rest.strip_prefix('@') {
        let (word, after) = stripped.split_once(' ').unwrap_or((stripped, ""));
        match word {
            "unordered" => mode = Mode::Unordered,
            "pairs" => mode = Mode::Pairs,
            "shape" => mode = Mode::Shape,
            "ignore" => mode = Mode::Ignore,
            "scanall" => scan_all = true,
            w if w.starts_with("near=") => mode = Mode::Near(w[5..].parse().unwrap_or(0)),
            other => panic!("{file}:{lineno}: unknown directive @{other}"),
        }
        rest = after.trim_start();
    }
    let argv = split_inline(rest.as_bytes()).unwrap_or_else(|| panic!("{file}:{lineno}: bad quoting"));
    Some(Line { file: file.to_string(), lineno, mode, scan_all, argv })
}

fn sim_call(conn: &mut redkit::sim::Connection, argv: &[Vec<u8>], p: Protocol) -> (Value, Vec<u8>) {
    let v = match conn.submit_argv(argv) {
        Submitted::Reply(v) => v,
        _ => conn.wait(Some(std::time::Duration::from_secs(10))).unwrap_or(Value::error("SIM: blocked forever")),
    };
    conn.drain_pushes();
    on_the_wire(v, p)
}

/// Iterates a SCAN-family command to completion on one side; returns the sorted elements.
fn scan_all<F: FnMut(&[Vec<u8>]) -> Value>(argv: &[Vec<u8>], mut call: F, p: Protocol) -> Result<Vec<Vec<u8>>, String> {
    // The cursor is argv[1] for SCAN, argv[2] for HSCAN/SSCAN/ZSCAN.
    let ci = if argv[0].eq_ignore_ascii_case(b"scan") { 1 } else { 2 };
    let mut a = argv.to_vec();
    a[ci] = b"0".to_vec();
    let mut items = Vec::new();
    for _ in 0..100_000 {
        let r = call(&a);
        let Value::Array(parts) = &r else { return Err(format!("{:?}", r)) };
        let [Value::Bulk(cursor), Value::Array(elems)] = &parts[..] else { return Err(format!("{:?}", r)) };
        let pairs = ci == 2 && !argv[0].eq_ignore_ascii_case(b"sscan");
        if pairs {
            items.extend(elems.chunks(2).map(|c| [compare::encode(&c[0], p), compare::encode(&c[1], p)].concat()));
        } else {
            items.extend(elems.iter().map(|e| compare::encode(e, p)));
        }
        if cursor == b"0" {
            items.sort();
            items.dedup();
            return Ok(items);
        }
        a[ci] = cursor.clone();
    }
    Err("scan did not finish".into())
}

fn run_file(server: &RedisServer, lines: &[Line], p: Protocol, failures: &mut Vec<String>) -> usize {
    let (mut redis, _sim, mut conn) = support::fresh_pair(server, p);
    let mut count = 0;
    for l in lines {
        count += 1;
        if l.scan_all {
            let s = scan_all(&l.argv, |a| sim_call(&mut conn, a, p).0, p);
            let r = scan_all(&l.argv, |a| redis.call(a).unwrap_or(Value::error("io")), p);
            if s != r {
                failures.push(format!("{}:{} [{:?}] @scanall differs: sim {:?} redis {:?}", l.file, l.lineno, p, s, r));
            }
            continue;
        }
        let (sv, sb) = sim_call(&mut conn, &l.argv, p);
        let (rv, rb) = redis_call(&mut redis, &l.argv);
        if !matches(l.mode, (&sv, &sb), (&rv, &rb), p) {
            let cmd: Vec<String> = l.argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            failures.push(format!(
                "{}:{} [{:?}] {}\n    sim:   {}\n    redis: {}",
                l.file,
                l.lineno,
                p,
                cmd.join(" "),
                show(&sb),
                show(&rb)
            ));
        }
    }
    count
}

fn redis_call(redis: &mut RespClient, argv: &[Vec<u8>]) -> (Value, Vec<u8>) {
    redis.call_raw(argv).expect("redis reply")
}

#[test]
fn corpus_matches_real_redis() {
    let Some(server) = RedisServer::start() else { return };
    let filter = std::env::var("DIFF_FILE").unwrap_or_default();
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "redis").unwrap_or(false))
        .filter(|p| p.file_name().map(|n| n.to_string_lossy().contains(&filter)).unwrap_or(false))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut total = 0;
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(f).expect("read corpus");
        let lines: Vec<Line> = text.lines().enumerate().filter_map(|(i, t)| parse_line(&name, i + 1, t)).collect();
        for p in [Protocol::Resp2, Protocol::Resp3] {
            total += run_file(&server, &lines, p, &mut failures);
        }
    }
    println!(
        "differential corpus: {} files, {} command runs (RESP2 + RESP3), {} divergences",
        files.len(),
        total,
        failures.len()
    );
    if !failures.is_empty() {
        for f in failures.iter().take(60) {
            println!("{f}");
        }
        panic!("{} divergences from redis-server", failures.len());
    }
}
