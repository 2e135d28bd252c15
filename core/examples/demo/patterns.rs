//! The second half of `make demo`: every pattern on the simulator with a virtual clock — a lock
//! that expires, a limiter window that rolls over, a queue job whose lease runs out, a cache
//! that loads once, a session that idles out, a consumer group, pub/sub, a leaderboard and a
//! geo search — all checked, all in-process, no sleeping.

use redkit::backend::{block_on, BackendRef, SimBackend};
use redkit::patterns::cache::{Cache, CacheOptions};
use redkit::patterns::geo::{Geo, GeoOptions, Search, Unit};
use redkit::patterns::leaderboard::{Leaderboard, LeaderboardOptions};
use redkit::patterns::limiter::{Limiter, LimiterOptions};
use redkit::patterns::lock::{Lock, LockOptions};
use redkit::patterns::pubsub::{PubSub, PubSubOptions};
use redkit::patterns::queue::{JobOptions, Queue, QueueOptions};
use redkit::patterns::session::{SessionOptions, SessionStore};
use redkit::patterns::stream::{Stream, StreamOptions};
use redkit::sim::Simulator;
use redkit::{ErrorKind, Result};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Stops the demo loudly when a pattern does not do what it promises.
fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        println!("  ✓ {what}");
        Ok(())
    } else {
        Err(redkit::Error::new(ErrorKind::Protocol, format!("demo check failed: {what}")))
    }
}

/// Runs the tour on `sim` (manual clock).
pub fn tour(sim: &Simulator) -> Result<()> {
    let backend: BackendRef = Arc::new(SimBackend::new(sim.clone()));
    block_on(async {
        locks(sim, &backend).await?;
        limiter(sim, &backend).await?;
        queue(sim, &backend).await?;
        cache(&backend).await?;
        sessions(sim, &backend).await?;
        streams_and_pubsub(&backend).await?;
        boards(&backend).await
    })
}

async fn locks(sim: &Simulator, backend: &BackendRef) -> Result<()> {
    println!("\n5. A lock: one owner, a fencing token, expiry under the virtual clock");
    let options = LockOptions::default().ttl(Duration::from_secs(10));
    let alice = Lock::new(backend.clone(), "nightly-report", options.clone())?;
    let bob = Lock::new(backend.clone(), "nightly-report", options)?;
    let first = alice.try_acquire().await?;
    check(first.acquired, &format!("alice holds the lock (fence {:?})", first.fence))?;
    check(!bob.try_acquire().await?.acquired, "bob is refused while alice holds it")?;
    check(bob.release().await.map_err(|e| e.kind) == Err(ErrorKind::LockNotOwned), "bob cannot release it")?;
    sim.advance_ms(10_001);
    println!("  ... alice stalls for 10 s; her lease runs out");
    let second = bob.try_acquire().await?;
    check(
        second.acquired && second.fence > first.fence,
        &format!("bob takes over with a larger fence {:?}", second.fence),
    )?;
    check(alice.extend(Duration::from_secs(5)).await.is_err(), "alice's late extend is refused")?;
    bob.release().await?;
    Ok(())
}

async fn limiter(sim: &Simulator, backend: &BackendRef) -> Result<()> {
    println!("\n6. A rate limiter: 3 requests per second, exact retry-after, rollover");
    let limiter = Limiter::new(backend.clone(), "api", LimiterOptions::fixed_window(3, Duration::from_secs(1)))?;
    for _ in 0..3 {
        limiter.consume("ann", 1).await?;
    }
    let denied = limiter.consume("ann", 1).await?;
    check(!denied.allowed, &format!("the 4th request is denied, retry after {:?}", denied.retry_after))?;
    sim.advance(denied.retry_after);
    let next = limiter.consume("ann", 1).await?;
    check(next.allowed && next.remaining == 2, "the next window admits again")?;
    Ok(())
}

async fn queue(sim: &Simulator, backend: &BackendRef) -> Result<()> {
    println!("\n7. A job queue: priorities, a worker that dies, the lease that brings the job back");
    let queue = Queue::new(backend.clone(), "emails", QueueOptions::default().lease(Duration::from_secs(30)))?;
    queue.enqueue("welcome", json!({"to": "ann"}), JobOptions::default()).await?;
    let urgent = queue.enqueue("reset-password", json!({"to": "bob"}), JobOptions::default().priority(10)).await?;
    let taken = queue.reserve().await?;
    check(taken.as_ref().map(|j| j.id.as_str()) == Some(urgent.id.as_str()), "the urgent job goes first")?;
    println!("  ... the worker holding it crashes; 31 s pass");
    sim.advance_ms(31_000);
    let again = queue.reserve().await?.filter(|j| j.id == urgent.id);
    let Some(again) = again else { return check(false, "the stalled job comes back") };
    check(again.attempts == 2, "the stalled job comes back by itself (attempt 2)")?;
    queue.ack(&again, json!("sent")).await?;
    check(queue.get(&urgent.id).await?.result == Some(json!("sent")), "acked with its result")?;
    let counts = queue.counts().await?;
    check(counts.waiting == 1 && counts.completed == 1, "counts: 1 waiting, 1 completed")?;
    Ok(())
}

