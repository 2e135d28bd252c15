//! Geo commands (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH\[STORE\], GEORADIUS\[BYMEMBER\]\[_RO\]),
//! a port of Redis 7.0's `geo.c`, `geohash.c` and `geohash_helper.c`: points are sorted-set
//! members whose score is a 52-bit interleaved geohash (26 steps, latitude limited to
//! ±85.05112878), distances use Redis's haversine with earth radius 6372797.560856 m, and searches
//! visit the centre cell and its 8 neighbours exactly as Redis does, so the members found, their
//! order and the printed coordinates/distances are byte-identical.

use crate::cmd;
use crate::resp::Value;
use crate::sim::command::{arg_i64, is_kw, CmdError, CmdResult, Command, Ctx};
use crate::sim::errors;
use crate::sim::types::ZSet;

use super::zsets::{parse_score, store_result, zadd_cmd};

/// The geo commands.
pub static COMMANDS: &[Command] = &[
    cmd!("geoadd", -5, "write denyoom", 1, 1, 1, geoadd_cmd, "geo", "Add one or more geospatial items in the geospatial index represented using a sorted set"),
    cmd!("geopos", -2, "readonly", 1, 1, 1, geopos_cmd, "geo", "Returns longitude and latitude of members of a geospatial index"),
    cmd!("geodist", -4, "readonly", 1, 1, 1, geodist_cmd, "geo", "Returns the distance between two members of a geospatial index"),
    cmd!("geohash", -2, "readonly", 1, 1, 1, geohash_cmd, "geo", "Returns members of a geospatial index as standard geohash strings"),
    cmd!("geosearch", -7, "readonly", 1, 1, 1, geosearch_cmd, "geo", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle."),
    cmd!("geosearchstore", -8, "write denyoom", 1, 2, 1, geosearchstore_cmd, "geo", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key."),
    cmd!("georadius", -6, "write denyoom movablekeys", 1, 1, 1, georadius_cmd, "geo", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point"),
    cmd!("georadiusbymember", -5, "write denyoom movablekeys", 1, 1, 1, georadiusbymember_cmd, "geo", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member"),
    cmd!("georadius_ro", -6, "readonly", 1, 1, 1, georadius_ro_cmd, "geo", "A read-only variant for GEORADIUS"),
    cmd!("georadiusbymember_ro", -5, "readonly", 1, 1, 1, georadiusbymember_ro_cmd, "geo", "A read-only variant for GEORADIUSBYMEMBER"),
];

// ---------------------------------------------------------------------------------------------
// geohash.c / geohash_helper.c
// ---------------------------------------------------------------------------------------------

const GEO_STEP_MAX: u8 = 26;
const GEO_LAT_MIN: f64 = -85.05112878;
const GEO_LAT_MAX: f64 = 85.05112878;
const GEO_LONG_MIN: f64 = -180.0;
const GEO_LONG_MAX: f64 = 180.0;
const D_R: f64 = std::f64::consts::PI / 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;
const MERCATOR_MAX: f64 = 20037726.37;

/// A geohash cell: interleaved bits (longitude in odd bits, latitude in even bits) and its step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct HashBits {
    bits: u64,
    step: u8,
}

impl HashBits {
    fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Span {
    min: f64,
    max: f64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Area {
    lon: Span,
    lat: Span,
}

const LONG_RANGE: Span = Span { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
const LAT_RANGE: Span = Span { min: GEO_LAT_MIN, max: GEO_LAT_MAX };

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] =
        [0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = u64::from(xlo);
    let mut y = u64::from(ylo);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555555555555555,
        0x3333333333333333,
        0x0F0F0F0F0F0F0F0F,
        0x00FF00FF00FF00FF,
        0x0000FFFF0000FFFF,
        0x00000000FFFFFFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// C's `(uint32_t)double` for the in-range values geohash produces.
fn to_u32(d: f64) -> u32 {
    d as u32
}

fn encode(long_range: Span, lat_range: Span, lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(GEO_LONG_MIN..=GEO_LONG_MAX).contains(&lon) || !(GEO_LAT_MIN..=GEO_LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < long_range.min || lon > long_range.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min) * scale;
    let long_offset = (lon - long_range.min) / (long_range.max - long_range.min) * scale;
    Some(HashBits { bits: interleave64(to_u32(lat_offset), to_u32(long_offset)), step })
}

fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<HashBits> {
    encode(LONG_RANGE, LAT_RANGE, lon, lat, step)
}

fn decode(hash: HashBits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let step = hash.step;
    let sep = deinterleave64(hash.bits);
    let lat_scale = LAT_RANGE.max - LAT_RANGE.min;
    let long_scale = LONG_RANGE.max - LONG_RANGE.min;
    let ilato = f64::from(sep as u32);
    let ilono = f64::from((sep >> 32) as u32);
    let div = (1u64 << step) as f64;
    Some(Area {
        lat: Span {
            min: LAT_RANGE.min + (ilato * 1.0 / div) * lat_scale,
            max: LAT_RANGE.min + ((ilato + 1.0) * 1.0 / div) * lat_scale,
        },
        lon: Span {
            min: LONG_RANGE.min + (ilono * 1.0 / div) * long_scale,
            max: LONG_RANGE.min + ((ilono + 1.0) * 1.0 / div) * long_scale,
        },
    })
}

fn area_center(a: &Area) -> (f64, f64) {
    let lon = ((a.lon.min + a.lon.max) / 2.0).clamp(GEO_LONG_MIN, GEO_LONG_MAX);
    let lat = ((a.lat.min + a.lat.max) / 2.0).clamp(GEO_LAT_MIN, GEO_LAT_MAX);
    (lon, lat)
}

/// C's `(uint64_t)double` as x86-64 compilers emit it: exact in range; values of 2^64 and more
/// (and inf) come out 0; negatives go through a signed conversion (0x8000000000000000 when below
/// i64's range).
fn score_to_bits(score: f64) -> u64 {
    const TWO63: f64 = 9223372036854775808.0;
    if score < TWO63 {
        if score >= 0.0 {
            score as u64
        } else if score > -TWO63 {
            (score as i64) as u64
        } else {
            0x8000000000000000
        }
    } else if score < 2.0 * TWO63 {
        score as u64
    } else {
        0
    }
}

/// Longitude/latitude of a stored score (`decodeGeohash`).
fn decode_score(score: f64) -> Option<(f64, f64)> {
    decode(HashBits { bits: score_to_bits(score), step: GEO_STEP_MAX }).map(|a| area_center(&a))
}

/// The 52-bit score of a point.
fn align52(h: HashBits) -> u64 {
    h.bits << (52 - u32::from(h.step) * 2)
}

const X_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const Y_BITS: u64 = 0x5555_5555_5555_5555;

/// Moves a geohash cell `d` steps (-1, 0, 1) along one axis: `axis` selects the interleaved bits
/// of that axis (longitude on the odd bits, latitude on the even ones), like geohash_move_x/_y.
fn move_axis(h: &mut HashBits, d: i8, axis: u64) {
    if d == 0 || h.step == 0 || h.step > 32 {
        return;
    }
    let other = !axis;
    let shift = 64 - u32::from(h.step) * 2;
    let mut moving = h.bits & axis;
    let kept = h.bits & other;
    let zz = other >> shift;
    if d > 0 {
        moving = moving.wrapping_add(zz + 1);
    } else {
        moving |= zz;
        moving = moving.wrapping_sub(zz + 1);
    }
    moving &= axis >> shift;
    h.bits = moving | kept;
}

fn moved(h: HashBits, dx: i8, dy: i8) -> HashBits {
    let mut n = h;
    move_axis(&mut n, dx, X_BITS);
    move_axis(&mut n, dy, Y_BITS);
    n
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (lat2 * D_R - lat1 * D_R).abs()
}

/// Redis's haversine distance in meters.
fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = lon1 * D_R;
    let lon2r = lon2 * D_R;
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = lat1 * D_R;
    let lat2r = lat2 * D_R;
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    // Bounded: each round doubles a positive number (at most ~1100 rounds from the tiniest).
    while range_meters < MERCATOR_MAX && step < 2000 {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// A search shape: centre, circle radius or box size (in the unit), and the unit's meters.
#[derive(Clone, Copy, Debug)]
enum ShapeKind {
    Circle(f64),
    Box(f64, f64),
}

#[derive(Clone, Copy, Debug)]
struct Shape {
    lon: f64,
    lat: f64,
    conversion: f64,
    kind: ShapeKind,
}

impl Shape {
    /// min lon, min lat, max lon, max lat (`geohashBoundingBox`).
    fn bounds(&self) -> [f64; 4] {
        let (h, w) = match self.kind {
            ShapeKind::Circle(r) => (self.conversion * r, self.conversion * r),
            ShapeKind::Box(w, h) => (self.conversion * h / 2.0, self.conversion * w / 2.0),
        };
        let lat_delta = (h / EARTH_RADIUS_IN_METERS) / D_R;
        let long_delta_top = (w / EARTH_RADIUS_IN_METERS / ((self.lat + lat_delta) * D_R).cos()) / D_R;
        let long_delta_bottom = (w / EARTH_RADIUS_IN_METERS / ((self.lat - lat_delta) * D_R).cos()) / D_R;
        let south = self.lat < 0.0;
        let delta = if south { long_delta_bottom } else { long_delta_top };
        [self.lon - delta, self.lat - lat_delta, self.lon + delta, self.lat + lat_delta]
    }

    /// The distance of a point if it lies within the shape.
    fn within(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Circle(r) => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= r * self.conversion).then_some(d)
            }
            ShapeKind::Box(w, h) => {
                if lat_distance(lat, self.lat) > h * self.conversion / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > w * self.conversion / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }
}

/// The centre cell and its 8 neighbours covering the shape, in Redis's visiting order
/// (`geohashCalculateAreasByShapeWGS84` + `membersOfAllNeighbors`); zeroed cells are skipped.
fn search_cells(shape: &Shape) -> [HashBits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = shape.bounds();
    let radius_meters = match shape.kind {
        ShapeKind::Circle(r) => r,
        ShapeKind::Box(w, h) => ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt(),
    } * shape.conversion;
    let mut steps = estimate_steps(radius_meters, shape.lat);
    let mut hash = encode_wgs84(shape.lon, shape.lat, steps).unwrap_or_default();
    let neighbours = |h: HashBits| {
        // north, south, east, west, north_east, north_west, south_east, south_west
        [
            moved(h, 0, 1),
            moved(h, 0, -1),
            moved(h, 1, 0),
            moved(h, -1, 0),
            moved(h, 1, 1),
            moved(h, -1, 1),
            moved(h, 1, -1),
            moved(h, -1, -1),
        ]
    };
    let mut n = neighbours(hash);
    let mut area = decode(hash).unwrap_or_default();
    let dec = |h: HashBits| decode(h).unwrap_or_default();
    let decrease = dec(n[0]).lat.max < max_lat
        || dec(n[1]).lat.min > min_lat
        || dec(n[2]).lon.max < max_lon
        || dec(n[3]).lon.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        hash = encode_wgs84(shape.lon, shape.lat, steps).unwrap_or_default();
        n = neighbours(hash);
        area = decode(hash).unwrap_or_default();
    }
    if steps >= 2 {
        let zero = HashBits::default();
        if area.lat.min < min_lat {
            n[1] = zero; // south
            n[7] = zero; // south_west
            n[6] = zero; // south_east
        }
        if area.lat.max > max_lat {
            n[0] = zero; // north
            n[4] = zero; // north_east
            n[5] = zero; // north_west
        }
        if area.lon.min < min_lon {
            n[3] = zero; // west
            n[7] = zero; // south_west
            n[5] = zero; // north_west
        }
        if area.lon.max > max_lon {
            n[2] = zero; // east
            n[6] = zero; // south_east
            n[4] = zero; // north_east
        }
    }
    [hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]]
}

/// A point found by a search.
struct GeoPoint {
    lon: f64,
    lat: f64,
    dist: f64,
    score: f64,
    member: Vec<u8>,
}

/// Members of `z` within `shape`, in Redis's cell order (stops at `limit` when non-zero: ANY).
fn search(z: &ZSet, shape: &Shape, limit: usize) -> Vec<GeoPoint> {
    let cells = search_cells(shape);
    let mut out = Vec::new();
    let mut last_processed = 0usize;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        if last_processed != 0 && *cell == cells[last_processed] {
            continue;
        }
        if !out.is_empty() && limit != 0 && out.len() >= limit {
            break;
        }
        let min = align52(*cell) as f64;
        let max = align52(HashBits { bits: cell.bits.wrapping_add(1), step: cell.step }) as f64;
        let start = z.partition_point(|s, _| s < min);
        for (score, member) in z.iter_from(start) {
            if score >= max {
                break;
            }
            if let Some((lon, lat)) = decode_score(score) {
                if let Some(dist) = shape.within(lon, lat) {
                    out.push(GeoPoint { lon, lat, dist, score, member: member.to_vec() });
                }
            }
            if !out.is_empty() && limit != 0 && out.len() >= limit {
                break;
            }
        }
        last_processed = i;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Argument parsing and formatting
// ---------------------------------------------------------------------------------------------

/// `getDoubleFromObjectOrReply` with a custom message (`ERR <msg>`), or the default one.
fn arg_double(b: &[u8], msg: Option<&str>) -> Result<f64, CmdError> {
    parse_score(b).ok_or_else(|| match msg {
        Some(m) => CmdError::msg(format!("ERR {m}")),
        None => errors::not_float(),
    })
}

/// `extractLongLatOrReply`.
fn arg_lonlat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), CmdError> {
    let lon = arg_double(lon, None)?;
    let lat = arg_double(lat, None)?;
    if !(GEO_LONG_MIN..=GEO_LONG_MAX).contains(&lon) || !(GEO_LAT_MIN..=GEO_LAT_MAX).contains(&lat) {
        return Err(CmdError::msg(format!("ERR invalid longitude,latitude pair {lon:.6},{lat:.6}")));
    }
    Ok((lon, lat))
}

/// `extractUnitOrReply`: meters per unit.
fn arg_unit(b: &[u8]) -> Result<f64, CmdError> {
    if is_kw(b, "m") {
        Ok(1.0)
    } else if is_kw(b, "km") {
        Ok(1000.0)
    } else if is_kw(b, "ft") {
        Ok(0.3048)
    } else if is_kw(b, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::msg("ERR unsupported unit provided. please use M, KM, FT, MI"))
    }
}

/// `extractDistanceOrReply`: (radius, conversion).
fn arg_radius(r: &[u8], unit: &[u8]) -> Result<(f64, f64), CmdError> {
    let d = arg_double(r, Some("need numeric radius"))?;
    if d < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((d, arg_unit(unit)?))
}

/// `extractBoxOrReply`: (width, height, conversion).
fn arg_box(w: &[u8], h: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), CmdError> {
    let w = arg_double(w, Some("need numeric width"))?;
    let h = arg_double(h, Some("need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(CmdError::msg("ERR height or width cannot be negative"));
    }
    Ok((w, h, arg_unit(unit)?))
}

/// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` without trailing zeros.
fn fmt_human(d: f64) -> String {
    if d.is_infinite() {
        return if d > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let mut s = format!("{d:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

fn coord(d: f64) -> Value {
    Value::DoubleText(fmt_human(d).into_bytes())
}

fn dist_reply(d: f64) -> Value {
    Value::Bulk(format!("{d:.4}").into_bytes())
}

/// The decoded position of `member` in `z`.
fn member_pos(z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    z.score(member).and_then(decode_score)
}

// ---------------------------------------------------------------------------------------------
// GEOADD, GEOPOS, GEODIST, GEOHASH
// ---------------------------------------------------------------------------------------------

fn geoadd_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let (mut nx, mut xx) = (false, false);
    let mut longidx = 2;
    while longidx < argv.len() {
        let o = &argv[longidx];
        if is_kw(o, "nx") {
            nx = true;
        } else if is_kw(o, "xx") {
            xx = true;
        } else if !is_kw(o, "ch") {
            break;
        }
        longidx += 1;
    }
    let rest = &argv[longidx..];
    if rest.len() % 3 != 0 || (xx && nx) {
        return Err(errors::syntax());
    }
    let mut zargv: Vec<Vec<u8>> = Vec::with_capacity(longidx + rest.len() / 3 * 2);
    zargv.push(b"zadd".to_vec());
    zargv.extend(argv[1..longidx].iter().cloned());
    for t in rest.chunks(3) {
        let (lon, lat) = arg_lonlat(&t[0], &t[1])?;
        let bits = encode_wgs84(lon, lat, GEO_STEP_MAX).map(align52).unwrap_or(0);
        zargv.push(bits.to_string().into_bytes());
        zargv.push(t[2].clone());
    }
    zadd_cmd(ctx, &zargv)
}

fn geopos_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let z = ctx.get_zset(&argv[1])?;
    let z = z.as_deref();
    Ok(Value::Array(
        argv[2..]
            .iter()
            .map(|m| match z.and_then(|z| member_pos(z, m)) {
                Some((lon, lat)) => Value::Array(vec![coord(lon), coord(lat)]),
                None => Value::NilArray,
            })
            .collect(),
    ))
}

fn geodist_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    let to_meter = match argv.len() {
        4 => 1.0,
        5 => arg_unit(&argv[4])?,
        _ => return Err(errors::syntax()),
    };
    let Some(z) = ctx.get_zset(&argv[1])? else { return Ok(Value::Nil) };
    match (member_pos(z, &argv[2]), member_pos(z, &argv[3])) {
        (Some((lon1, lat1)), Some((lon2, lat2))) => Ok(dist_reply(distance(lon1, lat1, lon2, lat2) / to_meter)),
        _ => Ok(Value::Nil),
    }
}

fn geohash_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let z = ctx.get_zset(&argv[1])?;
    let z = z.as_deref();
    let text = |lon: f64, lat: f64| -> Option<Value> {
        let h = encode(LONG_RANGE, Span { min: -90.0, max: 90.0 }, lon, lat, 26)?;
        let buf: Vec<u8> = (0..11)
            .map(|i| {
                let idx = if i == 10 { 0 } else { (h.bits >> (52 - ((i + 1) * 5))) & 0x1f };
                ALPHABET[idx as usize]
            })
            .collect();
        Some(Value::Bulk(buf))
    };
    Ok(Value::Array(
        argv[2..]
            .iter()
            .map(|m| z.and_then(|z| member_pos(z, m)).and_then(|(lon, lat)| text(lon, lat)).unwrap_or(Value::Nil))
            .collect(),
    ))
}

// ---------------------------------------------------------------------------------------------
// GEOSEARCH / GEORADIUS family
// ---------------------------------------------------------------------------------------------

const RADIUS_COORDS: u8 = 1;
const RADIUS_MEMBER: u8 = 2;
const RADIUS_NOSTORE: u8 = 4;
const GEOSEARCH: u8 = 8;
const GEOSEARCHSTORE: u8 = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Redis's `georadiusGeneric`.
fn georadius_generic(ctx: &mut Ctx, argv: &[Vec<u8>], src_idx: usize, flags: u8) -> CmdResult {
    let key = &argv[src_idx];
    let exists = ctx.get_zset(key)?.is_some();
    let mut storekey: Option<Vec<u8>> = None;
    let mut storedist = false;
    let mut center: Option<(f64, f64)> = None;
    let mut kind: Option<(ShapeKind, f64)> = None;
    let base_args;
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        center = Some(arg_lonlat(&argv[2], &argv[3])?);
        let (r, conv) = arg_radius(&argv[4], &argv[5])?;
        kind = Some((ShapeKind::Circle(r), conv));
    } else if flags & RADIUS_MEMBER != 0 && !exists {
        base_args = 5;
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        let pos = ctx.get_zset(key)?.and_then(|z| member_pos(z, &argv[2]));
        center = Some(pos.ok_or_else(|| CmdError::msg("ERR could not decode requested zset member"))?);
        let (r, conv) = arg_radius(&argv[3], &argv[4])?;
        kind = Some((ShapeKind::Circle(r), conv));
    } else if flags & GEOSEARCHSTORE != 0 {
        base_args = 3;
        storekey = Some(argv[1].clone());
    } else {
        base_args = 2;
    }

    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let remaining = argv.len().saturating_sub(base_args);
    let mut i = 0;
    while i < remaining {
        let arg = &argv[base_args + i];
        let at = |k: usize| &argv[base_args + i + k];
        let search = flags & GEOSEARCH != 0;
        let can_store = flags & RADIUS_NOSTORE == 0 && !search;
        if is_kw(arg, "withdist") {
            withdist = true;
        } else if is_kw(arg, "withhash") {
            withhash = true;
        } else if is_kw(arg, "withcoord") {
            withcoords = true;
        } else if is_kw(arg, "any") {
            any = true;
        } else if is_kw(arg, "asc") {
            sort = Sort::Asc;
        } else if is_kw(arg, "desc") {
            sort = Sort::Desc;
        } else if is_kw(arg, "count") && i + 1 < remaining {
            count = arg_i64(at(1))?;
            if count <= 0 {
                return Err(CmdError::msg("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if is_kw(arg, "store") && i + 1 < remaining && can_store {
            storekey = Some(at(1).clone());
            storedist = false;
            i += 1;
        } else if is_kw(arg, "storedist") && i + 1 < remaining && can_store {
            storekey = Some(at(1).clone());
            storedist = true;
            i += 1;
        } else if is_kw(arg, "storedist") && search && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if is_kw(arg, "frommember") && i + 1 < remaining && search && !fromloc {
            if exists {
                let pos = ctx.get_zset(key)?.and_then(|z| member_pos(z, at(1)));
                center = Some(pos.ok_or_else(|| CmdError::msg("ERR could not decode requested zset member"))?);
            }
            frommember = true;
            i += 1;
        } else if is_kw(arg, "fromlonlat") && i + 2 < remaining && search && !frommember {
            center = Some(arg_lonlat(at(1), at(2))?);
            fromloc = true;
            i += 2;
        } else if is_kw(arg, "byradius") && i + 2 < remaining && search && !bybox {
            let (r, conv) = arg_radius(at(1), at(2))?;
            kind = Some((ShapeKind::Circle(r), conv));
            byradius = true;
            i += 2;
        } else if is_kw(arg, "bybox") && i + 3 < remaining && search && !byradius {
            let (w, h, conv) = arg_box(at(1), at(2), at(3))?;
            kind = Some((ShapeKind::Box(w, h), conv));
            bybox = true;
            i += 3;
        } else {
            return Err(errors::syntax());
        }
        i += 1;
    }

    if storekey.is_some() && (withdist || withhash || withcoords) {
        let what = if flags & GEOSEARCHSTORE != 0 { "GEOSEARCHSTORE" } else { "STORE option in GEORADIUS" };
        return Err(CmdError::msg(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&argv[0]).into_owned();
    if flags & GEOSEARCH != 0 && !(frommember || fromloc) {
        return Err(CmdError::msg(format!("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}")));
    }
    if flags & GEOSEARCH != 0 && !(byradius || bybox) {
        return Err(CmdError::msg(format!("ERR exactly one of BYRADIUS and BYBOX can be specified for {name}")));
    }
    if any && count == 0 {
        return Err(CmdError::msg("ERR the ANY argument requires COUNT argument"));
    }
    if !exists {
        if let Some(dst) = storekey {
            if ctx.delete(&dst) {
                ctx.written(&dst, 'g', "del");
            }
            return Ok(Value::Int(0));
        }
        return Ok(Value::Array(Vec::new()));
    }
    let (Some((lon, lat)), Some((kind, conversion))) = (center, kind) else {
        return Ok(Value::Array(Vec::new()));
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape { lon, lat, conversion, kind };
    let limit = if any { count as usize } else { 0 };
    let Some(z) = ctx.get_zset(key)? else { return Ok(Value::Array(Vec::new())) };
    let mut points = search(z, &shape, limit);
    if points.is_empty() && storekey.is_none() {
        return Ok(Value::Array(Vec::new()));
    }
    match sort {
        Sort::Asc => points.sort_by(|a, b| a.dist.partial_cmp(&b.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Sort::Desc => points.sort_by(|a, b| b.dist.partial_cmp(&a.dist).unwrap_or(std::cmp::Ordering::Equal)),
        Sort::None => {}
    }
    if count > 0 && (count as u64) < points.len() as u64 {
        points.truncate(count as usize);
    }
    for p in &mut points {
        p.dist /= conversion;
    }
    if let Some(dst) = storekey {
        let mut out = ZSet::new_skiplist();
        for p in &points {
            out.insert(&p.member, if storedist { p.dist } else { p.score });
        }
        let event = if flags & GEOSEARCH != 0 { "geosearchstore" } else { "georadiusstore" };
        return store_result(ctx, &dst, out, event);
    }
    let options = usize::from(withdist) + usize::from(withhash) + usize::from(withcoords);
    Ok(Value::Array(
        points
            .into_iter()
            .map(|p| {
                if options == 0 {
                    return Value::Bulk(p.member);
                }
                let mut item = Vec::with_capacity(options + 1);
                item.push(Value::Bulk(p.member));
                if withdist {
                    item.push(dist_reply(p.dist));
                }
                if withhash {
                    item.push(Value::Int(p.score as i64));
                }
                if withcoords {
                    item.push(Value::Array(vec![coord(p.lon), coord(p.lat)]));
                }
                Value::Array(item)
            })
            .collect(),
    ))
}

fn geosearch_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 1, GEOSEARCH)
}

fn geosearchstore_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE)
}

fn georadius_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 1, RADIUS_COORDS)
}

fn georadiusbymember_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 1, RADIUS_MEMBER)
}

fn georadius_ro_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE)
}

