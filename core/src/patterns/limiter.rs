//! Rate limiters: fixed window, sliding window log, sliding window counter, token bucket, GCRA
//! and a concurrency limiter, over any [`Backend`](crate::backend::Backend).
//!
//! What users of rate-limiter-flexible, limits, redis-cell and @upstash/ratelimit expect, in one
//! place: every call returns a [`Decision`] (allowed, remaining, limit, reset-after,
//! retry-after); a call may cost more than 1; [`Limiter::peek`] looks without consuming;
//! [`Limiter::reset`] forgets a caller; `block_for` blocks a caller for a while after a denial;
//! a [`LimiterSet`] checks several limits in one atomic call (a denied limit consumes from
//! none); and a [`FailPolicy`] (or an exact local fallback) decides what happens when the backend
//! is unreachable.
//!
//! Every decision is one round trip: the `limiter_check` script
//! ([`crate::scripts::limiter`]), which reads the server's clock, so callers' clocks never
//! matter. Keys are `PREFIX:limiter:NAME:{KEY}` (+ `:aux`, `:block`): the caller's key is the
//! hash tag, so all limits of one caller live in one cluster slot and different callers spread
//! over the cluster.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::limiter::{Limiter, LimiterOptions};
//! use redkit::sim::{Clock, Simulator};
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let sim = Simulator::with_clock(Clock::manual(1_700_000_000_000));
//! let backend = Arc::new(SimBackend::new(sim.clone()));
//! let per_second = LimiterOptions::fixed_window(2, Duration::from_secs(1));
//! let limiter = Limiter::new(backend, "api", per_second).unwrap();
//! block_on(async {
//!     assert!(limiter.consume("ann", 1).await.unwrap().allowed);
//!     assert!(limiter.consume("ann", 1).await.unwrap().allowed);
//!     let denied = limiter.consume("ann", 1).await.unwrap();
//!     assert!(!denied.allowed);
//!     assert_eq!(denied.retry_after, Duration::from_secs(1));
//!     sim.advance_ms(1_000);
//!     assert_eq!(limiter.consume("ann", 1).await.unwrap().remaining, 1);
//! });
//! ```

use super::keys;
use super::limiter_local::LocalFallback;
use crate::backend::{value, BackendRef};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use crate::scripts::limiter::{LIMITER_CHECK, LIMITER_RELEASE, MAX_ARG, MAX_GCRA_TOLERANCE_US};
use std::sync::Arc;
use std::time::Duration;

/// How a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// `limit` per window; the window starts with a caller's first call (like
    /// rate-limiter-flexible and limits). Exact within a window, allows up to 2× `limit` across
    /// a window boundary.
    #[default]
    FixedWindow,
    /// Exact: at most `limit` in any `window`, from a sorted-set log of calls (memory grows
    /// with `limit`).
    SlidingLog,
    /// Approximate sliding window from two fixed windows, the previous one weighted by how much
    /// of it still overlaps (constant memory; Cloudflare's and Upstash's sliding window).
    SlidingWindow,
    /// A bucket of `limit` tokens, refilled by `refill` tokens every `refill_interval`
    /// (defaults: `limit` every `window`).
    TokenBucket,
    /// Generic cell rate algorithm (redis-cell): `limit` per `window` evenly spaced (one every
    /// `window / limit`), with bursts of up to `burst` (default `limit`).
    Gcra,
    /// At most `limit` calls in flight; each admitted call holds a lease that ends on
    /// [`Limiter::release`] or by itself after `window`.
    Concurrency,
}

impl Algorithm {
    /// The snake_case name (`"fixed_window"`, `"token_bucket"` …) scenarios and bindings use.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed_window",
            Algorithm::SlidingLog => "sliding_log",
            Algorithm::SlidingWindow => "sliding_window",
            Algorithm::TokenBucket => "token_bucket",
            Algorithm::Gcra => "gcra",
            Algorithm::Concurrency => "concurrency",
        }
    }

    /// Parses a snake_case name; [`ErrorKind::InvalidArgument`] for an unknown one.
    pub fn parse(name: &str) -> Result<Algorithm> {
        const ALL: [Algorithm; 6] = [
            Algorithm::FixedWindow,
            Algorithm::SlidingLog,
            Algorithm::SlidingWindow,
            Algorithm::TokenBucket,
            Algorithm::Gcra,
            Algorithm::Concurrency,
        ];
        ALL.into_iter().find(|a| a.as_str() == name).ok_or_else(|| {
            invalid(format!(
                "unknown limiter algorithm {name:?}: expected fixed_window, sliding_log, sliding_window, token_bucket, gcra or concurrency"
            ))
        })
    }
}

impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        super::wire::parsed(d, Algorithm::parse)
    }
}

/// What a limiter answers when its backend is unreachable (a connection or timeout error) and
/// it has no local fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailPolicy {
    /// Return the error (the default).
    #[default]
    Error,
    /// Allow the call (availability over protection).
    Open,
    /// Deny the call, with `retry_after` = the window (protection over availability).
    Closed,
}

impl FailPolicy {
    /// Parses `"error"`, `"open"` or `"closed"`.
    pub fn parse(name: &str) -> Result<FailPolicy> {
        match name {
            "error" => Ok(FailPolicy::Error),
            "open" => Ok(FailPolicy::Open),
            "closed" => Ok(FailPolicy::Closed),
            _ => Err(invalid(format!("unknown fail policy {name:?}: expected error, open or closed"))),
        }
    }
}

impl<'de> serde::Deserialize<'de> for FailPolicy {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        super::wire::parsed(d, FailPolicy::parse)
    }
}

/// How a [`Limiter`] limits. Build with a constructor per algorithm
/// ([`LimiterOptions::fixed_window`] …) or from [`Default`] (10 per second, fixed window) and
/// the chained setters. Deserialises from the JavaScript packages' options (`{ algorithm:
/// 'gcra', limit: 10, window: 1000 }`, see [`super::wire`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct LimiterOptions {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Calls (cost units) per window; for [`Algorithm::Concurrency`], leases in flight.
    pub limit: u64,
    /// The window, in whole milliseconds; for [`Algorithm::Concurrency`], how long a lease
    /// lives unless released.
    #[serde(with = "crate::patterns::serde_ms")]
    pub window: Duration,
    /// GCRA: how many calls may pass at once (default `limit`).
    pub burst: Option<u64>,
    /// Token bucket: tokens added per refill (default `limit`).
    pub refill: Option<u64>,
    /// Token bucket: time between refills (default `window`).
    #[serde(with = "crate::patterns::serde_ms::opt")]
    pub refill_interval: Option<Duration>,
    /// After a denial, deny the caller for this long (zero: off), like rate-limiter-flexible's
    /// `blockDuration`.
    #[serde(with = "crate::patterns::serde_ms")]
    pub block_for: Duration,
    /// What to answer when the backend is unreachable and `local_fallback` is off.
    pub on_unreachable: FailPolicy,
    /// When the backend is unreachable, decide with an exact in-process limiter instead
    /// (limits then hold per process).
    pub local_fallback: bool,
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
}

impl Default for LimiterOptions {
    fn default() -> Self {
        LimiterOptions {
            algorithm: Algorithm::FixedWindow,
            limit: 10,
            window: Duration::from_secs(1),
            burst: None,
            refill: None,
            refill_interval: None,
            block_for: Duration::ZERO,
            on_unreachable: FailPolicy::Error,
            local_fallback: false,
            prefix: keys::DEFAULT_PREFIX.to_string(),
        }
    }
}

impl LimiterOptions {
    /// `algorithm`, `limit` per `window`.
    pub fn new(algorithm: Algorithm, limit: u64, window: Duration) -> LimiterOptions {
        LimiterOptions { algorithm, limit, window, ..LimiterOptions::default() }
    }

    /// `limit` per window, the window starting at a caller's first call.
    pub fn fixed_window(limit: u64, window: Duration) -> LimiterOptions {
        LimiterOptions::new(Algorithm::FixedWindow, limit, window)
    }

    /// At most `limit` in any `window`, exactly.
    pub fn sliding_log(limit: u64, window: Duration) -> LimiterOptions {
        LimiterOptions::new(Algorithm::SlidingLog, limit, window)
    }

