//! Cache: JSON values in Redis with TTLs, and cache-aside [`Cache::get_or_set`] that protects the
//! source behind it from stampedes — what cashews, aiocache, dogpile.cache and cache-manager do,
//! in one place.
//!
//! - **Single flight in process**: concurrent `get_or_set` calls for one key in one [`Cache`]
//!   share one load.
//! - **One loader across processes**: a miss takes a short lock in the same script that reads
//!   the entry; the other processes register as waiters and block on a per-key list the loader
//!   pushes the value onto when it lands (`BLPOP`, bounded by `lock_wait`), then fall back to
//!   loading themselves.
//! - **XFetch** early recomputation: each entry keeps how long its load took (`delta`, on the
//!   server's clock); a hit recomputes early when `delta · beta · −ln(u) ≥ time left`.
//! - **Stale-while-revalidate**: within `stale` after an entry's TTL the old value is served and
//!   one process refreshes it in the background ([`Backend::spawn`](crate::backend::Backend::spawn)).
//! - **Negative caching**: a loader's `None` is remembered for `negative_ttl`.
//! - **Write-through** ([`Cache::write_through`]) and **write-behind** through a durable stream
//!   drained in batches to a [`Sink`] with retries ([`Cache::drain_behind`]).
//! - **Invalidation** by key, by tag (tag sets), by prefix (`SCAN` + `UNLINK` in batches, never
//!   `KEYS`) and of the whole namespace in O(1) by bumping its version.
//! - **Two levels**: a bounded local LRU in front of Redis kept coherent across processes by
//!   pub/sub invalidation ([`CacheOptions::local`]).
//! - **Counters**: hits, misses, loads, stale serves … ([`Cache::stats`]).
//!
//! Keys: every key of a cache named `NAME` is `PREFIX:cache:{NAME}:…` — entries `e:KEY`, the
//! namespace version `v`, tag sets `t:TAG`, load locks `l:KEY`, waiter counts `w:KEY`, waiter
//! lists `n:KEY`, the write-behind stream `wb` and its dead letters `wb:dead`; invalidations are published on
//! `PREFIX:cache:{NAME}:inval`. The hash tag keeps one cache in one cluster slot, which the
//! atomic steps need; spread load across caches by name.
//!
//! ```
//! use redkit::backend::{block_on, BackendRef, SimBackend};
//! use redkit::patterns::cache::{Cache, CacheOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend: BackendRef = Arc::new(SimBackend::new(Simulator::new()));
//! let cache = Cache::new(backend, "users", CacheOptions::default()).unwrap();
//! block_on(async {
//!     let ttl = Duration::from_secs(60);
//!     let user: Option<String> = cache.get_or_set("42", || async { Ok(Some("ann".to_string())) }, ttl).await?;
//!     assert_eq!(user.as_deref(), Some("ann"));
//!     // A second call is served from the cache: the loader is not called.
//!     let again: Option<String> = cache.get_or_set("42", || async { panic!("not called") }, ttl).await?;
//!     assert_eq!(again, user);
//!     assert_eq!((cache.stats().loads, cache.stats().hits), (1, 1));
//!     cache.delete("42").await?;
//!     assert_eq!(cache.get::<String>("42").await?, None);
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

#[path = "cache_behind.rs"]
mod behind;
#[path = "cache_flight.rs"]
mod flight;
#[path = "cache_local.rs"]
mod local;

pub use behind::{DrainOptions, DrainReport, Drainer, Sink, Write};

use self::flight::{Flights, Joined, Once};
use self::local::{Invalidation, Local};
use super::keys;
use crate::backend::value::{array, bytes, int};
use crate::backend::BackendRef;
use crate::command;
use crate::error::{Error, ErrorKind, Result};
use crate::scripts::cache::{CACHE_GET, CACHE_SET, CACHE_UNLOCK};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Longest TTL accepted (about 31 years), so server-side arithmetic stays exact.
const MAX_MS: u128 = 1_000_000_000_000;
/// Keys per `SCAN` page and per `UNLINK` batch.
const BATCH: usize = 500;

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn check_ms(what: &str, d: Duration, allow_zero: bool) -> Result<()> {
    let ms = d.as_millis();
    if (ms == 0 && !allow_zero) || ms > MAX_MS || (!d.is_zero() && ms == 0) {
        let lo = if allow_zero { "0" } else { "1 ms" };
        return Err(invalid(format!("{what} must be whole milliseconds between {lo} and 1e12 ms, got {d:?}")));
    }
    Ok(())
}

