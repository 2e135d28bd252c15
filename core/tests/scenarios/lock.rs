//! Scenario adapter for the locks: `lock`, `semaphore` and `redlock` objects (scenarios in
//! tests/scenarios/{lock,semaphore,redlock}.json). Methods and argument names are the Rust
//! API's; durations are `*_ms`.
//!
//! Redlock instances are listed as `"instances": [0, 1, 2, "down"]`: `0` is the scenario's
//! backend, `i` its `other(i)` (an independent database), `"down"` an unreachable server.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::command;
use redkit::patterns::lock::{Lock, LockOptions};
use redkit::patterns::redlock::{Redlock, RedlockOptions};
use redkit::patterns::semaphore::{Semaphore, SemaphoreOptions};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// Builds `lock`, `semaphore` and `redlock` objects.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    match kind {
        "lock" => Some(new_lock(args, world)),
        "semaphore" => Some(new_semaphore(args, world)),
        "redlock" => Some(new_redlock(args, world)),
        _ => None,
    }
}

struct LockObject {
    lock: Lock,
    backend: BackendRef,
}

fn new_lock(args: &Args, world: &World) -> Result<Arc<dyn Object>, CallError> {
    let mut options = LockOptions::default();
    if let Some(ttl) = args.opt_ms("ttl_ms") {
        options = options.ttl(ttl);
    }
    if let Some(on) = args.opt_bool("reentrant") {
        options = options.reentrant(on);
    }
    if let Some(on) = args.opt_bool("watchdog") {
        options = options.watchdog(on);
    }
    if let Some(p) = args.opt_str("prefix") {
        options = options.prefix(&p);
    }
    if let Some(t) = args.opt_str("token") {
        options = options.token(&t);
    }
    let lock = Lock::new(world.backend.clone(), &args.str("name")?, options)?;
    Ok(Arc::new(LockObject { lock, backend: world.backend.clone() }))
}

fn opt_duration_ms(d: Option<Duration>) -> Json {
    d.map_or(Json::Null, |d| Json::from(d.as_millis() as u64))
}

impl Object for LockObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let lock = &self.lock;
            match method.as_str() {
                "try_acquire" => json(&lock.try_acquire().await?),
                "acquire" => json(&lock.acquire(args.ms("timeout_ms")?).await?),
                "release" => json(&lock.release().await?),
                "extend" => {
                    lock.extend(args.ms("ttl_ms")?).await?;
                    Ok(Json::Null)
                }
                "is_locked" => Ok(Json::Bool(lock.is_locked().await?)),
                "is_owned" => Ok(Json::Bool(lock.is_owned().await?)),
                "ttl" => Ok(opt_duration_ms(lock.ttl().await?)),
                "lost" => Ok(Json::Bool(lock.lost())),
                "token" => Ok(Json::String(lock.token().to_string())),
                // Runs INCR of `key` under the lock: {"fence": ..., "value": ...}.
                "with_lock" => {
                    let key = args.str("key")?;
                    let backend = self.backend.clone();
                    let (held, value) = lock
                        .with_lock(args.ms("timeout_ms")?, |held| async move {
                            (held, backend.command(command!("INCR", key)).await)
                        })
                        .await?;
                    Ok(serde_json::json!({"fence": held.fence, "value": crate::reply_json(&value?)}))
                }
                // Takes a guard, reads its fence, and releases it.
                "guard" => {
                    let guard = lock.guard(args.ms("timeout_ms")?).await?;
                    let fence = guard.fence();
                    let release = guard.release().await?;
                    Ok(serde_json::json!({"fence": fence, "released": release.released}))
                }
                other => Err(unknown_method("lock", other)),
            }
        })
    }
}

struct SemaphoreObject(Semaphore);