    /// About `limit` in any `window`, from two weighted windows.
    pub fn sliding_window(limit: u64, window: Duration) -> LimiterOptions {
        LimiterOptions::new(Algorithm::SlidingWindow, limit, window)
    }

    /// A bucket of `capacity` tokens refilled by `refill` tokens every `every`.
    pub fn token_bucket(capacity: u64, refill: u64, every: Duration) -> LimiterOptions {
        LimiterOptions::new(Algorithm::TokenBucket, capacity, every).refill(refill, every)
    }

    /// GCRA: `limit` per `window`, evenly spaced, bursts of up to `burst`.
    pub fn gcra(limit: u64, window: Duration, burst: u64) -> LimiterOptions {
        LimiterOptions::new(Algorithm::Gcra, limit, window).burst(burst)
    }

    /// At most `limit` in flight; a lease not released ends by itself after `lease_ttl`.
    pub fn concurrency(limit: u64, lease_ttl: Duration) -> LimiterOptions {
        LimiterOptions::new(Algorithm::Concurrency, limit, lease_ttl)
    }

    /// Sets the algorithm.
    #[must_use]
    pub fn algorithm(mut self, a: Algorithm) -> Self {
        self.algorithm = a;
        self
    }

    /// Sets the limit.
    #[must_use]
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = n;
        self
    }

    /// Sets the window (lease lifetime for a concurrency limiter).
    #[must_use]
    pub fn window(mut self, d: Duration) -> Self {
        self.window = d;
        self
    }

    /// GCRA: sets the burst.
    #[must_use]
    pub fn burst(mut self, n: u64) -> Self {
        self.burst = Some(n);
        self
    }

    /// Token bucket: `tokens` come back every `every`.
    #[must_use]
    pub fn refill(mut self, tokens: u64, every: Duration) -> Self {
        self.refill = Some(tokens);
        self.refill_interval = Some(every);
        self
    }

    /// Blocks a caller for `d` after a denial.
    #[must_use]
    pub fn block_for(mut self, d: Duration) -> Self {
        self.block_for = d;
        self
    }

    /// What to answer when the backend is unreachable.
    #[must_use]
    pub fn on_unreachable(mut self, p: FailPolicy) -> Self {
        self.on_unreachable = p;
        self
    }

    /// Falls back to an exact in-process limiter when the backend is unreachable.
    #[must_use]
    pub fn local_fallback(mut self, on: bool) -> Self {
        self.local_fallback = on;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, p: impl Into<String>) -> Self {
        self.prefix = p.into();
        self
    }
}

/// One limit's answer to one call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Decision {
    /// Whether the call may proceed.
    pub allowed: bool,
    /// What is left after this call (cost units; GCRA: calls that could pass at once).
    pub remaining: u64,
    /// The limit (GCRA: the burst), as `X-RateLimit-Limit` reports it.
    pub limit: u64,
    /// Until the caller's state is back to empty (a full bucket, no calls counted).
    #[serde(rename = "reset_after_ms", with = "crate::patterns::serde_ms")]
    pub reset_after: Duration,
    /// Zero when allowed; otherwise how long until this call would be allowed if nobody else
    /// calls (`Retry-After`). For a concurrency limiter, until a lease expires; a release may
    /// free a slot sooner.
    #[serde(rename = "retry_after_ms", with = "crate::patterns::serde_ms")]
    pub retry_after: Duration,
    /// A concurrency limiter's lease for an admitted call: pass it to [`Limiter::release`].
    pub lease: Option<String>,
}

/// The answer of a [`LimiterSet`]: allowed only if every limit allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct MultiDecision {
    /// Whether the call may proceed (every limit allowed it, and all of them recorded it).
    pub allowed: bool,
    /// The longest wait among the limits that denied (zero when allowed).
    #[serde(rename = "retry_after_ms", with = "crate::patterns::serde_ms")]
    pub retry_after: Duration,
    /// Each limit's decision, in the set's order. When the call is denied nothing was consumed:
    /// `remaining` is what each limit has left.
    pub decisions: Vec<Decision>,
}

/// A rate limiter: one limit, per caller key.
#[derive(Debug, Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

