//! `redkit._native`: the Python surface of the core. A binding converts types and errors only;
//! every behaviour lives in the `redkit` crate. The public API is `redkit` (sync) and
//! `redkit.aio` (asyncio), both in `python/redkit/`, over the classes registered here.

mod cache;
mod callback;
mod client;
mod convert;
mod cron;
mod errors;
mod fork;
mod geo;
mod json;
mod leaderboard;
mod limiter;
mod lock;
mod pubsub;
mod queue;
mod record;
mod redlock;
mod runtime;
mod semaphore;
mod session;
mod stream;
mod subscription;
mod wire;
mod wire_args;
mod wire_reply;
mod worker;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Simulator>()?;
    m.add_class::<client::Client>()?;
    m.add_class::<lock::Lock>()?;
    m.add_class::<cache::Cache>()?;
    m.add_class::<cache::Drainer>()?;
    m.add_class::<session::SessionStore>()?;
    m.add_class::<queue::Queue>()?;
    m.add_class::<worker::Worker>()?;
    m.add_class::<stream::Stream>()?;
    m.add_class::<stream::StreamIter>()?;
    m.add_class::<cron::Cron>()?;
    m.add_function(wrap_pyfunction!(client::connect, m)?)?;
    m.add_function(wrap_pyfunction!(client::connect_cluster, m)?)?;
    m.add_function(wrap_pyfunction!(runtime::after_fork, m)?)?;
    m.add_class::<limiter::Limiter>()?;
    m.add_class::<limiter::LimiterSet>()?;
    m.add_class::<semaphore::Semaphore>()?;
    m.add_class::<redlock::Redlock>()?;
    m.add_function(wrap_pyfunction!(redlock::redlock, m)?)?;
    m.add_class::<pubsub::PubSub>()?;
    m.add_class::<pubsub::Opening>()?;
    m.add_class::<pubsub::Requester>()?;
    m.add_class::<pubsub::Responder>()?;
    m.add_class::<subscription::Subscription>()?;
    m.add_class::<subscription::Messages>()?;
    m.add_class::<leaderboard::Leaderboard>()?;
    m.add_class::<geo::Geo>()?;
    m.add_class::<wire::WireConnection>()?;
    m.add_class::<wire_args::PackedCommands>()?;
    Ok(())
}
