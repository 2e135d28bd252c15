//! [`Redlock`]: one lock over N independent Redis masters (the Redlock algorithm, as
//! node-redlock and pottery implement it), for when a single Redis failing over must not hand
//! the lock to two owners.
//!
//! An attempt runs the [`Lock`](super::lock::Lock)'s acquire script on every instance at once,
//! each call bounded by a short per-instance timeout, and measures how long that took on the
//! client's monotonic clock. The lock is held when a majority (N/2+1, the quorum) granted it
//! and time is left: validity = ttl − elapsed − drift, where drift = ttl × drift factor + 2 ms
//! allows for the instances' clocks running at different rates. Otherwise the attempt is
//! undone on every instance that granted it or did not answer (a grant whose reply was lost
//! still holds), and retried after a delay plus random jitter, so competing clients stop
//! colliding. Release and extend also go to every instance; extend needs the quorum again.
//!
//! The keys are the [`Lock`](super::lock::Lock)'s on each instance, so a `Lock` on one of the
//! instances excludes a `Redlock` of the same name there. Each instance keeps its own fencing
//! counter; across instances there is no single monotonic sequence, so Redlock returns none:
//! when you need fencing tokens, use [`Lock`](super::lock::Lock) on one master.
//!
//! ```
//! use redkit::backend::{block_on, BackendRef, SimBackend};
//! use redkit::patterns::redlock::{Redlock, RedlockOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! // Three independent masters (here: three simulators).
//! let masters: Vec<BackendRef> = (0..3).map(|_| Arc::new(SimBackend::new(Simulator::new())) as BackendRef).collect();
//! let options = RedlockOptions::default().ttl(Duration::from_secs(10));
//! let a = Redlock::new(masters.clone(), "invoice-42", options.clone())?;
//! let b = Redlock::new(masters, "invoice-42", options.retry_count(0))?;
//! block_on(async {
//!     let held = a.acquire().await?;
//!     assert!(held.acquired && held.locked == 3 && held.quorum == 2);
//!     assert!(held.validity <= Duration::from_secs(10) - Duration::from_millis(102));
//!     assert!(!b.acquire().await?.acquired);
//!     assert_eq!(a.release().await?, 3);
//!     Ok::<(), redkit::Error>(())
//! })?;
//! # Ok::<(), redkit::Error>(())
//! ```

use super::lock::{acquire_on, check_ms, extend_on, new_token, not_owned, random_below, release_on, LockKeys, Wait};
use crate::backend::{Backend, BackendRef, BoxFuture};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;

/// The most retries one acquire may make.
pub const MAX_RETRIES: u32 = 10_000;

/// How a [`Redlock`] behaves.
/// `RedlockOptions::default().ttl(d).retry_count(5).retry_delay(d).retry_jitter(d)`.
/// Deserialises from the JavaScript packages' options (`{ ttl: 5000, retryCount: 5 }`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RedlockOptions {
    /// The lease on each instance (default 10 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub ttl: Duration,
    /// The share of the TTL allowed for clock drift between instances (default 0.01).
    pub drift_factor: f64,
    /// Further attempts after a failed one in [`Redlock::acquire`] (default 3).
    pub retry_count: u32,
    /// The pause between attempts (default 200 ms) …
    #[serde(with = "crate::patterns::serde_ms")]
    pub retry_delay: Duration,
    /// … plus a random extra of up to this much (default 100 ms).
    #[serde(with = "crate::patterns::serde_ms")]
    pub retry_jitter: Duration,
    /// The most one instance may take to answer before it counts as failed (default 100 ms;
    /// keep it small next to the TTL).
    #[serde(with = "crate::patterns::serde_ms")]
    pub instance_timeout: Duration,
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
}

impl Default for RedlockOptions {
    fn default() -> Self {
        RedlockOptions {
            ttl: Duration::from_secs(10),
            drift_factor: 0.01,
            retry_count: 3,
            retry_delay: Duration::from_millis(200),
            retry_jitter: Duration::from_millis(100),
            instance_timeout: Duration::from_millis(100),
            prefix: keys::DEFAULT_PREFIX.to_string(),
        }
    }
}