struct Inner {
    backend: BackendRef,
    name: String,
    options: LimiterOptions,
    /// The script's per-limit arguments, computed once.
    args: [Vec<u8>; 6],
    /// `PREFIX:limiter:NAME:{`, the start of every key (built once: keys are made per call).
    head: Vec<u8>,
    local: LocalFallback,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("backend", &self.backend.name())
            .field("name", &self.name)
            .field("options", &self.options)
            .finish()
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn ms_in_range(what: &str, d: Duration, min: u64) -> Result<u64> {
    let ms = d.as_millis();
    if ms < u128::from(min) || ms > u128::from(MAX_ARG) {
        return Err(invalid(format!("{what} must be from {min} ms to {MAX_ARG} ms, got {d:?}")));
    }
    Ok(ms as u64)
}

fn count_in_range(what: &str, n: u64) -> Result<u64> {
    if n == 0 || n > MAX_ARG {
        return Err(invalid(format!("{what} must be from 1 to {MAX_ARG}, got {n}")));
    }
    Ok(n)
}

/// Checks the options and turns them into the script's six per-limit arguments.
fn script_args(o: &LimiterOptions) -> Result<[Vec<u8>; 6]> {
    keys::validate("prefix", &o.prefix)?;
    let limit = count_in_range("limit", o.limit)?;
    let window = ms_in_range("window", o.window, 1)?;
    let block = ms_in_range("block_for", o.block_for, 0)?;
    let (p1, p2) = match o.algorithm {
        Algorithm::TokenBucket => {
            let refill = count_in_range("refill", o.refill.unwrap_or(limit))?;
            let every = ms_in_range("refill_interval", o.refill_interval.unwrap_or(o.window), 1)?;
            (refill, every)
        }
        Algorithm::Gcra => {
            let burst = count_in_range("burst", o.burst.unwrap_or(limit))?;
            let window_us = u128::from(window) * 1000;
            if u128::from(limit) > window_us {
                return Err(invalid(format!(
                    "gcra needs at least 1 µs between calls: {limit} per {window} ms is faster"
                )));
            }
            let emission = window_us.div_ceil(u128::from(limit));
            if emission * u128::from(burst) > u128::from(MAX_GCRA_TOLERANCE_US) {
                return Err(invalid(format!(
                    "gcra burst × emission interval must be at most {MAX_GCRA_TOLERANCE_US} µs, got {burst} × {emission} µs"
                )));
            }
            (burst, 0)
        }
        _ => (0, 0),
    };
    let text = |n: u64| n.to_string().into_bytes();
    Ok([o.algorithm.as_str().as_bytes().to_vec(), text(limit), text(window), text(p1), text(p2), text(block)])
}

/// The most a call may cost on this limit: its limit, or its burst for GCRA.
fn capacity(o: &LimiterOptions) -> u64 {
    match o.algorithm {
        Algorithm::Gcra => o.burst.unwrap_or(o.limit),
        _ => o.limit,
    }
}

fn is_unreachable(e: &Error) -> bool {
    matches!(e.kind, ErrorKind::Connection | ErrorKind::Timeout)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Consume,
    Peek,
}

impl Limiter {
    /// A limiter named `name` (its keys are `PREFIX:limiter:NAME:{KEY}`). Checks the options:
    /// [`ErrorKind::InvalidArgument`] for a zero limit or window, values above 10¹², or a GCRA
    /// rate above one call per microsecond.
    pub fn new(backend: BackendRef, name: &str, options: LimiterOptions) -> Result<Limiter> {
        keys::validate("limiter name", name)?;
        let args = script_args(&options)?;
        let head = format!("{}:limiter:{name}:{{", options.prefix).into_bytes();
        let inner = Inner { backend, name: name.to_string(), options, args, head, local: LocalFallback::default() };
        Ok(Limiter { inner: Arc::new(inner) })
    }

    /// The limiter's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The limiter's options.
    pub fn options(&self) -> &LimiterOptions {
        &self.inner.options
    }

