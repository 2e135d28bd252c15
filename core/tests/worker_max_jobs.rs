//! `WorkerOptions::max_jobs`: a worker takes exactly that many jobs however its slots race
//! (the main loop's reserves and each slot's ack-and-reserve claim jobs against the limit
//! before asking), `WorkerHandle::stopped` resolves when the last one is taken, and the rest
//! stay waiting for the next worker. On the simulator (real clock, tokio spawner) and on a
//! real redis-server.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::BackendRef;
use redkit::patterns::queue::{JobOptions, NewJob, Queue, QueueOptions};
use redkit::patterns::worker::{Worker, WorkerOptions};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const JOBS: u64 = 60;

/// Runs workers of `concurrency` slots taking `max_jobs` each until the queue is empty;
/// every worker must take exactly its share.
async fn takes_exactly(backend: BackendRef, concurrency: usize, max_jobs: u64) {
    let name = format!("max-jobs-{concurrency}-{max_jobs}");
    let queue = Queue::new(backend.clone(), &name, QueueOptions::default()).unwrap();
    let jobs = (0..JOBS).map(|i| NewJob::new("work", serde_json::json!(i), JobOptions::default())).collect();
    queue.enqueue_bulk(jobs).await.unwrap();
    let ran = Arc::new(AtomicU64::new(0));
    let mut left = JOBS;
    while left > 0 {
        let (ran, sleeper) = (ran.clone(), backend.clone());
        let options = WorkerOptions::default().concurrency(concurrency).max_jobs(max_jobs);
        let worker = Worker::new(&queue, options)
            .handle("work", move |job| {
                let (ran, sleeper) = (ran.clone(), sleeper.clone());
                async move {
                    ran.fetch_add(1, Ordering::Relaxed);
                    sleeper.sleep(Duration::from_millis(1 + job.data.as_u64().unwrap_or(0) % 3)).await;
                    Ok(job.data)
                }
            })
            .start()
            .unwrap();
        let share = left.min(max_jobs);
        if share == max_jobs {
            tokio::time::timeout(Duration::from_secs(10), worker.stopped()).await.expect("stops by itself");
        } else {
            assert!(worker.wait_idle(Duration::from_secs(10)).await, "drains the last {share}");
        }
        let report = worker.shutdown(Duration::from_secs(10)).await;
        assert!(report.drained, "{report:?}");
        assert_eq!(worker.stats().completed, share, "{name}: one worker's share");
        left -= share;
        assert_eq!(queue.counts().await.unwrap().waiting, left, "{name}: the rest still waits");
    }
    assert_eq!(ran.load(Ordering::Relaxed), JOBS, "{name}: every job ran once");
}

async fn all_cases(backend: BackendRef) {
    for (concurrency, max_jobs) in [(4, 7), (8, 3), (1, 5), (3, 1)] {
        takes_exactly(backend.clone(), concurrency, max_jobs).await;
    }
}

#[test]
fn max_jobs_on_the_simulator() {
    support::tokio_runtime()
        .block_on(async { tokio::time::timeout(Duration::from_secs(60), all_cases(support::sim_on_tokio())).await })
        .expect("bounded in time");
}

#[test]
fn max_jobs_on_redis() {
    let Some(server) = support::RedisServer::start() else { return };
    support::tokio_runtime()
        .block_on(async {
            let redis =
                redkit::backend::RedisBackend::connect(&server.url(0)).await.expect("connect to the test server");
            tokio::time::timeout(Duration::from_secs(60), all_cases(Arc::new(redis))).await
        })
        .expect("bounded in time");
}
