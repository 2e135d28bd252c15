//! The limiters' invariant under concurrency: 8 tasks hammer one key for 3 windows, on the
//! simulator (system clock, multi-thread runtime) and on a real redis-server, and what was
//! admitted must never exceed what each algorithm promises:
//! - fixed window: at most `limit` per window (a window is identified by its end, which every
//!   admitted decision reports as `now + reset_after`);
//! - sliding log: at most `limit` in any interval shorter than the window;
//! - sliding window counter (approximate): at most `limit` per epoch-aligned window, and at most
//!   twice that in any window-long interval;
//! - token bucket: at most `capacity + refill × (refills that can fall in the interval)`;
//! - GCRA: at most `burst + T / emission interval` in any interval T;
//! - concurrency: never more than `limit` callers between an admitted call and its release.
//!
//! Each call is bracketed by the wall clock before and after it (the server's clock is the same
//! host clock); a check only counts calls that certainly fall inside an interval, so it never
//! blames the limiter for the test's own uncertainty. Loops are bounded in count and time.
//! Beside them: every limiter operation costs one round trip on Redis.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{BackendRef, RedisBackend, SimBackend};
use redkit::patterns::limiter::{Decision, Limiter, LimiterOptions};
use redkit::sim::Simulator;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const TASKS: usize = 8;
const WINDOW: Duration = Duration::from_millis(200);
const WINDOWS: u32 = 3;
/// Per-task bound on calls, whatever the speed of the machine.
const MAX_CALLS: usize = 20_000;

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// An admitted call: wall-clock ms before and after it, and its decision.
#[derive(Debug, Clone)]
struct Admitted {
    before: u64,
    after: u64,
    decision: Decision,
}

struct Run {
    admitted: Vec<Admitted>,
    denied: usize,
    /// Concurrency only: the most callers that were ever between admission and release.
    max_in_flight: usize,
}

/// 8 tasks calling `consume(key, 1)` for 3 windows; a concurrency limiter's admitted callers
/// hold their lease a moment, then release it.
async fn hammer(backend: BackendRef, name: &str, options: LimiterOptions) -> Run {
    let concurrency = options.algorithm == redkit::patterns::limiter::Algorithm::Concurrency;
    let limiter_backend = backend.name();
    let limiter = Limiter::new(backend, name, options).expect("valid options");
    limiter.reset("k").await.expect("reset");
    let admitted = Arc::new(Mutex::new(Vec::new()));
    let denied = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + WINDOW * WINDOWS;
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (limiter, admitted, denied) = (limiter.clone(), admitted.clone(), denied.clone());
        let (in_flight, max_in_flight) = (in_flight.clone(), max_in_flight.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..MAX_CALLS {
                if Instant::now() >= deadline {
                    break;
                }
                let before = now_ms();
                let decision = limiter.consume("k", 1).await.expect("consume");
                let after = now_ms();
                if !decision.allowed {
                    denied.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                    continue;
                }
                if concurrency {
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max_in_flight.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let lease = decision.lease.clone().expect("an admitted concurrency call has a lease");
                    assert!(limiter.release("k", &lease).await.expect("release"), "a live lease releases");
                }
                admitted.lock().unwrap().push(Admitted { before, after, decision });
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(30), t).await.expect("tasks end in time").expect("task");
    }
    let mut admitted = std::mem::take(&mut *admitted.lock().unwrap());
    admitted.sort_by_key(|a| (a.before, a.after));
    println!("{name} on {}: {} admitted, {} denied", limiter_backend, admitted.len(), denied.load(Ordering::Relaxed));
    Run { admitted, denied: denied.load(Ordering::Relaxed), max_in_flight: max_in_flight.load(Ordering::SeqCst) }
}

/// The largest number of admitted calls certainly inside `[from, to]`.
fn inside(run: &Run, from: u64, to: u64) -> usize {
    run.admitted.iter().filter(|a| a.before >= from && a.after <= to).count()
}

