//! `client.cache(name, options)` → `Cache`: the core's cache (TTLs, single flight in the page
//! and across clients through a short lock, XFetch, stale-while-revalidate, negative caching,
//! tags, prefix and namespace invalidation, a local tier kept coherent by pub/sub,
//! write-through and write-behind with retries and dead letters, counters) with the Node
//! package's names. Values cross as JSON; loaders and sinks are [`Callback`]s; the Node
//! package's `cache.js` adds `cache.wrap(fn)` over `getOrSet`.

use crate::callback::{report_text, to_js, Callback};
use crate::client::Client;
use crate::convert::{js_of, json_of, options, record, text};
use crate::errors::{invalid, type_error};
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::Promise;
use redkit::backend::BoxFuture;
use redkit::patterns::cache::{
    Cache as CoreCache, CacheOptions as CoreOptions, DrainOptions, Drainer as CoreDrainer, SetOptions, Write,
};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// What the cache's options hold beyond the core's: the default entry TTL.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Defaults {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    ttl: Option<Duration>,
}

/// An entry's options object `{ ttl, tags }`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    ttl: Option<Duration>,
    tags: Option<Vec<String>>,
}

/// A cache whose values are JSON.
#[wasm_bindgen]
pub struct Cache {
    /// The core cache until `close()`: its local tier's subscription ends with the last clone.
    inner: RefCell<Option<CoreCache>>,
    name: String,
    ttl: Option<Duration>,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A cache named `name`.
    pub fn cache(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CacheOptions")] options_: Option<JsValue>,
    ) -> Result<Cache, JsValue> {
        let name = text(&name, "cache name")?;
        let options_ = options_.unwrap_or(JsValue::UNDEFINED);
        let core: CoreOptions = options(&options_, "cache options")?;
        let defaults: Defaults = options(&options_, "cache options")?;
        let inner = CoreCache::new(self.backend(), &name, core).map_err(to_js)?;
        Ok(Cache { inner: RefCell::new(Some(inner)), name, ttl: defaults.ttl, ticker: self.ticker().clone() })
    }
}

/// A JavaScript sink (`sink(writes)`, plain or async) as the core's: called with an array of
/// `{ key, value, deleted }`.
fn sink_write(sink: &Callback, batch: Vec<Write<Json>>) -> BoxFuture<'static, redkit::Result<()>> {
    let writes: Vec<Json> = batch
        .into_iter()
        .map(|w| json!({ "key": w.key, "deleted": w.value.is_none(), "value": w.value.unwrap_or(Json::Null) }))
        .collect();
    let call = sink.call(vec![Json::Array(writes)]);
    Box::pin(async move { call.await.map(drop) })
}

/// A sink argument.
fn sink_of(value: &JsValue) -> Result<Callback, JsValue> {
    Callback::new(value, "sink", "the sink's result")
}

/// A found value as JavaScript (null for none).
fn found(value: Option<Json>) -> JsValue {
    value.as_ref().map_or(JsValue::NULL, js_of)
}

impl Cache {
    /// The core cache (a cheap clone), or `InvalidArgumentError` once closed.
    fn core(&self) -> Result<CoreCache, JsValue> {
        self.inner.borrow().clone().ok_or_else(|| invalid(format!("cache {:?} is closed", self.name)))
    }

    /// The core cache and a string argument (a key, a tag, a prefix: `what`).
    fn keyed(&self, value: &JsValue, what: &str) -> Result<(CoreCache, String), JsValue> {
        Ok((self.core()?, text(value, what)?))
    }

    /// An entry's settings: a number is its TTL; an object `{ ttl, tags }`; the TTL defaults to
    /// the cache's.
    fn entry(&self, value: Option<JsValue>) -> Result<SetOptions, JsValue> {
        let value = value.unwrap_or(JsValue::UNDEFINED);
        let entry = match value.as_f64() {
            Some(ms) => Entry { ttl: Some(crate::convert::millis("ttl", ms)?), tags: None },
            None => options::<Entry>(&value, "entry options")?,
        };
        let ttl = entry.ttl.or(self.ttl).ok_or_else(|| {
            type_error("no ttl: pass { ttl } to this call, or a default to client.cache(name, { ttl })")
        })?;
        Ok(SetOptions::new(ttl).tags(entry.tags.unwrap_or_default()))
    }
}

