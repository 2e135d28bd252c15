//! Values between JavaScript and the core: command arguments in (strings, Buffers, numbers),
//! replies out (strings or Buffers, numbers, arrays, null), durations in milliseconds.

use crate::errors::{invalid, type_error};
use napi::bindgen_prelude::{Buffer, Either3, FromNapiValue, Null, ToNapiValue, TypeName, ValidateNapiValue};
use napi::{sys, ValueType};
use redkit::resp::Value;
use std::time::Duration;

/// One command argument (a string, Buffer or number from JavaScript) as the bytes Redis gets.
pub struct Arg(Vec<u8>);

impl FromNapiValue for Arg {
    // Strings and numbers, nearly every argument, are read with one type check and, for a
    // string of up to SHORT bytes, one copy (napi-rs's `String` asks V8 for the UTF-8 length
    // first, then copies). Anything else takes napi-rs's own checked conversions; their
    // failure gets a message in JavaScript's terms.
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        unsafe { Arg::read(env, value, type_of(env, value)) }
    }
}

impl TypeName for Arg {
    fn type_name() -> &'static str {
        "string | Buffer | number"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// Checked by the conversion itself (one type check, with a message in JavaScript's terms).
impl ValidateNapiValue for Arg {
    unsafe fn validate(_: sys::napi_env, _: sys::napi_value) -> napi::Result<sys::napi_value> {
        Ok(std::ptr::null_mut())
    }
}

/// An argument slot of a fixed-arity entry (`executeShort`): `None` for `undefined` or `null`
/// (the caller decides whether the slot was passed), with a single type check.
pub struct Slot(pub Option<Arg>);

impl FromNapiValue for Slot {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(Slot(match type_of(env, value) {
            sys::ValueType::napi_undefined | sys::ValueType::napi_null => None,
            kind => Some(unsafe { Arg::read(env, value, kind) }?),
        }))
    }
}

fn type_of(env: sys::napi_env, value: sys::napi_value) -> sys::napi_valuetype {
    let mut kind = sys::ValueType::napi_undefined;
    // SAFETY: `env` and `value` are the live ones napi-rs handed to `from_napi_value`.
    unsafe { sys::napi_typeof(env, value, &mut kind) };
    kind
}

impl Arg {
    unsafe fn read(env: sys::napi_env, value: sys::napi_value, kind: sys::napi_valuetype) -> napi::Result<Self> {
        match kind {
            sys::ValueType::napi_string => unsafe { utf8(env, value) }.map(Arg),
            sys::ValueType::napi_number => arg_bytes(Either3::C(unsafe { f64::from_napi_value(env, value) }?)).map(Arg),
            _ => match unsafe { Either3::<String, Buffer, f64>::from_napi_value(env, value) } {
                Ok(v) => arg_bytes(v).map(Arg),
                Err(_) => Err(type_error("command arguments must be strings, Buffers or numbers")),
            },
        }
    }
}

/// Strings of up to this many UTF-8 bytes are copied in one call.
const SHORT: usize = 64;

/// A JavaScript string's UTF-8 bytes (lone surrogates become U+FFFD, as napi-rs's `String`).
unsafe fn utf8(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Vec<u8>> {
    let mut buf = [0u8; SHORT];
    let mut len = 0;
    check(unsafe { sys::napi_get_value_string_utf8(env, value, buf.as_mut_ptr().cast(), SHORT, &mut len) })?;
    // V8 writes whole characters (≤ 4 bytes) and a NUL: a string it cut short filled at least
    // SHORT - 4 bytes.
    if len < SHORT - 4 {
        return Ok(buf[..len].to_vec());
    }
    check(unsafe { sys::napi_get_value_string_utf8(env, value, std::ptr::null_mut(), 0, &mut len) })?;
    let mut bytes = Vec::<u8>::with_capacity(len + 1);
    let mut written = 0;
    check(unsafe { sys::napi_get_value_string_utf8(env, value, bytes.as_mut_ptr().cast(), len + 1, &mut written) })?;
    // SAFETY: V8 initialised `written` ≤ len bytes of the buffer.
    unsafe { bytes.set_len(written.min(len)) };
    Ok(bytes)
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    match status {
        sys::Status::napi_ok => Ok(()),
        _ => Err(type_error("command arguments must be strings, Buffers or numbers")),
    }
}

/// The bytes Redis receives for an argument: a number as JavaScript's `String(n)` writes the
/// integers and Redis parses the rest (`1.5`, `inf`).
fn arg_bytes(arg: Either3<String, Buffer, f64>) -> napi::Result<Vec<u8>> {
    Ok(match arg {
        Either3::A(s) => s.into_bytes(),
        Either3::B(b) => b.to_vec(),
        Either3::C(n) if n.is_nan() => return Err(type_error("a command argument cannot be NaN")),
        Either3::C(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => (n as i64).to_string().into_bytes(),
        Either3::C(n) if n.is_infinite() => (if n > 0.0 { "inf" } else { "-inf" }).as_bytes().to_vec(),
        Either3::C(n) => n.to_string().into_bytes(),
    })
}

/// A command's argv from JavaScript arguments; a command needs at least its name.
pub fn argv(args: Vec<Arg>) -> napi::Result<Vec<Vec<u8>>> {
    if args.is_empty() {
        return Err(type_error("a command needs at least its name"));
    }
    Ok(args.into_iter().map(|a| a.0).collect())
}

/// Milliseconds from JavaScript as a duration: finite and ≥ 0.
pub fn millis(what: &str, ms: f64) -> napi::Result<Duration> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(invalid(format!("{what} must be a number of milliseconds ≥ 0, got {ms}")));
    }
    Ok(Duration::from_micros((ms * 1000.0).round() as u64))
}

