//! `client.stream(name, options)` → `Stream`: the core's Redis Streams pattern (append with
//! trimming, ranges, a bounded blocking tail, consumer groups with acks, pending summaries,
//! claiming idle entries, dead letters after N deliveries, JSON events) with the Node package's
//! names. Entries are `{ id, fields }` objects of strings; the Node package's `stream.js` gives
//! each entry `json()`, lets `ack` take entries and adds `stream.iterate(...)`, a bounded async
//! iterator over a tail or a consumer group.

use crate::client::Client;
use crate::convert::{arg, json_of, millis, opt_number, opt_text, opt_whole, options, strings, text, whole};
use crate::errors::{invalid, to_js, type_error};
use crate::outcome::settle;
use crate::ticker::Ticker;
use js_sys::{Array, Object, Promise};
use redkit::patterns::stream::{Stream as CoreStream, StreamOptions, Trim, TrimOptions};
use serde::Deserialize;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// Options of `pendingEntries` beyond the group and count.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PendingFilter {
    consumer: Option<String>,
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    min_idle: Option<Duration>,
}

/// Options of `deadLetter` beyond the group and the delivery limit.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct DeadLetterScan {
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    min_idle: Option<Duration>,
    count: Option<u64>,
}

/// A stream and its dead-letter stream.
#[wasm_bindgen]
pub struct Stream {
    inner: Rc<CoreStream>,
    name: String,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// The stream `name`, trimmed on every add as `options` say.
    pub fn stream(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "StreamOptions")] options: JsValue,
    ) -> Result<Stream, JsValue> {
        let name = &text(&name, "name")?;
        let core: StreamOptions = crate::convert::options(&options, "stream options")?;
        let inner = CoreStream::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Stream { inner: Rc::new(inner), name: name.to_string(), ticker: self.ticker().clone() })
    }
}

/// A trim given as `{ maxLen }` or `{ minId }` (+ `approx`); None when the object names neither.
fn trim_of(value: &JsValue) -> Result<Option<Trim>, JsValue> {
    options::<TrimOptions>(value, "trim options")?.trim().map_err(to_js)
}

/// An entry's fields: an object of strings, numbers or UTF-8 bytes, in its key order.
fn fields_of(value: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    if !value.is_object() || value.is_function() || Array::is_array(value) {
        return Err(type_error("an entry's fields are an object of field names to values"));
    }
    Object::entries(value.unchecked_ref())
        .iter()
        .map(|pair| {
            let pair = Array::from(&pair);
            let key = pair.get(0).as_string().unwrap_or_default();
            let bytes = arg(&pair.get(1))
                .map_err(|_| type_error("an entry's field values must be strings, Uint8Arrays or numbers"))?;
            let text = String::from_utf8(bytes).map_err(|_| invalid(format!("field {key:?} must be UTF-8 text")))?;
            Ok((key, text))
        })
        .collect()
}

/// A JavaScript id argument that may be left out.
fn or(id: Option<String>, default: &str) -> String {
    id.unwrap_or_else(|| default.to_string())
}

