//! The lock's invariant under concurrency: 8 tasks × 200 acquisitions, each guarding a
//! read-modify-write of a counter (GET, a yield to widen the race, SET — never INCR), leave the
//! counter at exactly 1,600; the fencing tokens, ordered by the counter value each holder read
//! (the acquisition order), strictly increase. Run with blocking acquires woken by releases on
//! the simulator (tokio multi-thread runtime, system clock) and on a real redis-server; and the
//! same counter guarded by a Redlock over three independent simulators and over three
//! databases of a real redis-server. A semaphore of 3 permits under the same load never admits
//! a fourth holder. Beside them, the cost rule on real Redis: every lock and
//! semaphore operation is one round trip.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{Backend, BackendRef, RedisBackend, SimBackend, SpawnFn};
use redkit::command;
use redkit::patterns::lock::{Lock, LockOptions};
use redkit::patterns::redlock::{Redlock, RedlockOptions};
use redkit::patterns::semaphore::{Semaphore, SemaphoreOptions};
use redkit::sim::Simulator;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TASKS: usize = 8;
const ROUNDS: usize = 200;
const COUNTER: &str = "invariant:{counter}";

fn tokio_spawner() -> SpawnFn {
    Arc::new(|task| {
        tokio::spawn(task);
    })
}

fn sim_backend() -> BackendRef {
    Arc::new(SimBackend::new(Simulator::new()).with_spawner(tokio_spawner()))
}

/// GET, yield, SET: a lost update unless the caller holds the lock. Returns the value read.
async fn read_modify_write(backend: &BackendRef) -> u64 {
    let v = backend.command(command!("GET", COUNTER)).await.expect("GET");
    let n: u64 = redkit::backend::value::opt_int(&v).expect("a number").unwrap_or(0) as u64;
    tokio::task::yield_now().await;
    backend.command(command!("SET", COUNTER, n + 1)).await.expect("SET");
    n
}

