//! Geo indexes over Redis's geo commands: places with a longitude and latitude, searched by
//! radius or by box around a member or a point, with distances, nearest first.
//!
//! Why a pattern: GEOSEARCH has a dozen flags and replies nested arrays of text; here a search
//! is a typed [`Search`] and its result a list of [`GeoHit`]s. Coordinates are checked before
//! they are sent (longitude −180…180, latitude −85.05112878…85.05112878, the range Redis can
//! index), so bad input fails with [`ErrorKind::InvalidArgument`] and a message that says which
//! value is wrong, and a search centred on a member that is not in the index fails with
//! [`ErrorKind::NotFound`]. Positions come back as Redis stores them: to about 0.6 m, the
//! precision of its 52-bit geohash. Every operation is one command.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::geo::{Geo, GeoOptions, Search, Unit};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let shops = Geo::new(backend, "shops", GeoOptions::default()).unwrap();
//! block_on(async {
//!     shops.add("palermo", 13.361389, 38.115556).await?;
//!     shops.add("catania", 15.087269, 37.502669).await?;
//!     let d = shops.distance("palermo", "catania", Unit::Km).await?.unwrap();
//!     assert!((d - 166.27).abs() < 0.01);
//!     let near = shops.search(&Search::radius_from_point(15.0, 37.0, 200.0, Unit::Km)).await?;
//!     assert_eq!(near.iter().map(|h| h.member.as_str()).collect::<Vec<_>>(), ["catania", "palermo"]);
//!     assert!(shops.add("nowhere", 0.0, 89.0).await.is_err()); // beyond what Redis can index
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

use crate::backend::{value, BackendRef, Cmd};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::resp::Value;

/// The latitude limit of Redis's geo index (Web Mercator's).
pub const MAX_LATITUDE: f64 = 85.051_128_78;

/// A distance unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Unit {
    /// Metres.
    #[default]
    M,
    /// Kilometres.
    Km,
    /// Miles.
    Mi,
    /// Feet.
    Ft,
}

impl Unit {
    /// The unit as Redis spells it: `m`, `km`, `mi`, `ft`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::M => "m",
            Unit::Km => "km",
            Unit::Mi => "mi",
            Unit::Ft => "ft",
        }
    }
}

impl std::str::FromStr for Unit {
    type Err = Error;

    /// Parses `m`, `km`, `mi` or `ft` (any case).
    fn from_str(s: &str) -> Result<Unit> {
        match s.to_ascii_lowercase().as_str() {
            "m" => Ok(Unit::M),
            "km" => Ok(Unit::Km),
            "mi" => Ok(Unit::Mi),
            "ft" => Ok(Unit::Ft),
            _ => Err(invalid(format!("unknown distance unit {s:?}: use m, km, mi or ft"))),
        }
    }
}

/// A longitude/latitude pair.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Position {
    /// Degrees east, −180…180.
    pub longitude: f64,
    /// Degrees north, −85.05112878…85.05112878.
    pub latitude: f64,
}

/// A search result: a member, its distance from the centre and its position.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct GeoHit {
    /// The member.
    pub member: String,
    /// Its distance from the search's centre, in the search's unit (4 decimals, as Redis
    /// reports it).
    pub distance: f64,
    /// Degrees east.
    pub longitude: f64,
    /// Degrees north.
    pub latitude: f64,
}

/// Where a search is centred.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Center {
    /// At a member of the index.
    Member(String),
    /// At a point.
    Point {
        /// Degrees east.
        longitude: f64,
        /// Degrees north.
        latitude: f64,
    },
}

/// The shape searched.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Area {
    /// A circle.
    Radius {
        /// Its radius.
        radius: f64,
        /// The unit of the radius and of the distances returned.
        unit: Unit,
    },
    /// An axis-aligned box.
    Box {
        /// East-west extent.
        width: f64,
        /// North-south extent.
        height: f64,
        /// The unit of the box and of the distances returned.
        unit: Unit,
    },
}

