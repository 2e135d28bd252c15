//! Core result structs (`Acquisition`, `Decision`, `Job` …) as plain JavaScript objects, by the
//! core's one naming rule for JavaScript (`redkit::patterns::wire`: camelCase, `_ms` dropped),
//! so no binding file converts a result by hand. The TypeScript shapes are declared in
//! `types/header.d.ts`.

use serde::Serialize;
use serde_json::Value as Json;

/// `value` as the JavaScript object napi-rs builds from JSON (a list: each element so).
pub fn record<T: Serialize>(value: &T) -> napi::Result<Json> {
    redkit::patterns::wire::js_record(value)
        .map_err(|e| napi::Error::from_reason(format!("redkit internal error: {}", e.message)))
}
