//! `make bench` (second part): each pattern's everyday operation on the simulator and on a
//! real redis-server (ops/s, one caller), then 50 concurrent callers sharing one `RedisBackend`
//! beside `redis-benchmark -c 50` running the very same EVALSHA (the limiter's token-bucket
//! decision) in the same run. The target is ≥ 80 % of redis-benchmark: with many callers the
//! server must be the limit, not redkit.
//!
//! It runs on tokio's current-thread runtime: one caller's latency on loopback is dominated by
//! thread hand-offs, and a single thread avoids them (measured here: about +25 % single-caller
//! ops/s over a 2-worker runtime, and more under 50 callers).

use redkit::backend::{Backend, BackendRef, BoxFuture, Cmd, RedisBackend, SimBackend, Subscriber};
use redkit::patterns::cache::{Cache, CacheOptions};
use redkit::patterns::limiter::{Limiter, LimiterOptions};
use redkit::patterns::lock::{Lock, LockOptions};
use redkit::patterns::queue::{JobOptions, Queue, QueueOptions};
use redkit::patterns::stream::{Stream, StreamOptions};
use redkit::resp::Value;
use redkit::scripts::Script;
use redkit::sim::Simulator;
use redkit_bench::RedisServer;
use serde_json::json;
use std::future::Future;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Time spent on each single-caller measurement.
const RUN_FOR: Duration = Duration::from_millis(700);
/// Upper bound on iterations of any one measurement.
const MAX_OPS: u64 = 2_000_000;

/// Runs `op` until `RUN_FOR` passed (or `MAX_OPS`); returns iterations per second.
async fn rate<F, Fut>(mut op: F) -> f64
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = redkit::Result<()>>,
{
    let start = Instant::now();
    let mut done = 0u64;
    while done < MAX_OPS && start.elapsed() < RUN_FOR {
        for i in 0..100 {
            if let Err(e) = op(done + i).await {
                eprintln!("benchmark operation failed: {e}");
                return 0.0;
            }
        }
        done += 100;
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// The five operations of issue 3's speed list, each as iterations per second on `backend`.
async fn pattern_rates(backend: BackendRef) -> redkit::Result<Vec<(&'static str, f64)>> {
    let lock = Lock::new(backend.clone(), "bench", LockOptions::default().ttl(Duration::from_secs(30)))?;
    let limiter = Limiter::new(
        backend.clone(),
        "bench",
        LimiterOptions::token_bucket(1_000_000_000, 1_000_000, Duration::from_secs(1)),
    )?;
    let queue = Queue::new(backend.clone(), "bench", QueueOptions::default())?;
    let stream = Stream::new(backend.clone(), "bench", StreamOptions::default())?;
    stream.create_group("g", "$").await?;
    let cache = Cache::new(backend.clone(), "bench", CacheOptions::default())?;
    cache.set("hot", &json!({"name": "ann", "plan": "pro"}), Duration::from_secs(3600)).await?;
    Ok(vec![
        (
            "lock acquire+release",
            rate(|_| async {
                lock.try_acquire().await?;
                lock.release().await.map(drop)
            })
            .await,
        ),
        (
            "limiter decision",
            rate(|i| {
                let l = &limiter;
                async move { l.consume(&format!("user{}", i % 100), 1).await.map(drop) }
            })
            .await,
        ),
        (
            "enqueue+reserve+ack",
            rate(|_| async {
                queue.enqueue("t", json!({"n": 1}), JobOptions::default()).await?;
                if let Some(job) = queue.reserve().await? {
                    queue.ack(&job, json!(null)).await?;
                }
                Ok(())
            })
            .await,
        ),
        (
            "stream add+read+ack",
            rate(|_| async {
                stream.add(&[("n", "1")]).await?;
                let batch = stream.read_group("g", "w", 1, None).await?;
                let ids: Vec<&str> = batch.iter().map(|e| e.id.as_str()).collect();
                stream.ack("g", &ids).await.map(drop)
            })
            .await,
        ),
        ("cache hit", rate(|_| async { cache.get::<serde_json::Value>("hot").await.map(drop) }).await),
    ])
}

/// A script call: the script, its KEYS and its ARGV.
type ScriptCall = (&'static Script, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// A backend that forwards to another and remembers the last script call, so redis-benchmark
/// can replay exactly what the limiter sends.
struct Recorder {
    inner: BackendRef,
    last_script: Mutex<Option<ScriptCall>>,
}

impl Backend for Recorder {
    fn command(&self, cmd: Cmd) -> BoxFuture<'_, redkit::Result<Value>> {
        self.inner.command(cmd)
    }
    fn pipeline(&self, cmds: Vec<Cmd>, atomic: bool) -> BoxFuture<'_, redkit::Result<Vec<Value>>> {
        self.inner.pipeline(cmds, atomic)
    }
    fn script(
        &self,
        s: &'static Script,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    ) -> BoxFuture<'_, redkit::Result<Value>> {
        if let Ok(mut last) = self.last_script.lock() {
            *last = Some((s, keys.clone(), args.clone()));
        }
        self.inner.script(s, keys, args)
    }
    fn blocking(&self, cmd: Cmd) -> BoxFuture<'_, redkit::Result<Value>> {
        self.inner.blocking(cmd)
    }
    fn subscribe(&self) -> BoxFuture<'_, redkit::Result<Box<dyn Subscriber>>> {
        self.inner.subscribe()
    }
    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.inner.sleep(d)
    }
    fn spawn(&self, task: BoxFuture<'static, ()>) -> redkit::Result<()> {
        self.inner.spawn(task)
    }
    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

