//! A pattern call as a Promise in one expression: `settle(ticker, async move { Ok(x.op(n?).await?) })`
//! resolves to the core's result as the JavaScript API shows it (`convert::record`: plain
//! objects, numbers, booleans, null) and rejects with the error either an argument check
//! (a `JsValue`) or the core (a `redkit::Error`) failed with — `?` takes both, so a method
//! checks its arguments inside the Promise and never throws synchronously.

use crate::convert::record;
use crate::errors::to_js;
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::Promise;
use serde::Serialize;
use std::future::Future;
use std::rc::Rc;
use wasm_bindgen::JsValue;

/// Why a call failed, already as the JavaScript error to reject with.
pub struct Fail(pub JsValue);

impl From<redkit::Error> for Fail {
    fn from(e: redkit::Error) -> Fail {
        Fail(to_js(e))
    }
}

impl From<JsValue> for Fail {
    fn from(e: JsValue) -> Fail {
        Fail(e)
    }
}

/// `work` as a Promise of its result (see the module docs), holding `ticker`'s cron meanwhile.
pub fn settle<T, F>(ticker: &Rc<Ticker>, work: F) -> Promise
where
    T: Serialize,
    F: Future<Output = Result<T, Fail>> + 'static,
{
    promise(ticker, async move { record(&work.await.map_err(|f| f.0)?) })
}
