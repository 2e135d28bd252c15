//! [`Semaphore`]: a distributed counting semaphore — at most N holders at a time across every
//! process (N connections to a fragile service, N concurrent exports, N GPU jobs).
//!
//! Each permit is a lease: a random token in a sorted set scored by the lease's expiry (server
//! time). A holder that dies without releasing loses its permit when the lease runs out: the
//! acquire script reclaims expired leases before counting, so no janitor is needed. Holders
//! renew with [`Semaphore::extend`]. A blocking [`Semaphore::acquire`] waits on a signal list
//! that each release pushes to (one waiter woken per freed permit) and, failing a signal, until
//! the earliest lease runs out — never by polling, never past the caller's timeout.
//!
//! Keys: `PREFIX:semaphore:{NAME}` (the holders; it expires with its longest lease) and
//! `PREFIX:semaphore:{NAME}:signal`. Every operation is one script: one round trip.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::semaphore::{Semaphore, SemaphoreOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let exports = Semaphore::new(backend, "exports", SemaphoreOptions::default().permits(2))?;
//! block_on(async {
//!     let a = exports.try_acquire().await?;
//!     let b = exports.try_acquire().await?;
//!     assert!(a.acquired && b.acquired);
//!     assert_eq!(b.available, 0);
//!     assert!(!exports.try_acquire().await?.acquired);
//!     exports.release(a.token.as_deref().unwrap_or_default()).await?;
//!     let c = exports.acquire(Duration::from_millis(100)).await?;
//!     assert!(c.acquired);
//!     assert_eq!(exports.count().await?, 2);
//!     Ok::<(), redkit::Error>(())
//! })?;
//! # Ok::<(), redkit::Error>(())
//! ```

use super::lock::{acquire_with_wait, check_ms, new_token, not_owned, Attempt, SIGNAL_TTL_MS};
use crate::backend::{value, BackendRef};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::scripts::lock::{SEMAPHORE_ACQUIRE, SEMAPHORE_COUNT, SEMAPHORE_EXTEND, SEMAPHORE_RELEASE};
use std::future::Future;
use std::time::Duration;

/// The most permits one semaphore may have (the scripts accept 9 digits).
pub const MAX_PERMITS: u32 = 999_999_999;

/// How a [`Semaphore`] behaves. `SemaphoreOptions::default().permits(4).lease(d)`.
/// Deserialises from the JavaScript packages' options (`{ permits: 4, lease: 5000 }`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SemaphoreOptions {
    /// How many holders at a time (default 1).
    pub permits: u32,
    /// How long a permit lasts unless extended or released (default 10 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub lease: Duration,
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
}

impl Default for SemaphoreOptions {
    fn default() -> Self {
        SemaphoreOptions { permits: 1, lease: Duration::from_secs(10), prefix: keys::DEFAULT_PREFIX.to_string() }
    }
}

impl SemaphoreOptions {
    /// Sets the number of permits.
    #[must_use]
    pub fn permits(mut self, permits: u32) -> Self {
        self.permits = permits;
        self
    }

    /// Sets the lease.
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }
}

/// The outcome of an acquire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Permit {
    /// Whether a permit was granted.
    pub acquired: bool,
    /// The permit's token, for [`Semaphore::release`] and [`Semaphore::extend`]; `None` when
    /// refused.
    pub token: Option<String>,
    /// Permits still free after this call.
    pub available: u64,
    /// When refused, how long until the earliest lease runs out (a release may free one
    /// sooner); zero when granted.
    #[serde(rename = "retry_after_ms", with = "crate::patterns::serde_ms")]
    pub retry_after: Duration,
}

/// A distributed counting semaphore (see the [module documentation](self)). One handle serves
/// any number of holders: each granted [`Permit`] carries its own token.
#[derive(Clone)]
pub struct Semaphore {
    backend: BackendRef,
    name: String,
    holders: Vec<u8>,
    signal: Vec<u8>,
    permits: u32,
    lease_ms: u64,
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Semaphore({:?} on {}, {} permits)", self.name, self.backend.name(), self.permits)
    }
}

