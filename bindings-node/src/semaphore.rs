//! `client.semaphore(name, options)` → `Semaphore`: the core's distributed counting semaphore,
//! whose permits are leases (a `Permit`'s `token`, renewed with `extend`, lost if not renewed).
//! One handle serves any number of holders. `lib/semaphore.js` makes a granted permit
//! disposable (`await using permit = await sem.acquire()`) and adds `withPermit(fn, timeout)`.

use crate::client::Client;
use crate::convert::{count, millis};
use crate::errors::to_js;
use crate::record::record;
use napi_derive::napi;
use redkit::patterns::semaphore::{Semaphore as CoreSemaphore, SemaphoreOptions as CoreOptions};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// Options of `client.semaphore(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct SemaphoreOptions {
    /// How many holders at a time (default 1).
    pub permits: Option<f64>,
    /// Lease of a permit (default 10,000): it frees itself this long after the acquire or the
    /// last extend unless released first.
    pub lease: Option<f64>,
    /// How long `acquire()` waits by default (default 10,000; 0 tries once).
    pub blocking_timeout: Option<f64>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

/// A distributed counting semaphore.
#[napi]
pub struct Semaphore {
    inner: Arc<CoreSemaphore>,
    blocking_timeout: Duration,
}

#[napi]
impl Client {
    /// A semaphore named `name` with `permits` holders at a time.
    #[napi(strict, catch_unwind)]
    pub fn semaphore(&self, name: String, options: Option<SemaphoreOptions>) -> napi::Result<Semaphore> {
        let o = options.unwrap_or_default();
        let mut core = CoreOptions::default();
        if let Some(n) = o.permits {
            core = core.permits(u32::try_from(count("permits", n)?).unwrap_or(u32::MAX));
        }
        if let Some(ms) = o.lease {
            core = core.lease(millis("lease", ms)?);
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        let blocking_timeout =
            o.blocking_timeout.map_or(Ok(Duration::from_secs(10)), |ms| millis("blockingTimeout", ms))?;
        let inner = CoreSemaphore::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(Semaphore { inner: Arc::new(inner), blocking_timeout })
    }
}

#[napi]
impl Semaphore {
    /// Takes a permit, waiting up to `timeout` ms (default: the semaphore's `blockingTimeout`;
    /// 0 tries once). A `Permit` (`acquired`, `token`, `available`, `retryAfter`); when granted
    /// it is disposable: `await using permit = await sem.acquire()` releases it at scope end.
    #[napi(strict, ts_return_type = "Promise<Permit>")]
    pub async fn acquire(&self, timeout: Option<f64>) -> napi::Result<Json> {
        let timeout = timeout.map_or(Ok(self.blocking_timeout), |ms| millis("timeout", ms))?;
        let got = if timeout.is_zero() { self.inner.try_acquire().await } else { self.inner.acquire(timeout).await };
        record(&got.map_err(to_js)?)
    }

    /// Tries once without waiting.
    #[napi(strict, ts_return_type = "Promise<Permit>")]
    pub async fn try_acquire(&self) -> napi::Result<Json> {
        record(&self.inner.try_acquire().await.map_err(to_js)?)
    }

    /// Returns the permit `token`; rejects with `LockNotOwnedError` if it holds no live permit.
    #[napi(strict)]
    pub async fn release(&self, token: String) -> napi::Result<()> {
        self.inner.release(&token).await.map_err(to_js)
    }

    /// Renews the permit `token` for `lease` ms from now; rejects with `LockNotOwnedError` if
    /// it holds no live permit.
    #[napi(strict)]
    pub async fn extend(&self, token: String, lease: f64) -> napi::Result<()> {
        self.inner.extend(&token, millis("lease", lease)?).await.map_err(to_js)
    }

    /// How many permits are held now.
    #[napi(strict)]
    pub async fn count(&self) -> napi::Result<f64> {
        Ok(self.inner.count().await.map_err(to_js)? as f64)
    }

    /// The semaphore's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}