/// A search: a centre, an area, and how many hits in which order. Build it with one of the
/// four constructors, then chain [`Search::count`], [`Search::any`], [`Search::farthest_first`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Search {
    /// The centre.
    pub center: Center,
    /// The area.
    pub area: Area,
    /// At most this many hits (`None`: all).
    pub count: Option<u64>,
    /// With `count`: stop at the first `count` hits found rather than the nearest ones (faster
    /// on big indexes; still sorted).
    pub any: bool,
    /// Farthest first instead of nearest first.
    pub farthest_first: bool,
}

impl Search {
    fn new(center: Center, area: Area) -> Search {
        Search { center, area, count: None, any: false, farthest_first: false }
    }

    /// Members within `radius` of `member`.
    pub fn radius_from_member(member: &str, radius: f64, unit: Unit) -> Search {
        Search::new(Center::Member(member.to_string()), Area::Radius { radius, unit })
    }

    /// Members within `radius` of a point.
    pub fn radius_from_point(longitude: f64, latitude: f64, radius: f64, unit: Unit) -> Search {
        Search::new(Center::Point { longitude, latitude }, Area::Radius { radius, unit })
    }

    /// Members in a `width` × `height` box centred on `member`.
    pub fn box_from_member(member: &str, width: f64, height: f64, unit: Unit) -> Search {
        Search::new(Center::Member(member.to_string()), Area::Box { width, height, unit })
    }

    /// Members in a `width` × `height` box centred on a point.
    pub fn box_from_point(longitude: f64, latitude: f64, width: f64, height: f64, unit: Unit) -> Search {
        Search::new(Center::Point { longitude, latitude }, Area::Box { width, height, unit })
    }

    /// Returns at most `n` hits (at least 1).
    #[must_use]
    pub fn count(mut self, n: u64) -> Search {
        self.count = Some(n);
        self
    }

    /// With [`Search::count`]: any `n` hits, not necessarily the nearest.
    #[must_use]
    pub fn any(mut self) -> Search {
        self.any = true;
        self
    }

    /// Farthest hits first.
    #[must_use]
    pub fn farthest_first(mut self) -> Search {
        self.farthest_first = true;
        self
    }

    /// The GEOSEARCH arguments after the key, validated.
    fn args(&self, cmd: &mut Cmd) -> Result<()> {
        match &self.center {
            Center::Member(m) => {
                cmd.push("FROMMEMBER");
                cmd.push(m);
            }
            Center::Point { longitude, latitude } => {
                check_position(*longitude, *latitude)?;
                cmd.push("FROMLONLAT");
                cmd.push(*longitude);
                cmd.push(*latitude);
            }
        }
        match self.area {
            Area::Radius { radius, unit } => {
                check_extent("radius", radius)?;
                cmd.push("BYRADIUS");
                cmd.push(radius);
                cmd.push(unit.as_str());
            }
            Area::Box { width, height, unit } => {
                check_extent("width", width)?;
                check_extent("height", height)?;
                cmd.push("BYBOX");
                cmd.push(width);
                cmd.push(height);
                cmd.push(unit.as_str());
            }
        }
        cmd.push(if self.farthest_first { "DESC" } else { "ASC" });
        match (self.count, self.any) {
            (Some(0), _) => return Err(invalid("a search's count must be at least 1")),
            (Some(n), any) => {
                cmd.push("COUNT");
                cmd.push(n.min(i64::MAX as u64));
                if any {
                    cmd.push("ANY");
                }
            }
            (None, true) => return Err(invalid("any needs a count: it returns the first count hits found")),
            (None, false) => {}
        }
        cmd.push("WITHCOORD");
        cmd.push("WITHDIST");
        Ok(())
    }
}

/// A search as the JavaScript packages give it (`geo.search({ member, radius, unit: "km" })`):
/// a centre (`member`, or `longitude` and `latitude`) and an area (`radius`, or `width` and
/// `height`) in `unit` (default `m`, any case), with `count`, `any`, `farthest_first`.
/// [`Search::try_from`] checks that exactly one centre and one area are given.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SearchQuery {
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
    /// `m`, `km`, `mi` or `ft`.
    pub unit: Option<String>,
    /// At most this many hits.
    pub count: Option<u64>,
    /// With `count`: the first hits found rather than the nearest.
    pub any: bool,
    /// Farthest first.
    pub farthest_first: bool,
}

