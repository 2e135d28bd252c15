//! Python values → JSON for the core's JSON payloads (job data and results, stream events).
//!
//! `None`, `bool`, `int` (64-bit), `float` (finite), `str`, `list`/`tuple` and `dict` with `str`
//! keys map onto JSON as `json.dumps` would; `bytes` and `bytearray` must be UTF-8 and become
//! text (JSON has no bytes). Anything else is a `TypeError` naming the type and where it was
//! met. The way back is [`crate::record::json_to_py`].

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value as Json};

/// How deep a value may nest (a self-referencing list would otherwise never end).
const MAX_DEPTH: usize = 128;

/// `obj` as JSON; `what` names it in errors ("job data", "a job's result" …).
pub fn to_json(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Json> {
    convert(obj, what, 0)
}

fn convert(obj: &Bound<'_, PyAny>, what: &str, depth: usize) -> PyResult<Json> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("{what} nests deeper than {MAX_DEPTH} levels")));
    }
    if obj.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Json::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Json::from(u));
        }
        return Err(PyValueError::new_err(format!("{what}: the int {obj} does not fit in 64 bits")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| PyValueError::new_err(format!("{what}: {v} is not a JSON number")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Json::String(s.to_cow()?.into_owned()));
    }
    if obj.is_instance_of::<PyBytes>() || obj.is_instance_of::<PyByteArray>() {
        let raw: Vec<u8> = obj.extract()?;
        return String::from_utf8(raw)
            .map(Json::String)
            .map_err(|_| PyValueError::new_err(format!("{what}: bytes must be UTF-8 text to travel as JSON")));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return obj.try_iter()?.map(|x| convert(&x?, what, depth + 1)).collect::<PyResult<Vec<_>>>().map(Json::Array);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = k
                .cast::<PyString>()
                .map_err(|_| PyTypeError::new_err(format!("{what}: dict keys must be str, not {}", type_name(&k))))?;
            map.insert(key.to_cow()?.into_owned(), convert(&v, what, depth + 1)?);
        }
        return Ok(Json::Object(map));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be JSON-serialisable (None, bool, int, float, str, bytes, list, tuple or dict), not {}",
        type_name(obj)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}