fn check_fixed_window(run: &Run, limit: u64) {
    let w = WINDOW.as_millis() as u64;
    // Window ends as each decision reports them; calls of one window agree on it within their
    // own duration, and two windows' ends are at least a window apart.
    let mut ends: Vec<u64> =
        run.admitted.iter().map(|a| a.before + a.decision.reset_after.as_millis() as u64).collect();
    ends.sort_unstable();
    let mut windows = 0;
    let mut i = 0;
    while i < ends.len() {
        let start = ends[i];
        let n = ends[i..].iter().take_while(|e| **e < start + w / 2).count();
        assert!(n as u64 <= limit, "fixed window: {n} admitted in the window ending near {start}, limit {limit}");
        windows += 1;
        i += n;
    }
    assert!(windows >= 2, "fixed window: the run spanned {windows} window(s)");
}

fn check_sliding_log(run: &Run, limit: u64) {
    let w = WINDOW.as_millis() as u64;
    for a in &run.admitted {
        let n = inside(run, a.before, a.before + w - 1);
        assert!(n as u64 <= limit, "sliding log: {n} admitted within {w} ms from {}, limit {limit}", a.before);
    }
}

/// The sliding window counter counts the current epoch-aligned window in full, so each aligned
/// window admits at most `limit` (and any window-long interval at most twice that).
/// The per-window count needs scripts to see time move forward in the order they run, which
/// Redis guarantees; `monotonic` is false where that is not so (see the simulator test).
fn check_sliding_window(run: &Run, limit: u64, monotonic: bool) {
    let w = WINDOW.as_millis() as u64;
    let mut per_window = std::collections::BTreeMap::new();
    for a in run.admitted.iter().filter(|a| a.before / w == a.after / w) {
        *per_window.entry(a.before / w).or_insert(0u64) += 1;
    }
    if monotonic {
        for (id, n) in &per_window {
            assert!(*n <= limit, "sliding window: {n} admitted in aligned window {id}, limit {limit}");
        }
    }
    for a in &run.admitted {
        let n = inside(run, a.before, a.before + w - 1);
        assert!(n as u64 <= 2 * limit, "sliding window: {n} admitted within {w} ms, more than twice {limit}");
    }
}

/// For every pair of admitted calls (first, last): the calls certainly between them must fit
/// `bound(span)`, the span being the longest the interval can really be.
fn check_intervals(run: &Run, what: &str, bound: impl Fn(u64) -> f64) {
    for (i, first) in run.admitted.iter().enumerate() {
        for last in &run.admitted[i..] {
            if last.after < first.before {
                continue;
            }
            let span = last.after - first.before + 1;
            let n = inside(run, first.before, last.after);
            assert!(n as f64 <= bound(span), "{what}: {n} admitted within {span} ms, bound {}", bound(span));
        }
    }
}