/// How bulk strings reach JavaScript.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Strings {
    /// UTF-8 text (invalid sequences replaced), as ioredis's `call`.
    Text,
    /// `Buffer`s, byte for byte, as ioredis's `callBuffer`.
    Buffers,
}

/// A reply on its way to JavaScript: integers → number, strings → string or Buffer, nil →
/// null, arrays and sets → arrays, maps → plain objects, doubles → number, booleans → boolean.
/// Error replies nested in arrays (EXEC, pipelines) become `Error` objects with the reply text.
pub struct Reply {
    /// The core's reply.
    pub value: Value,
    /// Text or Buffers.
    pub strings: Strings,
}

impl Reply {
    fn nested(&self, value: Value) -> Reply {
        Reply { value, strings: self.strings }
    }

    fn bytes(&self, b: Vec<u8>) -> napi::Either<String, Buffer> {
        match self.strings {
            Strings::Text => napi::Either::A(
                String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
            Strings::Buffers => napi::Either::B(b.into()),
        }
    }
}

impl ToNapiValue for Reply {
    // Each arm hands its part to napi-rs's own conversion for that type; `env` is the live
    // environment napi-rs passes in, which is all those conversions need.
    unsafe fn to_napi_value(env: sys::napi_env, reply: Self) -> napi::Result<sys::napi_value> {
        let Reply { value, strings } = reply;
        let this = Reply { value: Value::Nil, strings };
        unsafe {
            match value {
                Value::Int(i) => i64::to_napi_value(env, i),
                Value::Double(d) => f64::to_napi_value(env, d),
                Value::Bool(b) => bool::to_napi_value(env, b),
                Value::Nil | Value::NilArray => Null::to_napi_value(env, Null),
                Value::Simple(b) | Value::Bulk(b) | Value::BigNumber(b) => {
                    napi::Either::to_napi_value(env, this.bytes(b))
                }
                Value::Error(e) => napi::Error::to_napi_value(
                    env,
                    crate::errors::tagged(redkit::ErrorKind::Reply, &String::from_utf8_lossy(&e)),
                ),
                Value::Array(items) | Value::Set(items) | Value::Push(items) => {
                    Vec::to_napi_value(env, items.into_iter().map(|v| this.nested(v)).collect::<Vec<_>>())
                }
                Value::Map(pairs) => {
                    let object: std::collections::HashMap<String, Reply> =
                        pairs.into_iter().map(|(k, v)| (k.to_text(), this.nested(v))).collect();
                    std::collections::HashMap::to_napi_value(env, object)
                }
                other => napi::Either::to_napi_value(
                    env,
                    this.bytes(other.as_bytes().map(<[u8]>::to_vec).unwrap_or_default()),
                ),
            }
        }
    }
}

impl Arg {
    /// The bytes Redis receives for this argument.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// A count from JavaScript (permits, limit, cost …): a whole number ≥ 0.
pub fn count(what: &str, n: f64) -> napi::Result<u64> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > 9.0e15 {
        return Err(invalid(format!("{what} must be a whole number ≥ 0, got {n}")));
    }
    Ok(n as u64)
}
