//! JavaScript values ⇄ the core's JSON: how cache entries, session data and callback arguments
//! and results cross, so any redkit client (Rust, Python, Node) reads what another wrote.
//!
//! - In, a value goes through the engine's own `JSON.stringify`, so JavaScript's rules hold:
//!   `toJSON` (a `Date` becomes its ISO string), `undefined`/functions dropped from objects and
//!   `null` in arrays, `NaN`/`Infinity` as `null`; a cycle or a `BigInt` throws JSON's own
//!   `TypeError`. A top-level `undefined` is `null`: "no value".
//! - `Buffer`s, which JSON has no type for, are stored as the one-key object
//!   `{"$bytes": "<base64>"}` (the Python binding's form) and read back as `Buffer`s; an object
//!   of that shape is therefore refused on the way in (`TypeError`), so the tag is never
//!   ambiguous. (JSON.stringify writes a Buffer as `{"type":"Buffer","data":[…]}`, Node's own
//!   form; that is the shape recognised, as `Buffer.from(obj)` does.)

use crate::errors::type_error;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use napi::bindgen_prelude::{
    Buffer, FromNapiValue, Function, JsObjectValue, Object, ToNapiValue, TypeName, Unknown, ValidateNapiValue,
};
use napi::{sys, Env, ValueType};
use serde_json::{Map, Value as Json};

/// The key of the object that stands for a Buffer.
pub const BYTES_TAG: &str = "$bytes";

/// A JSON value received from or handed to JavaScript (see the module docs).
pub struct JsJson(pub Json);

/// `value` as JSON by JavaScript's `JSON.stringify` rules; its `TypeError` (a cycle, a BigInt)
/// comes back as the error holding that very exception.
pub fn from_js(env: &Env, value: Unknown<'_>) -> napi::Result<Json> {
    // `JSON.stringify` would quietly make these "no value" at the top level: refuse them.
    if let kind @ (ValueType::Function | ValueType::Symbol) = value.get_type()? {
        return Err(type_error(format!("a {} has no JSON form", js_type_name(kind))));
    }
    let json: Object = env.get_global()?.get_named_property("JSON")?;
    let stringify: Function<Unknown, Option<String>> = json.get_named_property("stringify")?;
    // `call` (not `apply`) takes a pending exception back out as the error it returns.
    let Some(text) = stringify.call(value)? else { return Ok(Json::Null) };
    let parsed: Json = serde_json::from_str(&text).map_err(|e| type_error(format!("not JSON: {e}")))?;
    tag_bytes(parsed)
}

/// Node's `{"type":"Buffer","data":[…]}` as the tagged bytes object, everywhere in `v`.
fn tag_bytes(v: Json) -> napi::Result<Json> {
    Ok(match v {
        Json::Object(m) => {
            if let Some(bytes) = node_buffer(&m) {
                let mut tagged = Map::new();
                tagged.insert(BYTES_TAG.to_string(), Json::String(STANDARD.encode(bytes)));
                return Ok(Json::Object(tagged));
            }
            if is_tagged(&m).is_some() {
                return Err(type_error(format!(
                    "an object whose only key is {BYTES_TAG:?} is reserved for Buffers; wrap it in another object"
                )));
            }
            Json::Object(m.into_iter().map(|(k, v)| Ok((k, tag_bytes(v)?))).collect::<napi::Result<_>>()?)
        }
        Json::Array(a) => Json::Array(a.into_iter().map(tag_bytes).collect::<napi::Result<_>>()?),
        other => other,
    })
}

/// The bytes of a `Buffer` as `JSON.stringify` wrote it.
fn node_buffer(m: &Map<String, Json>) -> Option<Vec<u8>> {
    if m.len() != 2 || m.get("type")?.as_str()? != "Buffer" {
        return None;
    }
    m.get("data")?.as_array()?.iter().map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok())).collect()
}

/// The base64 text of a tagged bytes object.
fn is_tagged(m: &Map<String, Json>) -> Option<&str> {
    if m.len() != 1 {
        return None;
    }
    m.get(BYTES_TAG)?.as_str()
}

impl FromNapiValue for JsJson {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // `env` and `value` are the live ones napi-rs hands an argument conversion.
        let unknown = unsafe { Unknown::from_raw_unchecked(env, value) };
        from_js(&Env::from_raw(env), unknown).map(JsJson)
    }
}

impl ToNapiValue for JsJson {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        // Each arm hands its part to napi-rs's own conversion with the live `env` it gave us.
        unsafe {
            match val.0 {
                Json::Object(m) => {
                    if let Some(bytes) = is_tagged(&m).and_then(|b| STANDARD.decode(b).ok()) {
                        return Buffer::to_napi_value(env, bytes.into());
                    }
                    let mut obj = Object::new(&Env::from_raw(env))?;
                    for (k, v) in m {
                        obj.set_named_property(&k, JsJson(v))?;
                    }
                    Object::to_napi_value(env, obj)
                }
                Json::Array(a) => Vec::to_napi_value(env, a.into_iter().map(JsJson).collect::<Vec<_>>()),
                other => Json::to_napi_value(env, other),
            }
        }
    }
}

impl TypeName for JsJson {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// Any JavaScript value may be passed: `from_js` says which ones have no JSON form.
impl ValidateNapiValue for JsJson {
    unsafe fn validate(_: sys::napi_env, _: sys::napi_value) -> napi::Result<sys::napi_value> {
        Ok(std::ptr::null_mut())
    }
}

/// `typeof`'s word for `kind`.
fn js_type_name(kind: ValueType) -> &'static str {
    match kind {
        ValueType::Function => "function",
        ValueType::Symbol => "symbol",
        _ => "value",
    }
}
