//! `client.geo(name, ...)` → `Geo`: the core's geo index — places by longitude and latitude,
//! positions, the distance between two members, and searches by radius or box around a member
//! or a point, nearest first, with distances in the search's unit (`"m"`, `"km"`, `"mi"`,
//! `"ft"`). Results are `Position(longitude, latitude)` and `GeoHit(member, distance, …)`.

use crate::client::Client;
use crate::errors::to_py_err;
use crate::record::record;
use crate::runtime::Mode;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use pyo3::IntoPyObjectExt;
use redkit::patterns::geo::{Geo as CoreGeo, GeoOptions, Position, Search, Unit};
use std::sync::Arc;

/// A geo index: one sorted set.
#[pyclass(module = "redkit._native", frozen)]
pub struct Geo {
    inner: Arc<CoreGeo>,
    mode: Mode,
    name: String,
}

#[pymethods]
impl Client {
    /// A geo index named `name` (see `Geo`).
    #[pyo3(signature = (name, *, prefix = None))]
    fn geo(&self, name: &str, prefix: Option<&str>) -> PyResult<Geo> {
        let mut opts = GeoOptions::default();
        if let Some(p) = prefix {
            opts = opts.prefix(p);
        }
        let inner = CoreGeo::new(self.backend.clone(), name, opts).map_err(to_py_err)?;
        Ok(Geo { inner: Arc::new(inner), mode: self.mode, name: name.to_string() })
    }
}

fn unit(name: &str) -> PyResult<Unit> {
    name.parse().map_err(to_py_err)
}

/// Members as a list of str (a lone str is refused: it would be read letter by letter).
fn members(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if v.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("members must be a list of str, not a str"));
    }
    v.extract()
}

fn position(py: Python<'_>, p: Option<Position>) -> PyResult<Py<PyAny>> {
    match p {
        Some(p) => record(py, "Position", &p),
        None => Ok(py.None()),
    }
}

/// The core's search from keyword arguments: a centre (`member`, or `longitude` and
/// `latitude`) and an area (`radius`, or `width` and `height`).
#[allow(clippy::too_many_arguments)]
fn search(
    member: Option<String>,
    longitude: Option<f64>,
    latitude: Option<f64>,
    radius: Option<f64>,
    width: Option<f64>,
    height: Option<f64>,
    unit: Unit,
) -> PyResult<Search> {
    let point = match (longitude, latitude) {
        (Some(lon), Some(lat)) => Some((lon, lat)),
        (None, None) => None,
        _ => return Err(PyTypeError::new_err("a point centre needs both longitude and latitude")),
    };
    let size = match (width, height) {
        (Some(w), Some(h)) => Some((w, h)),
        (None, None) => None,
        _ => return Err(PyTypeError::new_err("a box needs both width and height")),
    };
    Ok(match (member, point, radius, size) {
        (Some(m), None, Some(r), None) => Search::radius_from_member(&m, r, unit),
        (None, Some((lon, lat)), Some(r), None) => Search::radius_from_point(lon, lat, r, unit),
        (Some(m), None, None, Some((w, h))) => Search::box_from_member(&m, w, h, unit),
        (None, Some((lon, lat)), None, Some((w, h))) => Search::box_from_point(lon, lat, w, h, unit),
        (Some(_), Some(_), _, _) | (None, None, _, _) => {
            return Err(PyTypeError::new_err("give the centre as member= or as longitude= and latitude=, not both"))
        }
        _ => return Err(PyTypeError::new_err("give the area as radius= or as width= and height=, not both")),
    })
}

#[pymethods]
impl Geo {
    /// Places `member` at a position (moving it if it was elsewhere); True if it is new.
    fn add(&self, py: Python<'_>, member: String, longitude: f64, latitude: f64) -> PyResult<Py<PyAny>> {
        let g = self.inner.clone();
        self.mode.run(py, async move { g.add(&member, longitude, latitude).await })
    }

