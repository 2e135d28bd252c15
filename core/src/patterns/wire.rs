//! How pattern options and results look to JavaScript (the Node and WebAssembly packages), so
//! both packages follow one rule instead of renaming field by field: a result's top-level
//! fields become camelCase and drop an `_ms` suffix, since JavaScript speaks milliseconds
//! already (`retry_after_ms` → `retryAfter`); option structs read the same names
//! (`#[serde(rename_all = "camelCase")]`, durations through [`super::serde_ms`]).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value as Json};

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

/// `value` (a core result) as the JSON a JavaScript package hands out: an object with its
/// top-level fields renamed by [`js_name`], a list with each element so; nested values (a
/// job's data) keep their shape.
pub fn js_record<T: Serialize>(value: &T) -> crate::Result<Json> {
    let json = serde_json::to_value(value)
        .map_err(|e| crate::Error::new(crate::ErrorKind::Serialization, format!("result not serialisable: {e}")))?;
    Ok(match json {
        Json::Array(items) => Json::Array(items.into_iter().map(renamed).collect()),
        other => renamed(other),
    })
}

/// Reads a name (`"gcra"`, `"open"`) with `parse`, for `Deserialize` impls of the core's
/// named choices; `parse`'s error text becomes the deserialiser's.
pub fn parsed<'de, D: Deserializer<'de>, T>(d: D, parse: fn(&str) -> crate::Result<T>) -> Result<T, D::Error> {
    parse(&String::deserialize(d)?).map_err(|e| D::Error::custom(e.message))
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

/// How a JavaScript package's callback error (what a cache loader, a sink or a job handler
/// threw) crosses the core: the core only carries an [`ErrorKind::Io`](crate::ErrorKind::Io)
/// error whose message ends with a mark ` [#17]`, the number under which the binding keeps the
/// thrown value to hand back to its callers as itself.
const MARK: &str = " [#";

/// The core error that stands for the thrown value a binding keeps under `id`.
pub fn callback_error(message: &str, id: u64) -> crate::Error {
    crate::Error::new(crate::ErrorKind::Io, format!("{message}{MARK}{id}]"))
}

/// The message and number of a core error made by [`callback_error`], if `e` is one.
pub fn callback_mark(e: &crate::Error) -> Option<(&str, u64)> {
    if e.kind != crate::ErrorKind::Io {
        return None;
    }
    unmark(&e.message)
}

fn unmark(message: &str) -> Option<(&str, u64)> {
    let (head, tail) = message.rsplit_once(MARK)?;
    Some((head, tail.strip_suffix(']')?.parse::<u64>().ok()?))
}

/// A callback error's text for a report (a drain's `error`): its message without the mark.
pub fn report_text(message: &str) -> String {
    unmark(message).map_or(message, |(head, _)| head).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_javascript() {
        assert_eq!(js_name("retry_after_ms"), "retryAfter");
        assert_eq!(js_name("ttl_ms"), "ttl");
        assert_eq!(js_name("allowed"), "allowed");
        assert_eq!(js_name("lease_deadline_ms"), "leaseDeadline");
    }

    #[test]
    fn callback_errors_carry_their_number() {
        let e = callback_error("loader failed [#3] here", 17);
        assert_eq!(callback_mark(&e), Some(("loader failed [#3] here", 17)));
        assert_eq!(report_text(&e.message), "loader failed [#3] here");
        assert_eq!(callback_mark(&crate::Error::new(crate::ErrorKind::Reply, e.message.clone())), None);
        assert_eq!(report_text("plain"), "plain");
    }

    #[test]
    fn records_rename_top_level_fields_only() {
        let v = serde_json::json!([{"retry_after_ms": 5, "data": {"inner_ms": 1}}]);
        assert_eq!(js_record(&v).unwrap(), serde_json::json!([{"retryAfter": 5, "data": {"inner_ms": 1}}]));
    }
}
