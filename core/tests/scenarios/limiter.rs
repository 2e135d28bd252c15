//! Scenario adapter for the rate limiters: `limiter` (one [`Limiter`]) and `limiter_set` (a
//! [`LimiterSet`] built from a list of limiter specs). Arguments are the option names in
//! snake_case with durations as `*_ms`; `"unreachable": true` builds on a backend whose server
//! cannot be reached.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::limiter::{Algorithm, FailPolicy, Limiter, LimiterOptions, LimiterSet};
use serde_json::Value as Json;
use std::sync::Arc;

/// Constructs `limiter` and `limiter_set`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    let backend =
        if args.opt_bool("unreachable").unwrap_or(false) { (world.unreachable)() } else { world.backend.clone() };
    match kind {
        "limiter" => Some(limiter(args, backend).map(|l| Arc::new(One(l)) as Arc<dyn Object>)),
        "limiter_set" => Some(set(args, backend).map(|s| Arc::new(Set(s)) as Arc<dyn Object>)),
        _ => None,
    }
}

fn limiter(args: &Args, backend: BackendRef) -> Result<Limiter, CallError> {
    let mut o = LimiterOptions::default();
    if let Some(a) = args.opt_str("algorithm") {
        o = o.algorithm(Algorithm::parse(&a)?);
    }
    if let Some(n) = args.opt_u64("limit") {
        o = o.limit(n);
    }
    if let Some(d) = args.opt_ms("window_ms") {
        o = o.window(d);
    }
    if let Some(n) = args.opt_u64("burst") {
        o = o.burst(n);
    }
    if let Some(n) = args.opt_u64("refill") {
        let every = args.opt_ms("refill_interval_ms").unwrap_or(o.window);
        o = o.refill(n, every);
    }
    if let Some(d) = args.opt_ms("block_for_ms") {
        o = o.block_for(d);
    }
    if let Some(p) = args.opt_str("on_unreachable") {
        o = o.on_unreachable(FailPolicy::parse(&p)?);
    }
    if let Some(b) = args.opt_bool("local_fallback") {
        o = o.local_fallback(b);
    }
    if let Some(p) = args.opt_str("prefix") {
        o = o.prefix(p);
    }
    Ok(Limiter::new(backend, &args.str("name")?, o)?)
}

fn set(args: &Args, backend: BackendRef) -> Result<LimiterSet, CallError> {
    let specs = args.get("limiters").and_then(Json::as_array).ok_or_else(|| CallError::Harness("limiters".into()))?;
    let mut limiters = Vec::new();
    for spec in specs {
        let spec = Args(spec.as_object().cloned().ok_or_else(|| CallError::Harness("a limiter spec".into()))?);
        limiters.push(limiter(&spec, backend.clone())?);
    }
    Ok(LimiterSet::new(limiters)?)
}

struct One(Limiter);

impl Object for One {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let l = &self.0;
            let key = args.str("key")?;
            let cost = args.opt_u64("cost").unwrap_or(1);
            match method.as_str() {
                "consume" => json(&l.consume(&key, cost).await?),
                "peek" => json(&l.peek(&key, cost).await?),
                "reset" => json(&l.reset(&key).await?),
                "release" => json(&l.release(&key, &args.str("lease")?).await?),
                _ => Err(unknown_method("limiter", &method)),
            }
        })
    }
}

struct Set(LimiterSet);

impl Object for Set {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let s = &self.0;
            let key = args.str("key")?;
            let cost = args.opt_u64("cost").unwrap_or(1);
            match method.as_str() {
                "consume" => json(&s.consume(&key, cost).await?),
                "peek" => json(&s.peek(&key, cost).await?),
                "reset" => json(&s.reset(&key).await?),
                "release" => json(&s.release(&key, &args.str("lease")?).await?),
                _ => Err(unknown_method("limiter_set", &method)),
            }
        })
    }
}