    /// Places several `(member, longitude, latitude)`; returns how many are new. Nothing is
    /// written when any position is out of range.
    fn add_many(&self, py: Python<'_>, places: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let bad = || PyTypeError::new_err("places must be (member, longitude, latitude) tuples");
        if places.is_instance_of::<PyString>() {
            return Err(bad());
        }
        let places = places
            .try_iter()
            .map_err(|_| bad())?
            .map(|p| p?.extract::<(String, f64, f64)>().map_err(|_| bad()))
            .collect::<PyResult<Vec<_>>>()?;
        let g = self.inner.clone();
        self.mode.run(py, async move {
            let borrowed: Vec<(&str, f64, f64)> = places.iter().map(|(m, x, y)| (m.as_str(), *x, *y)).collect();
            g.add_many(&borrowed).await
        })
    }

    /// Removes `member`; True if it was there.
    fn remove(&self, py: Python<'_>, member: String) -> PyResult<Py<PyAny>> {
        let g = self.inner.clone();
        self.mode.run(py, async move { g.remove(&member).await })
    }

    /// Where `member` is, as a `Position`, or None if it is not in the index.
    fn position(&self, py: Python<'_>, member: String) -> PyResult<Py<PyAny>> {
        let g = self.inner.clone();
        self.mode.run_with(py, async move { g.position(&member).await }, position)
    }

    /// Where each member is, in the order asked, None for those not in the index.
    fn positions(&self, py: Python<'_>, members: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let members = self::members(members)?;
        let g = self.inner.clone();
        self.mode.run_with(
            py,
            async move {
                let borrowed: Vec<&str> = members.iter().map(String::as_str).collect();
                g.positions(&borrowed).await
            },
            |py, ps| {
                let items = ps.into_iter().map(|p| position(py, p)).collect::<PyResult<Vec<_>>>()?;
                PyList::new(py, items)?.into_py_any(py)
            },
        )
    }

    /// The distance between two members in `unit`, or None if either is not in the index.
    #[pyo3(signature = (a, b, unit = "m"))]
    fn distance(&self, py: Python<'_>, a: String, b: String, unit: &str) -> PyResult<Py<PyAny>> {
        let unit = self::unit(unit)?;
        let g = self.inner.clone();
        self.mode.run(py, async move { g.distance(&a, &b, unit).await })
    }

    /// The members in an area, as `GeoHit`s nearest first (`farthest_first=True`: the other
    /// way), distances in `unit`. The centre is `member` or `longitude` and `latitude`; the area
    /// a `radius` or a `width` × `height` box. `count` keeps that many (with `any=True`: the
    /// first found rather than the nearest). `NotFoundError` when the centre member is not in
    /// the index.
    #[pyo3(signature = (*, member = None, longitude = None, latitude = None, radius = None, width = None, height = None, unit = "m", count = None, any = false, farthest_first = false))]
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        py: Python<'_>,
        member: Option<String>,
        longitude: Option<f64>,
        latitude: Option<f64>,
        radius: Option<f64>,
        width: Option<f64>,
        height: Option<f64>,
        unit: &str,
        count: Option<u64>,
        any: bool,
        farthest_first: bool,
    ) -> PyResult<Py<PyAny>> {
        let mut s = search(member, longitude, latitude, radius, width, height, self::unit(unit)?)?;
        if let Some(n) = count {
            s = s.count(n);
        }
        if any {
            s = s.any();
        }
        if farthest_first {
            s = s.farthest_first();
        }
        let g = self.inner.clone();
        self.mode.run_with(py, async move { g.search(&s).await }, |py, hits| {
            let items = hits.iter().map(|h| record(py, "GeoHit", h)).collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_py_any(py)
        })
    }

    /// How many members the index has.
    fn count(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let g = self.inner.clone();
        self.mode.run(py, async move { g.count().await })
    }

    /// Deletes the whole index; True if it existed.
    fn clear(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let g = self.inner.clone();
        self.mode.run(py, async move { g.clear().await })
    }

    /// The index's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The sorted set's key.
    #[getter]
    fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }

    fn __repr__(&self) -> String {
        format!("Geo({:?})", self.name)
    }
}
