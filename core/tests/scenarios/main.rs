//! Runs the shared scenario suite, `tests/scenarios/*.json` (format: tests/scenarios/README.md),
//! on the simulator with a manual clock and on a real redis-server started for the test.
//!
//! One adapter file per pattern (lock.rs, limiter.rs …) maps scenario calls onto the Rust API;
//! everything else here is the format: loading, steps, matching, time. All failures are
//! collected and reported together. `SCENARIO=text` runs the scenarios whose `file: name`
//! contains `text`.

#[path = "../support/mod.rs"]
mod support;

mod matcher;
mod objects;
mod queue;

use matcher::{check, field, substitute, Saved};
use objects::{construct, Args, CallError, Object, World};
use redkit::backend::{BackendRef, Cmd, RedisBackend, RedisOptions, SimBackend};
use redkit::resp::Value;
use redkit::sim::{Clock, Simulator};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where the manual clock starts: a fixed, realistic epoch (2023-11-14).
const T0_MS: u64 = 1_700_000_000_000;
/// Real-time bound on any one step.
const STEP_LIMIT: Duration = Duration::from_secs(10);

/// One scenario, loaded.
#[derive(Debug, Clone)]
struct Scenario {
    file: String,
    name: String,
    backends: Vec<String>,
    steps: Vec<Json>,
}

impl Scenario {
    fn id(&self) -> String {
        format!("{}: {}", self.file, self.name)
    }
}

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios")
}

/// Loads every file; a malformed file is a failure, not a skip.
fn load_all() -> Vec<Scenario> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut names = std::collections::HashSet::new();
    for path in files {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        let doc: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: invalid JSON: {e}"));
        let list = doc.get("scenarios").and_then(Json::as_array).unwrap_or_else(|| panic!("{file}: no scenarios"));
        for sc in list {
            let name =
                sc.get("name").and_then(Json::as_str).unwrap_or_else(|| panic!("{file}: a scenario without a name"));
            assert!(names.insert(format!("{file}: {name}")), "{file}: duplicate scenario name {name:?}");
            let backends = match sc.get("backends").and_then(Json::as_array) {
                Some(b) => b.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
                None => vec!["sim".to_string(), "redis".to_string()],
            };
            let steps = sc.get("steps").and_then(Json::as_array).cloned().unwrap_or_default();
            assert!(!steps.is_empty(), "{file}: {name}: no steps");
            out.push(Scenario { file: file.clone(), name: name.to_string(), backends, steps });
        }
    }
    out
}

/// How time moves for a scenario.
enum Time {
    /// A manual clock: `advance` moves it.
    Manual(Simulator),
    /// Real time: `advance` sleeps.
    Real,
}

/// Turns a raw reply into JSON (README: "Raw command replies become JSON").
fn reply_json(v: &Value) -> Json {
    match v {
        Value::Int(i) => Json::from(*i),
        Value::Bulk(b) | Value::Simple(b) | Value::BigNumber(b) | Value::DoubleText(b) => {
            Json::String(String::from_utf8_lossy(b).into_owned())
        }
        Value::Nil | Value::NilArray => Json::Null,
        Value::Array(a) | Value::Set(a) | Value::Push(a) => Json::Array(a.iter().map(reply_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.to_text(), reply_json(v))).collect()),
        Value::Double(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
        Value::Bool(b) => Json::Bool(*b),
        Value::Error(e) => Json::String(String::from_utf8_lossy(e).into_owned()),
        other => Json::String(other.to_text()),
    }
}

