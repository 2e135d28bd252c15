//! Core errors as Python exceptions: one class per `ErrorKind`, defined in
//! `redkit/exceptions.py` (so each can also subclass the matching built-in, which a class made
//! in Rust cannot), looked up once and cached.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use redkit::{Error, ErrorKind};

static CLASSES: PyOnceLock<Vec<(ErrorKind, Py<PyType>)>> = PyOnceLock::new();

const NAMES: [(ErrorKind, &str); 9] = [
    (ErrorKind::Reply, "ResponseError"),
    (ErrorKind::Connection, "ConnectionError"),
    (ErrorKind::Timeout, "TimeoutError"),
    (ErrorKind::LockNotOwned, "LockNotOwnedError"),
    (ErrorKind::InvalidArgument, "InvalidArgumentError"),
    (ErrorKind::Serialization, "SerializationError"),
    (ErrorKind::Protocol, "ProtocolError"),
    (ErrorKind::Io, "StorageError"),
    (ErrorKind::NotFound, "NotFoundError"),
];

fn classes(py: Python<'_>) -> PyResult<&Vec<(ErrorKind, Py<PyType>)>> {
    CLASSES.get_or_try_init(py, || {
        let module = py.import("redkit.exceptions")?;
        NAMES.iter().map(|(kind, name)| Ok((*kind, module.getattr(*name)?.cast_into::<PyType>()?.unbind()))).collect()
    })
}

/// The exception for a core error (`RedkitError` for a kind this binding does not know yet).
pub fn to_py_err(e: Error) -> PyErr {
    Python::attach(|py| {
        let class = match classes(py) {
            Ok(all) => all.iter().find(|(k, _)| *k == e.kind).map(|(_, c)| c.bind(py).clone()),
            Err(err) => return err,
        };
        match class {
            Some(class) => PyErr::from_type(class, e.message),
            None => match py.import("redkit.exceptions").and_then(|m| m.getattr("RedkitError")) {
                Ok(base) => match base.cast_into::<PyType>() {
                    Ok(base) => PyErr::from_type(base, e.message),
                    Err(err) => err.into(),
                },
                Err(err) => err,
            },
        }
    })
}

/// A Python-side message for something only a bug could produce (never a panic).
pub fn internal(what: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!("redkit internal error: {what}"))
}

/// The core kind a redkit exception stands for (its class or a subclass of it), None for any
/// other exception. Used where a Python error must cross the wire as a kind (a responder's).
pub fn kind_of(py: Python<'_>, e: &PyErr) -> Option<ErrorKind> {
    let all = classes(py).ok()?;
    all.iter().find(|(_, class)| e.is_instance(py, class.bind(py))).map(|(kind, _)| *kind)
}
