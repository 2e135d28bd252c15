//! The queue's delivery invariant under concurrency and crashes: 2,000 jobs, 4 workers of which
//! 2 are killed mid-job (they stop without acking, as a crashed process would). Every job must
//! complete, none may be lost, and only jobs whose lease expired may run twice: a job that ran
//! more than once must have had a run on a killed worker before its last, and must carry the
//! `lease expired` mark of stalled recovery; every other job ran exactly once.
//! Runs on the simulator (real clock, tokio spawner) and on a real redis-server.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{Backend, BackendRef};
use redkit::patterns::queue::{JobOptions, NewJob, Queue, QueueOptions};
use redkit::patterns::worker::{Worker, WorkerHandle, WorkerOptions};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const JOBS: usize = 2000;
const WORKERS: usize = 4;
const KILLED: [usize; 2] = [0, 1];
const LEASE: Duration = Duration::from_millis(300);

/// Every handler run: (worker index, attempt) per job id.
type Runs = Arc<Mutex<HashMap<String, Vec<(usize, u32)>>>>;

fn start_worker(queue: &Queue, index: usize, runs: Runs, started: Arc<AtomicU64>) -> WorkerHandle {
    let backend = queue.backend().clone();
    Worker::new(queue, WorkerOptions::default().concurrency(8).lease(LEASE).idle_wait(Duration::from_millis(200)))
        .handle("work", move |job| {
            let (runs, started, backend) = (runs.clone(), started.clone(), backend.clone());
            async move {
                runs.lock().unwrap().entry(job.id.clone()).or_default().push((index, job.attempts));
                let n = started.fetch_add(1, Ordering::Relaxed);
                backend.sleep(Duration::from_millis(1 + n % 4)).await;
                Ok(serde_json::json!(job.data))
            }
        })
        .start()
        .expect("worker starts")
}

