//! The script-equivalence harness: every case in `tests/scripts/*.json` (format:
//! tests/scripts/README.md) runs step by step on a real redis-server (FLUSHALLed) and on a fresh
//! simulator on the system clock. Every reply must be identical (integers within `near` where a
//! step allows it), and afterwards both keyspaces must be identical: the same keys, types and
//! values (strings, lists, hashes, sets, sorted sets with scores, streams with their entries
//! and consumer groups), TTLs within 50 ms. This is what keeps each script's Lua and its native
//! twin honest. With the `lua` feature a third side runs each script's Lua source by EVAL on
//! another simulator, held to the same replies and keyspace. A script in `redkit::scripts::all()` that no case runs fails the test.

mod support;

use redkit::backend::{value, Backend, Cmd, RedisBackend, SimBackend};
use redkit::resp::Value;
use redkit::scripts::{Env, Script};
use redkit::sim::Simulator;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How far apart the two sides' PTTLs may be.
const TTL_TOLERANCE_MS: i64 = 50;
/// How far apart the millisecond parts of stream ids may be (the two sides run a few ms apart).
const STREAM_ID_TOLERANCE_MS: i64 = 50;
/// Bound on any one step.
const STEP_LIMIT: Duration = Duration::from_secs(10);
/// Bound on a `sleep_ms` step.
const MAX_SLEEP_MS: u64 = 2_000;

// ---- two scripts of the harness's own, used by tests/scripts/selftest.json ----

fn stamp(env: &mut Env, keys: &[Vec<u8>], args: &[Vec<u8>]) -> redkit::Result<Value> {
    let now = env.time_ms() as i64;
    env.call(Cmd::new("HSET").arg(&keys[0]).arg("at").arg(now))?;
    let n = value::int(&env.call(Cmd::new("HINCRBY").arg(&keys[0]).arg("n").arg(1))?)?;
    env.call(Cmd::new("PEXPIRE").arg(&keys[0]).arg(&args[0]))?;
    Ok(Value::Array(vec![Value::Int(n), Value::Int(now)]))
}

/// Stamps a hash with the server time, counts, sets its TTL: `{count, now_ms}`.
static SELFTEST_STAMP: Script = Script::new(
    "selftest_stamp",
    "local t = redis.call('TIME')\n\
     local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n\
     redis.call('HSET', KEYS[1], 'at', tostring(now))\n\
     local n = redis.call('HINCRBY', KEYS[1], 'n', 1)\n\
     redis.call('PEXPIRE', KEYS[1], ARGV[1])\n\
     return {n, now}",
    stamp,
);

fn drain(env: &mut Env, keys: &[Vec<u8>], _args: &[Vec<u8>]) -> redkit::Result<Value> {
    let mut moved = 0;
    loop {
        let v = env.call(Cmd::new("LPOP").arg(&keys[0]))?;
        if v.is_nil() {
            break;
        }
        env.call(Cmd::new("SADD").arg(&keys[1]).arg(value::bytes(&v)?))?;
        moved += 1;
    }
    Ok(Value::Int(moved))
}

/// Moves every element of list KEYS[1] into set KEYS[2]; returns how many it moved.
static SELFTEST_DRAIN: Script = Script::new(
    "selftest_drain",
    "local moved = 0\n\
     while true do\n\
       local v = redis.call('LPOP', KEYS[1])\n\
       if not v then break end\n\
       redis.call('SADD', KEYS[2], v)\n\
       moved = moved + 1\n\
     end\n\
     return moved",
    drain,
);

const HARNESS_SCRIPTS: &[&Script] = &[&SELFTEST_STAMP, &SELFTEST_DRAIN];

fn find_script(name: &str) -> Option<&'static Script> {
    redkit::scripts::all().iter().chain(HARNESS_SCRIPTS).find(|s| s.name() == name).copied()
}

// ---- the case files ----

/// One case of a file.
struct Case {
    file: String,
    name: String,
    steps: Vec<Json>,
    /// Numeric tolerance for values in the keyspace comparison (time-derived values stored).
    keyspace_near: i64,
}

fn case_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scripts")
}

