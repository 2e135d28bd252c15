//! Serialising [`Duration`]s as integer milliseconds, the unit of the scenario files and of the
//! JavaScript API: `#[serde(rename = "retry_after_ms", with = "crate::patterns::serde_ms")]`.
//! For `Option<Duration>` use the [`opt`] module.

use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// Writes whole milliseconds.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis().min(u64::MAX as u128) as u64)
}

/// Reads milliseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

/// `Option<Duration>` as milliseconds or null.
pub mod opt {
    use super::*;

    /// Writes whole milliseconds or null.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Reads milliseconds or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(d).map(|o| o.map(Duration::from_millis))
    }
}
