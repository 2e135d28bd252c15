//! The patterns: typed, documented APIs over [`crate::scripts`] and [`crate::backend`]. One
//! network round trip per operation is the rule; a pattern that needs more says why in a comment.
//!
//! Shared conventions live here: key names ([`keys`]) and how results serialise
//! ([`serde_ms`]).

pub mod geo;
pub mod keys;
pub mod leaderboard;
pub mod pubsub;
pub mod serde_ms;
