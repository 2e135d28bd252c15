//! `client.sessions(...)` → `SessionStore`: the core's server-side sessions (unguessable ids or
//! HMAC-signed tokens with secret rotation, sliding idle TTL plus an absolute lifetime,
//! per-field JSON data, regenerate, per-user listing, revocation and cap), plus `save` under an
//! id a web framework minted (Flask, Django) and the store-wide `ids`/`all`/`count`/`clear`.

use crate::client::Client;
use crate::convert::{to_seconds, Seconds};
use crate::json::{from_json, to_json};
use crate::record::{fields, record};
use crate::runtime::Mode;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use pyo3::IntoPyObjectExt;
use redkit::patterns::session::{Created, Session, SessionOptions, SessionStore as CoreStore};
use serde_json::Value as Json;
use std::sync::Arc;

/// A store of server-side sessions.
///
/// Clients hold a token: the session id (43 URL-safe characters from the OS CSPRNG) or, with
/// `secret=` (at least 32 bytes), `id.mac` signed with HMAC-SHA256 and checked before Redis is
/// asked. Rotate secrets by passing the old one in `previous_secrets=`: its tokens stay valid
/// and `Session.token` carries the re-signed token to hand back to the client.
///
/// A session ends after `idle_ttl` seconds without a read, write or touch, and `lifetime`
/// seconds after creation whatever its activity. Its data is a dict of JSON values, one Redis
/// hash field per key (values as in `Cache`: JSON types, and bytes stored tagged).
#[pyclass(module = "redkit._native", frozen)]
pub struct SessionStore {
    inner: Arc<CoreStore>,
    mode: Mode,
    name: String,
}

/// A secret as bytes: `bytes` as they are, `str` as UTF-8.
fn secret_bytes(s: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = s.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(t) = s.cast::<PyString>() {
        return Ok(t.to_cow()?.as_bytes().to_vec());
    }
    Err(PyTypeError::new_err(format!("a secret must be bytes or str, not {}", s.get_type().name()?)))
}

#[pymethods]
impl Client {
    /// A session store named `name` (see `SessionStore`).
    #[pyo3(signature = (name = "sessions", *, idle_ttl = None, lifetime = None, max_per_user = None, secret = None, previous_secrets = None, prefix = None))]
    #[allow(clippy::too_many_arguments)]
    fn sessions(
        &self,
        name: &str,
        idle_ttl: Option<Seconds>,
        lifetime: Option<Seconds>,
        max_per_user: Option<u32>,
        secret: Option<&Bound<'_, PyAny>>,
        previous_secrets: Option<Vec<Bound<'_, PyAny>>>,
        prefix: Option<&str>,
    ) -> PyResult<SessionStore> {
        let mut o = SessionOptions::default();
        if let Some(d) = idle_ttl {
            o = o.idle_ttl(d.0);
        }
        if let Some(d) = lifetime {
            o = o.lifetime(d.0);
        }
        if let Some(n) = max_per_user {
            o = o.max_per_user(n);
        }
        if let Some(s) = secret {
            o = o.secret(secret_bytes(s)?);
        }
        for s in previous_secrets.unwrap_or_default() {
            o = o.previous_secret(secret_bytes(&s)?);
        }
        if let Some(p) = prefix {
            o = o.prefix(p);
        }
        let inner = CoreStore::new(self.backend.clone(), name, o).map_err(crate::errors::to_py_err)?;
        Ok(SessionStore { inner: Arc::new(inner), mode: self.mode, name: name.to_string() })
    }
}

/// A core session as `redkit.results.Session` (its data through [`from_json`], so bytes come
/// back as bytes).
fn session(py: Python<'_>, s: Session) -> PyResult<Py<PyAny>> {
    let kw = fields(py, &s)?;
    kw.set_item("data", from_json(py, Json::Object(s.data))?)?;
    py.import("redkit.results")?.getattr("Session")?.call((), Some(&kw))?.into_py_any(py)
}

/// A core `Created` as `redkit.results.Created`.
fn created(py: Python<'_>, created: Created) -> PyResult<Py<PyAny>> {
    let kw = PyDict::new(py);
    kw.set_item("evicted", PyList::new(py, &created.evicted)?)?;
    kw.set_item("session", session(py, created.session)?)?;
    py.import("redkit.results")?.getattr("Created")?.call((), Some(&kw))?.into_py_any(py)
}

/// Data for a session: a dict (or None) as a JSON object.
fn data(d: Option<&Bound<'_, PyAny>>) -> PyResult<Json> {
    match d {
        None => Ok(Json::Null),
        Some(d) if d.is_none() || d.is_instance_of::<PyDict>() => to_json(d),
        Some(d) => Err(PyTypeError::new_err(format!(
            "session data must be a dict (a JSON object), not {}",
            d.get_type().name()?
        ))),
    }
}

