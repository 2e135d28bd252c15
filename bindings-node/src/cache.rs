//! `client.cache(name, options)` → `Cache`: the core's cache (TTLs, single flight in process and
//! across processes, XFetch, stale-while-revalidate, negative caching, tags, prefix and
//! namespace invalidation, a local tier kept coherent by pub/sub, write-through and write-behind
//! with retries and dead letters, counters). Values cross as JSON ([`crate::json`]); loaders and
//! sinks are [`Callback`]s; `lib/cache.js` adds `cache.wrap(fn)` over `getOrSet`.

use crate::callback::{report_text, to_js, Callback};
use crate::client::Client;
use crate::convert::millis;
use crate::errors::type_error;
use crate::json::JsJson;
use crate::record::record;
use napi::bindgen_prelude::Either;
use napi_derive::napi;
use redkit::backend::BoxFuture;
use redkit::patterns::cache::{
    Cache as CoreCache, CacheOptions as CoreOptions, DrainOptions as CoreDrain, Drainer as CoreDrainer, SetOptions,
    Write,
};
use serde_json::{json, Value as Json};
use std::sync::Arc;
use std::time::Duration;

/// Options of `client.cache(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct CacheOptions {
    /// Default entry TTL for calls that give none (without it every write needs a `ttl`).
    pub ttl: Option<f64>,
    /// Key prefix (default `redkit`).
    pub prefix: Option<String>,
    /// Lifetime of the cross-process load lock (default 5,000).
    pub lock_ttl: Option<f64>,
    /// How long another process's load is waited for before loading here (default 5,000).
    pub lock_wait: Option<f64>,
    /// XFetch's β: 0 never recomputes early, 1 (default) the paper's, larger is eagerer.
    pub beta: Option<f64>,
    /// Stale-while-revalidate window after an entry's TTL (default 0: off).
    pub stale: Option<f64>,
    /// How long a loader's "no value" (null/undefined) is cached (default: not cached).
    pub negative_ttl: Option<f64>,
    /// Entries of the in-process tier (default 0: none), kept coherent by pub/sub.
    pub local_capacity: Option<u32>,
    /// Longest stay of an entry in the local tier (default 60,000).
    pub local_ttl: Option<f64>,
}

/// Per-entry options of `set`, `getOrSet`, `writeThrough`, `writeBehind`.
#[napi(object)]
#[derive(Default)]
pub struct EntryOptions {
    /// How long the entry is fresh, in ms (default: the cache's `ttl`).
    pub ttl: Option<f64>,
    /// Tags to invalidate the entry by (`invalidateTag`).
    pub tags: Option<Vec<String>>,
}

/// Options of `drainBehind` and `spawnDrainer`.
#[napi(object)]
#[derive(Default)]
pub struct DrainOptions {
    /// Most writes handed to the sink at once (default 100).
    pub batch: Option<u32>,
    /// How long a failed batch stays pending before it is retried, in ms (default 5,000).
    pub retry_after: Option<f64>,
    /// How long the background drainer sleeps when idle, in ms (default 100).
    pub poll: Option<f64>,
    /// Deliveries of one write before it goes to the dead-letter stream (default 5).
    pub max_attempts: Option<u32>,
}

/// A cache over Redis whose values are JSON (Buffers stored tagged, see the README).
#[napi]
pub struct Cache {
    /// The core cache until `close()`: its local tier's subscription ends with the last clone.
    inner: std::sync::RwLock<Option<CoreCache>>,
    name: String,
    ttl: Option<Duration>,
}

