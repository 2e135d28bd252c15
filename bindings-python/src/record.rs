//! Core result structs (`Acquisition`, `Decision`, `Job` …) as the Python dataclasses of
//! `redkit/results.py`.
//!
//! Every core result derives `serde::Serialize`; this turns it into keyword arguments by one
//! rule, so no binding file converts a result by hand: a field `x_ms` (milliseconds) becomes `x`
//! in float seconds, everything else keeps its name and JSON shape.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyModule};
use pyo3::IntoPyObjectExt;
use serde::Serialize;
use serde_json::Value as Json;

static RESULTS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `value` as an instance of `redkit.results.<class>`.
pub fn record<T: Serialize>(py: Python<'_>, class: &str, value: &T) -> PyResult<Py<PyAny>> {
    let module = RESULTS.get_or_try_init(py, || py.import("redkit.results").map(Bound::unbind))?;
    let fields = fields(py, value)?;
    module.bind(py).getattr(class)?.call((), Some(&fields))?.into_py_any(py)
}

/// `value`'s fields as a dict, `x_ms` renamed `x` in seconds.
pub fn fields<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyDict>> {
    let json =
        serde_json::to_value(value).map_err(|e| crate::errors::internal(format!("result not serialisable: {e}")))?;
    let dict = PyDict::new(py);
    if let Json::Object(map) = json {
        for (k, v) in map {
            match k.strip_suffix("_ms") {
                Some(name) => dict.set_item(name, v.as_f64().map(|ms| ms / 1000.0))?,
                None => dict.set_item(k, crate::json::from_json(py, v)?)?,
            }
        }
    }
    Ok(dict)
}

/// A JSON value as Python (dict, list, str, int, float, bool, None).
pub fn json_to_py(py: Python<'_>, v: Json) -> PyResult<Py<PyAny>> {
    match v {
        Json::Null => Ok(py.None()),
        Json::Bool(b) => b.into_py_any(py),
        Json::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py),
            (_, Some(u)) => u.into_py_any(py),
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py),
        },
        Json::String(s) => s.into_py_any(py),
        Json::Array(items) => {
            let items = items.into_iter().map(|x| json_to_py(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        }
        Json::Object(map) => {
            let dict = PyDict::new(py);
            for (k, x) in map {
                dict.set_item(k, json_to_py(py, x)?)?;
            }
            dict.into_py_any(py)
        }
    }
}