/// How a [`Cache`] behaves. `CacheOptions::default().stale(d).negative_ttl(d)…`. Deserialises
/// from the JavaScript packages' options (`{ lockTtl: 5000, localCapacity: 100 }`, see
/// [`super::wire`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct CacheOptions {
    /// Key prefix (default `redkit`).
    pub prefix: String,
    /// How long the cross-process load lock lives (default 5 s); a loader slower than this
    /// may be joined by a second one.
    #[serde(with = "crate::patterns::serde_ms")]
    pub lock_ttl: Duration,
    /// How long a process waits for another's load before loading itself (default 5 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub lock_wait: Duration,
    /// XFetch's β: 0 never recomputes early, 1 is the paper's default, larger is eagerer.
    pub beta: f64,
    /// Stale-while-revalidate window after an entry's TTL (default 0: off).
    #[serde(with = "crate::patterns::serde_ms")]
    pub stale: Duration,
    /// How long a loader's `None` is cached (default `None`: absence is not cached).
    #[serde(with = "crate::patterns::serde_ms::opt")]
    pub negative_ttl: Option<Duration>,
    /// Local tier size in entries (default 0: no local tier).
    pub local_capacity: usize,
    /// Longest time an entry stays in the local tier (default 60 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub local_ttl: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            prefix: keys::DEFAULT_PREFIX.to_string(),
            lock_ttl: Duration::from_secs(5),
            lock_wait: Duration::from_secs(5),
            beta: 1.0,
            stale: Duration::ZERO,
            negative_ttl: None,
            local_capacity: 0,
            local_ttl: Duration::from_secs(60),
        }
    }
}

impl CacheOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, p: &str) -> Self {
        self.prefix = p.to_string();
        self
    }

    /// Sets the load lock's lifetime.
    #[must_use]
    pub fn lock_ttl(mut self, d: Duration) -> Self {
        self.lock_ttl = d;
        self
    }

    /// Sets how long to wait for another process's load.
    #[must_use]
    pub fn lock_wait(mut self, d: Duration) -> Self {
        self.lock_wait = d;
        self
    }

    /// Sets XFetch's β.
    #[must_use]
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// Sets the stale-while-revalidate window.
    #[must_use]
    pub fn stale(mut self, d: Duration) -> Self {
        self.stale = d;
        self
    }

    /// Caches a loader's `None` for `d`.
    #[must_use]
    pub fn negative_ttl(mut self, d: Duration) -> Self {
        self.negative_ttl = Some(d);
        self
    }

    /// Adds a local tier of `capacity` entries, each kept at most `ttl`.
    #[must_use]
    pub fn local(mut self, capacity: usize, ttl: Duration) -> Self {
        self.local_capacity = capacity;
        self.local_ttl = ttl;
        self
    }

    fn check(&self) -> Result<()> {
        keys::validate("prefix", &self.prefix)?;
        check_ms("lock_ttl", self.lock_ttl, false)?;
        check_ms("lock_wait", self.lock_wait, false)?;
        check_ms("stale", self.stale, true)?;
        if let Some(n) = self.negative_ttl {
            check_ms("negative_ttl", n, false)?;
        }
        if self.local_capacity > 0 {
            check_ms("local_ttl", self.local_ttl, false)?;
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return Err(invalid(format!("beta must be a finite number >= 0, got {}", self.beta)));
        }
        Ok(())
    }
}

/// Per-entry settings for [`Cache::set_with`] and [`Cache::get_or_set_with`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SetOptions {
    /// How long the entry is fresh.
    pub ttl: Duration,
    /// Tags the entry can be invalidated by ([`Cache::invalidate_tag`]).
    pub tags: Vec<String>,
}

impl SetOptions {
    /// An entry fresh for `ttl`, with no tags.
    pub fn new(ttl: Duration) -> SetOptions {
        SetOptions { ttl, tags: Vec::new() }
    }