#[pymethods]
impl SessionStore {
    /// Creates a session for `user` (or an anonymous one) holding `data` (a dict, one field
    /// per key). With `max_per_user`, the user's oldest sessions beyond it are evicted in the
    /// same step. Returns a `Created` (`.session`, `.evicted` ids).
    #[pyo3(signature = (user = None, data = None))]
    fn create(&self, py: Python<'_>, user: Option<String>, data: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let (s, data) = (self.inner.clone(), self::data(data)?);
        self.mode.run_with(py, async move { s.create(user.as_deref(), &data).await }, created)
    }

    /// Creates or replaces the session under `id`, an id the caller (a web framework) minted:
    /// 1 to 128 characters of `A-Z a-z 0-9 - _ + / =`. `data` (a dict) replaces all of its
    /// fields; a live session keeps its creation time and deadline; `idle_ttl` (seconds) is
    /// this session's own idle TTL, which reads and touches slide by. A store with a `secret`
    /// refuses it (`InvalidArgumentError`). Returns a `Created`.
    #[pyo3(signature = (id, *, user = None, data = None, idle_ttl = None))]
    fn save(
        &self,
        py: Python<'_>,
        id: String,
        user: Option<String>,
        data: Option<&Bound<'_, PyAny>>,
        idle_ttl: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let (s, data) = (self.inner.clone(), self::data(data)?);
        let idle = idle_ttl.map(|d| d.0);
        self.mode.run_with(py, async move { s.save(&id, user.as_deref(), &data, idle).await }, created)
    }

    /// Every live session's id (walked in batches; ended ones are pruned on the way).
    fn ids(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.ids().await })
    }

    /// Every live session with its data, as `Session`s, read without sliding any TTL.
    fn all(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.all().await }, |py, all| {
            let items = all.into_iter().map(|x| session(py, x)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        })
    }

    /// How many live sessions the store holds (a walk of the store's index, hence a method).
    fn count(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.count().await })
    }

    /// Deletes every session of the store (and its users' indexes); returns how many live
    /// sessions it deleted.
    fn clear(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.clear().await })
    }

    /// The live session `token` names (sliding its idle TTL), or None when it ended or never
    /// existed. A malformed, unsigned or forged token raises `InvalidArgumentError`.
    fn get(&self, py: Python<'_>, token: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.get(&token).await }, |py, found| match found {
            Some(found) => session(py, found),
            None => Ok(py.None()),
        })
    }

    /// One field's value (sliding the TTL), None when unset; `NotFoundError` if the session
    /// ended.
    fn get_field(&self, py: Python<'_>, token: String, field: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.get_field::<Json>(&token, &field).await }, |py, v| match v {
            Some(v) => from_json(py, v),
            None => Ok(py.None()),
        })
    }

    /// Sets one field (sliding the TTL); returns the session's TTL in seconds. `NotFoundError`
    /// if the session ended.
    fn set_field(&self, py: Python<'_>, token: String, field: String, value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (s, value) = (self.inner.clone(), to_json(value)?);
        self.mode.run(py, async move { Ok(to_seconds(s.set_field(&token, &field, &value).await?)) })
    }

    /// Sets every key of `data` (a dict) at once; returns the TTL in seconds.
    fn set_fields(&self, py: Python<'_>, token: String, data: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let (s, data) = (self.inner.clone(), self::data(Some(data))?);
        self.mode.run(py, async move { Ok(to_seconds(s.set_fields(&token, &data).await?)) })
    }

    /// Removes fields (sliding the TTL); returns the TTL in seconds.
    #[pyo3(signature = (token, *fields))]
    fn delete_fields(&self, py: Python<'_>, token: String, fields: Vec<String>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move {
            let names: Vec<&str> = fields.iter().map(String::as_str).collect();
            Ok(to_seconds(s.delete_fields(&token, &names).await?))
        })
    }

    /// Slides the idle TTL without reading; returns the TTL in seconds.
    fn touch(&self, py: Python<'_>, token: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { Ok(to_seconds(s.touch(&token).await?)) })
    }

    /// Moves the session to a fresh id keeping its data, user, creation time and deadline (do
    /// it at login: the fixation defence); the old token dies in the same step. Returns the
    /// new `Session`; `NotFoundError` if it ended.
    fn regenerate(&self, py: Python<'_>, token: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.regenerate(&token).await }, session)
    }

    /// Ends the session; False if there was none.
    fn destroy(&self, py: Python<'_>, token: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.destroy(&token).await })
    }

    /// The user's live sessions, oldest first, as `SessionInfo`.
    fn list(&self, py: Python<'_>, user: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.list(&user).await }, |py, all| {
            let items = all.iter().map(|i| record(py, "SessionInfo", i)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        })
    }

    /// Ends every session of `user` but the one `keep` (a token) names ("log out everywhere
    /// else"); returns how many ended.
    #[pyo3(signature = (user, *, keep = None))]
    fn revoke_all(&self, py: Python<'_>, user: String, keep: Option<String>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.revoke_all(&user, keep.as_deref()).await })
    }

    /// The store's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// True when made by a `redkit.aio` client (methods return awaitables).
    #[getter]
    fn is_async(&self) -> bool {
        self.mode == Mode::Async
    }

    fn __repr__(&self) -> String {
        format!("SessionStore({:?}, {})", self.name, self.mode.label())
    }
}
