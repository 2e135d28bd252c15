//! `client.stream(...)` → `Stream`: the core's Redis Streams pattern (append with trimming,
//! ranges, a bounded blocking tail, consumer groups with acks, pending summaries, claiming idle
//! entries, dead letters after N deliveries, JSON events) plus `stream.iter(...)`, a bounded
//! iterator (`for` and `async for`) over a tail or a consumer group.

use crate::client::Client;
use crate::convert::{arg_bytes, Seconds};
use crate::errors::to_py_err;
use crate::json::to_json;
use crate::queue::{quoted, records};
use crate::record::{fields, record};
use crate::runtime::{block, Mode, Tokio};
use pyo3::exceptions::{PyStopAsyncIteration, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use redkit::patterns::stream::{Claimed, Entry, PendingSummary, Stream as CoreStream, StreamOptions, Trim};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// A stream and its dead-letter stream (see the `Stream` stub).
#[pyclass(module = "redkit._native", frozen)]
pub struct Stream {
    inner: CoreStream,
    mode: Mode,
    name: String,
}

/// A `Trim` from `max_len` or `min_id` (+ `approx`), if one is given.
fn trim_of(max_len: Option<u64>, min_id: Option<String>, approx: bool) -> PyResult<Option<Trim>> {
    let trim = match (max_len, min_id) {
        (Some(n), None) => Trim::max_len(n),
        (None, Some(id)) => Trim::min_id(&id),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(PyTypeError::new_err("give max_len or min_id, not both")),
    };
    Ok(Some(if approx { trim.approx() } else { trim }))
}

#[pymethods]
impl Client {
    /// The stream `name`, trimmed on every add to `max_len` entries or ids from `min_id`
    /// (`approx=True`: Redis's cheaper `~` trim); `dead_letter_max_len` caps its dead letters.
    #[pyo3(signature = (name, *, max_len = None, min_id = None, approx = false, dead_letter_max_len = None, prefix = None))]
    fn stream(
        &self,
        name: &str,
        max_len: Option<u64>,
        min_id: Option<String>,
        approx: bool,
        dead_letter_max_len: Option<u64>,
        prefix: Option<&str>,
    ) -> PyResult<Stream> {
        let mut o = StreamOptions::default();
        if let Some(t) = trim_of(max_len, min_id, approx)? {
            o = o.trim(t);
        }
        if let Some(n) = dead_letter_max_len {
            o = o.dead_letter_max_len(n);
        }
        if let Some(p) = prefix {
            o = o.prefix(p);
        }
        let inner = CoreStream::new(self.backend.clone(), name, o).map_err(to_py_err)?;
        Ok(Stream { inner, mode: self.mode, name: name.to_string() })
    }
}

/// Text of a field name or value (str, bytes as UTF-8, int, float).
fn text(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    String::from_utf8(arg_bytes(v)?).map_err(|_| PyValueError::new_err(format!("{what} must be UTF-8 text")))
}

/// An entry's fields from a dict.
fn fields_of(map: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let d = map.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(
            "an entry's fields are a dict of str to str, bytes, int or float (use add_json for events)",
        )
    })?;
    d.iter().map(|(k, v)| Ok((text(&k, "a field name")?, text(&v, "a field value")?))).collect()
}

/// An entry id from a str or anything with an `id` (an `Entry`).
fn id_of(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_cow()?.into_owned());
    }
    v.getattr("id").and_then(|i| i.extract()).map_err(|_| PyTypeError::new_err("an entry id must be a str or an Entry"))
}

fn entries(py: Python<'_>, list: Vec<Entry>) -> PyResult<Py<PyAny>> {
    records(py, "StreamEntry", &list)
}

/// A record of `class` whose field `name` is replaced by `value`.
fn record_with(
    py: Python<'_>,
    class: &str,
    of: &impl serde::Serialize,
    name: &str,
    value: Py<PyAny>,
) -> PyResult<Py<PyAny>> {
    let f = fields(py, of)?;
    f.set_item(name, value)?;
    py.import("redkit.results")?.getattr(class)?.call((), Some(&f))?.into_py_any(py)
}

fn claimed(py: Python<'_>, c: Claimed) -> PyResult<Py<PyAny>> {
    let list = records(py, "StreamEntry", &c.entries)?;
    record_with(py, "Claimed", &c, "entries", list)
}

