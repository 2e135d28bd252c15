//! `client.stream(name, options)` → `Stream`: the core's Redis Streams pattern (append with
//! trimming, ranges, a bounded blocking tail, consumer groups with acks, pending summaries,
//! claiming idle entries, dead letters after N deliveries, JSON events). Entries are
//! `{ id, fields }` objects of strings, as the core reads them. `lib/stream.js` adds
//! `stream.iterate(...)`, a bounded async iterator over a tail or a consumer group.

use crate::client::Client;
use crate::convert::{millis, Arg};
use crate::errors::{invalid, to_js, type_error};
use crate::json::JsJson;
use crate::record::record;
use napi::bindgen_prelude::{Either, Object, PromiseRaw};
use napi::{Env, JsValue};
use napi_derive::napi;
use redkit::patterns::stream::{Stream as CoreStream, StreamOptions as CoreOptions, Trim};
use serde_json::Value as Json;
use std::time::Duration;

/// Options of `client.stream(name, options)`.
#[napi(object)]
#[derive(Default)]
pub struct StreamOptions {
    /// Trim on every add to this many entries (give `maxLen` or `minId`, not both).
    pub max_len: Option<f64>,
    /// Trim on every add to ids from this one on.
    pub min_id: Option<String>,
    /// Redis's cheaper `~` trim (whole nodes only).
    pub approx: Option<bool>,
    /// Cap of the dead-letter stream.
    pub dead_letter_max_len: Option<f64>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

/// How to trim: `{ maxLen }` or `{ minId }`, optionally `approx`.
#[napi(object)]
#[derive(Default)]
pub struct TrimOptions {
    /// Keep the newest this many entries.
    pub max_len: Option<f64>,
    /// Drop entries with ids lower than this one.
    pub min_id: Option<String>,
    /// Redis's cheaper `~` trim (whole nodes only).
    pub approx: Option<bool>,
}

/// Options of `stream.pendingEntries(group, count, options)`.
#[napi(object)]
#[derive(Default)]
pub struct PendingEntriesOptions {
    /// Only this consumer's entries.
    pub consumer: Option<String>,
    /// Only entries idle at least this many ms.
    pub min_idle: Option<f64>,
}

/// Options of `stream.deadLetter(group, maxDeliveries, options)`.
#[napi(object)]
#[derive(Default)]
pub struct DeadLetterOptions {
    /// Only entries idle at least this many ms (default 0).
    pub min_idle: Option<f64>,
    /// How many pending entries to look at (default 100).
    pub count: Option<f64>,
}

/// A stream and its dead-letter stream.
#[napi]
pub struct Stream {
    inner: CoreStream,
    name: String,
}

/// A whole number ≥ 0 from JavaScript (counts, lengths).
fn whole(what: &str, n: f64) -> napi::Result<u64> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 || n > 9.0e15 {
        return Err(invalid(format!("{what} must be a whole number ≥ 0, got {n}")));
    }
    Ok(n as u64)
}

fn opt_whole(what: &str, n: Option<f64>) -> napi::Result<Option<u64>> {
    n.map(|n| whole(what, n)).transpose()
}

/// A `Trim` from `maxLen` or `minId` (+ `approx`), if one is given.
fn trim_of(max_len: Option<f64>, min_id: Option<&str>, approx: Option<bool>) -> napi::Result<Option<Trim>> {
    let trim = match (opt_whole("maxLen", max_len)?, min_id) {
        (Some(n), None) => Trim::max_len(n),
        (None, Some(id)) => Trim::min_id(id),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(type_error("give maxLen or minId, not both")),
    };
    Ok(Some(if approx.unwrap_or(false) { trim.approx() } else { trim }))
}

fn trim_option(t: Option<TrimOptions>) -> napi::Result<Option<Trim>> {
    let t = t.unwrap_or_default();
    trim_of(t.max_len, t.min_id.as_deref(), t.approx)
}

/// Entry ids from a string or an array of strings.
fn ids_of(ids: Either<String, Vec<String>>) -> Vec<String> {
    match ids {
        Either::A(one) => vec![one],
        Either::B(many) => many,
    }
}