async fn run_invariant(backend: BackendRef) {
    let queue =
        Queue::new(backend.clone(), "invariant", QueueOptions::default().result_ttl(Duration::from_secs(600))).unwrap();
    let jobs: Vec<NewJob> =
        (0..JOBS).map(|i| NewJob::new("work", serde_json::json!(i), JobOptions::default().max_attempts(10))).collect();
    for chunk in jobs.chunks(500) {
        let added = queue.enqueue_bulk(chunk.to_vec()).await.unwrap();
        assert!(added.iter().all(|e| e.added));
    }
    let runs: Runs = Arc::default();
    let started = Arc::new(AtomicU64::new(0));
    let clock = Instant::now();
    let workers: Vec<WorkerHandle> =
        (0..WORKERS).map(|i| start_worker(&queue, i, runs.clone(), started.clone())).collect();

    // Kill two workers mid-stream, while they hold jobs.
    let deadline = Instant::now() + Duration::from_secs(60);
    for (k, at) in KILLED.iter().zip([300u64, 800]) {
        while started.load(Ordering::Relaxed) < at {
            assert!(Instant::now() < deadline, "the workers stalled before the kill");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        workers[*k].kill();
    }
    loop {
        let c = queue.counts().await.unwrap();
        if c.completed == JOBS as u64 {
            assert_eq!((c.waiting, c.delayed, c.active, c.dead), (0, 0, 0, 0), "{c:?}");
            break;
        }
        assert!(Instant::now() < deadline, "not every job completed in time: {c:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained_in = clock.elapsed();
    for (i, w) in workers.iter().enumerate() {
        if !KILLED.contains(&i) {
            let report = w.shutdown(Duration::from_secs(5)).await;
            assert!(report.drained, "worker {i}: {report:?}");
        }
    }

    let runs = runs.lock().unwrap().clone();
    assert_eq!(runs.len(), JOBS, "every job ran");
    let (mut once, mut twice) = (0, 0);
    for i in 0..JOBS {
        let id = (i + 1).to_string();
        let info = queue.get(&id).await.unwrap();
        assert_eq!(info.result, Some(serde_json::json!(i)), "job {id} completed with its own result");
        let r = &runs[&id];
        assert!(info.attempts as usize >= r.len(), "job {id}: attempts {} < runs {r:?}", info.attempts);
        if info.attempts == 1 {
            assert_eq!(r.len(), 1, "job {id} ran more than once without a lease expiry: {r:?}");
            assert_eq!(info.error, None, "job {id}");
            once += 1;
        } else {
            // Reserved more than once: only because a lease expired, and every earlier run was
            // on a killed worker.
            assert_eq!(info.error.as_deref(), Some("lease expired"), "job {id}: {r:?}");
            let (last, earlier) = r.split_last().unwrap();
            assert!(!KILLED.contains(&last.0), "job {id} finished on a killed worker: {r:?}");
            assert!(earlier.iter().all(|(w, _)| KILLED.contains(w)), "job {id} rerun after a live run: {r:?}");
            twice += 1;
        }
    }
    assert!(twice > 0, "the kills hit no job in flight: the test proved nothing");
    assert!(twice <= 2 * 8 * KILLED.len(), "more reruns ({twice}) than the killed workers could hold");
    println!(
        "{}: {once} jobs ran once, {twice} were recovered after a kill; drained in {:?}",
        backend.name(),
        drained_in
    );
}

use support::tokio_runtime as runtime;

#[test]
fn no_job_is_lost_on_the_simulator() {
    runtime()
        .block_on(async { tokio::time::timeout(Duration::from_secs(90), run_invariant(support::sim_on_tokio())).await })
        .expect("bounded in time");
}

#[test]
fn no_job_is_lost_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    let rt = runtime();
    rt.block_on(async {
        let redis = redkit::backend::RedisBackend::connect(&server.url(0)).await.expect("connect to the test server");
        let backend: BackendRef = Arc::new(redis);
        tokio::time::timeout(Duration::from_secs(90), run_invariant(backend)).await
    })
    .expect("bounded in time");
}

/// One round trip per queue operation on Redis (two for adding a repeatable job: the server
/// time, then the script), counted by the backend.
#[test]
fn each_queue_operation_is_one_round_trip_on_redis() {
    use redkit::patterns::queue::Schedule;
    let Some(server) = support::RedisServer::start() else { return };
    runtime().block_on(async {
        let redis = Arc::new(redkit::backend::RedisBackend::connect(&server.url(0)).await.unwrap());
        let queue = Queue::new(redis.clone(), "trips", QueueOptions::default()).unwrap();
        // Preload the scripts, so the first EVALSHA of each does not fall back to EVAL (NOSCRIPT).
        for script in redkit::scripts::all().iter().filter(|s| s.name().starts_with("queue_")) {
            redis.command(redkit::command!("SCRIPT", "LOAD", script.lua())).await.unwrap();
        }
        let before = redis.round_trips();
        let trips = || redis.round_trips() - before;
        let opts = JobOptions::default;
        queue.enqueue("t", serde_json::json!(1), opts()).await.unwrap();
        assert_eq!(trips(), 1, "enqueue");
        let bulk = (0..100).map(|i| NewJob::new("t", serde_json::json!(i), opts().max_attempts(1))).collect();
        queue.enqueue_bulk(bulk).await.unwrap();
        assert_eq!(trips(), 2, "bulk enqueue of 100");
        let job = queue.reserve().await.unwrap().unwrap();
        queue.heartbeat(&job, Duration::from_secs(5)).await.unwrap();
        queue.ack(&job, serde_json::json!("ok")).await.unwrap();
        assert_eq!(trips(), 5, "reserve, heartbeat, ack");
        let batch = queue.reserve_many(50, Duration::from_secs(5)).await.unwrap();
        assert_eq!(batch.jobs.len(), 50);
        queue.fail(&batch.jobs[0], "boom").await.unwrap();
        assert_eq!(trips(), 7, "reserve 50, fail");
        queue.requeue_dead(&[], 10).await.unwrap();
        queue.recover_stalled().await.unwrap();
        queue.pause().await.unwrap();
        queue.resume().await.unwrap();
        queue.counts().await.unwrap();
        queue.get(&job.id).await.unwrap();
        assert_eq!(trips(), 13, "requeue, recover, pause, resume, counts, get");
        queue
            .add_repeatable("r", "t", serde_json::json!(null), Schedule::Every(Duration::from_secs(60)), opts())
            .await
            .unwrap();
        assert_eq!(trips(), 15, "add_repeatable: TIME and the script");
        queue.remove_repeatable("r").await.unwrap();
        assert_eq!(trips(), 16, "remove_repeatable");
    });
}