impl TryFrom<SearchQuery> for Search {
    type Error = Error;

    fn try_from(q: SearchQuery) -> Result<Search> {
        let unit: Unit = q.unit.as_deref().unwrap_or("m").parse()?;
        let point = match (q.longitude, q.latitude) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            (None, None) => None,
            _ => return Err(invalid("a point centre needs both longitude and latitude")),
        };
        let size = match (q.width, q.height) {
            (Some(w), Some(h)) => Some((w, h)),
            (None, None) => None,
            _ => return Err(invalid("a box needs both width and height")),
        };
        let mut s = match (q.member, point, q.radius, size) {
            (Some(m), None, Some(r), None) => Search::radius_from_member(&m, r, unit),
            (None, Some((lon, lat)), Some(r), None) => Search::radius_from_point(lon, lat, r, unit),
            (Some(m), None, None, Some((w, h))) => Search::box_from_member(&m, w, h, unit),
            (None, Some((lon, lat)), None, Some((w, h))) => Search::box_from_point(lon, lat, w, h, unit),
            (Some(_), Some(_), _, _) | (None, None, _, _) => {
                return Err(invalid("give the centre as member or as longitude and latitude, not both"))
            }
            _ => return Err(invalid("give the area as radius or as width and height, not both")),
        };
        s.count = q.count;
        s.any = q.any;
        s.farthest_first = q.farthest_first;
        Ok(s)
    }
}

/// How a [`Geo`] index is set up. Deserialises from the JavaScript packages' options
/// (`{ prefix: "app:" }`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct GeoOptions {
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
}

impl Default for GeoOptions {
    fn default() -> Self {
        GeoOptions { prefix: keys::DEFAULT_PREFIX.to_string() }
    }
}

impl GeoOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }
}

/// A geo index: one sorted set at `PREFIX:geo:{NAME}`.
#[derive(Clone)]
pub struct Geo {
    backend: BackendRef,
    key: Vec<u8>,
}

impl std::fmt::Debug for Geo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Geo({})", String::from_utf8_lossy(&self.key))
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// Checks a position against the range Redis can index.
fn check_position(longitude: f64, latitude: f64) -> Result<()> {
    if !(-180.0..=180.0).contains(&longitude) {
        return Err(invalid(format!("longitude must be between -180 and 180, got {longitude}")));
    }
    if !(-MAX_LATITUDE..=MAX_LATITUDE).contains(&latitude) {
        return Err(invalid(format!("latitude must be between -{MAX_LATITUDE} and {MAX_LATITUDE}, got {latitude}")));
    }
    Ok(())
}

fn check_extent(what: &str, v: f64) -> Result<()> {
    if !v.is_finite() || v < 0.0 {
        return Err(invalid(format!("a search's {what} must be a finite number ≥ 0, got {v}")));
    }
    Ok(())
}

/// A `[longitude, latitude]` reply.
fn position(v: &Value) -> Result<Option<Position>> {
    let Some(pair) = v.as_array() else {
        return if v.is_nil() {
            Ok(None)
        } else {
            Err(Error::new(ErrorKind::Protocol, format!("expected a position, got {v:?}")))
        };
    };
    match pair {
        [lon, lat] => Ok(Some(Position { longitude: value::float(lon)?, latitude: value::float(lat)? })),
        _ => Err(Error::new(ErrorKind::Protocol, format!("expected a position, got {v:?}"))),
    }
}

/// A `[member, distance, [longitude, latitude]]` GEOSEARCH item.
fn hit(v: &Value) -> Result<GeoHit> {
    let bad = || Error::new(ErrorKind::Protocol, format!("expected member, distance, position; got {v:?}"));
    match v.as_array() {
        Some([member, distance, coords]) => {
            let p = position(coords)?.ok_or_else(bad)?;
            Ok(GeoHit {
                member: value::text(member)?,
                distance: value::float(distance)?,
                longitude: p.longitude,
                latitude: p.latitude,
            })
        }
        _ => Err(bad()),
    }
}

