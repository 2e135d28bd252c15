//! `redlock(clients, name, options)` → `Redlock`: the core's lock over several independent
//! masters (quorum N/2+1, clock drift, validity). One handle is one owner, like `Lock`.
//! `lib/redlock.js` makes an acquisition disposable and adds `withLock(fn)`.
//!
//! The clients only lend their backends. The pause between retries runs on the first master's
//! time: on a manual-clock simulator a retry waits for `advance`.

use crate::client::Client;
use crate::convert::{count, millis};
use crate::errors::to_js;
use crate::record::record;
use napi::bindgen_prelude::ClassInstance;
use napi_derive::napi;
use redkit::patterns::redlock::{Redlock as CoreRedlock, RedlockOptions as CoreOptions};
use serde_json::Value as Json;
use std::sync::Arc;

/// Options of `redlock(clients, name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct RedlockOptions {
    /// Lease on each master (default 10,000).
    pub ttl: Option<f64>,
    /// Share of the ttl assumed lost to clock drift (default 0.01).
    pub drift_factor: Option<f64>,
    /// Attempts after the first one in `acquire()` (default 3).
    pub retry_count: Option<f64>,
    /// Pause between attempts (default 200).
    pub retry_delay: Option<f64>,
    /// Random extra pause up to this (default 100).
    pub retry_jitter: Option<f64>,
    /// Bound on each master's answer (default 100).
    pub instance_timeout: Option<f64>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

/// A lock over several independent Redis masters.
#[napi]
pub struct Redlock {
    inner: Arc<CoreRedlock>,
}

/// A Redlock named `name` over the masters behind `clients`.
#[napi(strict, catch_unwind)]
pub fn redlock(
    clients: Vec<ClassInstance<'_, Client>>,
    name: String,
    options: Option<RedlockOptions>,
) -> napi::Result<Redlock> {
    let o = options.unwrap_or_default();
    let mut core = CoreOptions::default();
    if let Some(ms) = o.ttl {
        core = core.ttl(millis("ttl", ms)?);
    }
    if let Some(f) = o.drift_factor {
        core = core.drift_factor(f);
    }
    if let Some(n) = o.retry_count {
        core = core.retry_count(u32::try_from(count("retryCount", n)?).unwrap_or(u32::MAX));
    }
    if let Some(ms) = o.retry_delay {
        core = core.retry_delay(millis("retryDelay", ms)?);
    }
    if let Some(ms) = o.retry_jitter {
        core = core.retry_jitter(millis("retryJitter", ms)?);
    }
    if let Some(ms) = o.instance_timeout {
        core = core.instance_timeout(millis("instanceTimeout", ms)?);
    }
    if let Some(p) = &o.prefix {
        core = core.prefix(p);
    }
    let backends = clients.iter().map(|c| c.backend.clone()).collect();
    let inner = CoreRedlock::new(backends, &name, core).map_err(to_js)?;
    Ok(Redlock { inner: Arc::new(inner) })
}

#[napi]
impl Redlock {
    /// Acquires with the retries: a `RedlockAcquisition` (`acquired`, `locked`, `quorum`,
    /// `validity`, `attempts`); when acquired it is disposable (`await using`).
    #[napi(strict, ts_return_type = "Promise<RedlockAcquisition>")]
    pub async fn acquire(&self) -> napi::Result<Json> {
        record(&self.inner.acquire().await.map_err(to_js)?)
    }

    /// One attempt, no retries.
    #[napi(strict, ts_return_type = "Promise<RedlockAcquisition>")]
    pub async fn try_acquire(&self) -> napi::Result<Json> {
        record(&self.inner.try_acquire().await.map_err(to_js)?)
    }

    /// Releases on every master; resolves to how many released a hold of this owner
    /// (rejects with `LockNotOwnedError` if none did).
    #[napi(strict)]
    pub async fn release(&self) -> napi::Result<u32> {
        Ok(u32::try_from(self.inner.release().await.map_err(to_js)?).unwrap_or(u32::MAX))
    }

    /// Sets the lease on every master to `ttl` ms from now; needs the quorum (rejects with
    /// `LockNotOwnedError` otherwise: treat the lock as lost).
    #[napi(strict, ts_return_type = "Promise<RedlockAcquisition>")]
    pub async fn extend(&self, ttl: f64) -> napi::Result<Json> {
        record(&self.inner.extend(millis("ttl", ttl)?).await.map_err(to_js)?)
    }

    /// The quorum: N/2+1.
    #[napi(strict, getter, catch_unwind)]
    pub fn quorum(&self) -> u32 {
        u32::try_from(self.inner.quorum()).unwrap_or(u32::MAX)
    }

    /// The lock's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}