    /// Adds tags.
    #[must_use]
    pub fn tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.tags.extend(tags.into_iter().map(Into::into));
        self
    }

    fn check(&self) -> Result<()> {
        check_ms("ttl", self.ttl, false)?;
        if let Some(t) = self.tags.iter().find(|t| t.is_empty()) {
            return Err(invalid(format!("tags must be non-empty, got {t:?}")));
        }
        Ok(())
    }
}

/// What the cache counted since it was created.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups answered from the cache (either tier; cached absences included).
    pub hits: u64,
    /// Lookups that found nothing.
    pub misses: u64,
    /// Loader runs.
    pub loads: u64,
    /// Stale values served while a refresh ran (stale-while-revalidate).
    pub stale: u64,
    /// XFetch early recomputations.
    pub early_refreshes: u64,
    /// Hits served by the local tier.
    pub local_hits: u64,
    /// Calls that shared another call's load in this process.
    pub coalesced: u64,
    /// Misses answered by another process's load.
    pub waited: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    loads: AtomicU64,
    stale: AtomicU64,
    early: AtomicU64,
    local_hits: AtomicU64,
    coalesced: AtomicU64,
    waited: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Key names of one cache.
struct Keys {
    version: Vec<u8>,
    stream: Vec<u8>,
    dead: Vec<u8>,
    channel: Vec<u8>,
    prefix: String,
    name: String,
}

impl Keys {
    fn part(&self, part: &str) -> Vec<u8> {
        keys::part(&self.prefix, "cache", &self.name, part)
    }

    fn entry(&self, key: &str) -> Vec<u8> {
        self.part(&format!("e:{key}"))
    }

    /// entry, version, lock, waiters, notify: the keys of `cache_get`.
    fn of(&self, key: &str) -> Vec<Vec<u8>> {
        vec![
            self.entry(key),
            self.version.clone(),
            self.part(&format!("l:{key}")),
            self.part(&format!("w:{key}")),
            self.part(&format!("n:{key}")),
        ]
    }

    /// The user key of an entry key, if it is one of this cache's.
    fn user_key(&self, entry: &[u8]) -> Option<String> {
        let head = self.part("e:");
        entry.strip_prefix(head.as_slice()).map(|k| String::from_utf8_lossy(k).into_owned())
    }
}

/// What `cache_get` found.
struct Read {
    kind: i64,
    payload: Vec<u8>,
    left_ms: i64,
    now_ms: i64,
    lock: i64,
    early: bool,
}

impl Read {
    fn parse(v: crate::resp::Value) -> Result<Read> {
        let a = array(v)?;
        if a.len() != 7 {
            return Err(Error::new(ErrorKind::Protocol, format!("cache_get returned {} items", a.len())));
        }
        Ok(Read {
            kind: int(&a[0])?,
            payload: bytes(&a[1])?,
            left_ms: int(&a[3])?,
            now_ms: int(&a[4])?,
            lock: int(&a[5])?,
            early: int(&a[6])? == 1,
        })
    }

    fn fresh(&self) -> bool {
        self.kind != 0 && self.left_ms > 0
    }

    /// The value found: `Some(None)` for a cached absence, `None` for nothing.
    fn found(&self) -> Option<Option<Arc<[u8]>>> {
        match self.kind {
            1 => Some(Some(Arc::from(self.payload.as_slice()))),
            2 => Some(None),
            _ => None,
        }
    }
}

/// The shared result of one load: the serialised value, `None` when absent.
type Loaded = Result<Option<Arc<[u8]>>>;

struct Inner {
    backend: BackendRef,
    options: CacheOptions,
    keys: Keys,
    flights: Flights<Loaded>,
    local: Option<Arc<Local>>,
    origin: String,
    stats: Counters,
    shutdown: Arc<Once<()>>,
    rng: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.shutdown.set(());
    }
}

/// A cache over Redis. Cheap to clone (clones share counters, flights and the local tier).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cache({})", self.inner.keys.name)
    }
}

/// What an entry holds: a value, or a cached absence (negative caching).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Value = 1,
    Absent = 2,
}

impl Kind {
    /// As `cache_set`'s ARGV[1].
    fn arg(self) -> &'static [u8] {
        match self {
            Kind::Value => b"1",
            Kind::Absent => b"2",
        }
    }
}