#[napi]
impl Client {
    /// A cache named `name`.
    #[napi(strict, catch_unwind)]
    pub fn cache(&self, name: String, options: Option<CacheOptions>) -> napi::Result<Cache> {
        let o = options.unwrap_or_default();
        let ms = |what: &str, v: Option<f64>| v.map(|v| millis(what, v)).transpose();
        let mut core = CoreOptions::default();
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        if let Some(d) = ms("lockTtl", o.lock_ttl)? {
            core = core.lock_ttl(d);
        }
        if let Some(d) = ms("lockWait", o.lock_wait)? {
            core = core.lock_wait(d);
        }
        if let Some(b) = o.beta {
            core = core.beta(b);
        }
        if let Some(d) = ms("stale", o.stale)? {
            core = core.stale(d);
        }
        if let Some(d) = ms("negativeTtl", o.negative_ttl)? {
            core = core.negative_ttl(d);
        }
        let local_ttl = ms("localTtl", o.local_ttl)?.unwrap_or(core.local_ttl);
        core = core.local(o.local_capacity.unwrap_or(0) as usize, local_ttl);
        let ttl = ms("ttl", o.ttl)?;
        // A local tier subscribes in the background: on Redis that spawns on napi-rs's runtime.
        let inner =
            napi::bindgen_prelude::within_runtime_if_available(|| CoreCache::new(self.backend.clone(), &name, core))
                .map_err(to_js)?;
        Ok(Cache { inner: std::sync::RwLock::new(Some(inner)), name, ttl })
    }
}

/// A JavaScript sink (`sink(writes)`, plain or async) as the core's: called with an array of
/// `{ key, value, deleted }`.
#[derive(Clone)]
struct JsSink(Callback);

impl JsSink {
    fn write(&self, batch: Vec<Write<Json>>) -> BoxFuture<'static, redkit::Result<()>> {
        let cb = self.0.clone();
        let writes: Vec<Json> = batch
            .into_iter()
            .map(|w| json!({ "key": w.key, "deleted": w.value.is_none(), "value": w.value.unwrap_or(Json::Null) }))
            .collect();
        Box::pin(async move { cb.call(vec![Json::Array(writes)]).await.map(drop) })
    }
}

fn drain_options(o: Option<DrainOptions>) -> napi::Result<CoreDrain> {
    let o = o.unwrap_or_default();
    let mut d = CoreDrain::default();
    if let Some(n) = o.batch {
        d = d.batch(n as usize);
    }
    if let Some(ms) = o.retry_after {
        d = d.retry_after(millis("retryAfter", ms)?);
    }
    if let Some(ms) = o.poll {
        d = d.poll(millis("poll", ms)?);
    }
    if let Some(n) = o.max_attempts {
        d = d.max_attempts(n);
    }
    Ok(d)
}

impl Cache {
    /// The core cache (a cheap clone), or `InvalidArgumentError` once closed.
    fn core(&self) -> napi::Result<CoreCache> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        inner.clone().ok_or_else(|| crate::errors::invalid(format!("cache {:?} is closed", self.name)))
    }

    /// An entry's settings: a number is its TTL; an object `{ ttl, tags }`; the TTL defaults to
    /// the cache's.
    fn entry(&self, options: Option<Either<f64, EntryOptions>>) -> napi::Result<SetOptions> {
        let (ttl, tags) = match options {
            None => (None, None),
            Some(Either::A(ttl)) => (Some(ttl), None),
            Some(Either::B(o)) => (o.ttl, o.tags),
        };
        let ttl = ttl.map(|ms| millis("ttl", ms)).transpose()?.or(self.ttl).ok_or_else(|| {
            type_error("no ttl: pass { ttl } to this call, or a default to client.cache(name, { ttl })")
        })?;
        Ok(SetOptions::new(ttl).tags(tags.unwrap_or_default()))
    }
}

#[napi]
impl Cache {
    /// The fresh value of `key`, or null (missing, expired, stale, or a cached absence).
    #[napi(strict, ts_return_type = "Promise<any>")]
    pub async fn get(&self, key: String) -> napi::Result<JsJson> {
        Ok(JsJson(self.core()?.get::<Json>(&key).await.map_err(to_js)?.unwrap_or(Json::Null)))
    }