impl Geo {
    /// An index named `name`. Fails with [`ErrorKind::InvalidArgument`] for an empty name or
    /// prefix, or one containing `{` or `}`.
    pub fn new(backend: BackendRef, name: &str, options: GeoOptions) -> Result<Geo> {
        keys::validate("geo index name", name)?;
        keys::validate("prefix", &options.prefix)?;
        Ok(Geo { backend, key: keys::base(&options.prefix, "geo", name) })
    }

    /// The sorted set's key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// Places `member` at a position (moving it if it was elsewhere); `true` if it is new.
    pub async fn add(&self, member: &str, longitude: f64, latitude: f64) -> Result<bool> {
        Ok(self.add_many(&[(member, longitude, latitude)]).await? == 1)
    }

    /// Places several members (`(member, longitude, latitude)`); returns how many are new.
    /// Nothing is written when any position is out of range.
    pub async fn add_many(&self, places: &[(&str, f64, f64)]) -> Result<u64> {
        if places.is_empty() {
            return Ok(0);
        }
        let mut cmd = Cmd::new("GEOADD").arg(&self.key);
        for (member, longitude, latitude) in places {
            check_position(*longitude, *latitude)?;
            cmd.push(*longitude);
            cmd.push(*latitude);
            cmd.push(*member);
        }
        Ok(value::int(&self.backend.command(cmd).await?)?.max(0) as u64)
    }

    /// Removes `member`; `true` if it was there.
    pub async fn remove(&self, member: &str) -> Result<bool> {
        value::boolean(&self.backend.command(Cmd::new("ZREM").arg(&self.key).arg(member)).await?)
    }

    /// Where `member` is, `None` if it is not in the index.
    pub async fn position(&self, member: &str) -> Result<Option<Position>> {
        Ok(self.positions(&[member]).await?.pop().flatten())
    }

    /// Where each member is, in the order asked, `None` for those not in the index.
    pub async fn positions(&self, members: &[&str]) -> Result<Vec<Option<Position>>> {
        if members.is_empty() {
            return Ok(Vec::new());
        }
        let reply = self.backend.command(Cmd::new("GEOPOS").arg(&self.key).arg(members)).await?;
        value::array(reply)?.iter().map(position).collect()
    }

    /// The distance between two members in `unit`, `None` if either is not in the index.
    pub async fn distance(&self, a: &str, b: &str, unit: Unit) -> Result<Option<f64>> {
        let cmd = Cmd::new("GEODIST").arg(&self.key).arg(a).arg(b).arg(unit.as_str());
        value::opt_float(&self.backend.command(cmd).await?)
    }

    /// The members in `search`'s area with their distances and positions, nearest first (or
    /// farthest first). Fails with [`ErrorKind::NotFound`] when the centre is a member that is
    /// not in a non-empty index, and with [`ErrorKind::InvalidArgument`] for an out-of-range
    /// centre, a negative or non-finite extent, a count of 0, or `any` without a count.
    pub async fn search(&self, search: &Search) -> Result<Vec<GeoHit>> {
        let mut cmd = Cmd::new("GEOSEARCH").arg(&self.key);
        search.args(&mut cmd)?;
        let reply = self.backend.command(cmd).await.map_err(|e| match &search.center {
            Center::Member(m)
                if e.kind == ErrorKind::Reply && e.message.contains("could not decode requested zset member") =>
            {
                Error::new(ErrorKind::NotFound, format!("{m:?} is not in the geo index"))
            }
            _ => e,
        })?;
        value::array(reply)?.iter().map(hit).collect()
    }

    /// How many members the index has.
    pub async fn count(&self) -> Result<u64> {
        Ok(value::int(&self.backend.command(Cmd::new("ZCARD").arg(&self.key)).await?)?.max(0) as u64)
    }

    /// Deletes the whole index; `true` if it existed.
    pub async fn clear(&self) -> Result<bool> {
        value::boolean(&self.backend.command(Cmd::new("DEL").arg(&self.key)).await?)
    }
}