fn georadiusbymember_ro_cmd(ctx: &mut Ctx, argv: &[Vec<u8>]) -> CmdResult {
    georadius_generic(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interleave_roundtrip() {
        for (a, b) in [(0u32, 0u32), (1, 2), (0xffff_ffff, 0x1234_5678), (0x03ff_ffff, 0)] {
            let i = interleave64(a, b);
            let d = deinterleave64(i);
            assert_eq!((d as u32, (d >> 32) as u32), (a, b));
        }
    }

    #[test]
    fn known_palermo_score_and_hash() {
        // GEOADD Sicily 13.361389 38.115556 "Palermo" stores 3479099956230698.
        let h = encode_wgs84(13.361389, 38.115556, GEO_STEP_MAX).map(align52);
        assert_eq!(h, Some(3479099956230698));
        let (lon, lat) = decode_score(3479099956230698.0).unwrap_or_default();
        assert_eq!(fmt_human(lon), "13.36138933897018433");
        assert_eq!(fmt_human(lat), "38.11555639549629859");
    }

    #[test]
    fn palermo_catania_distance() {
        let (a, b) = (decode_score(3479099956230698.0), decode_score(3479447370796909.0));
        let ((lon1, lat1), (lon2, lat2)) = (a.unwrap_or_default(), b.unwrap_or_default());
        assert_eq!(format!("{:.4}", distance(lon1, lat1, lon2, lat2)), "166274.1516");
    }

    #[test]
    fn coordinates_use_the_human_long_double_form_in_both_protocols() {
        use crate::resp::{write_value, Protocol};
        let v = coord(13.361389338970184);
        let mut r2 = Vec::new();
        write_value(&mut r2, &v, Protocol::Resp2);
        assert_eq!(r2, b"$20\r\n13.36138933897018433\r\n");
        let mut r3 = Vec::new();
        write_value(&mut r3, &v, Protocol::Resp3);
        assert_eq!(r3, b",13.36138933897018433\r\n");
        assert_eq!(fmt_human(-0.0), "0");
        assert_eq!(fmt_human(1.0), "1");
    }

    #[test]
    fn steps_and_units() {
        assert_eq!(estimate_steps(0.0, 0.0), 26);
        assert_eq!(estimate_steps(1.0e9, 0.0), 1);
        assert!(estimate_steps(1000.0, 70.0) < estimate_steps(1000.0, 0.0));
        assert!(arg_unit(b"KM").is_ok_and(|m| m == 1000.0));
        assert!(arg_unit(b"yard").is_err());
    }
}