fn cmd_from_json(items: &Json) -> Result<Cmd, String> {
    let items = items.as_array().ok_or("cmd must be an array")?;
    let argv = items
        .iter()
        .map(|x| match x {
            Json::String(s) => Ok(s.as_bytes().to_vec()),
            Json::Number(n) => Ok(n.to_string().into_bytes()),
            other => Err(format!("cmd argument {other} is not a string or number")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cmd::from_argv(argv))
}

/// The outcome of one call: a JSON result or an error (kind, message).
type Outcome = Result<Json, (String, String)>;

fn kind_name(e: &redkit::Error) -> String {
    e.kind.as_str().to_string()
}

async fn call_object(obj: Arc<dyn Object>, method: String, args: Args) -> Result<Outcome, String> {
    match obj.call(method, args).await {
        Ok(v) => Ok(Ok(v)),
        Err(CallError::Redkit(e)) => Ok(Err((kind_name(&e), e.message))),
        Err(CallError::Harness(h)) => Err(h),
    }
}

/// Checks an outcome against a step's `expect` / `error`, then saves what it asks.
fn verify(step: &Json, outcome: Outcome, saved: &mut Saved) -> Result<(), String> {
    match (step.get("error"), outcome) {
        (Some(kind), Err((k, msg))) => {
            if Some(k.as_str()) != kind.as_str() {
                return Err(format!("expected error {kind}, got {k}: {msg}"));
            }
            if let Some(text) = step.get("message").and_then(Json::as_str) {
                if !msg.contains(text) {
                    return Err(format!("error message {msg:?} does not contain {text:?}"));
                }
            }
            Ok(())
        }
        (Some(kind), Ok(v)) => Err(format!("expected error {kind}, got {v}")),
        (None, Err((k, msg))) => Err(format!("unexpected error {k}: {msg}")),
        (None, Ok(v)) => {
            if let Some(e) = step.get("expect") {
                let e = substitute(e, saved)?;
                check(&e, Some(&v), "result")?;
            }
            match step.get("save") {
                Some(Json::String(name)) => {
                    saved.insert(name.clone(), v);
                }
                Some(Json::Object(parts)) => {
                    for (name, path) in parts {
                        let path = path.as_str().ok_or("save paths are strings")?;
                        let part = field(&v, path).ok_or_else(|| format!("save: result has no {path}: {v}"))?;
                        saved.insert(name.clone(), part);
                    }
                }
                _ => {}
            }
            Ok(())
        }
    }
}

/// Runs one scenario's steps against `world`.
async fn run_steps(sc: &Scenario, world: &World, time: &Time) -> Result<(), String> {
    let mut objects: HashMap<String, Arc<dyn Object>> = HashMap::new();
    let mut spawned: HashMap<String, tokio::task::JoinHandle<Result<Outcome, String>>> = HashMap::new();
    let mut saved = Saved::new();
    for (i, step) in sc.steps.iter().enumerate() {
        let at = |e: String| format!("step {} {}: {e}", i + 1, step);
        let args = match step.get("args") {
            Some(a) => Args(
                substitute(a, &saved)
                    .map_err(at)?
                    .as_object()
                    .cloned()
                    .ok_or_else(|| at("args must be an object".into()))?,
            ),
            None => Args::default(),
        };
        if let Some(kind) = step.get("new").and_then(Json::as_str) {
            let name = step.get("as").and_then(Json::as_str).ok_or_else(|| at("new needs \"as\"".into()))?;
            let obj = match construct(kind, &args, world) {
                Ok(o) => o,
                Err(CallError::Harness(h)) => return Err(at(h)),
                Err(CallError::Redkit(e)) => {
                    verify(step, Err((kind_name(&e), e.message)), &mut saved).map_err(at)?;
                    continue;
                }
            };
            objects.insert(name.to_string(), obj);
            continue;
        }
        if let Some(ms) = step.get("advance").and_then(Json::as_u64) {
            match time {
                Time::Manual(sim) => {
                    sim.advance_ms(ms);
                    // Let tasks woken by the advance run before the next step.
                    for _ in 0..4 {
                        tokio::task::yield_now().await;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                Time::Real => tokio::time::sleep(Duration::from_millis(ms)).await,
            }
            continue;
        }
        if let Some(id) = step.get("await").and_then(Json::as_str) {
            let handle = spawned.remove(id).ok_or_else(|| at(format!("nothing spawned as {id}")))?;
            let outcome = tokio::time::timeout(STEP_LIMIT, handle)
                .await
                .map_err(|_| at("hung: the spawned call did not finish within 10 s".into()))?
                .map_err(|e| at(format!("the spawned call panicked: {e}")))?
                .map_err(at)?;
            verify(step, outcome, &mut saved).map_err(at)?;
            continue;
        }
        if let Some(cmd) = step.get("cmd") {
            let cmd = cmd_from_json(&substitute(cmd, &saved).map_err(at)?).map_err(at)?;
            let backend = world.backend.clone();
            let outcome = tokio::time::timeout(STEP_LIMIT, async move { backend.command(cmd).await })
                .await
                .map_err(|_| at("hung".into()))?
                .map(|v| reply_json(&v))
                .map_err(|e| (kind_name(&e), e.message));
            verify(step, outcome, &mut saved).map_err(at)?;
            continue;
        }
        if let Some(target) = step.get("call").and_then(Json::as_str) {
            let (name, method) = target.split_once('.').ok_or_else(|| at("call is \"object.method\"".into()))?;
            let obj = objects.get(name).cloned().ok_or_else(|| at(format!("no object named {name}")))?;
            let fut = call_object(obj, method.to_string(), args);
            if let Some(id) = step.get("spawn").and_then(Json::as_str) {
                spawned.insert(id.to_string(), tokio::spawn(fut));
                // Give the spawned call a chance to reach its wait before the next step.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            let outcome = tokio::time::timeout(STEP_LIMIT, fut)
                .await
                .map_err(|_| {
                    at("hung: the call did not finish within 10 s (a wait on the manual clock with no advance?)".into())
                })?
                .map_err(at)?;
            verify(step, outcome, &mut saved).map_err(at)?;
            continue;
        }
        return Err(at("unknown step".into()));
    }
    if let Some(id) = spawned.keys().next() {
        return Err(format!("spawned call {id} was never awaited"));
    }
    Ok(())
}

fn tokio_spawner() -> redkit::backend::SpawnFn {
    Arc::new(|task| {
        tokio::spawn(task);
    })
}

/// A fresh simulator world for one scenario.
fn sim_world() -> (World, Time) {
    let sim = Simulator::with_clock(Clock::manual(T0_MS));
    let make = {
        let sim = sim.clone();
        move |db: usize| -> BackendRef { Arc::new(SimBackend::with_db(sim.clone(), db).with_spawner(tokio_spawner())) }
    };
    let unreachable = {
        let sim = sim.clone();
        move || -> BackendRef {
            // A simulator that refuses every connection: the same clock, no server.
            let dead = Simulator::with_clock(Clock::custom({
                let sim = sim.clone();
                move || sim.clock().now_us()
            }));
            dead.refuse_connections(true);
            Arc::new(SimBackend::new(dead).with_spawner(tokio_spawner()))
        }
    };
    let world = World { backend: make(0), other: Box::new(make), unreachable: Box::new(unreachable) };
    (world, Time::Manual(sim))
}

fn selected() -> Vec<Scenario> {
    let filter = std::env::var("SCENARIO").unwrap_or_default();
    load_all().into_iter().filter(|s| s.id().contains(&filter)).collect()
}

fn report(backend: &str, ran: usize, failures: Vec<String>) {
    println!("scenarios on {backend}: {ran} ran, {} failed", failures.len());
    if !failures.is_empty() {
        panic!("{} scenario(s) failed on {backend}:\n{}", failures.len(), failures.join("\n"));
    }
}

#[test]
fn scenarios_on_the_simulator() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let scenarios: Vec<Scenario> = selected().into_iter().filter(|s| s.backends.iter().any(|b| b == "sim")).collect();
    let mut failures = Vec::new();
    for sc in &scenarios {
        let result = rt.block_on(async {
            let (world, time) = sim_world();
            run_steps(sc, &world, &time).await
        });
        if let Err(e) = result {
            failures.push(format!("  {}: {e}", sc.id()));
        }
    }
    report("the simulator", scenarios.len(), failures);
}

/// Real servers the Redis half runs on; scenarios are sharded over them, each shard in order.
const REDIS_SHARDS: usize = 3;

/// Databases `World::other` hands out (1..=8), connected before the scenarios start.
const OTHER_DBS: usize = 8;

/// A backend on database `db` of the test server on `port`, connecting on its first call.
fn lazy_backend(port: u16, db: usize, opts: RedisOptions) -> BackendRef {
    let url = format!("redis://127.0.0.1:{port}/{db}");
    Arc::new(RedisBackend::lazy(&url, opts).expect("a RedisBackend (inside the runtime)"))
}

/// Connected backends on databases 0..=OTHER_DBS of the server at `port`, so no scenario step
/// pays for connecting (a spawned call must reach its wait within the runner's few ms).
async fn connect_all(port: u16) -> Result<Vec<BackendRef>, String> {
    let mut out: Vec<BackendRef> = Vec::new();
    for db in 0..=OTHER_DBS {
        let b = RedisBackend::connect(&format!("redis://127.0.0.1:{port}/{db}"))
            .await
            .map_err(|e| format!("connect to db {db}: {e}"))?;
        out.push(Arc::new(b));
    }
    Ok(out)
}

/// A world on one redis-server: the scenario's backend on db 0, `other(i)` on db `i` of the
/// same server, `unreachable()` on a closed loopback port (each call fails quickly with a
/// connection error), and real time.
fn redis_world(port: u16, dbs: &[BackendRef]) -> (World, Time) {
    let unreachable = || -> BackendRef {
        let opts = RedisOptions::default().retries(0).connect_timeout(Duration::from_millis(200));
        lazy_backend(support::free_loopback_port(), 0, opts)
    };
    let others = dbs.to_vec();
    let other = move |db: usize| match others.get(db) {
        Some(b) if db > 0 => b.clone(),
        _ => lazy_backend(port, db, RedisOptions::default()),
    };
    let world = World { backend: dbs[0].clone(), other: Box::new(other), unreachable: Box::new(unreachable) };
    (world, Time::Real)
}

/// Runs one shard's scenarios in order on the server at `port`, each on a FLUSHALLed server.
async fn run_shard(port: u16, shard: Vec<Scenario>) -> Vec<String> {
    let dbs = match connect_all(port).await {
        Ok(dbs) => dbs,
        Err(e) => return vec![format!("  shard on port {port}: {e}")],
    };
    let mut failures = Vec::new();
    for sc in shard {
        let (world, time) = redis_world(port, &dbs);
        let result = match world.backend.command(Cmd::new("FLUSHALL")).await {
            Ok(_) => run_steps(&sc, &world, &time).await,
            Err(e) => Err(format!("FLUSHALL before the scenario: {e}")),
        };
        if let Err(e) = result {
            failures.push(format!("  {}: {e}", sc.id()));
        }
    }
    failures
}

#[test]
fn scenarios_on_redis() {
    let scenarios: Vec<Scenario> = selected().into_iter().filter(|s| s.backends.iter().any(|b| b == "redis")).collect();
    let shards = REDIS_SHARDS.min(scenarios.len()).max(1);
    let mut servers = Vec::new();
    for _ in 0..shards {
        let Some(server) = support::RedisServer::start() else { return };
        servers.push(server);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let mut parts: Vec<Vec<Scenario>> = vec![Vec::new(); shards];
    for (i, sc) in scenarios.iter().enumerate() {
        parts[i % shards].push(sc.clone());
    }
    let failures = rt.block_on(async {
        let tasks: Vec<_> =
            servers.iter().zip(parts).map(|(server, part)| tokio::spawn(run_shard(server.port, part))).collect();
        let mut failures = Vec::new();
        for t in tasks {
            match t.await {
                Ok(f) => failures.extend(f),
                Err(e) => failures.push(format!("  a shard panicked: {e}")),
            }
        }
        failures
    });
    report("redis", scenarios.len(), failures);
}