/// 50 tasks sharing one backend, each making limiter decisions for `run_for`; decisions/s.
async fn concurrent_decisions(limiter: Arc<Limiter>, callers: usize, run_for: Duration) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (limiter, done) = (limiter.clone(), done.clone());
            tokio::spawn(async move {
                let mut n = 0u64;
                while start.elapsed() < run_for && n < MAX_OPS {
                    if limiter.consume("shared", 1).await.is_err() {
                        break;
                    }
                    n += 1;
                }
                done.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// `redis-benchmark -c 50` running `argv`; its requests per second.
fn redis_benchmark(port: u16, clients: usize, requests: u64, argv: &[Vec<u8>]) -> Option<f64> {
    let args: Vec<String> = argv.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let out = Command::new("redis-benchmark")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-c",
            &clients.to_string(),
            "-n",
            &requests.to_string(),
            "-q",
        ])
        .args(&args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "-q" prints e.g. "EVALSHA ...: 47000.00 requests per second, p50=0.5 msec"; the figure
    // follows the last ": " on the line before "requests per second".
    text.split("requests per second").next()?.rsplit(": ").next()?.trim().parse().ok()
}

fn print_rates(sim: &[(&str, f64)], redis: &[(&str, f64)]) {
    println!("\n{:<24} {:>16} {:>16}", "one caller", "simulator op/s", "redis op/s");
    for ((name, s), (_, r)) in sim.iter().zip(redis) {
        println!("{name:<24} {s:>16.0} {r:>16.0}");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    println!("redkit patterns benchmark (iterations per second; each row is one run, side by side)");
    let sim: BackendRef = Arc::new(SimBackend::new(Simulator::new()));
    let sim_rates = match pattern_rates(sim).await {
        Ok(r) => r,
        Err(e) => return eprintln!("simulator run failed: {e}"),
    };
    let Some(server) = RedisServer::start() else {
        print_rates(&sim_rates, &[]);
        return eprintln!("redis-server not found: the Redis columns are skipped");
    };
    let url = format!("redis://127.0.0.1:{}/", server.port);
    let redis = match RedisBackend::connect(&url).await {
        Ok(r) => Arc::new(r),
        Err(e) => return eprintln!("cannot connect to the benchmark's redis-server: {e}"),
    };
    let redis_rates = match pattern_rates(redis.clone()).await {
        Ok(r) => r,
        Err(e) => return eprintln!("redis run failed: {e}"),
    };
    print_rates(&sim_rates, &redis_rates);

    let recorder = Arc::new(Recorder { inner: redis.clone(), last_script: Mutex::new(None) });
    let options = LimiterOptions::token_bucket(1_000_000_000, 1_000_000, Duration::from_secs(1));
    let limiter = match Limiter::new(recorder.clone(), "concurrent", options) {
        Ok(l) => Arc::new(l),
        Err(e) => return eprintln!("{e}"),
    };
    let ours = concurrent_decisions(limiter, 50, Duration::from_secs(2)).await;
    let recorded = recorder.last_script.lock().ok().and_then(|l| l.clone());
    let Some((script, keys, args)) = recorded else { return eprintln!("no script call was recorded") };
    let mut argv = vec![b"EVALSHA".to_vec(), script.sha1().as_bytes().to_vec(), keys.len().to_string().into_bytes()];
    argv.extend(keys);
    argv.extend(args);
    let theirs = redis_benchmark(server.port, 50, 100_000, &argv);
    println!("\n50 concurrent callers, token-bucket decision (EVALSHA {})", script.name());
    println!("  redkit, one RedisBackend      {ours:>10.0} decisions/s");
    match theirs {
        Some(t) => {
            println!("  redis-benchmark -c 50         {t:>10.0} requests/s");
            println!("  ratio                         {:>10.2} (target ≥ 0.80)", ours / t);
        }
        None => println!("  redis-benchmark unavailable: no ratio"),
    }
}