async fn cache(backend: &BackendRef) -> Result<()> {
    println!("\n8. A cache: 20 concurrent readers of a cold key, one load");
    let cache = Arc::new(Cache::new(backend.clone(), "users", CacheOptions::default())?);
    let loads = Arc::new(AtomicUsize::new(0));
    let readers = (0..20).map(|_| {
        let (cache, loads) = (cache.clone(), loads.clone());
        Box::pin(async move {
            let load = || async move {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok(Some(json!({"name": "ann"})))
            };
            cache.get_or_set::<serde_json::Value, _, _>("42", load, Duration::from_secs(60)).await
        })
    });
    let got = join_all(readers.collect()).await;
    check(got.iter().all(|r| matches!(r, Ok(Some(v)) if v["name"] == "ann")), "every reader gets the user")?;
    check(loads.load(Ordering::SeqCst) == 1, "the loader ran once")?;
    Ok(())
}

async fn sessions(sim: &Simulator, backend: &BackendRef) -> Result<()> {
    println!("\n9. Sessions: a sliding 30 min idle timeout, one user's sessions listed and revoked");
    let store =
        SessionStore::new(backend.clone(), "web", SessionOptions::default().idle_ttl(Duration::from_secs(1800)))?;
    let laptop = store.create(Some("ada"), &json!({"cart": [1, 2]})).await?.session.token;
    let phone = store.create(Some("ada"), &json!({})).await?.session.token;
    sim.advance_ms(20 * 60_000);
    check(store.get(&laptop).await?.is_some(), "20 min later the laptop session is alive (and refreshed)")?;
    sim.advance_ms(20 * 60_000);
    check(store.get(&phone).await?.is_none(), "the idle phone session expired after 30 min")?;
    check(store.get(&laptop).await?.is_some(), "the laptop session slid forward")?;
    check(store.revoke_all("ada", None).await? == 1, "revoking all of ada's sessions")?;
    Ok(())
}

async fn streams_and_pubsub(backend: &BackendRef) -> Result<()> {
    println!("\n10. A stream consumer group and pub/sub");
    let orders = Stream::new(backend.clone(), "orders", StreamOptions::default())?;
    orders.create_group("billing", "$").await?;
    orders.add_json(&json!({"id": 1001, "total": 9.9})).await?;
    let batch = orders.read_group("billing", "worker-1", 10, None).await?;
    check(batch.len() == 1, "the group hands the order to worker-1")?;
    check(orders.ack("billing", &[batch[0].id.as_str()]).await? == 1, "worker-1 acknowledges it")?;
    let pubsub = PubSub::new(backend.clone(), PubSubOptions::default())?;
    let mut sub = pubsub.psubscribe(&["news.*"]).await?;
    check(pubsub.publish_json("news.sport", &json!({"score": 3})).await? == 1, "one subscriber receives it")?;
    let m = sub.next_timeout(Duration::from_secs(1)).await?;
    check(m.is_some_and(|m| m.channel == "news.sport"), "the pattern subscriber got news.sport")?;
    Ok(())
}

async fn boards(backend: &BackendRef) -> Result<()> {
    println!("\n11. A leaderboard and a geo search");
    let board = Leaderboard::new(backend.clone(), "season-1", LeaderboardOptions::default())?;
    board.add("ann", 120.0).await?;
    board.add("bob", 90.0).await?;
    board.increment("bob", 50.0).await?;
    let top = board.top(2).await?;
    check(top.first().is_some_and(|e| e.member == "bob" && e.rank == 1), "bob leads with 140")?;
    let shops = Geo::new(backend.clone(), "shops", GeoOptions::default())?;
    shops.add("palermo", 13.361389, 38.115556).await?;
    shops.add("catania", 15.087269, 37.502669).await?;
    let d = shops.distance("palermo", "catania", Unit::Km).await?.unwrap_or_default();
    check((d - 166.27).abs() < 0.01, &format!("palermo–catania is {d:.2} km"))?;
    let near = shops.search(&Search::radius_from_point(15.0, 37.0, 100.0, Unit::Km)).await?;
    check(near.len() == 1 && near[0].member == "catania", "within 100 km of (15, 37): catania")?;
    Ok(())
}

/// Polls every future until all are done (the demo needs no runtime beyond `block_on`).
async fn join_all<F: std::future::Future + Unpin>(mut futures: Vec<F>) -> Vec<F::Output> {
    let mut out: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}