fn pending(py: Python<'_>, p: PendingSummary) -> PyResult<Py<PyAny>> {
    let consumers = PyDict::new(py);
    for c in &p.consumers {
        consumers.set_item(&c.name, c.count)?;
    }
    record_with(py, "PendingSummary", &p, "consumers", consumers.into_any().unbind())
}

#[pymethods]
impl Stream {
    /// Appends an entry with `fields` (a dict); returns its id. `max_len` / `min_id` trim
    /// this add instead of the stream's own trim.
    #[pyo3(signature = (fields, *, max_len = None, min_id = None, approx = false))]
    fn add(
        &self,
        py: Python<'_>,
        fields: &Bound<'_, PyAny>,
        max_len: Option<u64>,
        min_id: Option<String>,
        approx: bool,
    ) -> PyResult<Py<PyAny>> {
        let owned = fields_of(fields)?;
        let trim = trim_of(max_len, min_id, approx)?;
        let s = self.inner.clone();
        self.mode.run(py, async move {
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            match trim {
                Some(t) => s.add_trimmed(&pairs, &t).await,
                None => s.add(&pairs).await,
            }
        })
    }

    /// Appends `event` (JSON-able) as JSON in the `data` field; returns the entry's id.
    fn add_json(&self, py: Python<'_>, event: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let event = to_json(event)?;
        let s = self.inner.clone();
        self.mode.run(py, async move { s.add_json(&event).await })
    }

    /// Trims now to `max_len` entries or ids from `min_id`; returns how many were removed.
    #[pyo3(signature = (*, max_len = None, min_id = None, approx = false))]
    fn trim(&self, py: Python<'_>, max_len: Option<u64>, min_id: Option<String>, approx: bool) -> PyResult<Py<PyAny>> {
        let t =
            trim_of(max_len, min_id, approx)?.ok_or_else(|| PyTypeError::new_err("trim needs max_len or min_id"))?;
        let s = self.inner.clone();
        self.mode.run(py, async move { s.trim(&t).await })
    }

