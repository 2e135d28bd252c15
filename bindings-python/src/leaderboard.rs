//! `client.leaderboard(name, ...)` → `Leaderboard`: the core's sorted-set leaderboard —
//! scores, 1-based ranks (highest first, or lowest first for race times), the top N, the
//! members around one, numbered pages, and an optional TTL renewed by every write. Entries come
//! back as `Entry(member, score, rank)` and pages as `Page`.

use crate::client::Client;
use crate::convert::Seconds;
use crate::errors::to_py_err;
use crate::record::{fields, record};
use crate::runtime::Mode;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyMapping};
use pyo3::IntoPyObjectExt;
use redkit::patterns::leaderboard::{Entry, Leaderboard as CoreLeaderboard, LeaderboardOptions, Order};
use redkit::{Error, ErrorKind};
use std::sync::Arc;

/// A leaderboard: one sorted set.
#[pyclass(module = "redkit._native", frozen)]
pub struct Leaderboard {
    inner: Arc<CoreLeaderboard>,
    mode: Mode,
    name: String,
    order: &'static str,
}

fn order(name: &str) -> PyResult<(Order, &'static str)> {
    match name {
        "highest_first" => Ok((Order::HighestFirst, "highest_first")),
        "lowest_first" => Ok((Order::LowestFirst, "lowest_first")),
        other => Err(to_py_err(Error::new(
            ErrorKind::InvalidArgument,
            format!("order must be \"highest_first\" or \"lowest_first\", got {other:?}"),
        ))),
    }
}

#[pymethods]
impl Client {
    /// A leaderboard named `name` (see `Leaderboard`). `order="lowest_first"` ranks the lowest
    /// score first; with `ttl` the board expires that long after its last write.
    #[pyo3(signature = (name, *, order = "highest_first", ttl = None, prefix = None))]
    fn leaderboard(
        &self,
        name: &str,
        order: &str,
        ttl: Option<Seconds>,
        prefix: Option<&str>,
    ) -> PyResult<Leaderboard> {
        let (core_order, order) = self::order(order)?;
        let mut opts = LeaderboardOptions::default().order(core_order);
        if let Some(t) = ttl {
            opts = opts.ttl(t.0);
        }
        if let Some(p) = prefix {
            opts = opts.prefix(p);
        }
        let inner = CoreLeaderboard::new(self.backend.clone(), name, opts).map_err(to_py_err)?;
        Ok(Leaderboard { inner: Arc::new(inner), mode: self.mode, name: name.to_string(), order })
    }
}

/// Entries as a list of `Entry`.
fn entry_list(py: Python<'_>, entries: &[Entry]) -> PyResult<Py<PyAny>> {
    let items = entries.iter().map(|e| record(py, "LeaderboardEntry", e)).collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)?.into_py_any(py)
}

/// `{member: score}` or `[(member, score), …]`.
fn pairs(entries: &Bound<'_, PyAny>) -> PyResult<Vec<(String, f64)>> {
    let items = match entries.cast::<PyMapping>() {
        Ok(m) => m.items()?.into_any(),
        Err(_) => entries.clone(),
    };
    let bad = || PyTypeError::new_err("entries must be a dict {member: score} or (member, score) pairs");
    if items.is_instance_of::<pyo3::types::PyString>() {
        return Err(bad());
    }
    items.try_iter().map_err(|_| bad())?.map(|pair| pair?.extract::<(String, f64)>().map_err(|_| bad())).collect()
}

#[pymethods]
impl Leaderboard {
    /// Sets `member`'s score; True if the member is new to the board.
    fn add(&self, py: Python<'_>, member: String, score: f64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.add(&member, score).await })
    }

    /// Sets several scores (`{member: score}` or `(member, score)` pairs); returns how many
    /// members are new.
    fn add_many(&self, py: Python<'_>, entries: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let entries = pairs(entries)?;
        let b = self.inner.clone();
        self.mode.run(py, async move {
            let borrowed: Vec<(&str, f64)> = entries.iter().map(|(m, s)| (m.as_str(), *s)).collect();
            b.add_many(&borrowed).await
        })
    }

    /// Sets `member`'s score only if it beats its current one (or it is new): a personal
    /// best. True if the board changed.
    fn add_if_better(&self, py: Python<'_>, member: String, score: f64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.add_if_better(&member, score).await })
    }

    /// Adds `by` (may be negative) to `member`'s score, from 0 for a new member; returns the
    /// new score.
    #[pyo3(signature = (member, by = 1.0))]
    fn increment(&self, py: Python<'_>, member: String, by: f64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.increment(&member, by).await })
    }

    /// Removes `member`; True if it was on the board.
    fn remove(&self, py: Python<'_>, member: String) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.remove(&member).await })
    }

    /// `member`'s score, or None if it is not on the board.
    fn score(&self, py: Python<'_>, member: String) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.score(&member).await })
    }

    /// `member`'s `Entry` (rank and score read together), or None if it is not on the board.
    fn rank(&self, py: Python<'_>, member: String) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run_with(py, async move { b.rank(&member).await }, |py, e| match e {
            Some(e) => record(py, "LeaderboardEntry", &e),
            None => Ok(py.None()),
        })
    }

    /// The first `n` entries (fewer when the board is shorter).
    fn top(&self, py: Python<'_>, n: u64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run_with(py, async move { b.top(n).await }, |py, e| entry_list(py, &e))
    }

    /// `member` with up to `k` entries above and `k` below it, in board order;
    /// `NotFoundError` if it is not on the board.
    fn around(&self, py: Python<'_>, member: String, k: u64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run_with(py, async move { b.around(&member, k).await }, |py, e| entry_list(py, &e))
    }

    /// Page `page` (1-based) of `size` entries with the board's totals, as a `Page`; a page
    /// past the end has no entries.
    fn page(&self, py: Python<'_>, page: u64, size: u64) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run_with(py, async move { b.page(page, size).await }, |py, p| {
            let f = fields(py, &p)?;
            f.set_item("entries", entry_list(py, &p.entries)?)?;
            py.import("redkit.results")?.getattr("Page")?.call((), Some(&f))?.into_py_any(py)
        })
    }

    /// How many members the board has.
    fn count(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.count().await })
    }

    /// Deletes the whole board; True if it existed.
    fn clear(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let b = self.inner.clone();
        self.mode.run(py, async move { b.clear().await })
    }

    /// The board's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// `"highest_first"` or `"lowest_first"`.
    #[getter]
    fn order(&self) -> &'static str {
        self.order
    }

    /// The sorted set's key.
    #[getter]
    fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }

    fn __repr__(&self) -> String {
        format!("Leaderboard({:?}, order={:?})", self.name, self.order)
    }
}
