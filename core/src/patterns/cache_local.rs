//! The cache's local tier: a bounded LRU in process memory in front of Redis, kept coherent
//! across processes by pub/sub invalidation ([`listen`]).
//!
//! Time: each local entry holds a [`Backend::sleep`] future created when it was stored and
//! polled (never awaited) on access — a deadline on the backend's own clock, so the tier
//! expires on the simulator's virtual clock as it does on the wall clock, without reading any
//! clock itself (there is no `Instant` on wasm32).
//!
//! Coherence: the tier is used only while its subscription is live (`ready`); every
//! invalidation bumps an epoch, and a value read from Redis is stored locally only if no
//! invalidation arrived since the read began, so a late write can never be overwritten by an
//! older read. Losing the subscription clears the tier until it is back.

use super::flight::{first, Once};
use crate::backend::{BackendRef, BoxFuture, Subscriber};
use crate::error::Result;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Waker};
use std::time::Duration;

/// What a local entry holds: the entry kind (1 value, 2 cached absence) and the payload.
pub(crate) type Cached = (u8, Arc<[u8]>);

struct Entry {
    value: Cached,
    expires: BoxFuture<'static, ()>,
    tick: u64,
}

impl Entry {
    fn expired(&mut self) -> bool {
        self.expires.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }
}

#[derive(Default)]
struct Lru {
    map: HashMap<String, Entry>,
    order: BTreeMap<u64, String>,
    next: u64,
}

impl Lru {
    fn remove(&mut self, key: &str) {
        if let Some(e) = self.map.remove(key) {
            self.order.remove(&e.tick);
        }
    }
}

/// The bounded local tier.
pub(crate) struct Local {
    capacity: usize,
    ttl: Duration,
    lru: Mutex<Lru>,
    ready: AtomicBool,
    epoch: AtomicU64,
}

impl Local {
    /// A tier of at most `capacity` entries, each kept at most `ttl`.
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Local {
        Local { capacity, ttl, lru: Mutex::default(), ready: AtomicBool::new(false), epoch: AtomicU64::new(0) }
    }

    fn lru(&self) -> MutexGuard<'_, Lru> {
        self.lru.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current invalidation epoch: pass it to [`Local::put`] after a read from Redis.
    pub(crate) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// A live entry, marked most recently used.
    pub(crate) fn get(&self, key: &str) -> Option<Cached> {
        if !self.ready.load(Ordering::SeqCst) {
            return None;
        }
        let mut lru = self.lru();
        let lru = &mut *lru;
        let entry = lru.map.get_mut(key)?;
        if entry.expired() {
            lru.remove(key);
            return None;
        }
        lru.order.remove(&entry.tick);
        lru.next += 1;
        entry.tick = lru.next;
        lru.order.insert(entry.tick, key.to_string());
        Some(entry.value.clone())
    }

    /// Stores `value` for at most `fresh` (and the tier's own ttl), unless an invalidation
    /// arrived since `epoch` was read; evicts the least recently used entries over capacity.
    pub(crate) fn put(&self, backend: &BackendRef, key: &str, value: Cached, fresh: Duration, epoch: u64) {
        let life = fresh.min(self.ttl);
        if !self.ready.load(Ordering::SeqCst) || life.is_zero() {
            return;
        }
        let mut expires = backend.sleep(life);
        // Arms the deadline now (a lazily started sleep would otherwise count from its first poll).
        if expires.as_mut().poll(&mut Context::from_waker(Waker::noop())).is_ready() {
            return;
        }
        let mut lru = self.lru();
        if self.epoch() != epoch {
            return;
        }
        lru.remove(key);
        lru.next += 1;
        let tick = lru.next;
        lru.order.insert(tick, key.to_string());
        lru.map.insert(key.to_string(), Entry { value, expires, tick });
        while lru.map.len() > self.capacity {
            let Some((_, oldest)) = lru.order.pop_first() else { break };
            lru.map.remove(&oldest);
        }
    }

    /// How many entries are held (expired ones included until touched).
    pub(crate) fn len(&self) -> usize {
        self.lru().map.len()
    }

    /// Applies an invalidation.
    pub(crate) fn invalidate(&self, what: &Invalidation) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let mut lru = self.lru();
        match what {
            Invalidation::Keys(keys) => keys.iter().for_each(|k| lru.remove(k)),
            Invalidation::Prefix(p) => {
                let doomed: Vec<String> = lru.map.keys().filter(|k| k.starts_with(p.as_str())).cloned().collect();
                doomed.iter().for_each(|k| lru.remove(k));
            }
            Invalidation::All => *lru = Lru::default(),
        }
    }

    fn set_ready(&self, ready: bool) {
        self.invalidate(&Invalidation::All);
        self.ready.store(ready, Ordering::SeqCst);
    }
}

