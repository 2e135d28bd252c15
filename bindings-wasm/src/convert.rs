//! JavaScript values in and out: command arguments (strings, numbers, `Uint8Array`s — Node's
//! `Buffer` is one) as the bytes Redis receives, option objects read field by field, and
//! replies as JavaScript values by the Node package's rules (integers and doubles → number,
//! strings → string or `Uint8Array`, nil → null, arrays → arrays, RESP3 maps → objects, an
//! error reply inside an array → an `Error` in its place); pattern options as the core's option
//! structs (their `Deserialize` reads the JavaScript names, see `redkit::patterns::wire`) and
//! pattern results as plain objects by the same rule; JSON values (job data, cached values)
//! both ways.

use crate::errors::{invalid, type_error};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use js_sys::{Array, Function, Object, Reflect, Uint8Array};
use redkit::backend::ToArg;
use redkit::resp::Value;
use redkit::ErrorKind;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value as Json};
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};

/// How bulk strings reach JavaScript.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strings {
    /// UTF-8 text (invalid sequences replaced).
    Text,
    /// `Uint8Array`s, byte for byte.
    Bytes,
}

/// The bytes Redis receives for one argument: a string's UTF-8, a number as the shortest text
/// that reads back to it (`5`, `1.5`, `inf`), a `Uint8Array`'s bytes.
pub fn arg(value: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    if let Some(n) = value.as_f64() {
        if n.is_nan() {
            return Err(type_error("a command argument cannot be NaN"));
        }
        let mut out = Vec::with_capacity(1);
        n.push_to(&mut out);
        return Ok(out.pop().unwrap_or_default());
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(type_error("command arguments must be strings, numbers or Uint8Arrays")),
    }
}

/// A command's argv from an array of arguments; a command needs at least its name.
pub fn argv(args: &Array) -> Result<Vec<Vec<u8>>, JsValue> {
    if args.length() == 0 {
        return Err(type_error("a command needs at least its name"));
    }
    args.iter().map(|a| arg(&a)).collect()
}

/// An options object: `undefined`/`null` (no options) or a plain object, read field by field.
pub struct Options(Option<Object>);

impl Options {
    /// `value` as options of `what` (named in the `TypeError` for anything but an object).
    pub fn new(value: &JsValue, what: &str) -> Result<Options, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options(None));
        }
        match value.dyn_ref::<Object>() {
            Some(o) if !value.is_function() && !Array::is_array(value) => Ok(Options(Some(o.clone()))),
            _ => Err(type_error(format!("{what} must be an object"))),
        }
    }

    fn field(&self, name: &str) -> Result<Option<JsValue>, JsValue> {
        let Some(o) = &self.0 else { return Ok(None) };
        let v = Reflect::get(o, &name.into())?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    }

    /// A boolean field.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, JsValue> {
        self.field(name)?
            .map(|v| v.as_bool().ok_or_else(|| type_error(format!("{name} must be a boolean"))))
            .transpose()
    }

    /// A number field.
    pub fn number(&self, name: &str) -> Result<Option<f64>, JsValue> {
        self.field(name)?.map(|v| v.as_f64().ok_or_else(|| type_error(format!("{name} must be a number")))).transpose()
    }
}

/// Milliseconds from JavaScript as a duration: finite and ≥ 0.
pub fn millis(what: &str, ms: f64) -> Result<Duration, JsValue> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(invalid(format!("{what} must be a number of milliseconds ≥ 0, got {ms}")));
    }
    Ok(Duration::from_micros((ms * 1000.0).round() as u64))
}

/// The default wait of a lock's or semaphore's `acquire()`: `blockingTimeout` of its options
/// (default 10 s).
pub fn blocking_timeout(value: &JsValue, what: &str) -> Result<Duration, JsValue> {
    #[derive(serde::Deserialize, Default)]
    #[serde(default, rename_all = "camelCase")]
    struct Waiting {
        #[serde(with = "redkit::patterns::serde_ms::opt")]
        blocking_timeout: Option<Duration>,
    }
    let waiting: Waiting = options(value, what)?;
    Ok(waiting.blocking_timeout.unwrap_or(Duration::from_secs(10)))
}

/// `acquire(timeout)`'s wait: `timeout` ms, or `default` when not given (0 tries once).
pub fn wait(timeout: Option<f64>, default: Duration) -> Result<Duration, JsValue> {
    timeout.map_or(Ok(default), |ms| millis("timeout", ms))
}

