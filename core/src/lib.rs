//! # redkit
//!
//! Redis patterns — cache, sessions, locks, rate limiters, job queues, streams, pub/sub,
//! leaderboards, geo — done once in Rust, over real Redis or over an in-memory Redis 7 simulator
//! with a virtual clock.
//!
//! # Layout
//!
//! Data flows one way: pattern → script → backend → (simulator | Redis).
//!
//! - [`patterns`]: the typed APIs — [`patterns::cache`], [`patterns::session`],
//!   [`patterns::lock`] (+ [`patterns::semaphore`], [`patterns::redlock`]),
//!   [`patterns::limiter`], [`patterns::queue`] (+ [`patterns::worker`], [`patterns::cron`]),
//!   [`patterns::stream`], [`patterns::pubsub`], [`patterns::leaderboard`], [`patterns::geo`].
//!   One round trip per operation.
//! - [`scripts`]: every atomic operation as one [`scripts::Script`] — Lua for Redis and a native
//!   twin for the simulator, proven equivalent by a test against a real redis-server.
//! - [`backend`]: the one interface patterns talk to ([`backend::Backend`]):
//!   [`backend::SimBackend`] in-process, and with feature `redis` the Redis and Redis Cluster
//!   backends (redis-rs over tokio).
//! - [`sim`]: the simulator — databases, expiry, the clock, one file per command family
//!   ([`sim::commands`]), pub/sub and keyspace notifications, transactions, blocking commands,
//!   maxmemory eviction ([`sim::eviction`]), fault injection ([`sim::faults`]) and snapshots
//!   ([`sim::snapshot`]).
//! - `server` (feature `server`): the simulator served over TCP, `redkit-server`.
//! - [`resp`]: RESP2/RESP3 values, an incremental parser that never panics, writers.
//! - [`error`]: the one error type every binding maps.
//!
//! # Features
//!
//! - `redis` (default): [`backend::RedisBackend`] and [`backend::ClusterBackend`], the patterns
//!   over real Redis through redis-rs and tokio.
//! - `tls` (default): `rediss://` URLs, with rustls (no native OpenSSL).
//! - `server`: the `server` module (the simulator on a TCP port for any Redis client) and the
//!   `redkit-server` binary, over tokio.
//!
//! With `--no-default-features` the crate is the simulator, the scripts and the patterns over
//! [`backend::SimBackend`], and builds for `wasm32-unknown-unknown` (no threads, sockets or
//! tokio; on wasm the system clock comes from the host through [`sim::Clock::custom`] and
//! background tasks from [`backend::SimBackend::with_spawner`]).
//!
//! # Quick start
//!
//! A lock on the simulator, then the simulator as a Redis server in-process:
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::lock::{Lock, LockOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let lock = Lock::new(backend, "report", LockOptions::default())?;
//! let held = block_on(lock.try_acquire())?;
//! assert!(held.acquired);
//! block_on(lock.release())?;
//! # Ok::<(), redkit::Error>(())
//! ```
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

#![deny(missing_docs)]

pub mod backend;
pub mod error;
pub mod patterns;
pub mod resp;
pub mod scripts;
#[cfg(feature = "server")]
pub mod server;
pub mod sim;

pub use error::{Error, ErrorKind, Result};
