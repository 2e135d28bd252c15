//! The cache's stampede invariant under real concurrency: 50 concurrent `get_or_set` calls on a
//! cold key run the loader exactly once — within one `Cache` (in-process single flight) and
//! across several `Cache` instances on separate backends sharing one server (the cross-process
//! lock, whose waiters receive the loaded value). On the simulator (wall clock, tokio
//! multi-thread runtime) and on a real redis-server.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{BackendRef, SimBackend, SpawnFn};
use redkit::patterns::cache::{Cache, CacheOptions};
use redkit::sim::Simulator;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CALLERS: usize = 50;
const ROUNDS: usize = 5;
const LOAD_TIME: Duration = Duration::from_millis(60);

fn spawner() -> SpawnFn {
    Arc::new(|task| {
        tokio::spawn(task);
    })
}

/// Runs `ROUNDS` cold keys; each gets `CALLERS` concurrent calls spread over `caches`. Returns
/// the loader runs per round.
async fn stampede(caches: &[Cache], tag: &str) -> Vec<u64> {
    let mut runs = Vec::new();
    for round in 0..ROUNDS {
        let key = format!("{tag}-{round}");
        let loads = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for i in 0..CALLERS {
            let cache = caches[i % caches.len()].clone();
            let (key, loads) = (key.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                let loader = move || async move {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(LOAD_TIME).await;
                    Ok(Some(format!("value of {round}")))
                };
                cache.get_or_set::<String, _, _>(&key, loader, Duration::from_secs(30)).await
            }));
        }
        for t in tasks {
            let got = tokio::time::timeout(Duration::from_secs(10), t).await.expect("bounded").expect("no panic");
            assert_eq!(got.expect("loaded"), Some(format!("value of {round}")), "every caller gets the one value");
        }
        runs.push(loads.load(Ordering::SeqCst));
    }
    runs
}

fn caches(backends: &[BackendRef]) -> Vec<Cache> {
    let options = CacheOptions::default().lock_wait(Duration::from_secs(5));
    backends.iter().map(|b| Cache::new(b.clone(), "stampede", options.clone()).expect("cache")).collect()
}

fn check(runs: Vec<u64>, caches: &[Cache]) {
    assert_eq!(runs, vec![1; ROUNDS], "the loader ran once per cold key");
    let stats: Vec<_> = caches.iter().map(Cache::stats).collect();
    let loads: u64 = stats.iter().map(|s| s.loads).sum();
    let coalesced: u64 = stats.iter().map(|s| s.coalesced).sum();
    let waited: u64 = stats.iter().map(|s| s.waited).sum();
    assert_eq!(loads, ROUNDS as u64);
    assert_eq!(waited, ((caches.len() - 1) * ROUNDS) as u64, "each other process waited once per key: {stats:?}");
    assert_eq!(coalesced, ((CALLERS - caches.len()) * ROUNDS) as u64, "the rest shared in-process: {stats:?}");
}

fn sim_backends(n: usize) -> Vec<BackendRef> {
    let sim = Simulator::new();
    (0..n).map(|_| Arc::new(SimBackend::new(sim.clone()).with_spawner(spawner())) as BackendRef).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_cache_runs_the_loader_once_on_the_simulator() {
    let caches = caches(&sim_backends(1));
    check(stampede(&caches, "one").await, &caches);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_processes_run_the_loader_once_on_the_simulator() {
    let caches = caches(&sim_backends(5));
    check(stampede(&caches, "five").await, &caches);
}

/// `n` separate `RedisBackend`s (each with its own connections, as separate processes have)
/// on one server.
#[cfg(feature = "redis")]
async fn redis_backends(server: &support::RedisServer, n: usize) -> Vec<BackendRef> {
    let mut out = Vec::new();
    for _ in 0..n {
        let b = redkit::backend::RedisBackend::connect(&server.url(0)).await.expect("connect");
        out.push(Arc::new(b) as BackendRef);
    }
    out
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_cache_runs_the_loader_once_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let caches = caches(&redis_backends(&server, 1).await);
    check(stampede(&caches, "one").await, &caches);
}

#[cfg(feature = "redis")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_processes_run_the_loader_once_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let caches = caches(&redis_backends(&server, 5).await);
    check(stampede(&caches, "five").await, &caches);
}
