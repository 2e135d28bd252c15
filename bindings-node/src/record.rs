//! Core result structs (`Acquisition`, `Decision`, `Job` …) as plain JavaScript objects.
//!
//! Every core result derives `serde::Serialize`; this turns it into an object by one rule, so no
//! binding file converts a result by hand: each top-level field becomes camelCase and drops an
//! `_ms` suffix, since JavaScript speaks milliseconds already (`ttl_ms` → `ttl`,
//! `retry_after_ms` → `retryAfter`). Nested values (a job's data) keep their shape. The
//! TypeScript shapes are declared in `types/header.d.ts`.

use serde::Serialize;
use serde_json::{Map, Value as Json};

/// `value` as the JavaScript object napi-rs builds from JSON (a list: each element so).
pub fn record<T: Serialize>(value: &T) -> napi::Result<Json> {
    let json = serde_json::to_value(value)
        .map_err(|e| napi::Error::from_reason(format!("redkit internal error: result not serialisable: {e}")))?;
    Ok(match json {
        // A list of results (entries, members …): each one by the same rule.
        Json::Array(items) => Json::Array(items.into_iter().map(renamed).collect()),
        other => renamed(other),
    })
}

/// An object with its top-level fields renamed; anything else as it is.
fn renamed(json: Json) -> Json {
    match json {
        Json::Object(fields) => {
            Json::Object(fields.into_iter().map(|(k, v)| (js_name(&k), v)).collect::<Map<String, Json>>())
        }
        other => other,
    }
}

/// A Rust field name as the JavaScript API spells it: `retry_after_ms` → `retryAfter`.
pub fn js_name(field: &str) -> String {
    let base = field.strip_suffix("_ms").unwrap_or(field);
    let mut out = String::with_capacity(base.len());
    let mut upper = false;
    for c in base.chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}
