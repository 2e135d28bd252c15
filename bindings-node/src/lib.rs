//! redkit for Node.js: the core's simulator, clients and patterns as napi-rs classes with
//! Promise APIs, camelCase names and durations in milliseconds.
//!
//! A binding only converts types and errors; all logic stays in the core. The npm package's
//! `lib/` adds what an addon cannot express (rest arguments, error subclasses, async iterators,
//! disposables) in a few lines of JavaScript over these classes.

// napi-derive registers the exports only outside `cfg(test)`; `clippy --all-targets` still
// checks the test build, where they would look unused.
#![cfg_attr(test, allow(dead_code))]

mod cache;
mod callback;
mod client;
mod convert;
mod cron;
mod errors;
mod geo;
mod json;
mod leaderboard;
mod limiter;
mod lock;
mod pubsub;
mod queue;
mod record;
mod redlock;
mod semaphore;
mod session;
mod stream;
mod subscription;
mod worker;
