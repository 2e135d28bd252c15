//! `new Cron(expr)`: the core's five-field cron expressions (UTC), the schedules that
//! `queue.addRepeatable(name, data, { cron })` takes — parse one to check it, or ask when it
//! fires next.

use crate::convert::millis;
use crate::errors::to_js;
use redkit::patterns::cron::Cron as CoreCron;
use wasm_bindgen::prelude::*;

/// A parsed cron expression (`minute hour day-of-month month day-of-week`, UTC).
#[wasm_bindgen]
pub struct Cron {
    inner: CoreCron,
}

#[wasm_bindgen]
impl Cron {
    /// Parses `expr`; `InvalidArgumentError` naming the bad field.
    #[wasm_bindgen(constructor)]
    pub fn new(expr: &str) -> Result<Cron, JsValue> {
        Ok(Cron { inner: CoreCron::parse(expr).map_err(to_js)? })
    }

    /// The first fire time strictly after `after` (ms since the epoch), in ms since the epoch;
    /// null if it never fires.
    #[wasm_bindgen(js_name = nextAfter, unchecked_return_type = "number | null")]
    pub fn next_after(&self, after: f64) -> Result<JsValue, JsValue> {
        let after = millis("after", after)?.as_millis() as u64;
        Ok(self.inner.next_after_ms(after).map_or(JsValue::NULL, |ms| JsValue::from_f64(ms as f64)))
    }

    /// The expression as given.
    #[wasm_bindgen(getter)]
    pub fn source(&self) -> String {
        self.inner.source().to_string()
    }
}