impl Cache {
    /// A cache named `name` on `backend`. With a local tier, a background task
    /// ([`Backend::spawn`](crate::backend::Backend::spawn)) listens for invalidations; the tier
    /// is used once that subscription is live.
    pub fn new(backend: BackendRef, name: &str, options: CacheOptions) -> Result<Cache> {
        keys::validate("cache name", name)?;
        options.check()?;
        let k = |part: &str| keys::part(&options.prefix, "cache", name, part);
        let keys = Keys {
            version: k("v"),
            stream: k("wb"),
            dead: k("wb:dead"),
            channel: k("inval"),
            prefix: options.prefix.clone(),
            name: name.to_string(),
        };
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        let rng = AtomicU64::new(seed);
        let origin = format!("{:016x}{:016x}", splitmix(&rng), splitmix(&rng));
        let local =
            (options.local_capacity > 0).then(|| Arc::new(Local::new(options.local_capacity, options.local_ttl)));
        let shutdown = Arc::new(Once::new());
        if let Some(local) = &local {
            let task =
                local::listen(backend.clone(), local.clone(), keys.channel.clone(), origin.clone(), shutdown.clone());
            backend.spawn(Box::pin(task))?;
        }
        let inner = Inner {
            backend,
            options,
            keys,
            flights: Flights::new(),
            local,
            origin,
            stats: Counters::default(),
            shutdown,
            rng,
        };
        Ok(Cache { inner: Arc::new(inner) })
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        let s = &self.inner.stats;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CacheStats {
            hits: get(&s.hits),
            misses: get(&s.misses),
            loads: get(&s.loads),
            stale: get(&s.stale),
            early_refreshes: get(&s.early),
            local_hits: get(&s.local_hits),
            coalesced: get(&s.coalesced),
            waited: get(&s.waited),
        }
    }

    /// How many entries the local tier holds (0 without one).
    pub fn local_len(&self) -> usize {
        self.inner.local.as_ref().map_or(0, |l| l.len())
    }

