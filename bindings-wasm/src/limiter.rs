//! `client.limiter(name, options)` → `Limiter` and `new LimiterSet([...])`: the core's rate
//! limiters (fixed window, sliding log, sliding window, token bucket, GCRA, concurrency) with
//! the Node package's names; every call resolves to a `Decision` (a `MultiDecision` for a set).
//!
//! A set is built from `Limiter` objects the caller keeps using: it finds their core limiters
//! by their handles (see `handles`).

use crate::client::Client;
use crate::convert::{options, record};
use crate::errors::{invalid, to_js, type_error};
use crate::handles::{lookup, Handle};
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::{Array, Promise, Reflect};
use redkit::patterns::limiter::{Limiter as CoreLimiter, LimiterOptions, LimiterSet as CoreSet, MultiDecision};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A rate limiter: one limit per caller key.
#[wasm_bindgen]
pub struct Limiter {
    inner: CoreLimiter,
    handle: Handle,
    ticker: Rc<Ticker>,
}

impl Limiter {
    fn of(inner: CoreLimiter, ticker: &Rc<Ticker>) -> Limiter {
        let handle = Handle::new((inner.clone(), ticker.clone()));
        Limiter { inner, handle, ticker: ticker.clone() }
    }
}

#[wasm_bindgen]
impl Client {
    /// A limiter named `name`.
    pub fn limiter(
        &self,
        name: &str,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "LimiterOptions")] options_: JsValue,
    ) -> Result<Limiter, JsValue> {
        let core: LimiterOptions = options(&options_, "limiter options")?;
        Ok(Limiter::of(CoreLimiter::new(self.backend(), name, core).map_err(to_js)?, self.ticker()))
    }
}

/// A call's cost: 1 unless given; a whole number ≥ 0.
fn cost(cost: Option<f64>) -> Result<u64, JsValue> {
    match cost {
        None => Ok(1),
        Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => Ok(n as u64),
        Some(n) => Err(invalid(format!("cost must be a whole number ≥ 0, got {n}"))),
    }
}

/// The calls a limiter and a set share: each resolves what the core answers.
macro_rules! limiter_calls {
    ($ty:ident, $decision:literal, $convert:path) => {
        #[wasm_bindgen]
        impl $ty {
            /// Takes `cost` (default 1) from `key`'s allowance if it fits.
            #[wasm_bindgen(unchecked_return_type = $decision)]
            pub fn consume(&self, key: String, cost: Option<f64>) -> Promise {
                let (inner, cost) = (self.inner.clone(), self::cost(cost));
                promise(&self.ticker, async move { $convert(&inner.consume(&key, cost?).await.map_err(to_js)?) })
            }

            /// Whether `cost` (default 1) would be allowed now, consuming nothing.
            #[wasm_bindgen(unchecked_return_type = $decision)]
            pub fn peek(&self, key: String, cost: Option<f64>) -> Promise {
                let (inner, cost) = (self.inner.clone(), self::cost(cost));
                promise(&self.ticker, async move { $convert(&inner.peek(&key, cost?).await.map_err(to_js)?) })
            }

            /// Forgets everything about `key` (counts, tokens, leases, a block).
            #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
            pub fn reset(&self, key: String) -> Promise {
                let inner = self.inner.clone();
                promise(&self.ticker, async move {
                    inner.reset(&key).await.map_err(to_js)?;
                    Ok(JsValue::UNDEFINED)
                })
            }

            /// Ends a concurrency lease; true if it was live.
            #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
            pub fn release(&self, key: String, lease: String) -> Promise {
                let inner = self.inner.clone();
                promise(&self.ticker, async move { Ok(inner.release(&key, &lease).await.map_err(to_js)?.into()) })
            }
        }
    };
}

limiter_calls!(Limiter, "Promise<Decision>", record);
limiter_calls!(LimiterSet, "Promise<MultiDecision>", multi);

#[wasm_bindgen]
impl Limiter {
    /// The limiter's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// The algorithm's name (`gcra` …).
    #[wasm_bindgen(getter)]
    pub fn algorithm(&self) -> String {
        self.inner.options().algorithm.as_str().to_string()
    }

    /// The limit (cost units per window, a bucket's capacity, concurrent calls).
    #[wasm_bindgen(getter)]
    pub fn limit(&self) -> f64 {
        self.inner.options().limit as f64
    }

    /// The window in ms.
    #[wasm_bindgen(getter)]
    pub fn window(&self) -> f64 {
        self.inner.options().window.as_secs_f64() * 1000.0
    }

    /// Names this limiter for `new LimiterSet([...])`.
    #[wasm_bindgen(getter, skip_typescript)]
    pub fn handle(&self) -> u32 {
        self.handle.id()
    }
}

/// Several limiters of one client checked atomically: a call is allowed only if every limit
/// allows it, and a denied call consumes from none.
#[wasm_bindgen]
pub struct LimiterSet {
    inner: CoreSet,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl LimiterSet {
    /// A set of limiters made by one client (distinct names or prefixes).
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "Limiter[]")] limiters: JsValue) -> Result<LimiterSet, JsValue> {
        if !Array::is_array(&limiters) {
            return Err(type_error("LimiterSet takes an array of Limiters"));
        }
        let members = Array::from(&limiters)
            .iter()
            .map(|l| {
                lookup::<(CoreLimiter, Rc<Ticker>)>(&l)
                    .ok_or_else(|| type_error("LimiterSet takes an array of Limiters"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let ticker = members.first().map(|(_, ticker)| ticker.clone());
        let inner = CoreSet::new(members.into_iter().map(|(limiter, _)| limiter).collect()).map_err(to_js)?;
        let ticker = ticker.ok_or_else(|| invalid("a LimiterSet needs at least one limiter"))?;
        Ok(LimiterSet { inner, ticker })
    }

    /// The names of the set's limiters, in order.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn names(&self) -> Array {
        self.inner.limiters().iter().map(|l| JsValue::from_str(l.name())).collect()
    }

    /// The set's limiters, in order (their limits and windows, e.g. for `RateLimit-Policy`).
    #[wasm_bindgen(getter)]
    pub fn limiters(&self) -> Vec<Limiter> {
        self.inner.limiters().iter().map(|l| Limiter::of(l.clone(), &self.ticker)).collect()
    }
}

/// A `MultiDecision` whose `decisions` are JavaScript `Decision`s too (`record` leaves nested
/// values as the core spells them).
fn multi(m: &MultiDecision) -> Result<JsValue, JsValue> {
    let out = record(m)?;
    let decisions = m.decisions.iter().map(record).collect::<Result<Array, _>>()?;
    Reflect::set(&out, &"decisions".into(), &decisions)?;
    Ok(out)
}