impl RedlockOptions {
    /// Sets the lease.
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets the drift factor.
    #[must_use]
    pub fn drift_factor(mut self, factor: f64) -> Self {
        self.drift_factor = factor;
        self
    }

    /// Sets how many times a failed attempt is retried.
    #[must_use]
    pub fn retry_count(mut self, retries: u32) -> Self {
        self.retry_count = retries;
        self
    }

    /// Sets the pause between attempts.
    #[must_use]
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// Sets the random extra pause.
    #[must_use]
    pub fn retry_jitter(mut self, jitter: Duration) -> Self {
        self.retry_jitter = jitter;
        self
    }

    /// Sets the per-instance timeout.
    #[must_use]
    pub fn instance_timeout(mut self, timeout: Duration) -> Self {
        self.instance_timeout = timeout;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }
}

/// The outcome of an acquire or extend.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RedlockAcquisition {
    /// Whether the lock is held (a quorum granted it with validity left).
    pub acquired: bool,
    /// How many instances granted it in the last attempt.
    pub locked: usize,
    /// How many grants are needed: N/2+1.
    pub quorum: usize,
    /// How long the lock is safe to use from now: ttl − elapsed − drift; zero when not held.
    #[serde(rename = "validity_ms", with = "crate::patterns::serde_ms")]
    pub validity: Duration,
    /// Attempts made.
    pub attempts: u32,
}

/// A lock over several independent masters (see the [module documentation](self)).
pub struct Redlock {
    instances: Vec<BackendRef>,
    name: String,
    keys: LockKeys,
    token: String,
    ttl_ms: u64,
    drift_factor: f64,
    retry_count: u32,
    retry_delay: Duration,
    retry_jitter_ms: u64,
    instance_timeout: Duration,
}

impl Redlock {
    /// A Redlock named `name` over `instances`. [`ErrorKind::InvalidArgument`] for no
    /// instances, a bad name or prefix, a TTL under 1 ms, a drift factor outside 0 ..< 1, more
    /// than [`MAX_RETRIES`] retries, or a zero instance timeout.
    pub fn new(instances: Vec<BackendRef>, name: &str, options: RedlockOptions) -> Result<Redlock> {
        let invalid = |m: String| Err(Error::new(ErrorKind::InvalidArgument, m));
        if instances.is_empty() {
            return invalid("a Redlock needs at least one instance".into());
        }
        let keys = LockKeys::new(&options.prefix, name)?;
        let ttl_ms = check_ms("a Redlock ttl", options.ttl, 1)?;
        if !(options.drift_factor >= 0.0 && options.drift_factor < 1.0) {
            return invalid(format!("the drift factor must be in 0 ..< 1, got {}", options.drift_factor));
        }
        if options.retry_count > MAX_RETRIES {
            return invalid(format!("at most {MAX_RETRIES} retries, got {}", options.retry_count));
        }
        if options.instance_timeout.is_zero() {
            return invalid("the instance timeout must be above zero".into());
        }
        let retry_jitter_ms = options.retry_jitter.as_millis().min(u128::from(u32::MAX)) as u64;
        Ok(Redlock {
            instances,
            name: name.to_string(),
            keys,
            token: new_token()?,
            ttl_ms,
            drift_factor: options.drift_factor,
            retry_count: options.retry_count,
            retry_delay: options.retry_delay,
            retry_jitter_ms,
            instance_timeout: options.instance_timeout,
        })
    }

    /// The lock's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The quorum: N/2+1.
    pub fn quorum(&self) -> usize {
        self.instances.len() / 2 + 1
    }

    /// One attempt, no retries.
    pub async fn try_acquire(&self) -> Result<RedlockAcquisition> {
        self.attempt(1).await
    }

