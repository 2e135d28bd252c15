//! `client.semaphore(name, options)` → `Semaphore`: the core's distributed counting semaphore,
//! whose permits are leases, with the Node package's names; the package's JavaScript makes a
//! granted permit disposable and adds `withPermit(fn, timeout)` (the Node package's
//! `semaphore.js`).

use crate::client::Client;
use crate::convert::{blocking_timeout, millis, options, record, wait};
use crate::errors::to_js;
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::Promise;
use redkit::patterns::semaphore::{Semaphore as CoreSemaphore, SemaphoreOptions};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// A distributed counting semaphore; one handle serves any number of holders.
#[wasm_bindgen]
pub struct Semaphore {
    inner: Arc<CoreSemaphore>,
    blocking_timeout: Duration,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A semaphore named `name` with `permits` holders at a time.
    pub fn semaphore(
        &self,
        name: &str,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "SemaphoreOptions")] options_: JsValue,
    ) -> Result<Semaphore, JsValue> {
        let core: SemaphoreOptions = options(&options_, "semaphore options")?;
        let inner = CoreSemaphore::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Semaphore {
            inner: Arc::new(inner),
            blocking_timeout: blocking_timeout(&options_, "semaphore options")?,
            ticker: self.ticker().clone(),
        })
    }
}

#[wasm_bindgen]
impl Semaphore {
    /// Takes a permit, waiting up to `timeout` ms (default: the semaphore's `blockingTimeout`;
    /// 0 tries once): a `Permit` (`acquired`, `token`, `available`, `retryAfter`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Permit>")]
    pub fn acquire(&self, timeout: Option<f64>) -> Promise {
        let timeout = match wait(timeout, self.blocking_timeout) {
            Ok(t) => t,
            Err(e) => return Promise::reject(&e),
        };
        let sem = self.inner.clone();
        promise(&self.ticker, async move {
            let got = if timeout.is_zero() { sem.try_acquire().await } else { sem.acquire(timeout).await };
            record(&got.map_err(to_js)?)
        })
    }

    /// Tries once without waiting.
    #[wasm_bindgen(js_name = tryAcquire, unchecked_return_type = "Promise<Permit>")]
    pub fn try_acquire(&self) -> Promise {
        let sem = self.inner.clone();
        promise(&self.ticker, async move { record(&sem.try_acquire().await.map_err(to_js)?) })
    }

    /// Returns the permit `token`; rejects with `LockNotOwnedError` if it holds no live permit.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn release(&self, token: String) -> Promise {
        let sem = self.inner.clone();
        promise(&self.ticker, async move {
            sem.release(&token).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Renews the permit `token` for `lease` ms from now; rejects with `LockNotOwnedError` if
    /// it holds no live permit.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn extend(&self, token: String, lease: f64) -> Promise {
        let sem = self.inner.clone();
        let lease = millis("lease", lease);
        promise(&self.ticker, async move {
            sem.extend(&token, lease?).await.map_err(to_js)?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// How many permits are held now.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn count(&self) -> Promise {
        let sem = self.inner.clone();
        promise(&self.ticker, async move { Ok((sem.count().await.map_err(to_js)? as f64).into()) })
    }

    /// The semaphore's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}