    /// The fresh value of `key`, or `None` (missing, expired, stale, or a cached absence).
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        check_key(key)?;
        let s = &self.inner.stats;
        if let Some(found) = self.local_get(key) {
            return decode(found);
        }
        let epoch = self.epoch();
        let r = self.read(key, false, "").await?;
        if !r.fresh() {
            bump(&s.misses);
            return Ok(None);
        }
        bump(&s.hits);
        let found = r.found().flatten();
        self.local_put(key, &found, r.left_ms, epoch);
        decode(found)
    }

    /// Stores `value` under `key` for `ttl`.
    pub async fn set<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<()> {
        self.set_with(key, value, SetOptions::new(ttl)).await
    }

    /// Stores `value` under `key` with per-entry settings (TTL, tags).
    pub async fn set_with<T: Serialize>(&self, key: &str, value: &T, options: SetOptions) -> Result<()> {
        check_key(key)?;
        options.check()?;
        let payload = serde_json::to_vec(value)?;
        self.store_value(key, payload, &options, Store::default()).await.map(drop)
    }

    /// Deletes `key` (and drops it from every local tier); true if it existed.
    pub async fn delete(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let k = &self.inner.keys;
        let cmds = vec![command!("UNLINK", k.entry(key)), self.publish(Invalidation::Keys(vec![key.to_string()]))];
        self.drop_local(&Invalidation::Keys(vec![key.to_string()]));
        let replies = self.inner.backend.pipeline(cmds, false).await?;
        let removed = replies.first().map(int).transpose()?.unwrap_or(0);
        Ok(removed > 0)
    }

    /// Cache-aside: the cached value of `key`, or the loader's result, stored for `ttl`.
    /// See [`Cache::get_or_set_with`].
    pub async fn get_or_set<T, F, Fut>(&self, key: &str, loader: F, ttl: Duration) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<T>>> + Send + 'static,
    {
        self.get_or_set_with(key, loader, SetOptions::new(ttl)).await
    }

    /// Cache-aside with stampede protection: concurrent callers in this process share one
    /// call; across processes one caller loads while the others wait (up to `lock_wait`) for
    /// the value it stores, then load themselves. A fresh hit may recompute early (XFetch); a
    /// stale hit within the `stale` window is served while the loader refreshes it in the
    /// background — which is why the loader must be `Send + 'static`, like a task. A loader's
    /// `Ok(None)` is cached for `negative_ttl` if set; its error is returned and not cached.
    ///
    /// Round trips: one for a hit (the read that would take the lock on a miss); a miss adds
    /// the store after the loader ran (the loader runs between them, so they cannot merge),
    /// and a waiting process adds its `BLPOP`.
    pub async fn get_or_set_with<T, F, Fut>(&self, key: &str, loader: F, options: SetOptions) -> Result<Option<T>>
    where
        T: Serialize + DeserializeOwned + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<T>>> + Send + 'static,
    {
        check_key(key)?;
        options.check()?;
        if let Some(found) = self.local_get(key) {
            return decode(found);
        }
        // A leader cancelled by its caller abandons the flight; after a few, load directly.
        for _ in 0..3 {
            match self.inner.flights.join(key) {
                Joined::Leader(leader) => {
                    let result = self.fetch(key, loader, &options).await;
                    leader.finish(result.clone());
                    return decode(result?);
                }
                Joined::Follower(slot) => {
                    if let Some(result) = slot.wait().await {
                        bump(&self.inner.stats.coalesced);
                        return decode(result?);
                    }
                }
            }
        }
        decode(self.fetch(key, loader, &options).await?)
    }

    /// The cross-process half of [`Cache::get_or_set_with`], run by one caller per process.
    async fn fetch<T, F, Fut>(&self, key: &str, loader: F, options: &SetOptions) -> Loaded
    where
        T: Serialize + Send + 'static,
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<T>>> + Send + 'static,
    {
        let s = &self.inner.stats;
        let epoch = self.epoch();
        let token = self.token();
        let r = self.read(key, true, &token).await?;
        if r.fresh() {
            bump(&s.hits);
            let found = r.found().flatten();
            if r.early && r.lock == 1 {
                bump(&s.early);
                // XFetch: this caller recomputes now; the others keep the cached value.
                return match self.load(key, loader, options, Some(&token), r.now_ms).await {
                    Ok(v) => Ok(v),
                    Err(_) => Ok(found),
                };
            }
            self.local_put(key, &found, r.left_ms, epoch);
            return Ok(found);
        }
        if r.kind == 1 {
            bump(&s.stale);
            if r.lock == 1 {
                let cache = self.clone();
                let (owned_key, options, now, owned_token) =
                    (key.to_string(), options.clone(), r.now_ms, token.clone());
                let refresh = async move {
                    // The refresh's outcome reaches readers through the cache; an error leaves
                    // the stale value in place until the window closes.
                    let _ = cache.load(&owned_key, loader, &options, Some(&owned_token), now).await;
                };
                if self.inner.backend.spawn(Box::pin(refresh)).is_err() {
                    // No task runner (wasm32 without a spawner): give the lock back at once.
                    let _ = self.unlock(key, Some(&token), b"0").await;
                }
            }
            return Ok(r.found().flatten());
        }
        bump(&s.misses);
        if r.lock == 1 {
            return self.load(key, loader, options, Some(&token), r.now_ms).await;
        }
        if let Some(found) = self.wait_for(key).await? {
            bump(&s.waited);
            return Ok(found);
        }
        // The wait ran out or the other loader failed: one more look, then load ourselves
        // (under the lock if it is free now).
        let r = self.read(key, true, &token).await?;
        if r.fresh() {
            return Ok(r.found().flatten());
        }
        let token = (r.lock == 1).then_some(token.as_str());
        self.load(key, loader, options, token, r.now_ms).await
    }

    /// Waits for another process's load of `key`: `Some` with what it stored, `None` when the
    /// wait ran out or the loader failed.
    async fn wait_for(&self, key: &str) -> Result<Option<Option<Arc<[u8]>>>> {
        let notify = self.inner.keys.part(&format!("n:{key}"));
        let secs = format!("{:.3}", self.inner.options.lock_wait.as_secs_f64().max(0.001));
        let got = self.inner.backend.blocking(command!("BLPOP", notify, secs)).await?;
        let item = array(got)?.into_iter().nth(1).map(|v| bytes(&v)).transpose()?;
        Ok(match item.as_deref() {
            Some([b'1', payload @ ..]) => Some(Some(Arc::from(payload))),
            Some([b'2' | b'3', ..]) => Some(None),
            _ => None,
        })
    }

    /// Runs the loader and stores its result (releasing the lock `token`, if held, and
    /// handing the value to the waiters); `started_ms` is when the load began on the server's
    /// clock, so the entry records how long it took (XFetch's delta).
    async fn load<T, F, Fut>(
        &self,
        key: &str,
        loader: F,
        options: &SetOptions,
        token: Option<&str>,
        started_ms: i64,
    ) -> Loaded
    where
        T: Serialize,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        bump(&self.inner.stats.loads);
        let loaded = loader().await.and_then(|v| v.map(|v| serde_json::to_vec(&v).map_err(Error::from)).transpose());
        let store = Store { token: token.unwrap_or(""), started_ms, behind: None };
        match (loaded, self.inner.options.negative_ttl) {
            (Ok(Some(payload)), _) => self.store_value(key, payload, options, store).await,
            (Ok(None), Some(negative)) => {
                let options = SetOptions { ttl: negative, tags: options.tags.clone() };
                self.store(key, Kind::Absent, b"", &options, store).await?;
                Ok(None)
            }
            (Ok(None), None) => {
                self.unlock(key, token, b"3").await?;
                Ok(None)
            }
            (Err(e), _) => {
                // The loader's error wins over a failure to unlock (the lock expires anyway).
                let _ = self.unlock(key, token, b"0").await;
                Err(e)
            }
        }
    }

    async fn unlock(&self, key: &str, token: Option<&str>, marker: &[u8]) -> Result<()> {
        let Some(token) = token else { return Ok(()) };
        let k = self.inner.keys.of(key);
        let keys = vec![k[2].clone(), k[3].clone(), k[4].clone()];
        self.inner.backend.script(&CACHE_UNLOCK, keys, vec![token.as_bytes().to_vec(), marker.to_vec()]).await?;
        Ok(())
    }

    /// One `cache_get`: `lock` asks for the load lock when the caller would have to load.
    async fn read(&self, key: &str, lock: bool, token: &str) -> Result<Read> {
        let o = &self.inner.options;
        let factor = if lock { self.xfetch_factor() } else { 0.0 };
        let args = vec![
            if lock { b"1".to_vec() } else { b"0".to_vec() },
            token.as_bytes().to_vec(),
            o.lock_ttl.as_millis().to_string().into_bytes(),
            format!("{factor}").into_bytes(),
        ];
        Read::parse(self.inner.backend.script(&CACHE_GET, self.inner.keys.of(key), args).await?)
    }

    /// Stores a value in Redis and, when that succeeded, in the local tier.
    async fn store_value(&self, key: &str, payload: Vec<u8>, options: &SetOptions, how: Store<'_>) -> Loaded {
        let epoch = self.epoch();
        let left = self.store(key, Kind::Value, &payload, options, how).await?;
        let found = Some(Arc::from(payload));
        self.local_put(key, &found, left, epoch);
        Ok(found)
    }

    /// One `cache_set`; returns how long the entry is fresh, in ms.
    async fn store(&self, key: &str, kind: Kind, payload: &[u8], options: &SetOptions, how: Store<'_>) -> Result<i64> {
        let k = &self.inner.keys;
        let mut keys = k.of(key);
        keys.push(k.stream.clone());
        keys.extend(options.tags.iter().map(|t| k.part(&format!("t:{t}"))));
        let stale = match kind {
            Kind::Value => self.inner.options.stale,
            Kind::Absent => Duration::ZERO,
        };
        let message = local::encode(&self.inner.origin, Invalidation::Keys(vec![key.to_string()]));
        let args = vec![
            kind.arg().to_vec(),
            payload.to_vec(),
            options.ttl.as_millis().to_string().into_bytes(),
            stale.as_millis().to_string().into_bytes(),
            how.started_ms.max(0).to_string().into_bytes(),
            how.token.as_bytes().to_vec(),
            k.channel.clone(),
            message,
            how.behind.unwrap_or_default().as_bytes().to_vec(),
        ];
        self.inner.backend.script(&CACHE_SET, keys, args).await?;
        Ok(options.ttl.as_millis() as i64)
    }

    /// Write-through: hands `value` to `sink` (the store behind the cache) and, once it
    /// accepted it, caches it. If the sink fails the key is dropped from the cache, so the
    /// cache never claims a value the store may not have, and the sink's error is returned.
    pub async fn write_through<T, S>(&self, key: &str, value: T, options: SetOptions, sink: &S) -> Result<()>
    where
        T: Serialize,
        S: Sink<T> + ?Sized,
    {
        check_key(key)?;
        options.check()?;
        let payload = serde_json::to_vec(&value)?;
        if let Err(e) = sink.write(vec![Write { key: key.to_string(), value: Some(value) }]).await {
            let _ = self.delete(key).await;
            return Err(e);
        }
        self.store_value(key, payload, &options, Store::default()).await.map(drop)
    }

    /// Write-behind: caches `value` and, in the same step, appends the write to the cache's
    /// durable stream, which [`Cache::drain_behind`] / [`Cache::spawn_drainer`] deliver to the
    /// sink in batches.
    pub async fn write_behind<T: Serialize>(&self, key: &str, value: &T, options: SetOptions) -> Result<()> {
        check_key(key)?;
        options.check()?;
        let payload = serde_json::to_vec(value)?;
        let how = Store { behind: Some(key), ..Store::default() };
        self.store_value(key, payload, &options, how).await.map(drop)
    }

    /// Write-behind delete: removes `key` from the cache and queues the delete for the sink,
    /// in one transaction.
    pub async fn delete_behind(&self, key: &str) -> Result<bool> {
        check_key(key)?;
        let k = &self.inner.keys;
        let gone = Invalidation::Keys(vec![key.to_string()]);
        let cmds = vec![
            command!("UNLINK", k.entry(key)),
            command!("XADD", &k.stream, "*", "key", key, "kind", "0", "value", ""),
            self.publish(gone.clone()),
        ];
        self.drop_local(&gone);
        let replies = self.inner.backend.pipeline(cmds, true).await?;
        Ok(replies.first().map(int).transpose()?.unwrap_or(0) > 0)
    }

    /// Drops every entry tagged `tag`; returns how many entries were removed. The tag set is
    /// read and deleted in one transaction (an entry tagged afterwards stays), then its
    /// entries are unlinked in batches.
    pub async fn invalidate_tag(&self, tag: &str) -> Result<u64> {
        if tag.is_empty() {
            return Err(invalid("tag must be non-empty"));
        }
        let k = &self.inner.keys;
        let set = k.part(&format!("t:{tag}"));
        let replies =
            self.inner.backend.pipeline(vec![command!("SMEMBERS", &set), command!("DEL", &set)], true).await?;
        let members = replies.into_iter().next().map(array).transpose()?.unwrap_or_default();
        let entries = members.iter().map(bytes).collect::<Result<Vec<_>>>()?;
        let users: Vec<String> = entries.iter().filter_map(|e| k.user_key(e)).collect();
        self.unlink_all(entries, Invalidation::Keys(users)).await
    }

    /// Drops every entry whose key starts with `prefix` (`SCAN` pages of 500 and `UNLINK`
    /// batches — never `KEYS`, which would stall the server); returns how many were removed.
    pub async fn invalidate_prefix(&self, prefix: &str) -> Result<u64> {
        let k = &self.inner.keys;
        let mut pattern = glob_escape(&k.part("e:"));
        pattern.extend(glob_escape(prefix.as_bytes()));
        pattern.push(b'*');
        let mut cursor = b"0".to_vec();
        let mut found = Vec::new();
        loop {
            let page = self.inner.backend.command(command!("SCAN", &cursor, "MATCH", &pattern, "COUNT", BATCH)).await?;
            let mut page = array(page)?.into_iter();
            cursor = page.next().map(|c| bytes(&c)).transpose()?.unwrap_or_else(|| b"0".to_vec());
            let keys = page.next().map(array).transpose()?.unwrap_or_default();
            found.extend(keys.iter().map(bytes).collect::<Result<Vec<_>>>()?);
            if cursor == b"0" {
                break;
            }
        }
        self.unlink_all(found, Invalidation::Prefix(prefix.to_string())).await
    }

    /// Invalidates the whole cache in O(1): bumps the namespace version, so every entry
    /// stored before reads as a miss (and is unlinked when next read, or expires). Returns
    /// the new version.
    pub async fn invalidate_all(&self) -> Result<u64> {
        let k = &self.inner.keys;
        let cmds = vec![command!("INCR", &k.version), self.publish(Invalidation::All)];
        self.drop_local(&Invalidation::All);
        let replies = self.inner.backend.pipeline(cmds, false).await?;
        let v = replies.into_iter().next().map(crate::backend::reply_to_result).transpose()?;
        Ok(v.as_ref().map(int).transpose()?.unwrap_or(0).max(0) as u64)
    }

    /// Unlinks `entries` in batches, then tells the other processes' local tiers.
    async fn unlink_all(&self, entries: Vec<Vec<u8>>, what: Invalidation) -> Result<u64> {
        self.drop_local(&what);
        let mut removed = 0;
        for chunk in entries.chunks(BATCH) {
            removed += int(&self.inner.backend.command(command!("UNLINK", chunk.to_vec())).await?)?.max(0) as u64;
        }
        self.inner.backend.command(self.publish(what)).await?;
        Ok(removed)
    }

    fn publish(&self, what: Invalidation) -> crate::backend::Cmd {
        command!("PUBLISH", &self.inner.keys.channel, local::encode(&self.inner.origin, what))
    }

    fn epoch(&self) -> u64 {
        self.inner.local.as_ref().map_or(0, |l| l.epoch())
    }

    fn drop_local(&self, what: &Invalidation) {
        if let Some(l) = &self.inner.local {
            l.invalidate(what);
        }
    }

    fn local_get(&self, key: &str) -> Option<Option<Arc<[u8]>>> {
        let (kind, payload) = self.inner.local.as_ref()?.get(key)?;
        let s = &self.inner.stats;
        bump(&s.hits);
        bump(&s.local_hits);
        Some((kind == Kind::Value as u8).then_some(payload))
    }

    fn local_put(&self, key: &str, found: &Option<Arc<[u8]>>, left_ms: i64, epoch: u64) {
        let Some(l) = &self.inner.local else { return };
        let value = match found {
            Some(p) => (Kind::Value as u8, p.clone()),
            None => (Kind::Absent as u8, Arc::from(&b""[..])),
        };
        l.put(&self.inner.backend, key, value, Duration::from_millis(left_ms.max(0) as u64), epoch);
    }

    /// A fresh lock token, unique across processes.
    fn token(&self) -> String {
        format!("{}:{:016x}", self.inner.origin, splitmix(&self.inner.rng))
    }

    /// `beta · −ln(u)` for `u` uniform in (0, 1], capped so the server's arithmetic stays finite.
    fn xfetch_factor(&self) -> f64 {
        let beta = self.inner.options.beta;
        if beta == 0.0 {
            return 0.0;
        }
        let u = ((splitmix(&self.inner.rng) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        (beta * -u.ln()).min(1e12)
    }
}

/// How [`Cache::store`] stores: the lock token to release, when the load began, and the
/// write-behind key.
#[derive(Default)]
struct Store<'a> {
    token: &'a str,
    started_ms: i64,
    behind: Option<&'a str>,
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() {
        return Err(invalid("cache key must be non-empty"));
    }
    Ok(())
}

fn decode<T: DeserializeOwned>(found: Option<Arc<[u8]>>) -> Result<Option<T>> {
    found.map(|p| serde_json::from_slice(&p).map_err(Error::from)).transpose()
}

/// Escapes glob metacharacters so `SCAN MATCH` matches `s` literally.
fn glob_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if matches!(b, b'*' | b'?' | b'[' | b']' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

/// splitmix64 over an atomic state: lock tokens and XFetch draws.
fn splitmix(state: &AtomicU64) -> u64 {
    let mut z = state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_escape_makes_patterns_literal() {
        assert_eq!(glob_escape(b"a*b?[c]\\"), b"a\\*b\\?\\[c\\]\\\\".to_vec());
    }

    #[test]
    fn uniform_draws_lie_in_the_half_open_unit_interval() {
        let rng = AtomicU64::new(1);
        for _ in 0..1000 {
            let u = ((splitmix(&rng) >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
            assert!(u > 0.0 && u <= 1.0);
        }
    }
}