/// What an invalidation message drops from the local tiers of the other processes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Invalidation {
    /// These keys.
    Keys(Vec<String>),
    /// Every key starting with this.
    Prefix(String),
    /// Everything (namespace bump).
    All,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Message {
    origin: String,
    what: Invalidation,
}

/// The message published for `what`, sent by the process `origin`.
pub(crate) fn encode(origin: &str, what: Invalidation) -> Vec<u8> {
    serde_json::to_vec(&Message { origin: origin.to_string(), what }).unwrap_or_default()
}

/// Runs until `shutdown` is set: subscribes to `channel`, applies the other processes'
/// invalidations to `local`, and on a lost subscription clears the tier and resubscribes
/// (waits of 50 ms doubling to 2 s between attempts).
pub(crate) async fn listen(
    backend: BackendRef,
    local: Arc<Local>,
    channel: Vec<u8>,
    origin: String,
    shutdown: Arc<Once<()>>,
) {
    let mut backoff = Duration::from_millis(50);
    while shutdown.get().is_none() {
        if let Ok(mut sub) = open(&backend, &channel).await {
            backoff = Duration::from_millis(50);
            local.set_ready(true);
            loop {
                let next = first(sub.next_message(), shutdown.wait()).await;
                match next {
                    Err(()) => break,
                    Ok(Ok(Some(m))) => {
                        if let Ok(msg) = serde_json::from_slice::<Message>(&m.payload) {
                            if msg.origin != origin {
                                local.invalidate(&msg.what);
                            }
                        }
                    }
                    Ok(_) => break,
                }
            }
            local.set_ready(false);
        }
        if shutdown.get().is_some() {
            return;
        }
        first(backend.sleep(backoff), shutdown.wait()).await.ok();
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}

async fn open(backend: &BackendRef, channel: &[u8]) -> Result<Box<dyn Subscriber>> {
    let mut sub = backend.subscribe().await?;
    sub.subscribe(vec![channel.to_vec()]).await?;
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::SimBackend;
    use crate::sim::{Clock, Simulator};

    fn setup(capacity: usize) -> (Simulator, BackendRef, Local) {
        let sim = Simulator::with_clock(Clock::manual(1_000));
        let backend: BackendRef = Arc::new(SimBackend::new(sim.clone()));
        let local = Local::new(capacity, Duration::from_secs(60));
        local.set_ready(true);
        (sim, backend, local)
    }

    fn value(s: &str) -> Cached {
        (1, Arc::from(s.as_bytes()))
    }

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let (_sim, b, l) = setup(2);
        let ttl = Duration::from_secs(10);
        l.put(&b, "a", value("1"), ttl, l.epoch());
        l.put(&b, "b", value("2"), ttl, l.epoch());
        assert!(l.get("a").is_some(), "touching a makes b the oldest");
        l.put(&b, "c", value("3"), ttl, l.epoch());
        assert_eq!((l.get("a").is_some(), l.get("b").is_some(), l.get("c").is_some()), (true, false, true));
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn entries_expire_on_the_backends_clock() {
        let (sim, b, l) = setup(10);
        l.put(&b, "k", value("v"), Duration::from_millis(100), l.epoch());
        sim.advance_ms(99);
        assert!(l.get("k").is_some());
        sim.advance_ms(1);
        assert!(l.get("k").is_none());
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn a_read_older_than_an_invalidation_is_not_stored() {
        let (_sim, b, l) = setup(10);
        let before = l.epoch();
        l.invalidate(&Invalidation::Keys(vec!["k".into()]));
        l.put(&b, "k", value("old"), Duration::from_secs(1), before);
        assert!(l.get("k").is_none());
    }

    #[test]
    fn invalidations_drop_keys_prefixes_and_everything_and_a_lost_subscription_disables_the_tier() {
        let (_sim, b, l) = setup(10);
        for k in ["a", "p:1", "p:2", "z"] {
            l.put(&b, k, value(k), Duration::from_secs(1), l.epoch());
        }
        l.invalidate(&Invalidation::Keys(vec!["a".into()]));
        l.invalidate(&Invalidation::Prefix("p:".into()));
        assert_eq!(l.len(), 1);
        l.invalidate(&Invalidation::All);
        assert_eq!(l.len(), 0);
        l.put(&b, "z", value("z"), Duration::from_secs(1), l.epoch());
        l.set_ready(false);
        assert!(l.get("z").is_none());
        l.put(&b, "z", value("z"), Duration::from_secs(1), l.epoch());
        assert_eq!(l.len(), 0, "nothing is stored while the subscription is down");
    }

    #[test]
    fn messages_round_trip() {
        let m = encode("me", Invalidation::Prefix("user:".into()));
        let back: Message = serde_json::from_slice(&m).expect("decodes");
        assert_eq!((back.origin.as_str(), back.what), ("me", Invalidation::Prefix("user:".into())));
    }
}
