//! # redkit
//!
//! Redis patterns — cache, sessions, locks, rate limiters, job queues, streams — done once in
//! Rust, over real Redis or over an in-memory Redis 7 simulator with a virtual clock.
//!
//! # Layout
//!
//! - [`resp`]: RESP2/RESP3 values, an incremental parser that never panics, writers.
//! - [`sim`]: the simulator — databases, expiry, the clock, one file per command family
//!   ([`sim::commands`]), pub/sub and keyspace notifications, transactions, blocking commands,
//!   maxmemory eviction ([`sim::eviction`]), fault injection ([`sim::faults`]) and snapshots
//!   ([`sim::snapshot`]).
//! - [`error`]: the one error type every binding maps.
//!
//! # Features
//!
//! - `redis` (default): [`backend::RedisBackend`] and [`backend::ClusterBackend`], the patterns
//!   over real Redis through redis-rs and tokio.
//! - `tls` (default): `rediss://` URLs, with rustls (no native OpenSSL).
//!
//! With `--no-default-features` the crate is the engine, the scripts and the patterns over the
//! simulator, and builds for `wasm32-unknown-unknown` (no threads, sockets or tokio are
//! required; on wasm the system clock comes from the host through [`sim::Clock::custom`]).
//!
//! # Quick start
//!
//! ```
//! use redkit::sim::{Clock, Simulator};
//! use redkit::resp::Value;
//!
//! let sim = Simulator::with_clock(Clock::manual(0));
//! let mut conn = sim.connect();
//! assert_eq!(conn.execute(&["SET", "k", "v", "EX", "10"]), Value::ok());
//! sim.advance_ms(10_001); // a key lives through the millisecond it expires at, like Redis
//! assert_eq!(conn.execute(&["EXISTS", "k"]), Value::Int(0));
//! ```

pub mod backend;
pub mod error;
pub mod patterns;
pub mod resp;
pub mod scripts;
pub mod sim;

pub use error::{Error, ErrorKind, Result};