#[wasm_bindgen]
impl Cache {
    /// The fresh value of `key`, or null (missing, expired, stale, or a cached absence).
    #[wasm_bindgen(unchecked_return_type = "Promise<any>")]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue) -> Promise {
        let call = self.keyed(&key, "key");
        promise(&self.ticker, async move {
            let (cache, key) = call?;
            Ok(found(cache.get::<Json>(&key).await.map_err(to_js)?))
        })
    }

    /// Stores `value` under `key`; `options` is the TTL in ms or `{ ttl, tags }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | EntryOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.put(&key, &value, options, Mode::Cache)
    }

    /// Deletes `key` here and in every client's local tier; true if it existed.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn delete(&self, #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue) -> Promise {
        self.remove(&key, Mode::Cache)
    }

    /// Cache-aside with stampede protection: the cached value of `key`, or what `loader()`
    /// (plain or async) returns, stored with `options` (TTL in ms or `{ ttl, tags }`).
    /// Concurrent callers share one load (in this page; other clients wait on a short lock).
    /// `null`/`undefined` from the loader is "no value" (cached for `negativeTtl` if set).
    /// What the loader throws reaches every caller sharing that load as itself, and is not
    /// cached.
    #[wasm_bindgen(js_name = getOrSet, unchecked_return_type = "Promise<any>")]
    pub fn get_or_set(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "() => unknown")] loader: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | EntryOptions")] options: Option<JsValue>,
    ) -> Promise {
        let call = self
            .keyed(&key, "key")
            .and_then(|k| Ok((k, Callback::new(&loader, "loader", "the loader's result")?, self.entry(options)?)));
        promise(&self.ticker, async move {
            let ((cache, key), loader, opts) = call?;
            let load = move || {
                let loading = loader.call(vec![]);
                async move { loading.await.map(|v| (!v.is_null()).then_some(v)) }
            };
            Ok(found(cache.get_or_set_with::<Json, _, _>(&key, load, opts).await.map_err(to_js)?))
        })
    }

    /// Write-through: `sink([{ key, value, deleted: false }])` (the store behind the cache)
    /// first, then the cache. If the sink throws, the key is dropped from the cache and the
    /// sink's error rejects this call.
    #[wasm_bindgen(js_name = writeThrough, unchecked_return_type = "Promise<void>")]
    pub fn write_through(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(writes: Write[]) => unknown")] sink: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | EntryOptions")] options: Option<JsValue>,
    ) -> Promise {
        let call = self
            .keyed(&key, "key")
            .and_then(|k| Ok((k, json_of(&value, "value")?, sink_of(&sink)?, self.entry(options)?)));
        promise(&self.ticker, async move {
            let ((cache, key), value, sink, opts) = call?;
            cache.write_through(&key, value, opts, &|batch| sink_write(&sink, batch)).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Write-behind: caches `value` and queues the write on the cache's durable stream in the
    /// same step; `drainBehind` or `spawnDrainer` deliver it to a sink.
    #[wasm_bindgen(js_name = writeBehind, unchecked_return_type = "Promise<void>")]
    pub fn write_behind(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | EntryOptions")] options: Option<JsValue>,
    ) -> Promise {
        self.put(&key, &value, options, Mode::Behind)
    }

    /// Write-behind delete: removes `key` and queues the delete for the sink; true if it
    /// existed.
    #[wasm_bindgen(js_name = deleteBehind, unchecked_return_type = "Promise<boolean>")]
    pub fn delete_behind(&self, #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue) -> Promise {
        self.remove(&key, Mode::Behind)
    }

    /// One write-behind drain pass: retries writes pending for `retryAfter`, reads up to
    /// `batch` new ones and hands them to `sink` (plain or async, called with an array of
    /// `{ key, value, deleted }`) as one batch, acknowledged when it returns. A sink error is
    /// reported in `error` (the writes stay pending); a write tried `maxAttempts` times goes
    /// to the dead-letter stream.
    #[wasm_bindgen(js_name = drainBehind, unchecked_return_type = "Promise<DrainReport>")]
    pub fn drain_behind(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(writes: Write[]) => unknown")] sink: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DrainOptions")] options_: Option<JsValue>,
    ) -> Promise {
        let call = self.drain_args(&sink, options_);
        promise(&self.ticker, async move {
            let (cache, sink, opts) = call?;
            let write = |batch| sink_write(&sink, batch);
            let mut report = cache.drain_behind::<Json, _>(&write, &opts).await.map_err(to_js)?;
            report.error = report.error.map(|m| report_text(&m));
            record(&report)
        })
    }

    /// Starts a background drainer running `drainBehind` passes with these options until
    /// `drainer.stop()`, sleeping `poll` ms when idle. It does not keep the process alive.
    #[wasm_bindgen(js_name = spawnDrainer)]
    pub fn spawn_drainer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(writes: Write[]) => unknown")] sink: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DrainOptions")] options_: Option<JsValue>,
    ) -> Result<Drainer, JsValue> {
        let (cache, sink, opts) = self.drain_args(&sink, options_)?;
        let write = Arc::new(move |batch: Vec<Write<Json>>| sink_write(&sink, batch));
        Ok(Drainer { inner: cache.spawn_drainer::<Json, _>(write, opts).map_err(to_js)? })
    }

    /// Drops every entry tagged `tag`; resolves to how many were removed.
    #[wasm_bindgen(js_name = invalidateTag, unchecked_return_type = "Promise<number>")]
    pub fn invalidate_tag(&self, #[wasm_bindgen(unchecked_param_type = "string")] tag: JsValue) -> Promise {
        self.invalidate(&tag, By::Tag)
    }

    /// Drops every entry whose key starts with `prefix` (SCAN + UNLINK, never KEYS); resolves
    /// to how many were removed.
    #[wasm_bindgen(js_name = invalidatePrefix, unchecked_return_type = "Promise<number>")]
    pub fn invalidate_prefix(&self, #[wasm_bindgen(unchecked_param_type = "string")] prefix: JsValue) -> Promise {
        self.invalidate(&prefix, By::Prefix)
    }

    /// Invalidates the whole cache in O(1) by bumping its namespace version; resolves to the
    /// new version.
    #[wasm_bindgen(js_name = invalidateAll, unchecked_return_type = "Promise<number>")]
    pub fn invalidate_all(&self) -> Promise {
        let cache = self.core();
        promise(&self.ticker, async move { Ok((cache?.invalidate_all().await.map_err(to_js)? as f64).into()) })
    }

    /// This cache object's counters so far (not a Promise).
    #[wasm_bindgen(unchecked_return_type = "CacheStats")]
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        record(&self.core()?.stats())
    }

    /// How many entries the local tier holds (0 without one).
    #[wasm_bindgen(js_name = localLen)]
    pub fn local_len(&self) -> u32 {
        self.core().map_or(0, |c| u32::try_from(c.local_len()).unwrap_or(u32::MAX))
    }

    /// Releases this cache object: its local tier's invalidation subscription ends (once
    /// running calls and drainers are done), and further calls reject with
    /// `InvalidArgumentError`. Entries stay in the simulator.
    pub fn close(&self) {
        self.inner.borrow_mut().take();
    }

    /// The cache's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The default entry TTL in ms, or null.
    #[wasm_bindgen(getter, unchecked_return_type = "number | null")]
    pub fn ttl(&self) -> JsValue {
        self.ttl.map_or(JsValue::NULL, |d| (d.as_secs_f64() * 1000.0).into())
    }
}

