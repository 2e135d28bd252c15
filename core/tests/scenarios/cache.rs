//! Scenario adapter for the cache (`"new": "cache"`): maps scenario calls onto
//! `redkit::patterns::cache::Cache`. Values are JSON. The adapter provides what scenarios cannot
//! write as data: a canned loader for `get_or_set` (returns `load_value`, or fails with
//! `load_error`, `load_ms` of backend time after the step; `loads` counts its runs) and an in-memory
//! sink for write-through / write-behind (`sink` lists what it received, `fail_sink` makes
//! its next `times` writes fail).

use super::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::cache::{Cache, CacheOptions, DrainOptions, Drainer, SetOptions, Write};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The in-memory store behind the cache.
#[derive(Default)]
struct MemorySink {
    received: Mutex<Vec<Json>>,
    failures_left: AtomicU64,
}

impl MemorySink {
    fn write(self: &Arc<Self>, batch: Vec<Write<Json>>) -> BoxFuture<'static, redkit::Result<()>> {
        let me = self.clone();
        Box::pin(async move {
            let left = me.failures_left.load(Ordering::SeqCst);
            if left > 0 {
                me.failures_left.store(left - 1, Ordering::SeqCst);
                return Err(Error::new(ErrorKind::Connection, "sink unavailable"));
            }
            let mut got = me.received.lock().unwrap_or_else(|p| p.into_inner());
            got.extend(batch.into_iter().map(|w| serde_json::json!({"key": w.key, "value": w.value})));
            Ok(())
        })
    }
}

struct CacheObject {
    cache: Cache,
    drainer: Mutex<Option<Drainer>>,
    backend: BackendRef,
    loads: Arc<AtomicU64>,
    sink: Arc<MemorySink>,
}

pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "cache" {
        return None;
    }
    Some((|| {
        let mut o = CacheOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            o = o.prefix(&p);
        }
        if let Some(d) = args.opt_ms("lock_ttl_ms") {
            o = o.lock_ttl(d);
        }
        if let Some(d) = args.opt_ms("lock_wait_ms") {
            o = o.lock_wait(d);
        }
        if let Some(b) = args.opt_f64("beta") {
            o = o.beta(b);
        }
        if let Some(d) = args.opt_ms("stale_ms") {
            o = o.stale(d);
        }
        if let Some(d) = args.opt_ms("negative_ttl_ms") {
            o = o.negative_ttl(d);
        }
        if let Some(n) = args.opt_u64("local_capacity") {
            o = o.local(n as usize, args.opt_ms("local_ttl_ms").unwrap_or(Duration::from_secs(60)));
        }
        let cache = Cache::new(world.backend.clone(), &args.str("name")?, o)?;
        let obj = CacheObject {
            cache,
            drainer: Mutex::default(),
            backend: world.backend.clone(),
            loads: Arc::default(),
            sink: Arc::default(),
        };
        Ok(Arc::new(obj) as Arc<dyn Object>)
    })())
}

fn entry_options(args: &Args) -> Result<SetOptions, CallError> {
    let tags = if args.get("tags").is_some() { args.strs("tags")? } else { Vec::new() };
    Ok(SetOptions::new(args.ms("ttl_ms")?).tags(tags))
}

fn drain_options(args: &Args) -> DrainOptions {
    let mut o = DrainOptions::default();
    if let Some(n) = args.opt_u64("batch") {
        o = o.batch(n as usize);
    }
    if let Some(d) = args.opt_ms("retry_after_ms") {
        o = o.retry_after(d);
    }
    if let Some(d) = args.opt_ms("poll_ms") {
        o = o.poll(d);
    }
    if let Some(n) = args.opt_u64("max_attempts") {
        o = o.max_attempts(n as u32);
    }
    o
}

fn value(args: &Args) -> Json {
    args.0.get("value").cloned().unwrap_or(Json::Null)
}

impl CacheObject {
    /// The canned loader: counts its run, waits until `load_ms` of backend time after the step
    /// began (`wait`), then returns `load_value` (null: nothing found) or fails with
    /// `load_error`.
    fn loader(
        &self,
        args: &Args,
        wait: Option<BoxFuture<'static, ()>>,
    ) -> impl FnOnce() -> BoxFuture<'static, redkit::Result<Option<Json>>> + Send + 'static {
        let loads = self.loads.clone();
        let result = args.0.get("load_value").cloned().unwrap_or(Json::Null);
        let error = args.opt_str("load_error");
        move || {
            Box::pin(async move {
                loads.fetch_add(1, Ordering::SeqCst);
                if let Some(w) = wait {
                    w.await;
                }
                match error {
                    Some(e) => Err(Error::new(ErrorKind::Connection, e)),
                    None => Ok((!result.is_null()).then_some(result)),
                }
            })
        }
    }

    async fn run(&self, method: &str, args: Args, load_wait: Option<BoxFuture<'static, ()>>) -> CallResult {
        let c = &self.cache;
        let key = || args.str("key");
        match method {
            "get" => json(&c.get::<Json>(&key()?).await?),
            "set" => json(&c.set_with(&key()?, &value(&args), entry_options(&args)?).await?),
            "delete" => json(&c.delete(&key()?).await?),
            "get_or_set" => {
                json(&c.get_or_set_with(&key()?, self.loader(&args, load_wait), entry_options(&args)?).await?)
            }
            "loads" => json(&self.loads.load(Ordering::SeqCst)),
            "stats" => json(&c.stats()),
            "local_len" => json(&c.local_len()),
            "invalidate_tag" => json(&c.invalidate_tag(&args.str("tag")?).await?),
            "invalidate_prefix" => json(&c.invalidate_prefix(&args.str("prefix")?).await?),
            "invalidate_all" => json(&c.invalidate_all().await?),
            "write_through" => {
                let sink = self.sink.clone();
                let write = move |batch| sink.write(batch);
                json(&c.write_through(&key()?, value(&args), entry_options(&args)?, &write).await?)
            }
            "write_behind" => json(&c.write_behind(&key()?, &value(&args), entry_options(&args)?).await?),
            "delete_behind" => json(&c.delete_behind(&key()?).await?),
            "drain_behind" => {
                let sink = self.sink.clone();
                let write = move |batch| sink.write(batch);
                json(&c.drain_behind::<Json, _>(&write, &drain_options(&args)).await?)
            }
            "spawn_drainer" => {
                let sink = self.sink.clone();
                let write = Arc::new(move |batch| sink.write(batch));
                let handle = c.spawn_drainer::<Json, _>(write, drain_options(&args))?;
                *self.drainer.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
                json(&Json::Null)
            }
            "stop_drainer" => {
                if let Some(d) = self.drainer.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    d.stop();
                }
                json(&Json::Null)
            }
            "sink" => json(&*self.sink.received.lock().unwrap_or_else(|p| p.into_inner())),
            "fail_sink" => {
                self.sink.failures_left.store(args.u64("times")?, Ordering::SeqCst);
                json(&Json::Null)
            }
            other => Err(unknown_method("cache", other)),
        }
    }
}

impl Object for CacheObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        // The loader's `load_ms` counts from the step, not from when the spawned call gets
        // scheduled: a wait started late on the manual clock would miss the step's `advance`.
        let load_wait = args.opt_ms("load_ms").filter(|_| method == "get_or_set").map(|d| self.backend.sleep(d));
        Box::pin(async move { self.run(&method, args, load_wait).await })
    }
}
