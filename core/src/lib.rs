//! # redkit
//!
//! Redis patterns — cache, sessions, locks, rate limiters, job queues, streams — done once in
//! Rust, over real Redis or over an in-memory Redis 7 simulator with a virtual clock.
//!
//! # Layout
//!
//! - [`resp`]: RESP2/RESP3 values, an incremental parser that never panics, writers.
//! - [`sim`]: the simulator — databases, expiry, the clock, one file per command family,
//!   pub/sub, transactions, blocking commands.
//! - [`error`]: the one error type every binding maps.
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

pub mod error;
pub mod resp;
pub mod sim;

pub use error::{Error, ErrorKind, Result};
