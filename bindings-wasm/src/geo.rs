//! `client.geo(name, options)` → `Geo`: the core's geo index — places by longitude and
//! latitude, positions, distances, and searches by radius or box around a member or a point,
//! nearest first — with the Node package's names. Positions resolve as `{ longitude, latitude }`,
//! hits as `{ member, distance, longitude, latitude }`.

use crate::client::Client;
use crate::convert::{opt_text, options, shaped, strings, text};
use crate::errors::to_js;
use crate::outcome::settle;
use crate::ticker::Ticker;
use js_sys::Promise;
use redkit::patterns::geo::{Geo as CoreGeo, GeoOptions, Search, SearchQuery, Unit};
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A geo index: one sorted set.
#[wasm_bindgen]
pub struct Geo {
    inner: Rc<CoreGeo>,
    name: String,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A geo index named `name`.
    pub fn geo(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "GeoOptions")] options: JsValue,
    ) -> Result<Geo, JsValue> {
        let name = &text(&name, "name")?;
        let core: GeoOptions = crate::convert::options(&options, "geo options")?;
        let inner = CoreGeo::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Geo { inner: Rc::new(inner), name: name.to_string(), ticker: self.ticker().clone() })
    }
}

#[wasm_bindgen]
impl Geo {
    /// Places `member` at a position (moving it if it was elsewhere); true if it is new.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue,
        longitude: f64,
        latitude: f64,
    ) -> Promise {
        let member = text(&member, "member");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(geo.add(&member, longitude, latitude).await?)
        })
    }

    /// Places several `[member, longitude, latitude]`; resolves to how many are new. Nothing is
    /// written when any position is out of range.
    #[wasm_bindgen(js_name = addMany, unchecked_return_type = "Promise<number>")]
    pub fn add_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<[string, number, number]>")] places: JsValue,
    ) -> Promise {
        let places = shaped::<Vec<(String, f64, f64)>>(&places, "addMany places");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let places = places?;
            let borrowed: Vec<(&str, f64, f64)> = places.iter().map(|(m, x, y)| (m.as_str(), *x, *y)).collect();
            Ok(geo.add_many(&borrowed).await?)
        })
    }

    /// Removes `member`; true if it was there.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn remove(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue) -> Promise {
        let member = text(&member, "member");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(geo.remove(&member).await?)
        })
    }

    /// Where `member` is, or null if it is not in the index.
    #[wasm_bindgen(unchecked_return_type = "Promise<Position | null>")]
    pub fn position(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue) -> Promise {
        let member = text(&member, "member");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(geo.position(&member).await?)
        })
    }

    /// Where each member is, in the order asked, null for those not in the index.
    #[wasm_bindgen(unchecked_return_type = "Promise<Array<Position | null>>")]
    pub fn positions(&self, #[wasm_bindgen(unchecked_param_type = "Array<string>")] members: JsValue) -> Promise {
        let members = strings(&members, "members");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let members = members?;
            let borrowed: Vec<&str> = members.iter().map(String::as_str).collect();
            Ok(geo.positions(&borrowed).await?)
        })
    }

    /// The distance between two members in `unit` (default `m`), or null if either is not in
    /// the index.
    #[wasm_bindgen(unchecked_return_type = "Promise<number | null>")]
    pub fn distance(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] a: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] b: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "'m' | 'km' | 'mi' | 'ft' | null")] unit: JsValue,
    ) -> Promise {
        let a = text(&a, "a");
        let b = text(&b, "b");
        let unit = opt_text(&unit, "unit");
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let a = a?;
            let b = b?;
            let unit: Unit = unit?.as_deref().unwrap_or("m").parse()?;
            Ok(geo.distance(&a, &b, unit).await?)
        })
    }

    /// The members in an area, nearest first; rejects with `NotFoundError` when the centre
    /// member is not in the index.
    #[wasm_bindgen(unchecked_return_type = "Promise<GeoHit[]>")]
    pub fn search(&self, #[wasm_bindgen(unchecked_param_type = "GeoSearch")] query: JsValue) -> Promise {
        let query = if query.is_undefined() || query.is_null() {
            Err(crate::errors::type_error("search needs a query object"))
        } else {
            options::<SearchQuery>(&query, "geo search")
        };
        let geo = self.inner.clone();
        settle(&self.ticker, async move {
            let search = Search::try_from(query?)?;
            Ok(geo.search(&search).await?)
        })
    }

    /// How many members the index has.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn count(&self) -> Promise {
        let geo = self.inner.clone();
        settle(&self.ticker, async move { Ok(geo.count().await?) })
    }

    /// Deletes the whole index; true if it existed.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn clear(&self) -> Promise {
        let geo = self.inner.clone();
        settle(&self.ticker, async move { Ok(geo.clear().await?) })
    }

    /// The index's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// The sorted set's key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }
}