#[wasm_bindgen]
impl Stream {
    /// Appends an entry with `fields` (an object of strings, numbers or UTF-8 Uint8Arrays, in
    /// its key order); resolves to its id. `trim` trims this add instead of the stream's own.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn add(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, string | number | Uint8Array>")] fields: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TrimOptions")] trim: JsValue,
    ) -> Promise {
        let parsed = fields_of(&fields).and_then(|f| Ok((f, trim_of(&trim)?)));
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let (owned, trim) = parsed?;
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Ok(match trim {
                Some(t) => s.add_trimmed(&pairs, &t).await?,
                None => s.add(&pairs).await?,
            })
        })
    }

    /// Appends `event` (JSON-able) as JSON in the `data` field; resolves to the entry's id.
    #[wasm_bindgen(js_name = addJson, unchecked_return_type = "Promise<string>")]
    pub fn add_json(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] event: JsValue) -> Promise {
        let event = json_of(&event, "the event");
        let s = self.inner.clone();
        settle(&self.ticker, async move { Ok(s.add_json(&event?).await?) })
    }

    /// Trims now to `maxLen` entries or ids from `minId`; resolves to how many were removed.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn trim(&self, #[wasm_bindgen(unchecked_param_type = "TrimOptions")] trim: JsValue) -> Promise {
        let trim = trim_of(&trim).and_then(|t| t.ok_or_else(|| type_error("trim needs maxLen or minId")));
        let s = self.inner.clone();
        settle(&self.ticker, async move { Ok(s.trim(&trim?).await?) })
    }

    /// The number of entries.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn len(&self) -> Promise {
        let s = self.inner.clone();
        settle(&self.ticker, async move { Ok(s.len().await?) })
    }

    /// Entries from `start` to `end` (ids, `-`, `+`, `(id` exclusive), oldest first.
    #[wasm_bindgen(unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn range(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] start: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] end: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] count: JsValue,
    ) -> Promise {
        let start = opt_text(&start, "start");
        let end = opt_text(&end, "end");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let start = start?;
            let end = end?;
            Ok(s.range(&or(start, "-"), &or(end, "+"), opt_whole("count", opt_number(&count, "count")?)?).await?)
        })
    }

    /// Entries from `end` down to `start`, newest first.
    #[wasm_bindgen(js_name = revRange, unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn rev_range(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] end: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] start: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] count: JsValue,
    ) -> Promise {
        let end = opt_text(&end, "end");
        let start = opt_text(&start, "start");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let end = end?;
            let start = start?;
            Ok(s.rev_range(&or(end, "+"), &or(start, "-"), opt_whole("count", opt_number(&count, "count")?)?).await?)
        })
    }

    /// Up to `count` (default 100) entries after id `after` (default `"$"`: new ones only),
    /// waiting up to `timeout` ms (default 0) for the first; empty when the wait ran out.
    #[wasm_bindgen(unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn tail(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] after: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] count: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] timeout: JsValue,
    ) -> Promise {
        let after = opt_text(&after, "after");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let after = after?;
            let count = opt_whole("count", opt_number(&count, "count")?)?.unwrap_or(100);
            let timeout = opt_number(&timeout, "timeout")?.map_or(Ok(Duration::ZERO), |ms| millis("timeout", ms))?;
            Ok(s.tail(&or(after, "$"), count, timeout).await?)
        })
    }

    /// Creates consumer group `group` reading from `start` (default `"$"`: new entries; `"0"`:
    /// all); false if it existed.
    #[wasm_bindgen(js_name = createGroup, unchecked_return_type = "Promise<boolean>")]
    pub fn create_group(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] start: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let start = opt_text(&start, "start");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let start = start?;
            Ok(s.create_group(&group, &or(start, "$")).await?)
        })
    }

    /// Deletes a group and its pending list; false if there was none.
    #[wasm_bindgen(js_name = destroyGroup, unchecked_return_type = "Promise<boolean>")]
    pub fn destroy_group(&self, #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue) -> Promise {
        let group = text(&group, "group");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            Ok(s.destroy_group(&group).await?)
        })
    }

    /// The stream's groups.
    #[wasm_bindgen(unchecked_return_type = "Promise<GroupInfo[]>")]
    pub fn groups(&self) -> Promise {
        let s = self.inner.clone();
        settle(&self.ticker, async move { Ok(s.groups().await?) })
    }

    /// Removes a consumer; resolves to how many entries it still had pending.
    #[wasm_bindgen(js_name = deleteConsumer, unchecked_return_type = "Promise<number>")]
    pub fn delete_consumer(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] consumer: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let consumer = text(&consumer, "consumer");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let consumer = consumer?;
            Ok(s.delete_consumer(&group, &consumer).await?)
        })
    }

    /// Delivers up to `count` (default 10) new entries of `group` to `consumer`, waiting up to
    /// `block` ms for the first (default: no wait); they stay pending until acked.
    /// `NotFoundError` without the group.
    #[wasm_bindgen(js_name = readGroup, unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn read_group(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] consumer: JsValue,
        count: Option<f64>,
        block: Option<f64>,
    ) -> Promise {
        let group = text(&group, "group");
        let consumer = text(&consumer, "consumer");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let consumer = consumer?;
            let count = opt_whole("count", count)?.unwrap_or(10);
            let block = block.map(|ms| millis("block", ms)).transpose()?;
            Ok(s.read_group(&group, &consumer, count, block).await?)
        })
    }

    /// Re-reads up to `count` (default 100) of `consumer`'s own pending entries, oldest first.
    #[wasm_bindgen(js_name = readOwnPending, unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn read_own_pending(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] consumer: JsValue,
        count: Option<f64>,
    ) -> Promise {
        let group = text(&group, "group");
        let consumer = text(&consumer, "consumer");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let consumer = consumer?;
            Ok(s.read_own_pending(&group, &consumer, opt_whole("count", count)?.unwrap_or(100)).await?)
        })
    }

    /// Acknowledges entries (an id or an array of ids; the package's JavaScript turns entries
    /// into their ids); resolves to how many were pending.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn ack(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | StreamEntry | Array<string | StreamEntry>")] ids: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let ids = strings(&ids, "ids");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let ids = ids?;
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            Ok(s.ack(&group, &refs).await?)
        })
    }

    /// The group's pending entries in summary.
    #[wasm_bindgen(unchecked_return_type = "Promise<PendingSummary>")]
    pub fn pending(&self, #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue) -> Promise {
        let group = text(&group, "group");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            Ok(s.pending(&group).await?)
        })
    }

    /// Up to `count` (default 100) pending entries, oldest first, of one `consumer` and idle at
    /// least `minIdle` ms when given.
    #[wasm_bindgen(js_name = pendingEntries, unchecked_return_type = "Promise<PendingEntry[]>")]
    pub fn pending_entries(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] count: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "PendingEntriesOptions")] options: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let filter = crate::convert::options::<PendingFilter>(&options, "pendingEntries options");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let count = opt_whole("count", opt_number(&count, "count")?)?.unwrap_or(100);
            let f = filter?;
            Ok(s.pending_entries(&group, count, f.consumer.as_deref(), f.min_idle).await?)
        })
    }

    /// Moves to `consumer` up to `count` (default 100) pending entries idle at least `minIdle`
    /// ms, scanning from `start` (default `"0-0"`); pass the result's `next` to continue.
    #[wasm_bindgen(js_name = claimIdle, unchecked_return_type = "Promise<Claimed>")]
    pub fn claim_idle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] consumer: JsValue,
        #[allow(non_snake_case)] minIdle: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "number | null")] count: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] start: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let consumer = text(&consumer, "consumer");
        let start = opt_text(&start, "start");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let consumer = consumer?;
            let start = start?;
            let min_idle = millis("minIdle", minIdle)?;
            let count = opt_whole("count", opt_number(&count, "count")?)?.unwrap_or(100);
            Ok(s.claim_idle(&group, &consumer, min_idle, count, &or(start, "0-0")).await?)
        })
    }

    /// Moves pending entries delivered at least `maxDeliveries` times (and idle at least
    /// `minIdle` ms) to the dead-letter stream and acks them.
    #[wasm_bindgen(js_name = deadLetter, unchecked_return_type = "Promise<DeadLettered>")]
    pub fn dead_letter(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] group: JsValue,
        #[allow(non_snake_case)] maxDeliveries: f64,
        #[wasm_bindgen(unchecked_optional_param_type = "DeadLetterOptions")] options: JsValue,
    ) -> Promise {
        let group = text(&group, "group");
        let scan = crate::convert::options::<DeadLetterScan>(&options, "deadLetter options");
        let s = self.inner.clone();
        settle(&self.ticker, async move {
            let group = group?;
            let max = whole("maxDeliveries", maxDeliveries)?;
            let scan = scan?;
            Ok(s.dead_letter(&group, max, scan.min_idle.unwrap_or_default(), scan.count.unwrap_or(100)).await?)
        })
    }

    /// Dead-lettered entries, oldest first, each with its fields plus `dead:id`, `dead:group`,
    /// `dead:consumer` and `dead:deliveries`.
    #[wasm_bindgen(js_name = deadLetters, unchecked_return_type = "Promise<StreamEntry[]>")]
    pub fn dead_letters(&self, count: Option<f64>) -> Promise {
        let s = self.inner.clone();
        settle(&self.ticker, async move { Ok(s.dead_letters(opt_whole("count", count)?).await?) })
    }

    /// The stream's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }
}
