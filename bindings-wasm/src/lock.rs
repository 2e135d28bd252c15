//! `client.lock(name, options)` → `Lock`: the core's distributed lock (fencing tokens,
//! reentrancy, watchdog) with the Node package's names; the package's JavaScript makes an
//! acquisition disposable and adds `withLock(fn)` (the Node package's `lock.js`).

use crate::client::Client;
use crate::convert::{blocking_timeout, millis, options, record, wait};
use crate::errors::to_js;
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::Promise;
use redkit::patterns::lock::{Lock as CoreLock, LockOptions as CoreOptions};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// A distributed lock; one handle is one owner.
#[wasm_bindgen]
pub struct Lock {
    inner: Arc<CoreLock>,
    blocking_timeout: Duration,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A lock named `name`.
    pub fn lock(
        &self,
        name: &str,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "LockOptions")] options_: JsValue,
    ) -> Result<Lock, JsValue> {
        let core: CoreOptions = options(&options_, "lock options")?;
        let inner = CoreLock::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Lock {
            inner: Arc::new(inner),
            blocking_timeout: blocking_timeout(&options_, "lock options")?,
            ticker: self.ticker().clone(),
        })
    }
}

#[wasm_bindgen]
impl Lock {
    /// Acquires, waiting up to `timeout` ms (default: the lock's `blockingTimeout`; 0 tries
    /// once). Resolves to an `Acquisition`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Acquisition>")]
    pub fn acquire(&self, timeout: Option<f64>) -> Promise {
        let timeout = match wait(timeout, self.blocking_timeout) {
            Ok(t) => t,
            Err(e) => return Promise::reject(&e),
        };
        let lock = self.inner.clone();
        promise(&self.ticker, async move {
            let got = if timeout.is_zero() { lock.try_acquire().await } else { lock.acquire(timeout).await };
            record(&got.map_err(to_js)?)
        })
    }

    /// Tries once without waiting.
    #[wasm_bindgen(js_name = tryAcquire, unchecked_return_type = "Promise<Acquisition>")]
    pub fn try_acquire(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { record(&lock.try_acquire().await.map_err(to_js)?) })
    }

    /// Releases one hold (`{ released, count }`); rejects with `LockNotOwnedError` if this
    /// owner does not hold it.
    #[wasm_bindgen(unchecked_return_type = "Promise<Release>")]
    pub fn release(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { record(&lock.release().await.map_err(to_js)?) })
    }

    /// Sets the lease of the held lock to `ttl` ms from now.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn extend(&self, ttl: f64) -> Promise {
        let lock = self.inner.clone();
        let ttl = millis("ttl", ttl);
        promise(&self.ticker, async move {
            lock.extend(ttl?).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Whether anyone holds the lock.
    #[wasm_bindgen(js_name = isLocked, unchecked_return_type = "Promise<boolean>")]
    pub fn is_locked(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { Ok(lock.is_locked().await.map_err(to_js)?.into()) })
    }

    /// Whether this owner holds the lock.
    #[wasm_bindgen(js_name = isOwned, unchecked_return_type = "Promise<boolean>")]
    pub fn is_owned(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { Ok(lock.is_owned().await.map_err(to_js)?.into()) })
    }

    /// The remaining lease in ms, or null when free.
    #[wasm_bindgen(unchecked_return_type = "Promise<number | null>")]
    pub fn ttl(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move {
            Ok(lock.ttl().await.map_err(to_js)?.map_or(JsValue::NULL, |d| (d.as_secs_f64() * 1000.0).into()))
        })
    }

    /// Whether the watchdog could not renew the lease since the last acquire.
    #[wasm_bindgen(getter)]
    pub fn lost(&self) -> bool {
        self.inner.lost()
    }

    /// The lock's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// This owner's token.
    #[wasm_bindgen(getter)]
    pub fn token(&self) -> String {
        self.inner.token().to_string()
    }
}