    /// The keys of `key`'s state: `PREFIX:limiter:NAME:{KEY}` (as [`keys::base`] makes it),
    /// then `:aux` and `:block` after it.
    fn keys_of(&self, key: &str) -> [Vec<u8>; 3] {
        let make = |suffix: &[u8]| {
            let mut k = Vec::with_capacity(self.inner.head.len() + key.len() + suffix.len());
            k.extend_from_slice(&self.inner.head);
            k.extend_from_slice(key.as_bytes());
            k.extend_from_slice(suffix);
            k
        };
        [make(b"}"), make(b"}:aux"), make(b"}:block")]
    }

    /// Takes `cost` from `key`'s allowance if it fits (cost 0 only looks). A concurrency
    /// limiter's admitted call carries a lease in [`Decision::lease`]. A cost above the limit
    /// (GCRA: the burst) can never fit: [`ErrorKind::InvalidArgument`].
    pub async fn consume(&self, key: &str, cost: u64) -> Result<Decision> {
        let set = std::slice::from_ref(self);
        one(decide(set, &self.inner.local, key, cost, Mode::Consume).await?)
    }

    /// Whether `cost` would be allowed now, consuming nothing and never blocking the caller.
    pub async fn peek(&self, key: &str, cost: u64) -> Result<Decision> {
        let set = std::slice::from_ref(self);
        one(decide(set, &self.inner.local, key, cost, Mode::Peek).await?)
    }

    /// Forgets everything about `key`: counts, tokens, leases and a block (one DEL; on the
    /// local fallback when the backend is unreachable and the limiter has one).
    pub async fn reset(&self, key: &str) -> Result<()> {
        reset_keys(std::slice::from_ref(self), &self.inner.local, key).await
    }

    /// Ends a concurrency lease before it expires. `Ok(true)` if it was live, `Ok(false)` if it
    /// had expired or is unknown. [`ErrorKind::InvalidArgument`] on other algorithms.
    pub async fn release(&self, key: &str, lease: &str) -> Result<bool> {
        if self.inner.options.algorithm != Algorithm::Concurrency {
            return Err(invalid(format!(
                "release is for concurrency limiters; {} is {}",
                self.inner.name,
                self.inner.options.algorithm.as_str()
            )));
        }
        keys::validate("key", key)?;
        let [state, aux, _] = self.keys_of(key);
        let run = |b: BackendRef| {
            let keys = vec![state.clone(), aux.clone()];
            async move { b.script(&LIMITER_RELEASE, keys, vec![lease.as_bytes().to_vec()]).await }
        };
        let reply = match run(self.inner.backend.clone()).await {
            Err(e) if is_unreachable(&e) && self.inner.options.local_fallback => {
                run(self.inner.local.backend()).await?
            }
            Err(e) if is_unreachable(&e) && self.inner.options.on_unreachable != FailPolicy::Error => return Ok(false),
            r => r?,
        };
        value::boolean(&reply)
    }
}

/// The one decision of a one-limit call.
fn one(mut v: Vec<Decision>) -> Result<Decision> {
    v.pop().ok_or_else(|| Error::new(ErrorKind::Protocol, "limiter_check answered no decision"))
}

/// Several limits checked and consumed in one atomic call: a call is allowed only if every
/// limit allows it, and a denied call consumes from none. Typical: 10 per second and 1000 per
/// hour on the same caller.
///
/// ```
/// use redkit::backend::{block_on, SimBackend};
/// use redkit::patterns::limiter::{Limiter, LimiterOptions, LimiterSet};
/// use redkit::sim::{Clock, Simulator};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let backend: redkit::backend::BackendRef = Arc::new(SimBackend::new(Simulator::with_clock(Clock::manual(0))));
/// let second = Limiter::new(backend.clone(), "s", LimiterOptions::fixed_window(2, Duration::from_secs(1))).unwrap();
/// let minute = Limiter::new(backend, "m", LimiterOptions::sliding_log(3, Duration::from_secs(60))).unwrap();
/// let both = LimiterSet::new(vec![second, minute]).unwrap();
/// block_on(async {
///     assert!(both.consume("ann", 2).await.unwrap().allowed);
///     let d = both.consume("ann", 2).await.unwrap();
///     assert!(!d.allowed);
///     assert_eq!(d.decisions[1].remaining, 1, "the minute limit was not charged");
/// });
/// ```
#[derive(Debug, Clone)]
pub struct LimiterSet {
    limiters: Vec<Limiter>,
    local: Arc<LocalFallback>,
}

impl LimiterSet {
    /// A set of limiters sharing one backend, with distinct names or prefixes.
    /// [`ErrorKind::InvalidArgument`] for an empty set, limiters on different backends, or two
    /// limiters with the same keys.
    pub fn new(limiters: Vec<Limiter>) -> Result<LimiterSet> {
        let first = limiters.first().ok_or_else(|| invalid("a limiter set needs at least one limiter"))?;
        for (i, l) in limiters.iter().enumerate() {
            if !Arc::ptr_eq(&l.inner.backend, &first.inner.backend) {
                return Err(invalid(format!("limiter {} uses another backend than {}", l.name(), first.name())));
            }
            let same = |m: &Limiter| m.keys_of("k") == l.keys_of("k");
            if limiters[..i].iter().any(same) {
                return Err(invalid(format!("limiter {} appears twice in the set", l.name())));
            }
        }
        Ok(LimiterSet { limiters, local: Arc::default() })
    }

