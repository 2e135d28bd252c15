//! Python values ⇄ JSON: how the cache, sessions, queue and streams keep Python values, in the core's
//! own format (JSON), so any redkit client (Rust, another binding) reads what Python wrote.
//!
//! - `None`, `bool`, `int` (64-bit), `float` (finite), `str`, `list`/`tuple` (→ list) and
//!   `dict` with `str` keys map to JSON as `json.dumps` maps them.
//! - `bytes`, `bytearray` and `memoryview` — which JSON has no type for — are stored as the
//!   one-key object `{"$bytes": "<base64>"}` and read back as `bytes`; a `dict` of that shape
//!   is therefore refused on the way in, so the tag is never ambiguous.
//! - Anything else is a `TypeError` naming its type. Nothing is ever pickled.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::{Map, Value as Json};

/// The key of the object that stands for a bytes value.
pub const BYTES_TAG: &str = "$bytes";
/// Deepest nesting accepted (a cycle would otherwise recurse forever).
const MAX_DEPTH: usize = 256;

/// `v` as JSON (see the module docs for the mapping).
pub fn to_json(v: &Bound<'_, PyAny>) -> PyResult<Json> {
    to_json_at(v, 0)
}

fn to_json_at(v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Json> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!("a value nested deeper than {MAX_DEPTH} levels (a cycle?)")));
    }
    if v.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Json::from(i));
        }
        if let Ok(u) = v.extract::<u64>() {
            return Ok(Json::from(u));
        }
        return Err(PyValueError::new_err(format!("the int {} does not fit JSON's 64-bit integers", v.str()?)));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        return serde_json::Number::from_f64(x)
            .map(Json::Number)
            .ok_or_else(|| PyValueError::new_err(format!("the float {x} has no JSON form (NaN and infinities)")));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Json::String(s.to_cow()?.into_owned()));
    }
    if v.is_instance_of::<PyBytes>() || v.is_instance_of::<PyByteArray>() || v.is_instance_of::<PyMemoryView>() {
        let raw: Vec<u8> = if let Ok(b) = v.cast::<PyBytes>() { b.as_bytes().to_vec() } else { v.extract()? };
        let mut tagged = Map::new();
        tagged.insert(BYTES_TAG.to_string(), Json::String(STANDARD.encode(raw)));
        return Ok(Json::Object(tagged));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        return v.try_iter()?.map(|x| to_json_at(&x?, depth + 1)).collect::<PyResult<Vec<_>>>().map(Json::Array);
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, x) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "JSON object keys must be str, not {}",
                    k.get_type().name()?
                )));
            };
            map.insert(k.to_cow()?.into_owned(), to_json_at(&x, depth + 1)?);
        }
        if map.len() == 1 && map.contains_key(BYTES_TAG) {
            return Err(PyValueError::new_err(format!(
                "a dict whose only key is {BYTES_TAG:?} is reserved: it is how bytes values are stored"
            )));
        }
        return Ok(Json::Object(map));
    }
    Err(PyTypeError::new_err(format!(
        "{} is not JSON-serialisable: use dict, list, tuple, str, int, float, bool, None or bytes \
         (a cache also takes serializer=)",
        v.get_type().name()?
    )))
}

/// JSON as Python (the inverse of [`to_json`]: a `{"$bytes": …}` object comes back as bytes).
pub fn from_json(py: Python<'_>, v: Json) -> PyResult<Py<PyAny>> {
    match v {
        Json::Array(items) => {
            let items = items.into_iter().map(|x| from_json(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        }
        Json::Object(map) => {
            if let (1, Some(Json::String(b64))) = (map.len(), map.get(BYTES_TAG)) {
                if let Ok(raw) = STANDARD.decode(b64) {
                    return PyBytes::new(py, &raw).into_py_any(py);
                }
            }
            let dict = PyDict::new(py);
            for (k, x) in map {
                dict.set_item(k, from_json(py, x)?)?;
            }
            dict.into_py_any(py)
        }
        scalar => crate::record::json_to_py(py, scalar),
    }
}