    /// The number of entries.
    fn len(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.len().await })
    }

    /// Entries from `start` to `end` (ids, `-`, `+`, `(id` exclusive), oldest first.
    #[pyo3(signature = (start = "-", end = "+", count = None))]
    fn range(&self, py: Python<'_>, start: &str, end: &str, count: Option<u64>) -> PyResult<Py<PyAny>> {
        let (start, end) = (start.to_string(), end.to_string());
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.range(&start, &end, count).await }, entries)
    }

    /// Entries from `end` down to `start`, newest first.
    #[pyo3(signature = (end = "+", start = "-", count = None))]
    fn rev_range(&self, py: Python<'_>, end: &str, start: &str, count: Option<u64>) -> PyResult<Py<PyAny>> {
        let (start, end) = (start.to_string(), end.to_string());
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.rev_range(&end, &start, count).await }, entries)
    }

    /// Up to `count` entries after id `after` (`"$"`: new ones only), waiting up to `timeout`
    /// seconds for the first; empty when the wait ran out.
    #[pyo3(signature = (after = "$", count = 100, timeout = None))]
    fn tail(&self, py: Python<'_>, after: &str, count: u64, timeout: Option<Seconds>) -> PyResult<Py<PyAny>> {
        let after = after.to_string();
        let s = self.inner.clone();
        let t = timeout.map_or(Duration::ZERO, |t| t.0);
        self.mode.run_with(py, async move { s.tail(&after, count, t).await }, entries)
    }

    /// Creates consumer group `group` reading from `start` (`"$"`: new entries, `"0"`: all);
    /// False if it existed.
    #[pyo3(signature = (group, start = "$"))]
    fn create_group(&self, py: Python<'_>, group: String, start: &str) -> PyResult<Py<PyAny>> {
        let start = start.to_string();
        let s = self.inner.clone();
        self.mode.run(py, async move { s.create_group(&group, &start).await })
    }

    /// Deletes a group and its pending list; False if there was none.
    fn destroy_group(&self, py: Python<'_>, group: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.destroy_group(&group).await })
    }

    /// The stream's groups: a list of `GroupInfo`.
    fn groups(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.groups().await }, |py, g| records(py, "GroupInfo", &g))
    }

    /// Removes a consumer; returns how many entries it still had pending.
    fn delete_consumer(&self, py: Python<'_>, group: String, consumer: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run(py, async move { s.delete_consumer(&group, &consumer).await })
    }

    /// Delivers up to `count` new entries of `group` to `consumer`, waiting up to `block`
    /// seconds for the first; they stay pending until acked. `NotFoundError` without the group.
    #[pyo3(signature = (group, consumer, count = 10, block = None))]
    fn read_group(
        &self,
        py: Python<'_>,
        group: String,
        consumer: String,
        count: u64,
        block: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        let b = block.map(|b| b.0);
        self.mode.run_with(py, async move { s.read_group(&group, &consumer, count, b).await }, entries)
    }

    /// Re-reads up to `count` of `consumer`'s own pending entries, oldest first.
    #[pyo3(signature = (group, consumer, count = 100))]
    fn read_own_pending(&self, py: Python<'_>, group: String, consumer: String, count: u64) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.read_own_pending(&group, &consumer, count).await }, entries)
    }

    /// Acknowledges entries (ids or `Entry` objects); returns how many were pending.
    #[pyo3(signature = (group, *ids))]
    fn ack(&self, py: Python<'_>, group: String, ids: &Bound<'_, PyTuple>) -> PyResult<Py<PyAny>> {
        let ids = ids.iter().map(|i| id_of(&i)).collect::<PyResult<Vec<_>>>()?;
        let s = self.inner.clone();
        self.mode.run(py, async move {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            s.ack(&group, &refs).await
        })
    }

    /// The group's pending entries in summary: a `PendingSummary`.
    fn pending(&self, py: Python<'_>, group: String) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.pending(&group).await }, pending)
    }

    /// Up to `count` pending entries (a list of `PendingEntry`), oldest first, of one
    /// `consumer` and idle at least `min_idle` seconds when given.
    #[pyo3(signature = (group, count = 100, *, consumer = None, min_idle = None))]
    fn pending_entries(
        &self,
        py: Python<'_>,
        group: String,
        count: u64,
        consumer: Option<String>,
        min_idle: Option<Seconds>,
    ) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        let idle = min_idle.map(|m| m.0);
        self.mode.run_with(
            py,
            async move { s.pending_entries(&group, count, consumer.as_deref(), idle).await },
            |py, p| records(py, "PendingEntry", &p),
        )
    }

    /// Moves to `consumer` up to `count` pending entries idle at least `min_idle` seconds,
    /// scanning from `start`; returns a `Claimed` (pass its `next` to continue).
    #[pyo3(signature = (group, consumer, min_idle, count = 100, start = "0-0"))]
    fn claim_idle(
        &self,
        py: Python<'_>,
        group: String,
        consumer: String,
        min_idle: Seconds,
        count: u64,
        start: &str,
    ) -> PyResult<Py<PyAny>> {
        let start = start.to_string();
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.claim_idle(&group, &consumer, min_idle.0, count, &start).await }, claimed)
    }

    /// Moves pending entries delivered at least `max_deliveries` times (and idle at least
    /// `min_idle` seconds) to the dead-letter stream and acks them; returns a `DeadLettered`.
    #[pyo3(signature = (group, max_deliveries, *, min_idle = None, count = 100))]
    fn dead_letter(
        &self,
        py: Python<'_>,
        group: String,
        max_deliveries: u64,
        min_idle: Option<Seconds>,
        count: u64,
    ) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        let idle = min_idle.map_or(Duration::ZERO, |m| m.0);
        self.mode.run_with(py, async move { s.dead_letter(&group, max_deliveries, idle, count).await }, |py, d| {
            record(py, "DeadLettered", &d)
        })
    }

    /// Dead-lettered entries, oldest first, each with its fields plus `dead:id`, `dead:group`,
    /// `dead:consumer` and `dead:deliveries`.
    #[pyo3(signature = (count = None))]
    fn dead_letters(&self, py: Python<'_>, count: Option<u64>) -> PyResult<Py<PyAny>> {
        let s = self.inner.clone();
        self.mode.run_with(py, async move { s.dead_letters(count).await }, entries)
    }

    /// A bounded iterator of entries (`for` / `async for`): with `group` and `consumer`, new
    /// entries of the group (`ack=True` acks each once the loop moves past it); without, the
    /// entries after `after`. Each read waits up to `block` seconds (the backend's time: virtual
    /// on a simulator with a manual clock); the iteration ends when a read finds nothing or
    /// after `max` entries. A read delivers up to `count` entries to the group at once.
    #[pyo3(signature = (group = None, consumer = None, *, block = None, max = None, count = 10, after = "$", ack = false))]
    #[allow(clippy::too_many_arguments)]
    fn iter(
        &self,
        group: Option<String>,
        consumer: Option<String>,
        block: Option<Seconds>,
        max: Option<u64>,
        count: u64,
        after: &str,
        ack: bool,
    ) -> PyResult<StreamIter> {
        let group = match (group, consumer) {
            (Some(g), Some(c)) => Some((g, c)),
            (None, None) => None,
            _ => return Err(PyTypeError::new_err("iter needs both group and consumer, or neither")),
        };
        if ack && group.is_none() {
            return Err(PyTypeError::new_err("ack=True needs a group and a consumer"));
        }
        let state =
            IterState { buffer: VecDeque::new(), after: after.to_string(), yielded: 0, to_ack: None, done: false };
        Ok(StreamIter {
            cfg: Arc::new(IterConfig {
                stream: self.inner.clone(),
                group,
                block: block.map_or(Duration::ZERO, |b| b.0),
                max,
                count,
                ack,
            }),
            state: Arc::new(tokio::sync::Mutex::new(state)),
        })
    }

    /// The stream's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("Stream({})", quoted(py, &self.name))
    }
}