    /// The limiters, in order.
    pub fn limiters(&self) -> &[Limiter] {
        &self.limiters
    }

    /// Takes `cost` from every limit if all of them allow it, from none otherwise.
    pub async fn consume(&self, key: &str, cost: u64) -> Result<MultiDecision> {
        decide(&self.limiters, &self.local, key, cost, Mode::Consume).await.map(multi)
    }

    /// Whether `cost` would be allowed by every limit now, consuming nothing.
    pub async fn peek(&self, key: &str, cost: u64) -> Result<MultiDecision> {
        decide(&self.limiters, &self.local, key, cost, Mode::Peek).await.map(multi)
    }

    /// Ends a lease a concurrency limit of the set handed out (see [`Limiter::release`]).
    /// `Ok(true)` if a live lease was released. One round trip per concurrency limit in the set
    /// (a set rarely has more than one). [`ErrorKind::InvalidArgument`] if the set has none.
    pub async fn release(&self, key: &str, lease: &str) -> Result<bool> {
        let mut found = false;
        let mut released = false;
        for l in self.limiters.iter().filter(|l| l.inner.options.algorithm == Algorithm::Concurrency) {
            found = true;
            released |= l.release(key, lease).await?;
        }
        if !found {
            return Err(invalid("release is for sets with a concurrency limiter"));
        }
        Ok(released)
    }

