//! Python values ⇄ core values: command arguments, replies, durations in seconds.
//!
//! Arguments follow redis-py: bytes as they are, str as UTF-8, int and float as their text; a
//! bool or anything else is a `TypeError` naming the type. Durations are seconds as an int, a
//! float or a `datetime.timedelta`, never negative or NaN.

use crate::errors::to_py_err;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PySet, PyString};
use pyo3::IntoPyObjectExt;
use redkit::resp::Value;
use redkit::{Error, ErrorKind};
use std::time::Duration;

/// A command argument as Redis sees it.
pub fn arg_bytes(a: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = a.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = a.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    if a.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("a bool is not a Redis argument: use 0/1 or a string"));
    }
    if a.is_instance_of::<PyInt>() {
        return Ok(match a.extract::<i64>() {
            Ok(i) => int_bytes(i),
            Err(_) => a.str()?.to_cow()?.as_bytes().to_vec(),
        });
    }
    if let Ok(f) = a.cast::<PyFloat>() {
        return Ok(redkit::sim::fmt_double(f.value()).into_bytes());
    }
    if let Ok(b) = a.extract::<Vec<u8>>() {
        // bytearray, memoryview
        if !a.is_instance_of::<PyList>() {
            return Ok(b);
        }
    }
    Err(PyTypeError::new_err(format!(
        "a Redis argument must be bytes, str, int or float, not {}",
        a.get_type().name()?
    )))
}

/// The decimal text of `i` (what `str(i)` gives), without the formatting machinery of
/// `to_string`: an int argument is on the hot path of `execute`.
fn int_bytes(i: i64) -> Vec<u8> {
    let mut digits = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut out = Vec::with_capacity(digits.len() - start + 1);
    if i < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[start..]);
    out
}

/// A reply as Python values: bytes, int, float, bool, list, dict (RESP3 maps), set, None; an
/// error reply raises `ResponseError`.
pub fn reply_to_py(py: Python<'_>, v: Value) -> PyResult<Py<PyAny>> {
    match v {
        Value::Error(e) => Err(to_py_err(Error::new(ErrorKind::Reply, String::from_utf8_lossy(&e)))),
        other => value_to_py(py, other, false),
    }
}

/// A reply where an error reply becomes a `ResponseError` instance instead of raising (the
/// elements of a pipeline or transaction).
pub fn value_to_py(py: Python<'_>, v: Value, errors_as_values: bool) -> PyResult<Py<PyAny>> {
    let list = |items: Vec<Value>| -> PyResult<Py<PyAny>> {
        let items = items.into_iter().map(|x| value_to_py(py, x, true)).collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)?.into_py_any(py)
    };
    match v {
        Value::Int(i) => i.into_py_any(py),
        Value::Simple(b) if b == b"OK" => Ok(ok(py)),
        Value::Bulk(b) | Value::Simple(b) | Value::DoubleText(b) => PyBytes::new(py, &b).into_py_any(py),
        Value::Verbatim { text, .. } => PyBytes::new(py, &text).into_py_any(py),
        Value::Nil | Value::NilArray => Ok(py.None()),
        Value::Double(f) => f.into_py_any(py),
        Value::Bool(b) => b.into_py_any(py),
        Value::BigNumber(b) => {
            py.import("builtins")?.getattr("int")?.call1((String::from_utf8_lossy(&b),))?.into_py_any(py)
        }
        Value::Array(a) | Value::Push(a) => list(a),
        Value::Set(items) => {
            let set = PySet::empty(py)?;
            for x in items {
                set.add(value_to_py(py, x, true)?)?;
            }
            set.into_py_any(py)
        }
        Value::Map(pairs) => {
            let dict = PyDict::new(py);
            for (k, x) in pairs {
                dict.set_item(value_to_py(py, k, true)?, value_to_py(py, x, true)?)?;
            }
            dict.into_py_any(py)
        }
        Value::Error(e) if errors_as_values => {
            let err = to_py_err(Error::new(ErrorKind::Reply, String::from_utf8_lossy(&e)));
            err.into_value(py).into_py_any(py)
        }
        Value::Error(e) => Err(to_py_err(Error::new(ErrorKind::Reply, String::from_utf8_lossy(&e)))),
        other => PyBytes::new(py, other.to_text().as_bytes()).into_py_any(py),
    }
}

/// `b"OK"`, the most common reply, made once (bytes are immutable, so one object serves all).
fn ok(py: Python<'_>) -> Py<PyAny> {
    static OK: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    OK.get_or_init(py, || PyBytes::new(py, b"OK").into_any().unbind()).clone_ref(py)
}

/// A duration in seconds: int, float or `datetime.timedelta`.
#[derive(Clone, Copy, Debug)]
pub struct Seconds(pub Duration);

impl<'a, 'py> FromPyObject<'a, 'py> for Seconds {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let secs: f64 = if ob.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err("a duration must be seconds (int or float) or a timedelta, not bool"));
        } else if let Ok(f) = ob.extract::<f64>() {
            f
        } else if ob.hasattr("total_seconds")? {
            ob.call_method0("total_seconds")?.extract::<f64>()?
        } else {
            return Err(PyTypeError::new_err(format!(
                "a duration must be seconds (int or float) or a timedelta, not {}",
                ob.get_type().name()?
            )));
        };
        seconds(secs).map(Seconds)
    }
}

/// `secs` as a Duration rounded to the microsecond (so `1.499` is 1,499 ms, not 1,498.999…),
/// or a ValueError for a negative, NaN or infinite number.
pub fn seconds(secs: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(secs)
        .map(|d| Duration::from_micros((d.as_secs_f64() * 1e6).round() as u64))
        .map_err(|_| PyValueError::new_err(format!("a duration must be a finite number of seconds ≥ 0, got {secs}")))
}

/// A duration as Python float seconds.
pub fn to_seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