fn load_cases() -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(case_dir())
        .expect("tests/scripts exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let doc: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: invalid JSON: {e}"));
        let cases = doc.get("cases").and_then(Json::as_array).unwrap_or_else(|| panic!("{file}: no \"cases\" list"));
        for c in cases {
            let name = c.get("name").and_then(Json::as_str).unwrap_or_else(|| panic!("{file}: a case without a name"));
            let steps = c.get("steps").and_then(Json::as_array).cloned().unwrap_or_default();
            assert!(!steps.is_empty(), "{file}: {name}: no steps");
            let keyspace_near = c.get("keyspace_near").and_then(Json::as_i64).unwrap_or(0);
            out.push(Case { file: file.clone(), name: name.to_string(), steps, keyspace_near });
        }
    }
    out
}

fn words(v: Option<&Json>, what: &str) -> Result<Vec<Vec<u8>>, String> {
    let Some(v) = v else { return Ok(Vec::new()) };
    let items = v.as_array().ok_or_else(|| format!("{what} must be an array"))?;
    items
        .iter()
        .map(|x| match x {
            Json::String(s) => Ok(s.as_bytes().to_vec()),
            Json::Number(n) => Ok(n.to_string().into_bytes()),
            other => Err(format!("{what}: {other} is not a string or number")),
        })
        .collect()
}

// ---- comparing ----

/// A call's outcome: the reply, or the error's kind and text.
type Outcome = Result<Value, (redkit::ErrorKind, String)>;

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Bulk(b) | Value::Simple(b) => std::str::from_utf8(b).ok()?.parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

/// A stream id `ms-seq`.
fn as_stream_id(v: &Value) -> Option<(i64, i64)> {
    let Value::Bulk(b) = v else { return None };
    let (ms, seq) = std::str::from_utf8(b).ok()?.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

/// Stream ids are equal when their ms parts are within `tolerance` (sequence numbers are
/// compared only when the ms parts are equal on both sides).
fn same_id(a: (i64, i64), b: (i64, i64), tolerance: i64) -> bool {
    (a.0 - b.0).abs() <= tolerance && (a.0 != b.0 || a.1 == b.1)
}

/// Equal, recursively; with `near > 0`, numbers (integers or numeric strings) may differ by up
/// to `near` and stream ids by `near` ms.
fn same(a: &Value, b: &Value, near: i64) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q, near)),
        _ if near > 0 => {
            if let (Some(x), Some(y)) = (as_number(a), as_number(b)) {
                return (x - y).abs() <= near as f64;
            }
            matches!((as_stream_id(a), as_stream_id(b)), (Some(x), Some(y)) if same_id(x, y, near))
        }
        _ => false,
    }
}

fn same_outcome(a: &Outcome, b: &Outcome, near: i64) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => same(x, y, near),
        (Err(x), Err(y)) => x == y,
        _ => false,
    }
}

/// One key's contents in comparable form.
#[derive(Debug)]
struct Dump {
    kind: String,
    /// The value's parts: a string is one item, a list its items, a hash its sorted field/value
    /// pairs, a set its sorted members, a sorted set member/score pairs in rank order, a stream
    /// its entries, then its groups.
    items: Vec<Value>,
    pttl: i64,
}

async fn ok(b: &dyn Backend, cmd: Cmd) -> Result<Value, String> {
    let what = cmd.name();
    b.command(cmd).await.map_err(|e| format!("{what} on {}: {e}", b.name()))
}

fn sorted(v: Value) -> Result<Vec<Value>, String> {
    let mut items = value::array(v).map_err(|e| e.to_string())?;
    items.sort_by_key(Value::to_text);
    Ok(items)
}