    /// Stores `value` under `key`; `options` is the TTL in ms or `{ ttl, tags }`.
    #[napi(strict, ts_args_type = "key: string, value: unknown, options?: number | EntryOptions")]
    pub async fn set(
        &self,
        key: String,
        value: JsJson,
        options: Option<Either<f64, EntryOptions>>,
    ) -> napi::Result<()> {
        let opts = self.entry(options)?;
        self.core()?.set_with(&key, &value.0, opts).await.map_err(to_js)
    }

    /// Deletes `key` here and in every process's local tier; true if it existed.
    #[napi(strict)]
    pub async fn delete(&self, key: String) -> napi::Result<bool> {
        self.core()?.delete(&key).await.map_err(to_js)
    }

    /// Cache-aside with stampede protection: the cached value of `key`, or what `loader()`
    /// (plain or async) returns, stored with `options` (TTL in ms or `{ ttl, tags }`).
    /// Concurrent callers share one load (in this process; other processes wait on a short
    /// lock). `null`/`undefined` from the loader is "no value" (cached for `negativeTtl` if
    /// set). What the loader throws reaches every caller sharing that load as itself, and is
    /// not cached.
    #[napi(
        strict,
        ts_args_type = "key: string, loader: () => unknown, options?: number | EntryOptions",
        ts_return_type = "Promise<any>"
    )]
    pub async fn get_or_set(
        &self,
        key: String,
        loader: Callback,
        options: Option<Either<f64, EntryOptions>>,
    ) -> napi::Result<JsJson> {
        let opts = self.entry(options)?;
        let load = move || async move {
            let v = loader.call(vec![]).await?;
            Ok((!v.is_null()).then_some(v))
        };
        let found = self.core()?.get_or_set_with::<Json, _, _>(&key, load, opts).await.map_err(to_js)?;
        Ok(JsJson(found.unwrap_or(Json::Null)))
    }

    /// Write-through: `sink([{ key, value, deleted: false }])` (the store behind the cache)
    /// first, then the cache. If the sink throws, the key is dropped from the cache and the
    /// sink's error rejects this call.
    #[napi(
        strict,
        ts_args_type = "key: string, value: unknown, sink: (writes: Write[]) => unknown, options?: number | EntryOptions"
    )]
    pub async fn write_through(
        &self,
        key: String,
        value: JsJson,
        sink: Callback,
        options: Option<Either<f64, EntryOptions>>,
    ) -> napi::Result<()> {
        let (opts, sink) = (self.entry(options)?, JsSink(sink));
        self.core()?.write_through(&key, value.0, opts, &|batch| sink.write(batch)).await.map_err(to_js)
    }

    /// Write-behind: caches `value` and queues the write on the cache's durable stream in the
    /// same step; `drainBehind` or `spawnDrainer` deliver it to a sink.
    #[napi(strict, ts_args_type = "key: string, value: unknown, options?: number | EntryOptions")]
    pub async fn write_behind(
        &self,
        key: String,
        value: JsJson,
        options: Option<Either<f64, EntryOptions>>,
    ) -> napi::Result<()> {
        let opts = self.entry(options)?;
        self.core()?.write_behind(&key, &value.0, opts).await.map_err(to_js)
    }

    /// Write-behind delete: removes `key` and queues the delete for the sink; true if it
    /// existed.
    #[napi(strict)]
    pub async fn delete_behind(&self, key: String) -> napi::Result<bool> {
        self.core()?.delete_behind(&key).await.map_err(to_js)
    }

    /// One write-behind drain pass: retries writes pending for `retryAfter`, reads up to
    /// `batch` new ones and hands them to `sink` (plain or async, called with an array of
    /// `{ key, value, deleted }`) as one batch, acknowledged when it returns. A sink error is
    /// reported in `error` (the writes stay pending); a write tried `maxAttempts` times goes
    /// to the dead-letter stream.
    #[napi(
        strict,
        ts_args_type = "sink: (writes: Write[]) => unknown, options?: DrainOptions",
        ts_return_type = "Promise<DrainReport>"
    )]
    pub async fn drain_behind(&self, sink: Callback, options: Option<DrainOptions>) -> napi::Result<Json> {
        let (sink, opts) = (JsSink(sink), drain_options(options)?);
        let mut report =
            self.core()?.drain_behind::<Json, _>(&|batch| sink.write(batch), &opts).await.map_err(to_js)?;
        report.error = report.error.map(|m| report_text(&m));
        record(&report)
    }

    /// Starts a background drainer running `drainBehind` passes with these options until
    /// `drainer.stop()`, sleeping `poll` ms when idle. It does not keep the process alive.
    #[napi(strict, ts_args_type = "sink: (writes: Write[]) => unknown, options?: DrainOptions", catch_unwind)]
    pub fn spawn_drainer(&self, sink: Callback, options: Option<DrainOptions>) -> napi::Result<Drainer> {
        let (sink, opts) = (JsSink(sink), drain_options(options)?);
        let write = Arc::new(move |batch: Vec<Write<Json>>| sink.write(batch));
        let cache = self.core()?;
        // Called on the JavaScript thread: a Redis backend spawns on napi-rs's tokio runtime.
        let inner = napi::bindgen_prelude::within_runtime_if_available(|| cache.spawn_drainer::<Json, _>(write, opts))
            .map_err(to_js)?;
        Ok(Drainer { inner })
    }

    /// Drops every entry tagged `tag`; resolves to how many were removed.
    #[napi(strict)]
    pub async fn invalidate_tag(&self, tag: String) -> napi::Result<f64> {
        Ok(self.core()?.invalidate_tag(&tag).await.map_err(to_js)? as f64)
    }

    /// Drops every entry whose key starts with `prefix` (SCAN + UNLINK, never KEYS); resolves to
    /// how many were removed.
    #[napi(strict)]
    pub async fn invalidate_prefix(&self, prefix: String) -> napi::Result<f64> {
        Ok(self.core()?.invalidate_prefix(&prefix).await.map_err(to_js)? as f64)
    }

    /// Invalidates the whole cache in O(1) by bumping its namespace version; resolves to the new
    /// version.
    #[napi(strict)]
    pub async fn invalidate_all(&self) -> napi::Result<f64> {
        Ok(self.core()?.invalidate_all().await.map_err(to_js)? as f64)
    }

    /// This cache object's counters so far (not a Promise).
    #[napi(strict, ts_return_type = "CacheStats", catch_unwind)]
    pub fn stats(&self) -> napi::Result<Json> {
        record(&self.core()?.stats())
    }

    /// How many entries the local tier holds (0 without one).
    #[napi(strict, catch_unwind)]
    pub fn local_len(&self) -> u32 {
        self.core().map_or(0, |c| u32::try_from(c.local_len()).unwrap_or(u32::MAX))
    }

    /// Releases this cache object: its local tier's invalidation subscription ends (once
    /// running calls and drainers are done), and further calls reject with
    /// `InvalidArgumentError`. Entries stay in Redis. Without it, that happens when the object
    /// is garbage-collected.
    #[napi(strict, catch_unwind)]
    pub fn close(&self) {
        self.inner.write().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// The cache's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The default entry TTL in ms, or null.
    #[napi(strict, getter, catch_unwind)]
    pub fn ttl(&self) -> Option<f64> {
        self.ttl.map(|d| d.as_secs_f64() * 1000.0)
    }
}

/// A background write-behind drainer (`cache.spawnDrainer`).
#[napi]
pub struct Drainer {
    inner: CoreDrainer,
}

#[napi]
impl Drainer {
    /// Stops it after its current batch.
    #[napi(strict, catch_unwind)]
    pub fn stop(&self) {
        self.inner.stop();
    }
}
