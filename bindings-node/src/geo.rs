//! `client.geo(name, options)` → `Geo`: the core's geo index — places by longitude and
//! latitude, positions, the distance between two members, and searches by radius or box around
//! a member or a point, nearest first, distances in the search's unit (`m`, `km`, `mi`, `ft`).
//! Positions resolve as `{ longitude, latitude }`, hits as `{ member, distance, longitude,
//! latitude }`.

use crate::client::Client;
use crate::convert::count;
use crate::errors::{to_js, type_error};
use crate::record::record;
use napi_derive::napi;
use redkit::patterns::geo::{Geo as CoreGeo, GeoOptions as CoreOptions, Search, SearchQuery, Unit};
use serde_json::Value as Json;
use std::sync::Arc;

/// Options of `client.geo(name, options)`.
#[napi(object)]
#[derive(Default)]
pub struct GeoOptions {
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

/// A search of `geo.search(query)`: a centre (`member`, or `longitude` and `latitude`) and an
/// area (`radius`, or `width` and `height`), in `unit` (default `m`).
#[napi(object)]
#[derive(Default)]
pub struct GeoSearch {
    /// Centre at this member.
    pub member: Option<String>,
    /// Centre at this point (with `latitude`).
    pub longitude: Option<f64>,
    /// Centre at this point (with `longitude`).
    pub latitude: Option<f64>,
    /// A circle of this radius.
    pub radius: Option<f64>,
    /// A box this wide (with `height`).
    pub width: Option<f64>,
    /// A box this high (with `width`).
    pub height: Option<f64>,
    /// The unit of the area and of the distances returned: `m` (default), `km`, `mi`, `ft`.
    #[napi(ts_type = "GeoUnit")]
    pub unit: Option<String>,
    /// At most this many hits.
    pub count: Option<f64>,
    /// With `count`: the first hits found rather than the nearest (still sorted).
    pub any: Option<bool>,
    /// Farthest first instead of nearest first.
    pub farthest_first: Option<bool>,
}

/// A geo index: one sorted set.
#[napi]
pub struct Geo {
    inner: Arc<CoreGeo>,
    name: String,
}

#[napi]
impl Client {
    /// A geo index named `name`.
    #[napi(strict, catch_unwind)]
    pub fn geo(&self, name: String, options: Option<GeoOptions>) -> napi::Result<Geo> {
        let mut core = CoreOptions::default();
        if let Some(p) = options.and_then(|o| o.prefix) {
            core = core.prefix(&p);
        }
        let inner = CoreGeo::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(Geo { inner: Arc::new(inner), name })
    }
}

impl GeoSearch {
    /// The core's search: an unknown unit is an `InvalidArgumentError`, a query of the wrong
    /// shape (two centres, no area …) a `TypeError`.
    fn core(self) -> napi::Result<Search> {
        let mut q = SearchQuery::default();
        q.count = self.count.map(|n| count("count", n)).transpose()?;
        q.member = self.member;
        q.longitude = self.longitude;
        q.latitude = self.latitude;
        q.radius = self.radius;
        q.width = self.width;
        q.height = self.height;
        q.unit = self.unit;
        q.any = self.any.unwrap_or(false);
        q.farthest_first = self.farthest_first.unwrap_or(false);
        q.unit().map_err(to_js)?;
        Search::try_from(q).map_err(|e| type_error(e.message))
    }
}

#[napi]
impl Geo {
    /// Places `member` at a position (moving it if it was elsewhere); true if it is new.
    #[napi(strict)]
    pub async fn add(&self, member: String, longitude: f64, latitude: f64) -> napi::Result<bool> {
        self.inner.add(&member, longitude, latitude).await.map_err(to_js)
    }

    /// Places several `[member, longitude, latitude]`; resolves to how many are new. Nothing is
    /// written when any position is out of range.
    #[napi(strict)]
    pub async fn add_many(&self, places: Vec<(String, f64, f64)>) -> napi::Result<f64> {
        let borrowed: Vec<(&str, f64, f64)> = places.iter().map(|(m, x, y)| (m.as_str(), *x, *y)).collect();
        Ok(self.inner.add_many(&borrowed).await.map_err(to_js)? as f64)
    }

    /// Removes `member`; true if it was there.
    #[napi(strict)]
    pub async fn remove(&self, member: String) -> napi::Result<bool> {
        self.inner.remove(&member).await.map_err(to_js)
    }

    /// Where `member` is, or null if it is not in the index.
    #[napi(strict, ts_return_type = "Promise<Position | null>")]
    pub async fn position(&self, member: String) -> napi::Result<Json> {
        record(&self.inner.position(&member).await.map_err(to_js)?)
    }

    /// Where each member is, in the order asked, null for those not in the index.
    #[napi(strict, ts_return_type = "Promise<Array<Position | null>>")]
    pub async fn positions(&self, members: Vec<String>) -> napi::Result<Json> {
        let borrowed: Vec<&str> = members.iter().map(String::as_str).collect();
        record(&self.inner.positions(&borrowed).await.map_err(to_js)?)
    }

    /// The distance between two members in `unit` (default `m`), or null if either is not in
    /// the index.
    #[napi(strict)]
    pub async fn distance(
        &self,
        a: String,
        b: String,
        #[napi(strict, ts_arg_type = "GeoUnit")] unit: Option<String>,
    ) -> napi::Result<Option<f64>> {
        let unit: Unit = unit.as_deref().unwrap_or("m").parse().map_err(to_js)?;
        self.inner.distance(&a, &b, unit).await.map_err(to_js)
    }

    /// The members in an area, nearest first; rejects with `NotFoundError` when the centre
    /// member is not in the index.
    #[napi(ts_return_type = "Promise<GeoHit[]>")]
    pub async fn search(&self, query: GeoSearch) -> napi::Result<Json> {
        record(&self.inner.search(&query.core()?).await.map_err(to_js)?)
    }

    /// How many members the index has.
    #[napi(strict)]
    pub async fn count(&self) -> napi::Result<f64> {
        Ok(self.inner.count().await.map_err(to_js)? as f64)
    }

    /// Deletes the whole index; true if it existed.
    #[napi(strict)]
    pub async fn clear(&self) -> napi::Result<bool> {
        self.inner.clear().await.map_err(to_js)
    }

    /// The index's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The sorted set's key.
    #[napi(strict, getter, catch_unwind)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }
}
