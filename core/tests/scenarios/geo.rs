//! Scenario adapter for [`redkit::patterns::geo`]: `new: "geo"` with `name` and optional
//! `prefix`; methods named as in the Rust API. `search` takes the centre as `member` or
//! `longitude` + `latitude`, the area as `radius` or `width` + `height`, a `unit` (default
//! `m`), and optional `count`, `any` and `farthest_first`.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::BoxFuture;
use redkit::patterns::geo::{Geo, GeoOptions, Search, Unit};
use serde_json::Value as Json;
use std::sync::Arc;

struct Index(Geo);

/// Builds a `geo` index.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "geo" {
        return None;
    }
    Some((|| {
        let mut options = GeoOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            options = options.prefix(&p);
        }
        Ok(Arc::new(Index(Geo::new(world.backend.clone(), &args.str("name")?, options)?)) as Arc<dyn Object>)
    })())
}

fn unit(args: &Args) -> Result<Unit, CallError> {
    Ok(args.opt_str("unit").map(|u| u.parse()).transpose()?.unwrap_or_default())
}

/// `[[member, longitude, latitude], …]`.
fn places(args: &Args) -> Result<Vec<(String, f64, f64)>, CallError> {
    let bad = || CallError::Harness("places must be [[member, longitude, latitude], …]".into());
    let list = args.get("places").and_then(Json::as_array).ok_or_else(bad)?;
    list.iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([Json::String(m), lon, lat]) => {
                Ok((m.clone(), lon.as_f64().ok_or_else(bad)?, lat.as_f64().ok_or_else(bad)?))
            }
            _ => Err(bad()),
        })
        .collect()
}

fn search(args: &Args) -> Result<Search, CallError> {
    let unit = unit(args)?;
    let member = args.opt_str("member");
    let point = || Ok::<_, CallError>((args.f64("longitude")?, args.f64("latitude")?));
    let mut s = match (args.opt_f64("radius"), &member) {
        (Some(r), Some(m)) => Search::radius_from_member(m, r, unit),
        (Some(r), None) => {
            let (lon, lat) = point()?;
            Search::radius_from_point(lon, lat, r, unit)
        }
        (None, Some(m)) => Search::box_from_member(m, args.f64("width")?, args.f64("height")?, unit),
        (None, None) => {
            let (lon, lat) = point()?;
            Search::box_from_point(lon, lat, args.f64("width")?, args.f64("height")?, unit)
        }
    };
    if let Some(n) = args.opt_u64("count") {
        s = s.count(n);
    }
    if args.opt_bool("any") == Some(true) {
        s = s.any();
    }
    if args.opt_bool("farthest_first") == Some(true) {
        s = s.farthest_first();
    }
    Ok(s)
}

impl Object for Index {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let g = &self.0;
            match method.as_str() {
                "add" => json(&g.add(&args.str("member")?, args.f64("longitude")?, args.f64("latitude")?).await?),
                "add_many" => {
                    let places = places(&args)?;
                    let borrowed: Vec<(&str, f64, f64)> = places.iter().map(|(m, x, y)| (m.as_str(), *x, *y)).collect();
                    json(&g.add_many(&borrowed).await?)
                }
                "remove" => json(&g.remove(&args.str("member")?).await?),
                "position" => json(&g.position(&args.str("member")?).await?),
                "positions" => {
                    let members = args.strs("members")?;
                    let borrowed: Vec<&str> = members.iter().map(String::as_str).collect();
                    json(&g.positions(&borrowed).await?)
                }
                "distance" => json(&g.distance(&args.str("a")?, &args.str("b")?, unit(&args)?).await?),
                "search" => json(&g.search(&search(&args)?).await?),
                "count" => json(&g.count().await?),
                "clear" => json(&g.clear().await?),
                _ => Err(unknown_method("geo", &method)),
            }
        })
    }
}
