//! `redkit.Cron(expr)`: the core's five-field cron expressions (UTC), the schedules that
//! `queue.add_repeatable(cron=...)` takes — parse one to check it, or ask when it fires next.

use crate::errors::to_py_err;
use crate::queue::epoch_ms;
use pyo3::prelude::*;
use redkit::patterns::cron::Cron as CoreCron;

/// A parsed cron expression (`minute hour day-of-month month day-of-week`, UTC).
#[pyclass(module = "redkit._native", frozen)]
pub struct Cron {
    inner: CoreCron,
}

#[pymethods]
impl Cron {
    /// Parses `expr`; `InvalidArgumentError` naming the bad field.
    #[new]
    fn new(expr: &str) -> PyResult<Self> {
        Ok(Cron { inner: CoreCron::parse(expr).map_err(to_py_err)? })
    }

    /// The first fire time strictly after `after` (seconds since the epoch or a datetime), in
    /// seconds since the epoch; None if it never fires.
    fn next_after(&self, after: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
        Ok(self.inner.next_after_ms(epoch_ms(after, "after")?).map(|ms| ms as f64 / 1000.0))
    }

    /// The expression as given.
    #[getter]
    fn source(&self) -> &str {
        self.inner.source()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Cron({})", crate::queue::quoted(py, self.inner.source()))
    }
}