/// Runs the 8 × 200 protocol with `Lock`; returns (value read, fence) per acquisition.
async fn hammer_lock(backend: BackendRef) -> Vec<(u64, u64)> {
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let backend = backend.clone();
        tasks.push(tokio::spawn(async move {
            let lock = Lock::new(backend.clone(), "counter", LockOptions::default().ttl(Duration::from_secs(10)))
                .expect("lock");
            let mut seen = Vec::with_capacity(ROUNDS);
            for _ in 0..ROUNDS {
                let held = lock.acquire(Duration::from_secs(30)).await.expect("acquire");
                assert!(held.acquired, "every acquire succeeds within 30 s");
                let n = read_modify_write(&backend).await;
                seen.push((n, held.fence.expect("a fence when acquired")));
                assert!(lock.release().await.expect("release").released);
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(tokio::time::timeout(Duration::from_secs(120), t).await.expect("done in time").expect("task"));
    }
    all
}

async fn counter(backend: &BackendRef) -> i64 {
    let v = backend.command(command!("GET", COUNTER)).await.expect("GET");
    redkit::backend::value::int(&v).expect("counter")
}

/// The two invariants: the counter and the fencing order.
async fn check(backend: &BackendRef, mut seen: Vec<(u64, u64)>) {
    assert_eq!(counter(backend).await, (TASKS * ROUNDS) as i64, "no update lost");
    seen.sort_unstable();
    let values: Vec<u64> = seen.iter().map(|s| s.0).collect();
    assert_eq!(values, (0..(TASKS * ROUNDS) as u64).collect::<Vec<_>>(), "each holder read the previous one's write");
    for w in seen.windows(2) {
        assert!(w[1].1 > w[0].1, "fences strictly increase in acquisition order: {:?} then {:?}", w[0], w[1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_guards_a_counter_on_the_simulator() {
    let backend = sim_backend();
    let started = Instant::now();
    let seen = hammer_lock(backend.clone()).await;
    println!("simulator: {} lock cycles in {:?}", seen.len(), started.elapsed());
    check(&backend, seen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lock_guards_a_counter_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let url = format!("redis://127.0.0.1:{}/", server.port);
    let backend: BackendRef = Arc::new(RedisBackend::connect(&url).await.expect("connect"));
    let started = Instant::now();
    let seen = hammer_lock(backend.clone()).await;
    println!("redis: {} lock cycles in {:?}", seen.len(), started.elapsed());
    check(&backend, seen).await;
}

/// Waiters queued behind a holder with a 60 s lease: each must be woken by a release (the one
/// before it, or one by an owner that got the lock after waiting itself), never by a lease
/// running out — every acquire is bounded by 5 s. A barging `try_acquire` between releases
/// must not break the chain.
async fn waiters_are_woken_in_a_chain(backend: BackendRef) {
    let options = LockOptions::default().ttl(Duration::from_secs(60));
    let holder = Lock::new(backend.clone(), "chain", options.clone()).expect("lock");
    assert!(holder.try_acquire().await.expect("acquire").acquired);
    let mut waiters = Vec::new();
    for _ in 0..4 {
        let lock = Lock::new(backend.clone(), "chain", options.clone()).expect("lock");
        waiters.push(tokio::spawn(async move {
            let started = Instant::now();
            let held = lock.acquire(Duration::from_secs(5)).await.expect("acquire");
            assert!(held.acquired, "woken by a release within 5 s, not by the 60 s lease");
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(lock.release().await.expect("release").released);
            started.elapsed()
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(holder.release().await.expect("release").released);
    // A barger takes the lock between two waiters' holds, once.
    let barger = Lock::new(backend.clone(), "chain", options).expect("lock");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !barger.try_acquire().await.expect("try").acquired {
        assert!(Instant::now() < deadline, "the barger got a turn");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(barger.release().await.expect("release").released);
    for w in waiters {
        let waited = w.await.expect("waiter");
        assert!(waited < Duration::from_secs(5), "a waiter took {waited:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_are_woken_in_a_chain_on_the_simulator() {
    waiters_are_woken_in_a_chain(sim_backend()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiters_are_woken_in_a_chain_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let url = format!("redis://127.0.0.1:{}/", server.port);
    waiters_are_woken_in_a_chain(Arc::new(RedisBackend::connect(&url).await.expect("connect"))).await;
}

/// The counter under a Redlock over `instances` (the counter itself lives on the first).
async fn hammer_redlock(what: &str, instances: Vec<BackendRef>) {
    let store = instances[0].clone();
    let options = RedlockOptions::default()
        .ttl(Duration::from_secs(10))
        .retry_count(redkit::patterns::redlock::MAX_RETRIES)
        .retry_delay(Duration::from_millis(1))
        .retry_jitter(Duration::from_millis(3));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (instances, store, options) = (instances.clone(), store.clone(), options.clone());
        tasks.push(tokio::spawn(async move {
            let lock = Redlock::new(instances, "counter", options).expect("redlock");
            for _ in 0..ROUNDS {
                let held = lock.acquire().await.expect("acquire");
                assert!(held.acquired && held.locked >= 2, "acquired on a quorum: {held:?}");
                read_modify_write(&store).await;
                assert!(lock.release().await.expect("release") >= 2);
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(120), t).await.expect("done in time").expect("task");
    }
    println!("redlock over {what}: {} cycles in {:?}", TASKS * ROUNDS, started.elapsed());
    assert_eq!(counter(&store).await, (TASKS * ROUNDS) as i64, "no update lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redlock_over_three_simulators_guards_a_counter() {
    hammer_redlock("3 simulators", (0..3).map(|_| sim_backend()).collect()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redlock_over_three_redis_databases_guards_a_counter() {
    let Some(server) = support::RedisServer::start() else { return };
    let mut instances: Vec<BackendRef> = Vec::new();
    for db in 0..3 {
        let url = format!("redis://127.0.0.1:{}/{db}", server.port);
        instances.push(Arc::new(RedisBackend::connect(&url).await.expect("connect")));
    }
    hammer_redlock("3 redis databases", instances).await;
}

/// Runs `op`; returns how many requests it sent.
async fn trips<T>(backend: &RedisBackend, op: impl std::future::Future<Output = redkit::Result<T>>) -> u64 {
    counted(backend, op).await.1
}

/// Runs `op`; returns its result and how many requests it sent.
async fn counted<T>(backend: &RedisBackend, op: impl std::future::Future<Output = redkit::Result<T>>) -> (T, u64) {
    let before = backend.round_trips();
    let out = op.await.expect("operation");
    (out, backend.round_trips() - before)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_lock_and_semaphore_operation_is_one_round_trip() {
    let Some(server) = support::RedisServer::start() else { return };
    let url = format!("redis://127.0.0.1:{}/", server.port);
    let redis = Arc::new(RedisBackend::connect(&url).await.expect("connect"));
    let backend: BackendRef = redis.clone();
    for script in redkit::scripts::all() {
        redis.command(command!("SCRIPT", "LOAD", script.lua())).await.expect("SCRIPT LOAD");
    }
    let options = LockOptions::default().ttl(Duration::from_secs(10)).reentrant(true);
    let lock = Lock::new(backend.clone(), "trips", options).expect("lock");
    assert_eq!(trips(&redis, lock.try_acquire()).await, 1, "try_acquire");
    assert_eq!(trips(&redis, lock.acquire(Duration::from_secs(1))).await, 1, "acquire of a free (reentrant) lock");
    assert_eq!(trips(&redis, lock.extend(Duration::from_secs(20))).await, 1, "extend");
    assert_eq!(trips(&redis, lock.release()).await, 1, "release");
    assert_eq!(trips(&redis, lock.release()).await, 1, "last release");
    let sem = Semaphore::new(backend, "trips", SemaphoreOptions::default().permits(2)).expect("semaphore");
    let (permit, n) = counted(&redis, sem.try_acquire()).await;
    assert_eq!(n, 1, "semaphore try_acquire");
    let token = permit.token.expect("granted");
    assert_eq!(trips(&redis, sem.extend(&token, Duration::from_secs(5))).await, 1, "semaphore extend");
    assert_eq!(trips(&redis, sem.count()).await, 1, "semaphore count");
    assert_eq!(trips(&redis, sem.release(&token)).await, 1, "semaphore release");
}

/// 8 tasks × 100 permits of a 3-permit semaphore: at most 3 inside at once, and every
/// acquisition succeeds (blocking acquires woken by releases).
async fn hammer_semaphore(backend: BackendRef) -> usize {
    const PERMITS: usize = 3;
    let inside = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (backend, inside, most) = (backend.clone(), inside.clone(), most.clone());
        tasks.push(tokio::spawn(async move {
            let options = SemaphoreOptions::default().permits(PERMITS as u32).lease(Duration::from_secs(10));
            let sem = Semaphore::new(backend, "invariant", options).expect("semaphore");
            for _ in 0..ROUNDS / 2 {
                let permit = sem.acquire(Duration::from_secs(30)).await.expect("acquire");
                let token = permit.token.expect("a permit within 30 s");
                let now = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                most.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                assert!(now <= PERMITS, "{now} holders of {PERMITS} permits");
                tokio::task::yield_now().await;
                inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                sem.release(&token).await.expect("release");
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(120), t).await.expect("done in time").expect("task");
    }
    most.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_semaphore_never_admits_more_than_its_permits() {
    let most = hammer_semaphore(sim_backend()).await;
    println!("semaphore on the simulator: at most {most} holders at once");
    let Some(server) = support::RedisServer::start() else { return };
    let url = format!("redis://127.0.0.1:{}/", server.port);
    let most = hammer_semaphore(Arc::new(RedisBackend::connect(&url).await.expect("connect"))).await;
    println!("semaphore on redis: at most {most} holders at once");
}
