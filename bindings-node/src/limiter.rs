//! `client.limiter(name, options)` → `Limiter` and `new LimiterSet([...])`: the core's rate
//! limiters (fixed window, sliding log, sliding window, token bucket, GCRA, concurrency), chosen
//! by `algorithm`, with cost, peek, reset, concurrency leases, `blockFor`, fail-open or -closed
//! and the local fallback. Every call resolves to a `Decision` (a `MultiDecision` for a set).

use crate::client::Client;
use crate::convert::{count, millis};
use crate::errors::to_js;
use crate::record::record;
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;
use redkit::patterns::limiter::{
    Algorithm, FailPolicy, Limiter as CoreLimiter, LimiterOptions as CoreOptions, LimiterSet as CoreSet, MultiDecision,
};
use serde_json::Value as Json;

/// Options of `client.limiter(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct LimiterOptions {
    /// `fixed_window` (default), `sliding_log`, `sliding_window`, `token_bucket`, `gcra` or
    /// `concurrency`.
    #[napi(ts_type = "'fixed_window' | 'sliding_log' | 'sliding_window' | 'token_bucket' | 'gcra' | 'concurrency'")]
    pub algorithm: Option<String>,
    /// Calls (cost units) per window; a token bucket's capacity; concurrent calls (default 10).
    pub limit: Option<f64>,
    /// The window (default 1,000); a concurrency lease's lifetime.
    pub window: Option<f64>,
    /// GCRA: calls that may pass at once (default: the limit).
    pub burst: Option<f64>,
    /// Token bucket: tokens added every `refillInterval` (default: the limit).
    pub refill: Option<f64>,
    /// Token bucket: how often `refill` tokens are added (default: the window).
    pub refill_interval: Option<f64>,
    /// After a denial, deny the key this long (default 0).
    pub block_for: Option<f64>,
    /// When Redis cannot be reached: `error` (reject, default), `open` (allow) or `closed`
    /// (deny).
    #[napi(ts_type = "'error' | 'open' | 'closed'")]
    pub on_unreachable: Option<String>,
    /// Keep limiting in this process while Redis cannot be reached.
    pub local_fallback: Option<bool>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

impl LimiterOptions {
    fn core(self) -> napi::Result<CoreOptions> {
        let mut o = CoreOptions::default()
            .algorithm(Algorithm::parse(self.algorithm.as_deref().unwrap_or("fixed_window")).map_err(to_js)?)
            .on_unreachable(FailPolicy::parse(self.on_unreachable.as_deref().unwrap_or("error")).map_err(to_js)?)
            .local_fallback(self.local_fallback.unwrap_or(false));
        if let Some(n) = self.limit {
            o = o.limit(count("limit", n)?);
        }
        if let Some(ms) = self.window {
            o = o.window(millis("window", ms)?);
        }
        if let Some(n) = self.burst {
            o = o.burst(count("burst", n)?);
        }
        if self.refill.is_some() || self.refill_interval.is_some() {
            let tokens = self.refill.map_or(Ok(o.limit), |n| count("refill", n))?;
            let every = self.refill_interval.map_or(Ok(o.window), |ms| millis("refillInterval", ms))?;
            o = o.refill(tokens, every);
        }
        if let Some(ms) = self.block_for {
            o = o.block_for(millis("blockFor", ms)?);
        }
        if let Some(p) = self.prefix {
            o = o.prefix(p);
        }
        Ok(o)
    }
}

/// A rate limiter: one limit per caller key.
#[napi]
pub struct Limiter {
    inner: CoreLimiter,
}

#[napi]
impl Client {
    /// A limiter named `name`.
    #[napi(strict, catch_unwind)]
    pub fn limiter(&self, name: String, options: Option<LimiterOptions>) -> napi::Result<Limiter> {
        let core = options.unwrap_or_default().core()?;
        Ok(Limiter { inner: CoreLimiter::new(self.backend.clone(), &name, core).map_err(to_js)? })
    }
}

/// A call's cost: 1 unless given.
fn cost(cost: Option<f64>) -> napi::Result<u64> {
    cost.map_or(Ok(1), |n| count("cost", n))
}

#[napi]
impl Limiter {
    /// Takes `cost` (default 1) from `key`'s allowance if it fits: a `Decision` (a concurrency
    /// limiter's admitted call carries a `lease`).
    #[napi(strict, ts_return_type = "Promise<Decision>")]
    pub async fn consume(&self, key: String, cost: Option<f64>) -> napi::Result<Json> {
        record(&self.inner.consume(&key, self::cost(cost)?).await.map_err(to_js)?)
    }