async fn dump_key(b: &dyn Backend, key: &[u8]) -> Result<Dump, String> {
    let kind = value::text(&ok(b, Cmd::new("TYPE").arg(key)).await?).map_err(|e| e.to_string())?;
    let items = match kind.as_str() {
        "string" => vec![ok(b, Cmd::new("GET").arg(key)).await?],
        "list" => value::array(ok(b, Cmd::new("LRANGE").arg(key).arg(0).arg(-1)).await?).map_err(|e| e.to_string())?,
        "hash" => {
            let pairs = value::pairs(ok(b, Cmd::new("HGETALL").arg(key)).await?).map_err(|e| e.to_string())?;
            let mut pairs: Vec<_> = pairs.into_iter().collect();
            pairs.sort();
            pairs.into_iter().flat_map(|(f, v)| [Value::Bulk(f), Value::Bulk(v)]).collect()
        }
        "set" => sorted(ok(b, Cmd::new("SMEMBERS").arg(key)).await?)?,
        "zset" => value::array(ok(b, Cmd::new("ZRANGE").arg(key).arg(0).arg(-1).arg("WITHSCORES")).await?)
            .map_err(|e| e.to_string())?,
        "stream" => {
            let mut items =
                value::array(ok(b, Cmd::new("XRANGE").arg(key).arg("-").arg("+")).await?).map_err(|e| e.to_string())?;
            items.push(ok(b, Cmd::new("XLEN").arg(key)).await?);
            for g in value::array(ok(b, Cmd::new("XINFO").arg("GROUPS").arg(key)).await?).map_err(|e| e.to_string())? {
                let (summary, name) = group_summary(g)?;
                items.push(summary);
                items.extend(group_detail(b, key, &name).await?);
            }
            items
        }
        "none" => Vec::new(),
        other => return Err(format!("type {other} is not compared yet")),
    };
    let pttl = value::int(&ok(b, Cmd::new("PTTL").arg(key)).await?).map_err(|e| e.to_string())?;
    Ok(Dump { kind, items, pttl })
}

/// A consumer group's comparable facts from XINFO GROUPS (name, consumers, pending,
/// last-delivered-id), and its name.
fn group_summary(g: Value) -> Result<(Value, Vec<u8>), String> {
    let pairs = value::array(g).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut name = Vec::new();
    for pair in pairs.chunks(2) {
        if let [k, v] = pair {
            if k.as_bytes() == Some(b"name") {
                name = value::bytes(v).map_err(|e| e.to_string())?;
            }
            if matches!(k.as_bytes(), Some(b"name" | b"consumers" | b"pending" | b"last-delivered-id")) {
                out.push(k.clone());
                out.push(v.clone());
            }
        }
    }
    Ok((Value::Array(out), name))
}

/// A group's consumers (name, pending count) and its pending entries (id, consumer, delivery
/// count); idle times are left out, they differ by how long each side took.
async fn group_detail(b: &dyn Backend, key: &[u8], group: &[u8]) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    let consumers = ok(b, Cmd::new("XINFO").arg("CONSUMERS").arg(key).arg(group)).await?;
    for c in value::array(consumers).map_err(|e| e.to_string())? {
        let fields = value::array(c).map_err(|e| e.to_string())?;
        let pick = |name: &[u8]| fields.chunks(2).find(|p| p[0].as_bytes() == Some(name)).map(|p| p[1].clone());
        out.push(Value::Array(vec![pick(b"name").unwrap_or(Value::Nil), pick(b"pending").unwrap_or(Value::Nil)]));
    }
    let pending = ok(b, Cmd::new("XPENDING").arg(key).arg(group).arg("-").arg("+").arg(100_000)).await?;
    for p in value::array(pending).map_err(|e| e.to_string())? {
        let mut parts = value::array(p).map_err(|e| e.to_string())?;
        if parts.len() == 4 {
            parts.remove(2); // idle ms
        }
        out.push(Value::Array(parts));
    }
    Ok(out)
}

async fn keys_of(b: &dyn Backend) -> Result<BTreeSet<Vec<u8>>, String> {
    let keys = value::array(ok(b, Cmd::new("KEYS").arg("*")).await?).map_err(|e| e.to_string())?;
    keys.iter().map(|k| value::bytes(k).map_err(|e| e.to_string())).collect()
}

/// A ZRANGE WITHSCORES reply as (member, score) pairs in member order.
fn by_member(items: &[Value]) -> Vec<(&Value, &Value)> {
    let mut pairs: Vec<_> = items.chunks(2).filter_map(|p| Some((p.first()?, p.get(1)?))).collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(&b.0.as_bytes()));
    pairs
}

/// The same members with scores within `near`.
fn same_pairs(a: Vec<(&Value, &Value)>, b: Vec<(&Value, &Value)>, near: i64) -> bool {
    a.len() == b.len() && a.iter().zip(&b).all(|((ma, sa), (mb, sb))| ma == mb && same(sa, sb, near))
}

