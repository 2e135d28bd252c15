//! `new Cron(expr)`: the core's five-field cron expressions (UTC), the schedules that
//! `queue.addRepeatable(name, data, { cron })` takes — parse one to check it, or ask when it
//! fires next.

use crate::convert::millis;
use crate::errors::to_js;
use napi_derive::napi;
use redkit::patterns::cron::Cron as CoreCron;

/// A parsed cron expression (`minute hour day-of-month month day-of-week`, UTC).
#[napi]
pub struct Cron {
    inner: CoreCron,
}

#[napi]
impl Cron {
    /// Parses `expr`; `InvalidArgumentError` naming the bad field.
    #[napi(strict, constructor, catch_unwind)]
    pub fn new(expr: String) -> napi::Result<Self> {
        Ok(Cron { inner: CoreCron::parse(&expr).map_err(to_js)? })
    }

    /// The first fire time strictly after `after` (ms since the epoch), in ms since the epoch;
    /// null if it never fires.
    #[napi(strict, catch_unwind)]
    pub fn next_after(&self, after: f64) -> napi::Result<Option<f64>> {
        let after = millis("after", after)?.as_millis() as u64;
        Ok(self.inner.next_after_ms(after).map(|ms| ms as f64))
    }

    /// The expression as given.
    #[napi(strict, getter, catch_unwind)]
    pub fn source(&self) -> String {
        self.inner.source().to_string()
    }
}
