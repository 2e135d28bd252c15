//! Reading replies: small conversions from [`Value`] to Rust types that patterns use, each
//! failing with [`ErrorKind::Protocol`] and a message naming what was expected instead of
//! panicking on an unexpected reply.

use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;

fn unexpected(what: &str, v: &Value) -> Error {
    Error::new(ErrorKind::Protocol, format!("expected {what}, got {v:?}"))
}

/// An integer reply (or a bulk string holding one).
pub fn int(v: &Value) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bulk(b) | Value::Simple(b) => {
            std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()).ok_or_else(|| unexpected("an integer", v))
        }
        _ => Err(unexpected("an integer", v)),
    }
}

/// An integer, or `None` for a nil reply.
pub fn opt_int(v: &Value) -> Result<Option<i64>> {
    if v.is_nil() {
        Ok(None)
    } else {
        int(v).map(Some)
    }
}

/// A float reply (bulk text like `"1.5"`, `inf`, or a RESP3 double).
pub fn float(v: &Value) -> Result<f64> {
    match v {
        Value::Double(d) => Ok(*d),
        Value::Int(i) => Ok(*i as f64),
        Value::Bulk(b) | Value::Simple(b) | Value::DoubleText(b) => {
            crate::sim::float::parse_f64(b).ok_or_else(|| unexpected("a float", v))
        }
        _ => Err(unexpected("a float", v)),
    }
}

/// A float, or `None` for a nil reply.
pub fn opt_float(v: &Value) -> Result<Option<f64>> {
    if v.is_nil() {
        Ok(None)
    } else {
        float(v).map(Some)
    }
}

/// A string reply's bytes.
pub fn bytes(v: &Value) -> Result<Vec<u8>> {
    v.as_bytes().map(<[u8]>::to_vec).ok_or_else(|| unexpected("a string", v))
}

/// A string's bytes, or `None` for a nil reply.
pub fn opt_bytes(v: &Value) -> Result<Option<Vec<u8>>> {
    if v.is_nil() {
        Ok(None)
    } else {
        bytes(v).map(Some)
    }
}

/// A string reply as UTF-8 text (lossy).
pub fn text(v: &Value) -> Result<String> {
    bytes(v).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// An array reply's items (nil array: empty).
pub fn array(v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(a) | Value::Set(a) | Value::Push(a) => Ok(a),
        Value::NilArray | Value::Nil => Ok(Vec::new()),
        other => Err(unexpected("an array", &other)),
    }
}

/// A flat field/value array (HGETALL in RESP2) or a RESP3 map, as pairs of bytes.
pub fn pairs(v: Value) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    match v {
        Value::Map(m) => m.iter().map(|(k, v)| Ok((bytes(k)?, bytes(v)?))).collect(),
        other => {
            let items = array(other)?;
            if items.len() % 2 != 0 {
                return Err(Error::new(ErrorKind::Protocol, "expected field/value pairs, got an odd count"));
            }
            items.chunks(2).map(|p| Ok((bytes(&p[0])?, bytes(&p[1])?))).collect()
        }
    }
}

/// `1`/`0` (or OK/nil) as a boolean.
pub fn boolean(v: &Value) -> Result<bool> {
    match v {
        Value::Int(i) => Ok(*i != 0),
        Value::Bool(b) => Ok(*b),
        Value::Nil | Value::NilArray => Ok(false),
        Value::Simple(_) => Ok(true),
        _ => Err(unexpected("a boolean", v)),
    }
}