impl Semaphore {
    /// A semaphore named `name`. [`ErrorKind::InvalidArgument`] for a bad name or prefix,
    /// permits outside 1 ..= [`MAX_PERMITS`], or a lease under 1 ms.
    pub fn new(backend: BackendRef, name: &str, options: SemaphoreOptions) -> Result<Semaphore> {
        keys::validate("prefix", &options.prefix)?;
        keys::validate("semaphore name", name)?;
        if options.permits == 0 || options.permits > MAX_PERMITS {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("permits must be between 1 and {MAX_PERMITS}, got {}", options.permits),
            ));
        }
        let lease_ms = check_ms("a semaphore lease", options.lease, 1)?;
        Ok(Semaphore {
            backend,
            name: name.to_string(),
            holders: keys::base(&options.prefix, "semaphore", name),
            signal: keys::part(&options.prefix, "semaphore", name, "signal"),
            permits: options.permits,
            lease_ms,
        })
    }

    /// The semaphore's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Tries once for a permit, without waiting.
    pub async fn try_acquire(&self) -> Result<Permit> {
        Ok(self.attempt(&new_token()?).await?.0)
    }

    /// Takes a permit, waiting up to `timeout` (of the backend's time): woken by a release, or
    /// when the earliest lease runs out. `acquired: false` if none freed in time.
    pub async fn acquire(&self, timeout: Duration) -> Result<Permit> {
        let token = new_token()?;
        acquire_with_wait(&*self.backend, &self.signal, timeout, || self.attempt(&token)).await
    }

    /// Takes a permit (waiting up to `timeout`), runs `work` with it (its token, to
    /// [`extend`](Semaphore::extend) a long job), and returns the permit.
    /// [`ErrorKind::Timeout`] if no permit freed in time; [`ErrorKind::LockNotOwned`] if the
    /// lease ran out while `work` ran. If this future is dropped midway, the permit is left to
    /// expire with its lease.
    pub async fn with_permit<T, F, Fut>(&self, timeout: Duration, work: F) -> Result<T>
    where
        F: FnOnce(Permit) -> Fut,
        Fut: Future<Output = T>,
    {
        let permit = self.acquire(timeout).await?;
        let Some(token) = permit.token.clone() else {
            return Err(Error::new(
                ErrorKind::Timeout,
                format!("no permit of semaphore {:?} freed within {timeout:?}", self.name),
            ));
        };
        let out = work(permit).await;
        self.release(&token).await?;
        Ok(out)
    }

    /// Returns the permit `token` and wakes one waiter. [`ErrorKind::LockNotOwned`] if the
    /// token holds no live permit (released already, or its lease ran out).
    pub async fn release(&self, token: &str) -> Result<()> {
        let args = vec![
            token.as_bytes().to_vec(),
            SIGNAL_TTL_MS.to_string().into_bytes(),
            self.permits.to_string().into_bytes(),
        ];
        let reply =
            self.backend.script(&SEMAPHORE_RELEASE, vec![self.holders.clone(), self.signal.clone()], args).await?;
        self.owned(value::int(&reply)?)
    }

    /// Renews the permit `token` for `lease` from now. [`ErrorKind::LockNotOwned`] if it holds
    /// no live permit.
    pub async fn extend(&self, token: &str, lease: Duration) -> Result<()> {
        let lease_ms = check_ms("a semaphore lease", lease, 1)?;
        let args = vec![token.as_bytes().to_vec(), lease_ms.to_string().into_bytes()];
        let reply = self.backend.script(&SEMAPHORE_EXTEND, vec![self.holders.clone()], args).await?;
        self.owned(value::int(&reply)?)
    }

    /// How many permits are held now (live leases).
    pub async fn count(&self) -> Result<u64> {
        let reply = self.backend.script(&SEMAPHORE_COUNT, vec![self.holders.clone()], Vec::new()).await?;
        Ok(value::int(&reply)?.max(0) as u64)
    }

    fn owned(&self, reply: i64) -> Result<()> {
        if reply == 1 {
            Ok(())
        } else {
            Err(not_owned("a permit of semaphore", &self.name))
        }
    }

    /// One run of the acquire script for `token`.
    async fn attempt(&self, token: &str) -> Result<(Permit, Attempt)> {
        let args = vec![
            token.as_bytes().to_vec(),
            self.permits.to_string().into_bytes(),
            self.lease_ms.to_string().into_bytes(),
        ];
        let reply =
            self.backend.script(&SEMAPHORE_ACQUIRE, vec![self.holders.clone(), self.signal.clone()], args).await?;
        let items = value::array(reply)?;
        let at = |i: usize| items.get(i).map(value::int).unwrap_or_else(|| Ok(0));
        let (acquired, available, wait, now) = (at(0)? == 1, at(1)?, at(2)?, at(3)?);
        let permit = Permit {
            acquired,
            token: acquired.then(|| token.to_string()),
            available: available.max(0) as u64,
            retry_after: Duration::from_millis(wait.max(0) as u64),
        };
        Ok((permit, Attempt { done: acquired, now_ms: now, busy_for_ms: Some(wait) }))
    }
}
