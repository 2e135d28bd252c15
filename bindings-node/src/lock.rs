//! `client.lock(name, options)` → `Lock`: the core's distributed lock (fencing tokens,
//! reentrancy, watchdog). `lib/lock.js` makes an acquisition disposable (`await using`) and adds
//! `withLock(fn)`.

use crate::client::Client;
use crate::convert::millis;
use crate::errors::to_js;
use crate::record::record;
use napi_derive::napi;
use redkit::patterns::lock::{Lock as CoreLock, LockOptions as CoreOptions};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// Options of `client.lock(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct LockOptions {
    /// Lease of a hold (default 10,000): the lock frees itself this long after the last
    /// acquire or extend unless released first.
    pub ttl: Option<f64>,
    /// How long `acquire()` waits by default (default 10,000; 0 tries once).
    pub blocking_timeout: Option<f64>,
    /// Let this owner acquire again while holding it (holds are counted).
    pub reentrant: Option<bool>,
    /// Renew the lease in the background while held (`lost` tells when a renewal failed).
    pub watchdog: Option<bool>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
    /// This owner's token (default: a random one); two handles with one token are one owner.
    pub token: Option<String>,
}

/// A distributed lock; one handle is one owner.
#[napi]
pub struct Lock {
    inner: Arc<CoreLock>,
    blocking_timeout: Duration,
}

#[napi]
impl Client {
    /// A lock named `name`.
    #[napi(strict, catch_unwind)]
    pub fn lock(&self, name: String, options: Option<LockOptions>) -> napi::Result<Lock> {
        let o = options.unwrap_or_default();
        let mut core =
            CoreOptions::default().reentrant(o.reentrant.unwrap_or(false)).watchdog(o.watchdog.unwrap_or(false));
        if let Some(ms) = o.ttl {
            core = core.ttl(millis("ttl", ms)?);
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        if let Some(t) = &o.token {
            core = core.token(t);
        }
        let blocking_timeout =
            o.blocking_timeout.map_or(Ok(Duration::from_secs(10)), |ms| millis("blockingTimeout", ms))?;
        let inner = CoreLock::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(Lock { inner: Arc::new(inner), blocking_timeout })
    }
}

#[napi]
impl Lock {
    /// Acquires, waiting up to `timeout` ms (default: the lock's `blockingTimeout`; 0 tries
    /// once). Resolves to an `Acquisition` (`acquired`, `fence`, `count`, `ttl`); when acquired
    /// it is disposable: `await using held = await lock.acquire()` releases at scope end.
    #[napi(strict, ts_return_type = "Promise<Acquisition>")]
    pub async fn acquire(&self, timeout: Option<f64>) -> napi::Result<Json> {
        let timeout = timeout.map_or(Ok(self.blocking_timeout), |ms| millis("timeout", ms))?;
        let got = if timeout.is_zero() { self.inner.try_acquire().await } else { self.inner.acquire(timeout).await };
        record(&got.map_err(to_js)?)
    }

    /// Tries once without waiting.
    #[napi(strict, ts_return_type = "Promise<Acquisition>")]
    pub async fn try_acquire(&self) -> napi::Result<Json> {
        record(&self.inner.try_acquire().await.map_err(to_js)?)
    }

    /// Releases one hold (`{ released, count }`); rejects with `LockNotOwnedError` if this
    /// owner does not hold it.
    #[napi(strict, ts_return_type = "Promise<Release>")]
    pub async fn release(&self) -> napi::Result<Json> {
        record(&self.inner.release().await.map_err(to_js)?)
    }

    /// Sets the lease of the held lock to `ttl` ms from now.
    #[napi(strict)]
    pub async fn extend(&self, ttl: f64) -> napi::Result<()> {
        self.inner.extend(millis("ttl", ttl)?).await.map_err(to_js)
    }

    /// Whether anyone holds the lock.
    #[napi(strict)]
    pub async fn is_locked(&self) -> napi::Result<bool> {
        self.inner.is_locked().await.map_err(to_js)
    }

    /// Whether this owner holds the lock.
    #[napi(strict)]
    pub async fn is_owned(&self) -> napi::Result<bool> {
        self.inner.is_owned().await.map_err(to_js)
    }

    /// The remaining lease in ms, or null when free.
    #[napi(strict)]
    pub async fn ttl(&self) -> napi::Result<Option<f64>> {
        Ok(self.inner.ttl().await.map_err(to_js)?.map(|d| d.as_secs_f64() * 1000.0))
    }

    /// Whether the watchdog could not renew the lease since the last acquire.
    #[napi(strict, getter, catch_unwind)]
    pub fn lost(&self) -> bool {
        self.inner.lost()
    }

    /// The lock's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// This owner's token.
    #[napi(strict, getter, catch_unwind)]
    pub fn token(&self) -> String {
        self.inner.token().to_string()
    }
}