/// Compares both keyspaces; the differences, one line each.
async fn compare_keyspaces(redis: &dyn Backend, sim: &dyn Backend, near: i64) -> Result<Vec<String>, String> {
    let (rk, sk) = (keys_of(redis).await?, keys_of(sim).await?);
    let mut diffs = Vec::new();
    let show = |s: &BTreeSet<Vec<u8>>| s.iter().map(|k| String::from_utf8_lossy(k).into_owned()).collect::<Vec<_>>();
    let only_redis: BTreeSet<_> = rk.difference(&sk).cloned().collect();
    let only_sim: BTreeSet<_> = sk.difference(&rk).cloned().collect();
    if !only_redis.is_empty() || !only_sim.is_empty() {
        diffs.push(format!(
            "keys only on redis: {:?}, only on the simulator: {:?}",
            show(&only_redis),
            show(&only_sim)
        ));
    }
    for key in rk.intersection(&sk) {
        let (r, s) = (dump_key(redis, key).await?, dump_key(sim, key).await?);
        let name = String::from_utf8_lossy(key);
        if r.kind != s.kind {
            diffs.push(format!("{name}: type {} on redis, {} on the simulator", r.kind, s.kind));
            continue;
        }
        let id_near = near.max(STREAM_ID_TOLERANCE_MS);
        let values_same = if r.kind == "zset" && near > 0 {
            // Scores within `near` may order members differently: a zset is member → score.
            same_pairs(by_member(&r.items), by_member(&s.items), near)
        } else {
            r.items.len() == s.items.len()
                && r.items.iter().zip(&s.items).all(|(a, b)| {
                    let n = if r.kind == "stream" { id_near } else { near };
                    same(a, b, n)
                })
        };
        if !values_same {
            diffs.push(format!("{name} ({}): redis {:?}\n      sim   {:?}", r.kind, r.items, s.items));
        }
        let ttl_same =
            if r.pttl < 0 || s.pttl < 0 { r.pttl == s.pttl } else { (r.pttl - s.pttl).abs() <= TTL_TOLERANCE_MS };
        if !ttl_same {
            diffs.push(format!("{name}: PTTL {} on redis, {} on the simulator", r.pttl, s.pttl));
        }
    }
    Ok(diffs)
}

// ---- running ----

async fn bounded(b: &dyn Backend, f: redkit::backend::BoxFuture<'_, redkit::Result<Value>>) -> Result<Outcome, String> {
    match tokio::time::timeout(STEP_LIMIT, f).await {
        Ok(r) => Ok(r.map_err(|e| (e.kind, e.message))),
        Err(_) => Err(format!("hung on {}", b.name())),
    }
}

/// Runs one step on one backend.
async fn run_step(b: &dyn Backend, step: &Json) -> Result<Outcome, String> {
    if let Some(cmd) = step.get("cmd") {
        let argv = words(Some(cmd), "cmd")?;
        if argv.is_empty() {
            return Err("cmd is empty".into());
        }
        return bounded(b, b.command(Cmd::from_argv(argv))).await;
    }
    let name = step.get("script").and_then(Json::as_str).ok_or("a step is cmd, script or sleep_ms")?;
    let script = find_script(name).ok_or_else(|| format!("no script named {name:?}"))?;
    let keys = words(step.get("keys"), "keys")?;
    let args = words(step.get("args"), "args")?;
    bounded(b, b.script(script, keys, args)).await
}

/// Runs one step on the simulator with the script's Lua source through EVAL instead of its
/// native twin.
#[cfg(feature = "lua")]
async fn run_step_by_eval(b: &dyn Backend, step: &Json) -> Result<Outcome, String> {
    let Some(name) = step.get("script").and_then(Json::as_str) else { return run_step(b, step).await };
    let script = find_script(name).ok_or_else(|| format!("no script named {name:?}"))?;
    let keys = words(step.get("keys"), "keys")?;
    let args = words(step.get("args"), "args")?;
    let mut argv = vec![b"EVAL".to_vec(), script.lua().as_bytes().to_vec(), keys.len().to_string().into_bytes()];
    argv.extend(keys);
    argv.extend(args);
    bounded(b, b.command(Cmd::from_argv(argv))).await
}

