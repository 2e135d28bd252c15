//! `redlock(clients, name, options)` → `Redlock`: the core's lock over several independent
//! masters (quorum N/2+1, clock drift, validity) with the Node package's names — here over
//! several simulators (or databases of one), e.g. to watch a quorum survive a master that
//! refuses connections. The package's JavaScript makes an acquisition disposable and adds
//! `withLock(fn)` (the Node package's `redlock.js`). The clients only lend their backends (found
//! by their handles, see `handles`).

use crate::convert::{millis, options, record};
use crate::errors::{invalid, to_js, type_error};
use crate::handles::lookup;
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::{Array, Promise};
use redkit::backend::BackendRef;
use redkit::patterns::redlock::{Redlock as CoreRedlock, RedlockOptions};
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// A lock over several independent masters; one handle is one owner.
#[wasm_bindgen]
pub struct Redlock {
    inner: Arc<CoreRedlock>,
    ticker: Rc<Ticker>,
}

/// A Redlock named `name` over the masters behind `clients`.
#[wasm_bindgen]
pub fn redlock(
    #[wasm_bindgen(unchecked_param_type = "Client[]")] clients: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "RedlockOptions")] options_: JsValue,
) -> Result<Redlock, JsValue> {
    // A top-level function is not wrapped by the package's argument checks: check here.
    let name = name.as_string().ok_or_else(|| type_error("redlock: name must be a string"))?;
    if !Array::is_array(&clients) {
        return Err(type_error("redlock takes an array of Clients"));
    }
    let masters = Array::from(&clients)
        .iter()
        .map(|c| lookup::<(BackendRef, Rc<Ticker>)>(&c).ok_or_else(|| type_error("redlock takes an array of Clients")))
        .collect::<Result<Vec<_>, _>>()?;
    let ticker = masters.first().map(|(_, t)| t.clone()).ok_or_else(|| invalid("redlock needs at least one client"))?;
    let core: RedlockOptions = options(&options_, "redlock options")?;
    let inner = CoreRedlock::new(masters.into_iter().map(|(b, _)| b).collect(), &name, core).map_err(to_js)?;
    Ok(Redlock { inner: Arc::new(inner), ticker })
}

#[wasm_bindgen]
impl Redlock {
    /// Acquires with the retries: a `RedlockAcquisition` (`acquired`, `locked`, `quorum`,
    /// `validity`, `attempts`).
    #[wasm_bindgen(unchecked_return_type = "Promise<RedlockAcquisition>")]
    pub fn acquire(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { record(&lock.acquire().await.map_err(to_js)?) })
    }

    /// One attempt, no retries.
    #[wasm_bindgen(js_name = tryAcquire, unchecked_return_type = "Promise<RedlockAcquisition>")]
    pub fn try_acquire(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { record(&lock.try_acquire().await.map_err(to_js)?) })
    }

    /// Releases on every master; resolves to how many released a hold of this owner (rejects
    /// with `LockNotOwnedError` if none did).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn release(&self) -> Promise {
        let lock = self.inner.clone();
        promise(&self.ticker, async move { Ok((lock.release().await.map_err(to_js)? as f64).into()) })
    }

    /// Sets the lease on every master to `ttl` ms from now; needs the quorum (rejects with
    /// `LockNotOwnedError` otherwise: treat the lock as lost).
    #[wasm_bindgen(unchecked_return_type = "Promise<RedlockAcquisition>")]
    pub fn extend(&self, ttl: f64) -> Promise {
        let (lock, ttl) = (self.inner.clone(), millis("ttl", ttl));
        promise(&self.ticker, async move { record(&lock.extend(ttl?).await.map_err(to_js)?) })
    }

    /// The quorum: N/2+1.
    #[wasm_bindgen(getter)]
    pub fn quorum(&self) -> u32 {
        u32::try_from(self.inner.quorum()).unwrap_or(u32::MAX)
    }

    /// The lock's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }
}