    /// Attempts up to 1 + retry count times, pausing retry delay + jitter (of the first
    /// instance's time) between attempts. Fails with an error only when no instance answered
    /// the last attempt; refusals and unreachable minorities give `acquired: false`.
    pub async fn acquire(&self) -> Result<RedlockAcquisition> {
        let mut attempts = 1;
        // Bounded by retry_count (at most MAX_RETRIES).
        loop {
            // An attempt no instance answered is retried too: the outage may be brief.
            match self.attempt(attempts).await {
                Ok(result) if result.acquired || attempts > self.retry_count => return Ok(result),
                Err(e) if attempts > self.retry_count => return Err(e),
                _ => {}
            }
            let jitter = Duration::from_millis(random_below(self.retry_jitter_ms + 1)?);
            let pause = self.retry_delay.saturating_add(jitter);
            self.instances[0].sleep(pause).await;
            attempts += 1;
        }
    }

    /// Acquires ([`Redlock::acquire`], with its retries), runs `work` with the acquisition,
    /// and releases everywhere. [`ErrorKind::Timeout`] when no attempt reached the quorum;
    /// [`ErrorKind::LockNotOwned`] when the lock had expired on every instance by the time
    /// `work` finished (its result is then dropped: it ran unprotected). Keep `work` well
    /// inside the validity it is given.
    pub async fn with_lock<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(RedlockAcquisition) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let held = self.acquire().await?;
        if !held.acquired {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("Redlock {:?}: no quorum after {} attempts", self.name, held.attempts),
            ));
        }
        let out = work(held).await;
        self.release().await?;
        Ok(out)
    }

    /// Releases on every instance; returns how many released a hold of this owner.
    /// [`ErrorKind::LockNotOwned`] if none did.
    pub async fn release(&self) -> Result<usize> {
        let results = self.on_all(|b| Box::pin(release_on(b, &self.keys, &self.token))).await;
        let released = results.iter().filter(|r| matches!(r, Ok(left) if *left >= 0)).count();
        if released == 0 {
            if let Some(e) = all_failed(results) {
                return Err(e);
            }
            return Err(not_owned("Redlock", &self.name));
        }
        Ok(released)
    }

    /// Sets the lease on every instance to `ttl` from now. Needs the quorum and validity left;
    /// [`ErrorKind::LockNotOwned`] otherwise (the lock must then be treated as lost).
    pub async fn extend(&self, ttl: Duration) -> Result<RedlockAcquisition> {
        let ttl_ms = check_ms("a Redlock ttl", ttl, 1)?;
        let started = Stopwatch::start();
        let results = self.on_all(|b| Box::pin(extend_on(b, &self.keys.lock, &self.token, ttl_ms))).await;
        let extended = results.iter().filter(|r| matches!(r, Ok(true))).count();
        let validity = self.validity(ttl_ms, started.elapsed());
        if extended >= self.quorum() && !validity.is_zero() {
            return Ok(RedlockAcquisition {
                acquired: true,
                locked: extended,
                quorum: self.quorum(),
                validity,
                attempts: 1,
            });
        }
        if let Some(e) = all_failed(results) {
            return Err(e);
        }
        Err(not_owned("Redlock", &self.name))
    }

    async fn attempt(&self, attempts: u32) -> Result<RedlockAcquisition> {
        let started = Stopwatch::start();
        let results =
            self.on_all(|b| Box::pin(acquire_on(b, &self.keys, &self.token, self.ttl_ms, false, Wait::No))).await;
        let locked = results.iter().filter(|r| matches!(r, Ok(g) if g.acquired)).count();
        let validity = self.validity(self.ttl_ms, started.elapsed());
        let quorum = self.quorum();
        if locked >= quorum && !validity.is_zero() {
            return Ok(RedlockAcquisition { acquired: true, locked, quorum, validity, attempts });
        }
        // Undo wherever this attempt may hold: the grants, and the instances that failed (their
        // grant may have been lost on the way back). An instance that answered "taken" granted
        // nothing, and a hold this owner already had there stays.
        let undo: Vec<bool> = results.iter().map(|r| !matches!(r, Ok(g) if !g.acquired)).collect();
        let failed = all_failed(results);
        let _ = self.on(|i| undo[i], |b| Box::pin(release_on(b, &self.keys, &self.token))).await;
        if let Some(e) = failed {
            return Err(e);
        }
        Ok(RedlockAcquisition { acquired: false, locked, quorum, validity: Duration::ZERO, attempts })
    }

    /// ttl − elapsed − drift (drift = ttl × drift factor + 2 ms), at least zero.
    fn validity(&self, ttl_ms: u64, elapsed: Duration) -> Duration {
        let drift_ms = (ttl_ms as f64 * self.drift_factor).round() as u64 + 2;
        Duration::from_millis(ttl_ms).saturating_sub(elapsed).saturating_sub(Duration::from_millis(drift_ms))
    }

    /// Runs `op` on every instance at once, each bounded by the instance timeout.
    async fn on_all<'a, T: 'a>(&'a self, op: impl Fn(&'a dyn Backend) -> BoxFuture<'a, Result<T>>) -> Vec<Result<T>> {
        self.on(|_| true, op).await
    }

    /// Runs `op` at once on the instances whose index `which` accepts, each bounded by the
    /// instance timeout.
    async fn on<'a, T: 'a>(
        &'a self,
        which: impl Fn(usize) -> bool,
        op: impl Fn(&'a dyn Backend) -> BoxFuture<'a, Result<T>>,
    ) -> Vec<Result<T>> {
        let calls = self
            .instances
            .iter()
            .enumerate()
            .filter(|(i, _)| which(*i))
            .map(|(_, b)| bounded(&**b, self.instance_timeout, op(&**b)))
            .collect();
        join_all(calls).await
    }
}