    /// Whether `cost` (default 1) would be allowed now, consuming nothing.
    #[napi(strict, ts_return_type = "Promise<Decision>")]
    pub async fn peek(&self, key: String, cost: Option<f64>) -> napi::Result<Json> {
        record(&self.inner.peek(&key, self::cost(cost)?).await.map_err(to_js)?)
    }

    /// Forgets everything about `key` (counts, tokens, leases, a block).
    #[napi(strict)]
    pub async fn reset(&self, key: String) -> napi::Result<()> {
        self.inner.reset(&key).await.map_err(to_js)
    }

    /// Ends a concurrency lease; true if it was live.
    #[napi(strict)]
    pub async fn release(&self, key: String, lease: String) -> napi::Result<bool> {
        self.inner.release(&key, &lease).await.map_err(to_js)
    }

    /// The limiter's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The algorithm's name (`gcra` …).
    #[napi(strict, getter, catch_unwind)]
    pub fn algorithm(&self) -> &'static str {
        self.inner.options().algorithm.as_str()
    }

    /// The limit (cost units per window, a bucket's capacity, concurrent calls).
    #[napi(strict, getter, catch_unwind)]
    pub fn limit(&self) -> f64 {
        self.inner.options().limit as f64
    }

    /// The window in ms.
    #[napi(strict, getter, catch_unwind)]
    pub fn window(&self) -> f64 {
        self.inner.options().window.as_secs_f64() * 1000.0
    }
}

/// Several limiters of one client checked atomically: a call is allowed only if every limit
/// allows it, and a denied call consumes from none.
#[napi]
pub struct LimiterSet {
    inner: CoreSet,
}

#[napi]
impl LimiterSet {
    /// A set of limiters made by one client (distinct names or prefixes).
    #[napi(strict, constructor, catch_unwind)]
    pub fn new(limiters: Vec<ClassInstance<'_, Limiter>>) -> napi::Result<Self> {
        Ok(LimiterSet { inner: CoreSet::new(limiters.iter().map(|l| l.inner.clone()).collect()).map_err(to_js)? })
    }

    /// Takes `cost` (default 1) from every limit if all allow it, from none otherwise.
    #[napi(strict, ts_return_type = "Promise<MultiDecision>")]
    pub async fn consume(&self, key: String, cost: Option<f64>) -> napi::Result<Json> {
        multi(&self.inner.consume(&key, self::cost(cost)?).await.map_err(to_js)?)
    }

    /// Whether `cost` (default 1) would be allowed by every limit now, consuming nothing.
    #[napi(strict, ts_return_type = "Promise<MultiDecision>")]
    pub async fn peek(&self, key: String, cost: Option<f64>) -> napi::Result<Json> {
        multi(&self.inner.peek(&key, self::cost(cost)?).await.map_err(to_js)?)
    }

    /// Forgets `key` in every limit.
    #[napi(strict)]
    pub async fn reset(&self, key: String) -> napi::Result<()> {
        self.inner.reset(&key).await.map_err(to_js)
    }

    /// Ends a lease a concurrency limit of the set handed out; true if it was live.
    #[napi(strict)]
    pub async fn release(&self, key: String, lease: String) -> napi::Result<bool> {
        self.inner.release(&key, &lease).await.map_err(to_js)
    }

    /// The names of the set's limiters, in order.
    #[napi(strict, getter, catch_unwind)]
    pub fn names(&self) -> Vec<String> {
        self.inner.limiters().iter().map(|l| l.name().to_string()).collect()
    }

    /// The set's limiters, in order (their limits and windows, e.g. for `RateLimit-Policy`).
    #[napi(strict, getter, catch_unwind)]
    pub fn limiters(&self) -> Vec<Limiter> {
        self.inner.limiters().iter().map(|l| Limiter { inner: l.clone() }).collect()
    }
}

/// A `MultiDecision` whose `decisions` are JavaScript `Decision`s too (`record` leaves nested
/// values as the core spells them).
fn multi(m: &MultiDecision) -> napi::Result<Json> {
    let mut out = record(m)?;
    let decisions = m.decisions.iter().map(record).collect::<napi::Result<Vec<_>>>()?;
    if let Json::Object(fields) = &mut out {
        fields.insert("decisions".to_string(), Json::Array(decisions));
    }
    Ok(out)
}