/// A reply as a JavaScript value (see the module docs).
pub fn reply(value: Value, strings: Strings) -> JsValue {
    match value {
        Value::Int(i) => JsValue::from_f64(i as f64),
        Value::Double(d) => JsValue::from_f64(d),
        Value::Bool(b) => JsValue::from_bool(b),
        Value::Nil | Value::NilArray => JsValue::NULL,
        Value::Error(e) => crate::errors::of_kind(ErrorKind::Reply, &String::from_utf8_lossy(&e)),
        Value::Array(items) | Value::Set(items) | Value::Push(items) => {
            items.into_iter().map(|v| reply(v, strings)).collect::<Array>().into()
        }
        Value::Map(pairs) => {
            let object = Object::new();
            for (k, v) in pairs {
                // Defining a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &k.to_text().into(), &reply(v, strings));
            }
            object.into()
        }
        other => bytes(other.as_bytes().map(<[u8]>::to_vec).unwrap_or_default(), strings),
    }
}

fn bytes(b: Vec<u8>, strings: Strings) -> JsValue {
    match strings {
        Strings::Text => {
            String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()).into()
        }
        Strings::Bytes => Uint8Array::from(&b[..]).into(),
    }
}

/// The key of the one-key object that stands for bytes in JSON, `{"$bytes": "<base64>"}`: how
/// the Node and Python packages store a Buffer or `bytes`, so all of them read what another
/// wrote.
const BYTES_TAG: &str = "$bytes";
/// How deep a value may nest (a cycle is refused as JSON.stringify refuses it, not a crash).
const MAX_DEPTH: usize = 512;

/// A JavaScript value as JSON, by `JSON.stringify`'s rules for what has a JSON form (`undefined`
/// → null, an object's `undefined` fields left out, non-finite numbers → null, `toJSON` called
/// so a `Date` is its ISO string), a `Uint8Array` as `{"$bytes": "<base64>"}` (read back as a
/// `Uint8Array`); a function, symbol or bigint anywhere in it, a cycle, or an object whose one
/// key is `$bytes` (the tag would be ambiguous) is a `TypeError` naming `what`.
pub fn json_of(value: &JsValue, what: &str) -> Result<Json, JsValue> {
    json_at(value, what, 0)
}

fn json_at(value: &JsValue, what: &str, depth: usize) -> Result<Json, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Json::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Json::Bool(b));
    }
    if let Some(n) = value.as_f64() {
        return Ok(json_number(n));
    }
    if let Some(s) = value.as_string() {
        return Ok(Json::String(s));
    }
    if value.is_function() || value.is_symbol() || value.is_bigint() {
        return Err(type_error(format!("{what} has no JSON form (a function, symbol or bigint)")));
    }
    if depth >= MAX_DEPTH {
        return Err(type_error(format!("{what} is cyclic or nests deeper than {MAX_DEPTH}")));
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        let mut tagged = Map::new();
        tagged.insert(BYTES_TAG.to_string(), Json::String(STANDARD.encode(bytes.to_vec())));
        return Ok(Json::Object(tagged));
    }
    if let Some(to_json) = Reflect::get(value, &"toJSON".into())?.dyn_ref::<Function>() {
        return json_at(&to_json.call0(value)?, what, depth + 1);
    }
    if Array::is_array(value) {
        let items = Array::from(value);
        return items.iter().map(|item| json_at(&item, what, depth + 1)).collect::<Result<_, _>>().map(Json::Array);
    }
    let Some(object) = value.dyn_ref::<Object>() else {
        return Err(type_error(format!("{what} has no JSON form")));
    };
    let mut fields = Map::new();
    for entry in Object::entries(object).iter() {
        let pair = Array::from(&entry);
        // JSON.stringify leaves out a field whose value is undefined ("not given" in options).
        if pair.get(1).is_undefined() {
            continue;
        }
        let field = json_at(&pair.get(1), what, depth + 1)?;
        fields.insert(pair.get(0).as_string().unwrap_or_default(), field);
    }
    if tagged_bytes(&fields).is_some() {
        return Err(type_error(format!(
            "{what}: an object whose only key is {BYTES_TAG:?} stands for bytes; wrap it in another object"
        )));
    }
    Ok(Json::Object(fields))
}

/// The base64 text of a tagged bytes object.
fn tagged_bytes(fields: &Map<String, Json>) -> Option<&str> {
    if fields.len() != 1 {
        return None;
    }
    fields.get(BYTES_TAG)?.as_str()
}

/// A double as a JSON number: whole ones within 2^53 as integers (so `u64` fields read them).
fn json_number(n: f64) -> Json {
    const SAFE: f64 = 9_007_199_254_740_992.0;
    if n.fract() == 0.0 && n.abs() <= SAFE {
        return Json::Number(Number::from(n as i64));
    }
    Number::from_f64(n).map_or(Json::Null, Json::Number)
}