#[napi]
impl Client {
    /// The stream `name`, trimmed on every add as `options` say.
    #[napi(strict, catch_unwind)]
    pub fn stream(&self, name: String, options: Option<StreamOptions>) -> napi::Result<Stream> {
        let o = options.unwrap_or_default();
        let mut core = CoreOptions::default();
        if let Some(t) = trim_of(o.max_len, o.min_id.as_deref(), o.approx)? {
            core = core.trim(t);
        }
        if let Some(n) = opt_whole("deadLetterMaxLen", o.dead_letter_max_len)? {
            core = core.dead_letter_max_len(n);
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        let inner = CoreStream::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(Stream { inner, name })
    }
}

#[napi]
impl Stream {
    /// Appends an entry with `fields` (an object of strings, numbers or UTF-8 Buffers, in its
    /// key order); resolves to its id. `trim` trims this add instead of the stream's own trim.
    #[napi(strict, ts_args_type = "fields: Record<string, string | number | Buffer>, trim?: TrimOptions", catch_unwind)]
    pub fn add<'e>(
        &self,
        env: &'e Env,
        fields: Object,
        trim: Option<TrimOptions>,
    ) -> napi::Result<PromiseRaw<'e, String>> {
        let not_field = || type_error("an entry's field values must be strings, Buffers or numbers");
        if fields.is_array()? {
            return Err(type_error("an entry's fields are an object of field names to values"));
        }
        let mut owned = Vec::new();
        for key in Object::keys(&fields)? {
            let value: Arg = fields.get(&key).map_err(|_| not_field())?.ok_or_else(not_field)?;
            let value = String::from_utf8(value.into_bytes())
                .map_err(|_| invalid(format!("field {key:?} must be UTF-8 text")))?;
            owned.push((key, value));
        }
        let trim = trim_option(trim)?;
        let s = self.inner.clone();
        env.spawn_future(async move {
            let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            match trim {
                Some(t) => s.add_trimmed(&pairs, &t).await,
                None => s.add(&pairs).await,
            }
            .map_err(to_js)
        })
    }

    /// Appends `event` (JSON-able) as JSON in the `data` field; resolves to the entry's id.
    #[napi(strict, ts_args_type = "event: unknown")]
    pub async fn add_json(&self, event: JsJson) -> napi::Result<String> {
        self.inner.add_json(&event.0).await.map_err(to_js)
    }

    /// Trims now to `maxLen` entries or ids from `minId`; resolves to how many were removed.
    #[napi(strict)]
    pub async fn trim(&self, trim: TrimOptions) -> napi::Result<f64> {
        let t = trim_option(Some(trim))?.ok_or_else(|| type_error("trim needs maxLen or minId"))?;
        Ok(self.inner.trim(&t).await.map_err(to_js)? as f64)
    }

    /// The number of entries.
    #[napi(strict)]
    pub async fn len(&self) -> napi::Result<f64> {
        Ok(self.inner.len().await.map_err(to_js)? as f64)
    }

    /// Entries from `start` to `end` (ids, `-`, `+`, `(id` exclusive), oldest first.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn range(&self, start: Option<String>, end: Option<String>, count: Option<f64>) -> napi::Result<Json> {
        let (start, end) = (start.unwrap_or_else(|| "-".into()), end.unwrap_or_else(|| "+".into()));
        let count = opt_whole("count", count)?;
        record(&self.inner.range(&start, &end, count).await.map_err(to_js)?)
    }

    /// Entries from `end` down to `start`, newest first.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn rev_range(
        &self,
        end: Option<String>,
        start: Option<String>,
        count: Option<f64>,
    ) -> napi::Result<Json> {
        let (start, end) = (start.unwrap_or_else(|| "-".into()), end.unwrap_or_else(|| "+".into()));
        let count = opt_whole("count", count)?;
        record(&self.inner.rev_range(&end, &start, count).await.map_err(to_js)?)
    }

    /// Up to `count` (default 100) entries after id `after` (default `"$"`: new ones only),
    /// waiting up to `timeout` ms (default 0) for the first; empty when the wait ran out.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn tail(&self, after: Option<String>, count: Option<f64>, timeout: Option<f64>) -> napi::Result<Json> {
        let after = after.unwrap_or_else(|| "$".into());
        let count = opt_whole("count", count)?.unwrap_or(100);
        let timeout = timeout.map_or(Ok(Duration::ZERO), |ms| millis("timeout", ms))?;
        record(&self.inner.tail(&after, count, timeout).await.map_err(to_js)?)
    }

    /// Creates consumer group `group` reading from `start` (default `"$"`: new entries; `"0"`:
    /// all); false if it existed.
    #[napi(strict)]
    pub async fn create_group(&self, group: String, start: Option<String>) -> napi::Result<bool> {
        let start = start.unwrap_or_else(|| "$".into());
        self.inner.create_group(&group, &start).await.map_err(to_js)
    }

    /// Deletes a group and its pending list; false if there was none.
    #[napi(strict)]
    pub async fn destroy_group(&self, group: String) -> napi::Result<bool> {
        self.inner.destroy_group(&group).await.map_err(to_js)
    }

    /// The stream's groups.
    #[napi(strict, ts_return_type = "Promise<GroupInfo[]>")]
    pub async fn groups(&self) -> napi::Result<Json> {
        record(&self.inner.groups().await.map_err(to_js)?)
    }

    /// Removes a consumer; resolves to how many entries it still had pending.
    #[napi(strict)]
    pub async fn delete_consumer(&self, group: String, consumer: String) -> napi::Result<f64> {
        Ok(self.inner.delete_consumer(&group, &consumer).await.map_err(to_js)? as f64)
    }

    /// Delivers up to `count` (default 10) new entries of `group` to `consumer`, waiting up to
    /// `block` ms for the first (default: no wait); they stay pending until acked.
    /// `NotFoundError` without the group.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn read_group(
        &self,
        group: String,
        consumer: String,
        count: Option<f64>,
        block: Option<f64>,
    ) -> napi::Result<Json> {
        let count = opt_whole("count", count)?.unwrap_or(10);
        let block = block.map(|ms| millis("block", ms)).transpose()?;
        record(&self.inner.read_group(&group, &consumer, count, block).await.map_err(to_js)?)
    }

    /// Re-reads up to `count` (default 100) of `consumer`'s own pending entries, oldest first.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn read_own_pending(&self, group: String, consumer: String, count: Option<f64>) -> napi::Result<Json> {
        let count = opt_whole("count", count)?.unwrap_or(100);
        record(&self.inner.read_own_pending(&group, &consumer, count).await.map_err(to_js)?)
    }

    /// Acknowledges entries (an id or entry, or an array of them); resolves to how many were
    /// pending. (`lib/stream.js` turns entries into their ids.)
    #[napi(strict, ts_args_type = "group: string, ids: string | StreamEntry | Array<string | StreamEntry>")]
    pub async fn ack(&self, group: String, ids: Either<String, Vec<String>>) -> napi::Result<f64> {
        let ids = ids_of(ids);
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(self.inner.ack(&group, &refs).await.map_err(to_js)? as f64)
    }

    /// The group's pending entries in summary.
    #[napi(strict, ts_return_type = "Promise<PendingSummary>")]
    pub async fn pending(&self, group: String) -> napi::Result<Json> {
        record(&self.inner.pending(&group).await.map_err(to_js)?)
    }

    /// Up to `count` (default 100) pending entries, oldest first, of one `consumer` and idle at
    /// least `minIdle` ms when given.
    #[napi(strict, ts_return_type = "Promise<PendingEntry[]>")]
    pub async fn pending_entries(
        &self,
        group: String,
        count: Option<f64>,
        options: Option<PendingEntriesOptions>,
    ) -> napi::Result<Json> {
        let count = opt_whole("count", count)?.unwrap_or(100);
        let o = options.unwrap_or_default();
        let idle = o.min_idle.map(|ms| millis("minIdle", ms)).transpose()?;
        record(&self.inner.pending_entries(&group, count, o.consumer.as_deref(), idle).await.map_err(to_js)?)
    }

    /// Moves to `consumer` up to `count` (default 100) pending entries idle at least `minIdle`
    /// ms, scanning from `start` (default `"0-0"`); pass the result's `next` to continue.
    #[napi(strict, ts_return_type = "Promise<Claimed>")]
    pub async fn claim_idle(
        &self,
        group: String,
        consumer: String,
        min_idle: f64,
        count: Option<f64>,
        start: Option<String>,
    ) -> napi::Result<Json> {
        let min_idle = millis("minIdle", min_idle)?;
        let count = opt_whole("count", count)?.unwrap_or(100);
        let start = start.unwrap_or_else(|| "0-0".into());
        record(&self.inner.claim_idle(&group, &consumer, min_idle, count, &start).await.map_err(to_js)?)
    }

    /// Moves pending entries delivered at least `maxDeliveries` times (and idle at least
    /// `minIdle` ms) to the dead-letter stream and acks them.
    #[napi(strict, ts_return_type = "Promise<DeadLettered>")]
    pub async fn dead_letter(
        &self,
        group: String,
        max_deliveries: f64,
        options: Option<DeadLetterOptions>,
    ) -> napi::Result<Json> {
        let max = whole("maxDeliveries", max_deliveries)?;
        let o = options.unwrap_or_default();
        let idle = o.min_idle.map_or(Ok(Duration::ZERO), |ms| millis("minIdle", ms))?;
        let count = opt_whole("count", o.count)?.unwrap_or(100);
        record(&self.inner.dead_letter(&group, max, idle, count).await.map_err(to_js)?)
    }

    /// Dead-lettered entries, oldest first, each with its fields plus `dead:id`, `dead:group`,
    /// `dead:consumer` and `dead:deliveries`.
    #[napi(strict, ts_return_type = "Promise<StreamEntry[]>")]
    pub async fn dead_letters(&self, count: Option<f64>) -> napi::Result<Json> {
        let count = opt_whole("count", count)?;
        record(&self.inner.dead_letters(count).await.map_err(to_js)?)
    }

    /// The stream's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.name.clone()
    }
}
