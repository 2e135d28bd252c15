//! "One network round trip per operation" (DESIGN.md, patterns rule), measured on a real
//! redis-server with [`RedisBackend::round_trips`] for every pattern's everyday operations.
//! Locks and semaphores are counted in `invariant_lock.rs`. Scripts are preloaded so a first
//! EVALSHA's NOSCRIPT fallback (two requests, once per script and server) does not count.

#[path = "support/mod.rs"]
mod support;

use redkit::backend::{Backend, BackendRef, RedisBackend};
use redkit::command;
use redkit::patterns::cache::{Cache, CacheOptions};
use redkit::patterns::geo::{Geo, GeoOptions, Search, Unit};
use redkit::patterns::leaderboard::{Leaderboard, LeaderboardOptions};
use redkit::patterns::limiter::{Limiter, LimiterOptions};
use redkit::patterns::pubsub::{PubSub, PubSubOptions};
use redkit::patterns::queue::{JobOptions, Queue, QueueOptions};
use redkit::patterns::session::{SessionOptions, SessionStore};
use redkit::patterns::stream::{Stream, StreamOptions};
use serde_json::json;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Runs `op` and returns its result with the number of requests it sent.
async fn counted<T>(redis: &RedisBackend, what: &str, op: impl Future<Output = redkit::Result<T>>) -> (T, u64) {
    let before = redis.round_trips();
    let out = op.await.unwrap_or_else(|e| panic!("{what}: {e}"));
    (out, redis.round_trips() - before)
}

macro_rules! one_trip {
    ($redis:expr, $what:expr, $op:expr) => {{
        let (out, n) = counted($redis, $what, $op).await;
        assert_eq!(n, 1, "{} took {} round trips", $what, n);
        out
    }};
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pattern_operation_is_one_round_trip() {
    let Some(server) = support::RedisServer::start() else { return };
    let redis = Arc::new(RedisBackend::connect(&format!("redis://127.0.0.1:{}/", server.port)).await.expect("connect"));
    let backend: BackendRef = redis.clone();
    for script in redkit::scripts::all() {
        redis.command(command!("SCRIPT", "LOAD", script.lua())).await.expect("SCRIPT LOAD");
    }
    let r = &*redis;

    let limiter =
        Limiter::new(backend.clone(), "api", LimiterOptions::token_bucket(10, 10, Duration::from_secs(1))).unwrap();
    one_trip!(r, "limiter consume", limiter.consume("ann", 1));
    one_trip!(r, "limiter peek", limiter.peek("ann", 1));
    one_trip!(r, "limiter reset", limiter.reset("ann"));

    let queue = Queue::new(backend.clone(), "jobs", QueueOptions::default()).unwrap();
    one_trip!(r, "queue enqueue", queue.enqueue("t", json!({"n": 1}), JobOptions::default()));
    let job = one_trip!(r, "queue reserve", queue.reserve()).expect("a job");
    one_trip!(r, "queue heartbeat", queue.heartbeat(&job, Duration::from_secs(30)));
    one_trip!(r, "queue ack", queue.ack(&job, json!("done")));
    one_trip!(r, "queue enqueue", queue.enqueue("t", json!({"n": 2}), JobOptions::default()));
    one_trip!(r, "queue enqueue", queue.enqueue("t", json!({"n": 3}), JobOptions::default()));
    let second = one_trip!(r, "queue reserve", queue.reserve()).expect("a job");
    let lease = Duration::from_secs(30);
    let (acked, next) = one_trip!(r, "queue ack_and_reserve", queue.ack_and_reserve(&second, json!(2), 1, lease));
    assert!(acked.is_ok() && next.jobs.len() == 1, "{acked:?} {next:?}");
    one_trip!(r, "queue counts", queue.counts());
    one_trip!(r, "queue get", queue.get(&job.id));

    let cache = Cache::new(backend.clone(), "c", CacheOptions::default()).unwrap();
    one_trip!(r, "cache set", cache.set("k", &json!(1), Duration::from_secs(60)));
    one_trip!(r, "cache get", cache.get::<serde_json::Value>("k"));
    let hit =
        cache.get_or_set::<serde_json::Value, _, _>("k", || async { Ok(Some(json!(2))) }, Duration::from_secs(60));
    one_trip!(r, "cache get_or_set hit", hit);
    one_trip!(r, "cache delete", cache.delete("k"));

    let sessions = SessionStore::new(backend.clone(), "web", SessionOptions::default()).unwrap();
    let created = one_trip!(r, "session create", sessions.create(Some("ada"), &json!({"a": 1})));
    let token = created.session.token;
    one_trip!(r, "session get", sessions.get(&token));
    one_trip!(r, "session set_field", sessions.set_field(&token, "theme", &"dark"));

    let stream = Stream::new(backend.clone(), "orders", StreamOptions::default()).unwrap();
    one_trip!(r, "stream create_group", stream.create_group("g", "$"));
    one_trip!(r, "stream add", stream.add_json(&json!({"id": 1})));
    let batch = one_trip!(r, "stream read_group", stream.read_group("g", "w1", 10, None));
    let ids: Vec<&str> = batch.iter().map(|e| e.id.as_str()).collect();
    one_trip!(r, "stream ack", stream.ack("g", &ids));

    let pubsub = PubSub::new(backend.clone(), PubSubOptions::default()).unwrap();
    one_trip!(r, "pubsub publish", pubsub.publish("news", "hi"));

    let board = Leaderboard::new(backend.clone(), "s1", LeaderboardOptions::default()).unwrap();
    one_trip!(r, "leaderboard add", board.add("ann", 10.0));
    one_trip!(r, "leaderboard increment", board.increment("ann", 5.0));
    one_trip!(r, "leaderboard rank", board.rank("ann"));
    one_trip!(r, "leaderboard top", board.top(10));
    one_trip!(r, "leaderboard around", board.around("ann", 2));
    one_trip!(r, "leaderboard page", board.page(1, 10));

    let geo = Geo::new(backend.clone(), "shops", GeoOptions::default()).unwrap();
    one_trip!(r, "geo add", geo.add("palermo", 13.361389, 38.115556));
    one_trip!(r, "geo distance", geo.distance("palermo", "palermo", Unit::M));
    one_trip!(r, "geo search", geo.search(&Search::radius_from_point(13.0, 38.0, 100.0, Unit::Km)));
}
