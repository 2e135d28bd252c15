//! The patterns: typed, documented APIs over [`crate::scripts`] and [`crate::backend`]. One
//! network round trip per operation is the rule; a pattern that needs more says why in a comment.
//!
//! Shared conventions live here: key names ([`keys`]) and how results serialise
//! ([`serde_ms`]) and look to JavaScript ([`wire`]).

pub mod cache;
pub mod cron;
pub mod geo;
pub mod keys;
pub mod leaderboard;
pub mod limiter;
mod limiter_local;
pub mod lock;
pub mod pubsub;
pub mod queue;
mod race;
pub mod redlock;
pub mod semaphore;
pub mod serde_ms;
pub mod session;
pub mod stream;
pub mod wire;
pub mod worker;