/// Whether a write or delete is the cache's alone or also queued for the write-behind sink.
#[derive(Clone, Copy)]
enum Mode {
    Cache,
    Behind,
}

/// What `invalidateTag` and `invalidatePrefix` match entries by.
#[derive(Clone, Copy)]
enum By {
    Tag,
    Prefix,
}

impl Cache {
    /// `set` or `writeBehind`.
    fn put(&self, key: &JsValue, value: &JsValue, options: Option<JsValue>, mode: Mode) -> Promise {
        let call = self.keyed(key, "key").and_then(|k| Ok((k, json_of(value, "value")?, self.entry(options)?)));
        promise(&self.ticker, async move {
            let ((cache, key), value, opts) = call?;
            match mode {
                Mode::Cache => cache.set_with(&key, &value, opts).await,
                Mode::Behind => cache.write_behind(&key, &value, opts).await,
            }
            .map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// `delete` or `deleteBehind`.
    fn remove(&self, key: &JsValue, mode: Mode) -> Promise {
        let call = self.keyed(key, "key");
        promise(&self.ticker, async move {
            let (cache, key) = call?;
            let existed = match mode {
                Mode::Cache => cache.delete(&key).await,
                Mode::Behind => cache.delete_behind(&key).await,
            };
            Ok(existed.map_err(to_js)?.into())
        })
    }

    /// `invalidateTag` or `invalidatePrefix`: resolves to how many entries went.
    fn invalidate(&self, value: &JsValue, by: By) -> Promise {
        let call = self.keyed(value, if matches!(by, By::Tag) { "tag" } else { "prefix" });
        promise(&self.ticker, async move {
            let (cache, value) = call?;
            let removed = match by {
                By::Tag => cache.invalidate_tag(&value).await,
                By::Prefix => cache.invalidate_prefix(&value).await,
            };
            Ok((removed.map_err(to_js)? as f64).into())
        })
    }

    /// The arguments of `drainBehind` and `spawnDrainer`.
    fn drain_args(
        &self,
        sink: &JsValue,
        value: Option<JsValue>,
    ) -> Result<(CoreCache, Callback, DrainOptions), JsValue> {
        let opts = options(&value.unwrap_or(JsValue::UNDEFINED), "drain options")?;
        Ok((self.core()?, sink_of(sink)?, opts))
    }
}

/// A background write-behind drainer (`cache.spawnDrainer`).
#[wasm_bindgen]
pub struct Drainer {
    inner: CoreDrainer,
}

#[wasm_bindgen]
impl Drainer {
    /// Stops it after its current batch.
    pub fn stop(&self) {
        self.inner.stop();
    }
}