    /// Forgets `key` in every limit (one DEL).
    pub async fn reset(&self, key: &str) -> Result<()> {
        reset_keys(&self.limiters, &self.local, key).await
    }
}

fn multi(decisions: Vec<Decision>) -> MultiDecision {
    let allowed = decisions.iter().all(|d| d.allowed);
    let retry_after =
        if allowed { Duration::ZERO } else { decisions.iter().map(|d| d.retry_after).max().unwrap_or_default() };
    MultiDecision { allowed, retry_after, decisions }
}

async fn reset_keys(limiters: &[Limiter], local: &LocalFallback, key: &str) -> Result<()> {
    keys::validate("key", key)?;
    let Some(first) = limiters.first() else { return Ok(()) };
    let mut cmd = crate::backend::Cmd::new("DEL");
    for l in limiters {
        for k in l.keys_of(key) {
            cmd.push(k);
        }
    }
    match first.inner.backend.command(cmd.clone()).await {
        // With a local fallback the caller's state may live there: forget it there.
        Err(e) if is_unreachable(&e) && limiters.iter().all(|l| l.inner.options.local_fallback) => {
            local.backend().command(cmd).await.map(drop)
        }
        r => r.map(drop),
    }
}

/// Runs one decision over `limiters` (all on one backend), applying the fail policy.
async fn decide(
    limiters: &[Limiter],
    local: &LocalFallback,
    key: &str,
    cost: u64,
    mode: Mode,
) -> Result<Vec<Decision>> {
    keys::validate("key", key)?;
    for l in limiters {
        let cap = capacity(&l.inner.options);
        if cost > cap {
            return Err(invalid(format!("cost {cost} can never fit limiter {} (capacity {cap})", l.name())));
        }
    }
    let Some(first) = limiters.first() else { return Ok(Vec::new()) };
    match run(&first.inner.backend, limiters, key, cost, mode).await {
        Err(e) if is_unreachable(&e) => {
            if limiters.iter().all(|l| l.inner.options.local_fallback) {
                return run(&local.backend(), limiters, key, cost, mode).await;
            }
            let policy = limiters.iter().map(|l| l.inner.options.on_unreachable).fold(FailPolicy::Open, strictest);
            match policy {
                FailPolicy::Error => Err(e),
                FailPolicy::Open => Ok(limiters.iter().map(|l| substitute(l, true, cost)).collect()),
                FailPolicy::Closed => Ok(limiters.iter().map(|l| substitute(l, false, cost)).collect()),
            }
        }
        r => r,
    }
}

/// Error beats Closed beats Open.
fn strictest(a: FailPolicy, b: FailPolicy) -> FailPolicy {
    match (a, b) {
        (FailPolicy::Error, _) | (_, FailPolicy::Error) => FailPolicy::Error,
        (FailPolicy::Closed, _) | (_, FailPolicy::Closed) => FailPolicy::Closed,
        _ => FailPolicy::Open,
    }
}

/// The decision a fail-open or fail-closed policy gives without asking the backend.
fn substitute(l: &Limiter, allowed: bool, cost: u64) -> Decision {
    let cap = capacity(&l.inner.options);
    let wait = if allowed { Duration::ZERO } else { l.inner.options.window };
    Decision {
        allowed,
        remaining: if allowed { cap - cost.min(cap) } else { 0 },
        limit: cap,
        reset_after: wait,
        retry_after: wait,
        lease: None,
    }
}

/// One `limiter_check` call on `backend`.
async fn run(backend: &BackendRef, limiters: &[Limiter], key: &str, cost: u64, mode: Mode) -> Result<Vec<Decision>> {
    let mut keys = Vec::with_capacity(3 * limiters.len());
    let mut args = Vec::with_capacity(2 + 6 * limiters.len());
    args.push(cost.to_string().into_bytes());
    args.push(if mode == Mode::Peek { b"peek".to_vec() } else { b"consume".to_vec() });
    let leases = mode == Mode::Consume && limiters.iter().any(|l| l.inner.options.algorithm == Algorithm::Concurrency);
    args.push(if leases { lease_id().into_bytes() } else { Vec::new() });
    for l in limiters {
        keys.extend(l.keys_of(key));
        args.extend(l.inner.args.iter().cloned());
    }
    let reply = value::array(backend.script(&LIMITER_CHECK, keys, args).await?)?;
    if reply.len() != limiters.len() {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!("limiter_check answered {} decisions for {} limits", reply.len(), limiters.len()),
        ));
    }
    reply.into_iter().map(parse_decision).collect()
}

/// A lease id unique across processes: a 64-bit per-process random seed (foldhash's: address
/// space layout and, on native targets, the time) and a process-wide counter.
fn lease_id() -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| foldhash::fast::RandomState::default().hash_one(0x006c_6561_7365_u64));
    format!("{seed:016x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn parse_decision(v: Value) -> Result<Decision> {
    let items = value::array(v)?;
    let field = |i: usize| -> Result<i64> {
        items
            .get(i)
            .ok_or_else(|| Error::new(ErrorKind::Protocol, "limiter_check decision too short"))
            .and_then(value::int)
    };
    let ms = |i: usize| -> Result<Duration> {
        let n = field(i)?;
        if n < 0 {
            return Err(invalid("the cost can never fit this limit"));
        }
        Ok(Duration::from_millis(n as u64))
    };
    let lease = match items.get(5) {
        Some(v) => value::text(v)?,
        None => String::new(),
    };
    Ok(Decision {
        allowed: field(0)? == 1,
        remaining: field(1)?.max(0) as u64,
        limit: field(2)?.max(0) as u64,
        reset_after: ms(3)?,
        retry_after: ms(4)?,
        lease: (!lease.is_empty()).then_some(lease),
    })
}
