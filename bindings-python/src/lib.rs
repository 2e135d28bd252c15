//! `redkit._native`: the Python surface of the core. A binding converts types and errors only;
//! every behaviour lives in the `redkit` crate. The public API is `redkit` (sync) and
//! `redkit.aio` (asyncio), both in `python/redkit/`, over the classes registered here.

mod callback;
mod client;
mod convert;
mod errors;
mod fork;
mod lock;
mod record;
mod runtime;
mod wire;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Simulator>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<lock::Lock>()?;
    m.add_function(wrap_pyfunction!(client::connect, m)?)?;
    m.add_function(wrap_pyfunction!(client::connect_cluster, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::after_fork, m)?)?;
    m.add_class::<wire::WireConnection>()?;
    Ok(())
}
