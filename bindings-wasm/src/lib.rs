//! redkit in WebAssembly, for browsers and edge runtimes: the in-memory Redis 7 simulator with
//! its manual clock, driven from JavaScript with the same names as the Node package
//! (`new Simulator({ manualClock })`, `sim.client()`, `await client.execute('SET', 'k', 'v')`),
//! so one JavaScript test runner drives both.
//!
//! Why a crate of its own: wasm-bindgen's exports, JavaScript conversions and the host's
//! clock (`Date.now()`) belong to this surface only; all behaviour stays in the core, which is
//! built without its Redis features (no tokio, no sockets, no threads). The whole crate is
//! wasm32-only and compiles to nothing elsewhere. `scripts/wasm-build.sh` builds it, runs
//! wasm-bindgen for the `web` (ES module) and `nodejs` targets and wasm-opt, and reports sizes.
//!
//! Futures (a blocking command waiting for a push or for its timeout) run on the host's event
//! loop through wasm-bindgen-futures: a simulator's waits wake them, and on a manual clock
//! `advance` does; on the host's clock a JavaScript interval runs the simulator's cron while
//! anything waits (`ticker`).
#![cfg(target_family = "wasm")]

mod cache;
mod callback;
mod client;
mod convert;
mod cron;
mod errors;
mod geo;
mod handles;
mod leaderboard;
mod limiter;
mod lock;
mod outcome;
mod pubsub;
mod queue;
mod redlock;
mod semaphore;
mod session;
mod simulator;
mod stream;
mod subscription;
mod tasks;
mod ticker;
mod timer;
mod turns;
mod worker;

pub use cache::{Cache, Drainer};
pub use client::Client;
pub use cron::Cron;
pub use geo::Geo;
pub use leaderboard::Leaderboard;
pub use limiter::{Limiter, LimiterSet};
pub use lock::Lock;
pub use pubsub::{PubSub, Requester, Responder};
pub use queue::Queue;
pub use redlock::{redlock, Redlock};
pub use semaphore::Semaphore;
pub use session::SessionStore;
pub use simulator::Simulator;
pub use stream::Stream;
pub use subscription::Subscription;
pub use worker::Worker;