fn new_semaphore(args: &Args, world: &World) -> Result<Arc<dyn Object>, CallError> {
    let mut options = SemaphoreOptions::default();
    if let Some(n) = args.opt_u64("permits") {
        options = options.permits(u32::try_from(n).unwrap_or(u32::MAX));
    }
    if let Some(lease) = args.opt_ms("lease_ms") {
        options = options.lease(lease);
    }
    if let Some(p) = args.opt_str("prefix") {
        options = options.prefix(&p);
    }
    Ok(Arc::new(SemaphoreObject(Semaphore::new(world.backend.clone(), &args.str("name")?, options)?)))
}

impl Object for SemaphoreObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let s = &self.0;
            match method.as_str() {
                "try_acquire" => json(&s.try_acquire().await?),
                "acquire" => json(&s.acquire(args.ms("timeout_ms")?).await?),
                "release" => {
                    s.release(&args.str("token")?).await?;
                    Ok(Json::Null)
                }
                "extend" => {
                    s.extend(&args.str("token")?, args.ms("lease_ms")?).await?;
                    Ok(Json::Null)
                }
                "count" => Ok(Json::from(s.count().await?)),
                // Runs a count of the holders inside the permit: the number seen while held.
                "with_permit" => {
                    let inside = s.with_permit(args.ms("timeout_ms")?, |_| s.count()).await??;
                    Ok(Json::from(inside))
                }
                other => Err(unknown_method("semaphore", other)),
            }
        })
    }
}

struct RedlockObject(Redlock, BackendRef);

fn instance(spec: &Json, world: &World) -> Result<BackendRef, CallError> {
    match spec {
        Json::String(s) if s == "down" => Ok((world.unreachable)()),
        Json::Number(n) => match n.as_u64() {
            Some(0) => Ok(world.backend.clone()),
            Some(i @ 1..=8) => Ok((world.other)(i as usize)),
            _ => Err(CallError::Harness(format!("instance {n}: use 0 ..= 8"))),
        },
        other => Err(CallError::Harness(format!("instance {other}: a database number or \"down\""))),
    }
}

fn new_redlock(args: &Args, world: &World) -> Result<Arc<dyn Object>, CallError> {
    let specs = args.get("instances").and_then(Json::as_array).cloned().unwrap_or_default();
    let instances = specs.iter().map(|s| instance(s, world)).collect::<Result<Vec<_>, _>>()?;
    let mut options = RedlockOptions::default();
    if let Some(ttl) = args.opt_ms("ttl_ms") {
        options = options.ttl(ttl);
    }
    if let Some(f) = args.opt_f64("drift_factor") {
        options = options.drift_factor(f);
    }
    if let Some(n) = args.opt_u64("retry_count") {
        options = options.retry_count(u32::try_from(n).unwrap_or(u32::MAX));
    }
    if let Some(d) = args.opt_ms("retry_delay_ms") {
        options = options.retry_delay(d);
    }
    if let Some(d) = args.opt_ms("retry_jitter_ms") {
        options = options.retry_jitter(d);
    }
    if let Some(d) = args.opt_ms("instance_timeout_ms") {
        options = options.instance_timeout(d);
    }
    if let Some(p) = args.opt_str("prefix") {
        options = options.prefix(&p);
    }
    let redlock = Redlock::new(instances, &args.str("name")?, options)?;
    Ok(Arc::new(RedlockObject(redlock, world.backend.clone())))
}

impl Object for RedlockObject {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let r = &self.0;
            match method.as_str() {
                "try_acquire" => json(&r.try_acquire().await?),
                "acquire" => json(&r.acquire().await?),
                "release" => Ok(Json::from(r.release().await?)),
                "extend" => json(&r.extend(args.ms("ttl_ms")?).await?),
                "quorum" => Ok(Json::from(r.quorum())),
                // Runs INCR of `key` (on the scenario's backend) under the lock.
                "with_lock" => {
                    let key = args.str("key")?;
                    let backend = self.1.clone();
                    let value = r.with_lock(|_| async move { backend.command(command!("INCR", key)).await }).await??;
                    Ok(crate::reply_json(&value))
                }
                other => Err(unknown_method("redlock", other)),
            }
        })
    }
}