async fn all_algorithms(backend: BackendRef, monotonic: bool) {
    let w = WINDOW;

    let run = hammer(backend.clone(), "fixed", LimiterOptions::fixed_window(20, w)).await;
    check_fixed_window(&run, 20);
    assert!(
        run.admitted.len() >= 40 && run.denied > 0,
        "fixed window admitted {} denied {}",
        run.admitted.len(),
        run.denied
    );

    let run = hammer(backend.clone(), "log", LimiterOptions::sliding_log(20, w)).await;
    check_sliding_log(&run, 20);
    assert!(
        run.admitted.len() >= 40 && run.denied > 0,
        "sliding log admitted {} denied {}",
        run.admitted.len(),
        run.denied
    );

    let run = hammer(backend.clone(), "counter", LimiterOptions::sliding_window(20, w)).await;
    check_sliding_window(&run, 20, monotonic);
    assert!(run.admitted.len() >= 20 && run.denied > 0, "sliding window admitted {}", run.admitted.len());

    let (capacity, refill, every) = (10u64, 2u64, 20u64);
    let run =
        hammer(backend.clone(), "bucket", LimiterOptions::token_bucket(capacity, refill, Duration::from_millis(every)))
            .await;
    check_intervals(&run, "token bucket", |span| (capacity + refill * (span / every + 1)) as f64);
    assert!(run.admitted.len() as u64 > capacity && run.denied > 0, "token bucket admitted {}", run.admitted.len());

    // 20 per 200 ms: one every 10 ms, bursts of 5.
    let (limit, burst) = (20u64, 5u64);
    let emission_ms = w.as_millis() as f64 / limit as f64;
    let run = hammer(backend.clone(), "gcra", LimiterOptions::gcra(limit, w, burst)).await;
    check_intervals(&run, "gcra", |span| burst as f64 + span as f64 / emission_ms);
    assert!(run.admitted.len() as u64 > burst && run.denied > 0, "gcra admitted {}", run.admitted.len());

    let run = hammer(backend, "inflight", LimiterOptions::concurrency(3, Duration::from_secs(5))).await;
    assert!(run.max_in_flight <= 3, "concurrency: {} in flight, limit 3", run.max_in_flight);
    assert_eq!(run.max_in_flight, 3, "the limit was reached");
    assert!(run.denied > 0, "some callers were turned away");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_hold_under_concurrency_on_the_simulator() {
    let spawner: redkit::backend::SpawnFn = Arc::new(|task| {
        tokio::spawn(task);
    });
    let backend: BackendRef = Arc::new(SimBackend::new(Simulator::new()).with_spawner(spawner));
    // The simulator reads a script's time before it takes its lock (`Connection::atomic`), so a
    // script that waited may run with an earlier time than the one before it: the sliding
    // window counter's per-window count is then only checked on Redis (reported to the lead).
    all_algorithms(backend, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn limits_hold_under_concurrency_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let backend: BackendRef = Arc::new(RedisBackend::connect(&server.url(0)).await.expect("connect"));
    all_algorithms(backend, true).await;
}

/// Every limiter operation is one round trip (the script already loaded), under any algorithm
/// and for a set of limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_is_one_round_trip_on_redis() {
    use redkit::patterns::limiter::LimiterSet;
    let Some(server) = support::RedisServer::start() else { return };
    let redis = Arc::new(RedisBackend::connect(&server.url(0)).await.expect("connect"));
    let backend: BackendRef = redis.clone();
    let options = [
        LimiterOptions::fixed_window(5, WINDOW),
        LimiterOptions::sliding_log(5, WINDOW),
        LimiterOptions::sliding_window(5, WINDOW),
        LimiterOptions::token_bucket(5, 1, WINDOW),
        LimiterOptions::gcra(5, WINDOW, 2),
        LimiterOptions::concurrency(5, WINDOW),
    ];
    let limiters: Vec<Limiter> = options
        .into_iter()
        .enumerate()
        .map(|(i, o)| Limiter::new(backend.clone(), &format!("rt{i}"), o).expect("valid"))
        .collect();
    let set = LimiterSet::new(limiters.clone()).expect("set");
    // Load the scripts (EVALSHA, then EVAL on NOSCRIPT) before counting.
    set.consume("warm", 1).await.expect("warm up");
    let lease = limiters[5].consume("warm", 1).await.expect("lease").lease.expect("a lease");
    limiters[5].release("warm", &lease).await.expect("release");
    let trips = redis.round_trips();
    for l in &limiters {
        let lease = l.consume("k", 1).await.expect("consume").lease;
        l.peek("k", 1).await.expect("peek");
        if let Some(lease) = lease {
            l.release("k", &lease).await.expect("release");
        }
        l.reset("k").await.expect("reset");
    }
    set.consume("k", 1).await.expect("set consume");
    set.peek("k", 1).await.expect("set peek");
    set.reset("k").await.expect("set reset");
    // 6 × (consume, peek, reset) + 1 release + 3 set operations.
    assert_eq!(redis.round_trips() - trips, 6 * 3 + 1 + 3);
}