/// JSON as a JavaScript value (objects are plain objects; tagged bytes a `Uint8Array`).
pub fn js_of(json: &Json) -> JsValue {
    match json {
        Json::Null => JsValue::NULL,
        Json::Bool(b) => JsValue::from_bool(*b),
        Json::Number(n) => JsValue::from_f64(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => JsValue::from_str(s),
        Json::Array(items) => items.iter().map(js_of).collect::<Array>().into(),
        Json::Object(fields) => {
            if let Some(bytes) = tagged_bytes(fields).and_then(|b| STANDARD.decode(b).ok()) {
                return Uint8Array::from(&bytes[..]).into();
            }
            let object = Object::new();
            for (k, v) in fields {
                // Defining a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &k.into(), &js_of(v));
            }
            object.into()
        }
    }
}

/// A core result as the plain object the JavaScript API hands out (`retry_after_ms` →
/// `retryAfter`; a list: each element so).
pub fn record<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    redkit::patterns::wire::js_record(value).map(|json| js_of(&json)).map_err(crate::errors::to_js)
}

/// An options object (`undefined`/`null`: the defaults) as the core's option struct `T`. A
/// field of the wrong type is a `TypeError`, a wrong value (a negative time) an
/// `InvalidArgumentError`; both name `what` and the field. A field that is `undefined` or
/// `null` is left out (its default), as the Node package reads options.
pub fn options<T: DeserializeOwned + Default>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Err(type_error(format!("{what} must be an object")));
    }
    let mut json = json_of(value, what)?;
    if let Json::Object(fields) = &mut json {
        fields.retain(|_, v| !v.is_null());
    }
    serde_path_to_error::deserialize(json).map_err(|e| {
        let inner = plain_types(&e.inner().to_string());
        let message = format!("{what}: {}: {inner}", e.path());
        if inner.starts_with("invalid type") {
            type_error(message)
        } else {
            invalid(message)
        }
    })
}

/// serde's Rust type names in an error as JavaScript's ("expected f64" → "expected a number").
fn plain_types(message: &str) -> String {
    const NAMES: [(&str, &str); 6] = [
        ("expected f64", "expected a number"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected u16", "expected a whole number ≥ 0"),
        ("expected usize", "expected a whole number ≥ 0"),
        ("expected i64", "expected a whole number"),
    ];
    NAMES.iter().fold(message.to_string(), |m, (rust, js)| m.replace(rust, js))
}

/// A whole number ≥ 0 from JavaScript (a count, a length, a page), named `what` in the error.
pub fn whole(what: &str, n: f64) -> Result<u64, JsValue> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > 9.0e15 {
        return Err(invalid(format!("{what} must be a whole number ≥ 0, got {n}")));
    }
    Ok(n as u64)
}

/// An optional whole number ≥ 0 (see [`whole`]).
pub fn opt_whole(what: &str, n: Option<f64>) -> Result<Option<u64>, JsValue> {
    n.map(|n| whole(what, n)).transpose()
}

/// A string or an array of strings (channel names, entry ids) as a list; anything else is a
/// `TypeError` naming `what`.
pub fn strings(value: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    let wrong = || type_error(format!("{what} must be a string or an array of strings"));
    if let Some(one) = value.as_string() {
        return Ok(vec![one]);
    }
    if !Array::is_array(value) {
        return Err(wrong());
    }
    Array::from(value).iter().map(|v| v.as_string().ok_or_else(wrong)).collect()
}

/// A JavaScript value read into `T` through its JSON form (`addMany`'s pairs …); a value of
/// the wrong shape is a `TypeError` naming `what`.
pub fn shaped<T: DeserializeOwned>(value: &JsValue, what: &str) -> Result<T, JsValue> {
    serde_json::from_value(json_of(value, what)?)
        .map_err(|e| type_error(format!("{what}: {}", plain_types(&e.to_string()))))
}

/// A string argument (a member, a group, a channel): anything else is a `TypeError` naming
/// `what` (wasm-bindgen's own `String` parameters would read a number as a bad pointer).
pub fn text(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value.as_string().ok_or_else(|| type_error(format!("{what} must be a string")))
}

/// An optional string argument: `undefined`/`null` are None (see [`text`]).
pub fn opt_text(value: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    text(value, what).map(Some)
}

/// An optional number argument: `undefined`/`null` are None, anything but a number a
/// `TypeError` naming `what`.
pub fn opt_number(value: &JsValue, what: &str) -> Result<Option<f64>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.as_f64().map(Some).ok_or_else(|| type_error(format!("{what} must be a number")))
}