impl std::fmt::Debug for Redlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redlock({:?} over {} instances, ttl {} ms)", self.name, self.instances.len(), self.ttl_ms)
    }
}

/// The first error when every instance failed.
fn all_failed<T>(results: Vec<Result<T>>) -> Option<Error> {
    let mut first = None;
    for r in results {
        match r {
            Ok(_) => return None,
            Err(e) => {
                first.get_or_insert(e);
            }
        }
    }
    first
}

/// `call`, or [`ErrorKind::Timeout`] once `limit` of `backend`'s time has passed.
fn bounded<'a, T: 'a>(
    backend: &'a dyn Backend,
    limit: Duration,
    call: BoxFuture<'a, Result<T>>,
) -> BoxFuture<'a, Result<T>> {
    let mut sleep = backend.sleep(limit);
    let mut call = call;
    Box::pin(poll_fn(move |cx| {
        if let Poll::Ready(v) = call.as_mut().poll(cx) {
            return Poll::Ready(v);
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Error::new(ErrorKind::Timeout, format!("no answer within {limit:?}"))));
        }
        Poll::Pending
    }))
}

/// Drives all `futures` at once; their outputs in order.
async fn join_all<T>(futures: Vec<BoxFuture<'_, T>>) -> Vec<T> {
    let mut pending: Vec<Option<BoxFuture<'_, T>>> = futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    poll_fn(|cx| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(f) = slot {
                if let Poll::Ready(v) = f.as_mut().poll(cx) {
                    *out = Some(v);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}

/// The client's monotonic clock for the elapsed part of validity. On wasm32 (where the
/// patterns run on the in-process simulator, whose calls take no time) there is no monotonic
/// clock in std, and elapsed counts as zero.
struct Stopwatch {
    #[cfg(not(target_family = "wasm"))]
    start: std::time::Instant,
}

impl Stopwatch {
    fn start() -> Stopwatch {
        Stopwatch {
            #[cfg(not(target_family = "wasm"))]
            start: std::time::Instant::now(),
        }
    }

    fn elapsed(&self) -> Duration {
        #[cfg(not(target_family = "wasm"))]
        return self.start.elapsed();
        #[cfg(target_family = "wasm")]
        return Duration::ZERO;
    }
}
