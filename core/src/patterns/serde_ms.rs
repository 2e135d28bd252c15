//! Serialising [`Duration`]s as integer milliseconds, the unit of the scenario files and of the
//! JavaScript API: `#[serde(rename = "retry_after_ms", with = "crate::patterns::serde_ms")]`.
//! For `Option<Duration>` use the [`opt`] module. Reading takes any finite number ≥ 0
//! (JavaScript's numbers are doubles: `1.5` is 1,500 µs).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use std::time::Duration;

/// Writes whole milliseconds.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis().min(u64::MAX as u128) as u64)
}

/// Reads milliseconds: a finite number ≥ 0.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    from_f64(f64::deserialize(d)?).map_err(D::Error::custom)
}

/// `ms` as a duration, refused unless finite and ≥ 0.
pub fn from_f64(ms: f64) -> Result<Duration, String> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(format!("expected a number of milliseconds ≥ 0, got {ms}"));
    }
    Ok(Duration::from_micros((ms * 1000.0).round() as u64))
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
        Option::<f64>::deserialize(d)?.map(from_f64).transpose().map_err(D::Error::custom)
    }
}