/// Runs a case on Redis, on the simulator with the native twins and (with the `lua` feature)
/// on a second simulator running each script's Lua by EVAL: the same replies and keyspaces.
async fn run_case(case: &Case, redis: &RedisBackend) -> Result<(), String> {
    redis.command(Cmd::new("FLUSHALL")).await.map_err(|e| format!("FLUSHALL: {e}"))?;
    let sim = SimBackend::new(Simulator::new());
    #[cfg(feature = "lua")]
    let by_eval = SimBackend::new(Simulator::new());
    for (i, step) in case.steps.iter().enumerate() {
        let at = |e: String| format!("step {} {step}: {e}", i + 1);
        if let Some(ms) = step.get("sleep_ms") {
            let ms = ms.as_u64().filter(|ms| *ms <= MAX_SLEEP_MS).ok_or_else(|| at("sleep_ms: 0..=2000".into()))?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            continue;
        }
        let near = step.get("near").and_then(Json::as_i64).unwrap_or(0);
        let r = run_step(redis, step).await.map_err(at)?;
        let s = run_step(&sim, step).await.map_err(at)?;
        if !same_outcome(&r, &s, near) {
            return Err(at(format!("replies differ\n      redis {r:?}\n      sim   {s:?}")));
        }
        #[cfg(feature = "lua")]
        {
            let e = run_step_by_eval(&by_eval, step).await.map_err(at)?;
            if !same_outcome(&r, &e, near) {
                return Err(at(format!("replies differ\n      redis         {r:?}\n      sim with EVAL {e:?}")));
            }
        }
    }
    let mut diffs = compare_keyspaces(redis, &sim, case.keyspace_near).await?;
    #[cfg(feature = "lua")]
    {
        let by_eval_diffs = compare_keyspaces(redis, &by_eval, case.keyspace_near).await?;
        diffs.extend(by_eval_diffs.into_iter().map(|d| format!("(sim with EVAL) {d}")));
    }
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!("keyspaces differ after the last step:\n    {}", diffs.join("\n    ")))
    }
}

fn scripts_run_by(cases: &[Case]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for c in cases {
        for s in &c.steps {
            if let Some(name) = s.get("script").and_then(Json::as_str) {
                seen.insert(name.to_string());
            }
        }
    }
    seen
}

#[test]
fn every_script_has_a_case() {
    let seen = scripts_run_by(&load_cases());
    let missing: Vec<&str> = redkit::scripts::all().iter().map(|s| s.name()).filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty(), "scripts with no equivalence case in tests/scripts/*.json: {missing:?}");
    for s in HARNESS_SCRIPTS {
        assert!(seen.contains(s.name()), "selftest.json should run {}", s.name());
    }
}

#[test]
fn scripts_behave_the_same_on_redis_and_the_simulator() {
    let cases = load_cases();
    let filter = std::env::var("SCRIPT_CASE").unwrap_or_default();
    let cases: Vec<&Case> = cases.iter().filter(|c| format!("{}: {}", c.file, c.name).contains(&filter)).collect();
    let Some(server) = support::RedisServer::start() else { return };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut failures = Vec::new();
    let steps: usize = cases.iter().map(|c| c.steps.len()).sum();
    rt.block_on(async {
        let redis = RedisBackend::connect(&server.url(0)).await.expect("connect to the test server");
        for case in &cases {
            if let Err(e) = run_case(case, &redis).await {
                failures.push(format!("  {}: {}: {e}", case.file, case.name));
            }
        }
    });
    println!("script equivalence: {} cases ({steps} steps), {} failed", cases.len(), failures.len());
    assert!(failures.is_empty(), "{} case(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn the_comparison_tolerates_only_what_it_should() {
    let n = |i| Value::Int(i);
    assert!(same(&n(100), &n(140), 50));
    assert!(!same(&n(100), &n(151), 50));
    assert!(!same(&n(100), &n(101), 0));
    assert!(same(&Value::Array(vec![n(1), Value::bulk("1000")]), &Value::Array(vec![n(1), Value::bulk("1010")]), 20));
    assert!(!same(&Value::Array(vec![n(1)]), &Value::Array(vec![n(1), n(2)]), 20));
    assert!(same(&Value::bulk("1700000000000-0"), &Value::bulk("1700000000012-3"), 20));
    assert!(!same(&Value::bulk("1700000000000-0"), &Value::bulk("1700000000000-1"), 20));
    assert!(!same(&Value::bulk("abc"), &Value::bulk("abd"), 20));
    assert!(!same(&Value::Nil, &Value::NilArray, 20));
}