struct IterConfig {
    stream: CoreStream,
    group: Option<(String, String)>,
    block: Duration,
    max: Option<u64>,
    count: u64,
    ack: bool,
}

struct IterState {
    buffer: VecDeque<Entry>,
    /// The tail's cursor: the last id read.
    after: String,
    yielded: u64,
    /// The entry to ack when the next one is asked for.
    to_ack: Option<String>,
    done: bool,
}

/// The next entry, or None when the iteration is over.
async fn next_entry(cfg: Arc<IterConfig>, state: Arc<tokio::sync::Mutex<IterState>>) -> redkit::Result<Option<Entry>> {
    let mut st = state.lock().await;
    let s = &cfg.stream;
    if let (Some(id), Some((group, _))) = (st.to_ack.take(), &cfg.group) {
        s.ack(group, &[id.as_str()]).await?;
    }
    let left = cfg.max.map(|m| m.saturating_sub(st.yielded));
    if st.done || left == Some(0) {
        st.done = true;
        return Ok(None);
    }
    if st.buffer.is_empty() {
        let want = left.map_or(cfg.count, |l| l.min(cfg.count));
        let batch = match &cfg.group {
            Some((g, c)) => s.read_group(g, c, want, Some(cfg.block)).await?,
            None => s.tail(&st.after, want, cfg.block).await?,
        };
        if let Some(last) = batch.last() {
            st.after = last.id.clone();
        }
        st.buffer.extend(batch);
    }
    match st.buffer.pop_front() {
        None => {
            st.done = true;
            Ok(None)
        }
        Some(e) => {
            st.yielded += 1;
            if cfg.ack {
                st.to_ack = Some(e.id.clone());
            }
            Ok(Some(e))
        }
    }
}

/// `stream.iter(...)`: entries one by one, with `for` (blocking, GIL released) or `async for`.
#[pyclass(module = "redkit._native", frozen)]
pub struct StreamIter {
    cfg: Arc<IterConfig>,
    state: Arc<tokio::sync::Mutex<IterState>>,
}

#[pymethods]
impl StreamIter {
    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        match block(py, next_entry(self.cfg.clone(), self.state.clone())).map_err(to_py_err)? {
            Some(e) => Ok(Some(record(py, "StreamEntry", &e)?)),
            None => Ok(None),
        }
    }

    fn __aiter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __anext__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let (cfg, state) = (self.cfg.clone(), self.state.clone());
        let fut = async move {
            match next_entry(cfg, state).await.map_err(to_py_err)? {
                Some(e) => Python::attach(|py| record(py, "StreamEntry", &e)),
                None => Err(PyStopAsyncIteration::new_err(())),
            }
        };
        Ok(pyo3_async_runtimes::generic::future_into_py::<Tokio, _, Py<PyAny>>(py, fut)?.unbind())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        match &self.cfg.group {
            Some((g, c)) => format!("StreamIter(group={}, consumer={})", quoted(py, g), quoted(py, c)),
            None => "StreamIter(tail)".to_string(),
        }
    }
}
