//! Redis Streams as an event log with consumer groups: append with trimming, read ranges, tail
//! the log with a bounded blocking read, and process it with consumer groups — read new
//! entries, acknowledge them, inspect what is pending, take over entries from consumers that
//! died, and move entries that keep failing to a dead-letter stream. Entries can carry typed
//! events as JSON (serde).
//!
//! Why this shape: every operation but dead-lettering is one Redis command, so it costs one
//! round trip and behaves exactly as the Redis documentation says. Dead-lettering must copy an
//! entry and acknowledge it without a window in between (a crash there would lose it or
//! deliver it again forever), so it is one script ([`crate::scripts::stream`]).
//!
//! The usual consumer loop: [`Stream::read_group`] (blocking up to a bound), handle, then
//! [`Stream::ack`]; a reaper now and then calls [`Stream::dead_letter`] (entries delivered N
//! times leave the group) and [`Stream::claim_idle`] (entries idle too long move to a live
//! consumer, counting one more delivery).
//!
//! ```
//! use redkit::backend::{block_on, BackendRef, SimBackend};
//! use redkit::patterns::stream::{Stream, StreamOptions, Trim};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
//! struct Order { id: u32, total: f64 }
//!
//! let backend: BackendRef = Arc::new(SimBackend::new(Simulator::new()));
//! let orders = Stream::new(backend, "orders", StreamOptions::default().trim(Trim::max_len(10_000).approx())).unwrap();
//! block_on(async {
//!     orders.create_group("billing", "$").await.unwrap();
//!     orders.add_json(&Order { id: 1, total: 9.5 }).await.unwrap();
//!     let batch = orders.read_group("billing", "worker-1", 10, None).await.unwrap();
//!     let order: Order = batch[0].json().unwrap();
//!     assert_eq!(order, Order { id: 1, total: 9.5 });
//!     assert_eq!(orders.ack("billing", &[batch[0].id.as_str()]).await.unwrap(), 1);
//!     assert_eq!(orders.pending("billing").await.unwrap().count, 0);
//!     // Nothing new: a bounded wait that returns empty.
//!     assert!(orders.tail("$", 10, Duration::from_millis(5)).await.unwrap().is_empty());
//! });
//! ```

use crate::backend::value::{array, int, opt_bytes, opt_int, text};
use crate::backend::{BackendRef, Cmd};
use crate::command;
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::resp::Value;
use crate::scripts::stream as scripts;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The field an event's JSON lives in.
pub const EVENT_FIELD: &str = "data";
/// The longest blocking read or idle time accepted.
const MAX_WAIT: Duration = Duration::from_millis(1_000_000_000_000);

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// How a stream is trimmed when entries are added.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trim {
    /// Keep at most `len` entries (MAXLEN).
    MaxLen {
        /// Entries kept.
        len: u64,
        /// `~`: let Redis trim whole nodes only, which is much cheaper; the length may exceed
        /// `len` a little.
        approx: bool,
    },
    /// Drop entries with ids below `id` (MINID), e.g. older than a time as `"<ms>-0"`.
    MinId {
        /// The lowest id kept.
        id: String,
        /// `~`, as for `MaxLen`.
        approx: bool,
    },
}

impl Trim {
    /// Keep exactly the newest `len` entries.
    pub fn max_len(len: u64) -> Trim {
        Trim::MaxLen { len, approx: false }
    }

    /// Keep entries with ids from `id` on.
    pub fn min_id(id: &str) -> Trim {
        Trim::MinId { id: id.to_string(), approx: false }
    }

    /// The same trim, approximate (`~`).
    #[must_use]
    pub fn approx(self) -> Trim {
        match self {
            Trim::MaxLen { len, .. } => Trim::MaxLen { len, approx: true },
            Trim::MinId { id, .. } => Trim::MinId { id, approx: true },
        }
    }

    /// Appends `MAXLEN|MINID [=|~] threshold` to `cmd`.
    fn push_to(&self, cmd: &mut Cmd) -> Result<()> {
        let (kind, approx, threshold) = match self {
            Trim::MaxLen { len, approx } => ("MAXLEN", *approx, len.to_string()),
            Trim::MinId { id, approx } => {
                check_id(id, "a MINID trim", false)?;
                ("MINID", *approx, id.clone())
            }
        };
        cmd.push(kind);
        cmd.push(if approx { "~" } else { "=" });
        cmd.push(threshold);
        Ok(())
    }
}

/// A trim as the JavaScript packages give it: `{ maxLen }` or `{ minId }`, optionally
/// `approx` ([`TrimOptions::trim`] makes it a [`Trim`]).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TrimOptions {
    /// Keep the newest this many entries.
    pub max_len: Option<u64>,
    /// Drop entries with ids lower than this one.
    pub min_id: Option<String>,
    /// Redis's cheaper `~` trim.
    pub approx: bool,
}

impl TrimOptions {
    /// The trim these options ask for; `None` when neither `maxLen` nor `minId` is given.
    pub fn trim(self) -> Result<Option<Trim>> {
        let trim = match (self.max_len, self.min_id) {
            (Some(n), None) => Trim::max_len(n),
            (None, Some(id)) => Trim::min_id(&id),
            (None, None) => return Ok(None),
            (Some(_), Some(_)) => return Err(invalid("give maxLen or minId, not both")),
        };
        Ok(Some(if self.approx { trim.approx() } else { trim }))
    }
}

/// [`StreamOptions`] as the JavaScript packages give them: the trim flattened
/// (`{ maxLen: 1000, approx: true, deadLetterMaxLen: 100 }`).
#[derive(Default, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct StreamOptionsWire {
    max_len: Option<u64>,
    min_id: Option<String>,
    approx: bool,
    dead_letter_max_len: Option<u64>,
    prefix: Option<String>,
}

impl TryFrom<StreamOptionsWire> for StreamOptions {
    type Error = Error;

    fn try_from(w: StreamOptionsWire) -> Result<StreamOptions> {
        let trim = TrimOptions { max_len: w.max_len, min_id: w.min_id, approx: w.approx }.trim()?;
        let defaults = StreamOptions::default();
        Ok(StreamOptions {
            prefix: w.prefix.unwrap_or(defaults.prefix),
            trim,
            dead_letter_max_len: w.dead_letter_max_len,
        })
    }
}

/// How a [`Stream`] behaves. Deserialises from the JavaScript packages' options (see
/// `StreamOptionsWire`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(try_from = "StreamOptionsWire")]
#[non_exhaustive]
pub struct StreamOptions {
    /// Key prefix (default `redkit`).
    pub prefix: String,
    /// Trimming applied by [`Stream::add`] and [`Stream::add_json`] (default none).
    pub trim: Option<Trim>,
    /// Most entries kept in the dead-letter stream, oldest dropped first (default none).
    pub dead_letter_max_len: Option<u64>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions { prefix: keys::DEFAULT_PREFIX.to_string(), trim: None, dead_letter_max_len: None }
    }
}

impl StreamOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Trims on every add.
    #[must_use]
    pub fn trim(mut self, trim: Trim) -> Self {
        self.trim = Some(trim);
        self
    }

    /// Caps the dead-letter stream.
    #[must_use]
    pub fn dead_letter_max_len(mut self, n: u64) -> Self {
        self.dead_letter_max_len = Some(n);
        self
    }
}

/// One stream entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// Its id, `<ms>-<seq>`.
    pub id: String,
    /// Its fields (text; a repeated field keeps its last value). Empty for an entry that was
    /// deleted while still pending.
    pub fields: BTreeMap<String, String>,
}

impl Entry {
    /// The event this entry carries (written by [`Stream::add_json`]), decoded.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        let raw = self.fields.get(EVENT_FIELD).ok_or_else(|| {
            Error::new(ErrorKind::Serialization, format!("entry {} has no {EVENT_FIELD:?} field", self.id))
        })?;
        serde_json::from_str(raw).map_err(|e| Error::new(ErrorKind::Serialization, format!("entry {}: {e}", self.id)))
    }

    fn from_reply(v: Value) -> Result<Entry> {
        let mut parts = array(v)?.into_iter();
        let id = text(&parts.next().unwrap_or(Value::Nil))?;
        let mut fields = BTreeMap::new();
        let raw = array(parts.next().unwrap_or(Value::Nil))?;
        for pair in raw.chunks(2) {
            let value = pair.get(1).map(text).transpose()?.unwrap_or_default();
            fields.insert(text(&pair[0])?, value);
        }
        Ok(Entry { id, fields })
    }
}

fn entries(v: Value) -> Result<Vec<Entry>> {
    array(v)?.into_iter().map(Entry::from_reply).collect()
}

/// The entries of the one stream an XREAD/XREADGROUP reply holds (nil: none).
fn read_reply(v: Value) -> Result<Vec<Entry>> {
    match array(v)?.into_iter().next() {
        None => Ok(Vec::new()),
        Some(stream) => entries(array(stream)?.into_iter().nth(1).unwrap_or(Value::Nil)),
    }
}

/// Checks an id argument: `ms` or `ms-seq`, plus `-`/`+` and a leading `(` where `range`.
fn check_id(id: &str, what: &str, range: bool) -> Result<()> {
    let bare = if range { id.strip_prefix('(').unwrap_or(id) } else { id };
    let number = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    let ok = (range && (id == "-" || id == "+"))
        || match bare.split_once('-') {
            Some((ms, seq)) => number(ms) && number(seq),
            None => number(bare),
        };
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("{what} must be a stream id like 1700000000000-0, got {id:?}")))
    }
}

fn check_count(count: u64) -> Result<()> {
    if count == 0 || count > 1_000_000 {
        return Err(invalid(format!("count must be between 1 and 1000000, got {count}")));
    }
    Ok(())
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(invalid(format!("{what} must not be empty")));
    }
    Ok(())
}

fn wait_ms(what: &str, d: Duration) -> Result<u64> {
    if d > MAX_WAIT {
        return Err(invalid(format!("{what} must be at most {} ms, got {d:?}", MAX_WAIT.as_millis())));
    }
    Ok(d.as_millis() as u64)
}

/// A group that does not exist is [`ErrorKind::NotFound`].
fn group_error(e: Error) -> Error {
    if e.kind == ErrorKind::Reply && e.message.starts_with("NOGROUP") {
        Error::new(ErrorKind::NotFound, e.message)
    } else {
        e
    }
}

/// What [`Stream::pending`] reports for a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PendingSummary {
    /// Entries delivered and not yet acknowledged.
    pub count: u64,
    /// The lowest pending id.
    pub first_id: Option<String>,
    /// The highest pending id.
    pub last_id: Option<String>,
    /// Pending entries per consumer (consumers with none are not listed).
    pub consumers: Vec<ConsumerPending>,
}

/// A consumer's share of the pending entries.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ConsumerPending {
    /// The consumer.
    pub name: String,
    /// Its pending entries.
    pub count: u64,
}

/// One pending entry, as [`Stream::pending_entries`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct PendingEntry {
    /// The entry id.
    pub id: String,
    /// The consumer holding it.
    pub consumer: String,
    /// Time since it was last delivered.
    #[serde(rename = "idle_ms", with = "crate::patterns::serde_ms")]
    pub idle: Duration,
    /// How many times it was delivered.
    pub deliveries: u64,
}

/// What [`Stream::claim_idle`] took over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Claimed {
    /// The entries now held by the claiming consumer.
    pub entries: Vec<Entry>,
    /// Where the next scan starts (`"0-0"` when the whole pending list was scanned).
    pub next: String,
    /// Pending ids whose entries were deleted from the stream; Redis dropped them from the
    /// pending list.
    pub deleted: Vec<String>,
}

/// A consumer group as [`Stream::groups`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct GroupInfo {
    /// The group's name.
    pub name: String,
    /// How many consumers it has.
    pub consumers: u64,
    /// Entries delivered and not acknowledged.
    pub pending: u64,
    /// The id of the last entry delivered to the group.
    pub last_delivered_id: String,
    /// Entries in the stream not yet delivered to the group; `None` when Redis cannot tell
    /// (after deletions in the undelivered part, for example).
    pub lag: Option<u64>,
}

impl GroupInfo {
    fn from_reply(v: Value) -> Result<GroupInfo> {
        let mut g =
            GroupInfo { name: String::new(), consumers: 0, pending: 0, last_delivered_id: String::new(), lag: None };
        for pair in array(v)?.chunks(2) {
            let [k, v] = pair else { continue };
            match k.as_bytes() {
                Some(b"name") => g.name = text(v)?,
                Some(b"consumers") => g.consumers = int(v)?.max(0) as u64,
                Some(b"pending") => g.pending = int(v)?.max(0) as u64,
                Some(b"last-delivered-id") => g.last_delivered_id = text(v)?,
                Some(b"lag") => g.lag = opt_int(v)?.map(|n| n.max(0) as u64),
                _ => {}
            }
        }
        Ok(g)
    }
}

/// What [`Stream::dead_letter`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct DeadLettered {
    /// Ids copied to the dead-letter stream and acknowledged.
    pub moved: Vec<String>,
    /// Ids acknowledged whose entries had already been deleted from the stream.
    pub dropped: Vec<String>,
}

/// A stream and its dead-letter stream. Cheap to clone.
#[derive(Clone)]
pub struct Stream {
    backend: BackendRef,
    key: Vec<u8>,
    dead: Vec<u8>,
    trim: Option<Trim>,
    dead_cap: u64,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Stream({})", String::from_utf8_lossy(&self.key))
    }
}

impl Stream {
    /// The stream `name` (keys `PREFIX:stream:{NAME}` and `PREFIX:stream:{NAME}:dead`).
    pub fn new(backend: BackendRef, name: &str, options: StreamOptions) -> Result<Stream> {
        keys::validate("stream name", name)?;
        keys::validate("prefix", &options.prefix)?;
        if let Some(t) = &options.trim {
            t.push_to(&mut Cmd::new("XADD"))?;
        }
        Ok(Stream {
            backend,
            key: keys::base(&options.prefix, "stream", name),
            dead: keys::part(&options.prefix, "stream", name, "dead"),
            trim: options.trim,
            dead_cap: options.dead_letter_max_len.unwrap_or(0),
        })
    }

    async fn run(&self, cmd: Cmd) -> Result<Value> {
        self.backend.command(cmd).await.map_err(group_error)
    }

    /// Appends an entry with `fields` (at least one), trimmed as the options say; returns its
    /// id.
    pub async fn add(&self, fields: &[(&str, &str)]) -> Result<String> {
        self.add_with(fields, self.trim.as_ref()).await
    }

    /// Appends an entry and trims the stream with `trim` (instead of the options' trim).
    pub async fn add_trimmed(&self, fields: &[(&str, &str)], trim: &Trim) -> Result<String> {
        self.add_with(fields, Some(trim)).await
    }

    async fn add_with(&self, fields: &[(&str, &str)], trim: Option<&Trim>) -> Result<String> {
        if fields.is_empty() {
            return Err(invalid("an entry needs at least one field"));
        }
        let mut cmd = command!("XADD", &self.key);
        if let Some(t) = trim {
            t.push_to(&mut cmd)?;
        }
        cmd.push("*");
        for (f, v) in fields {
            cmd.push(*f);
            cmd.push(*v);
        }
        text(&self.run(cmd).await?)
    }

    /// Appends `event` as JSON in the [`EVENT_FIELD`] field; returns the entry's id.
    pub async fn add_json<T: Serialize + ?Sized>(&self, event: &T) -> Result<String> {
        let json = serde_json::to_string(event).map_err(|e| Error::new(ErrorKind::Serialization, e.to_string()))?;
        self.add(&[(EVENT_FIELD, &json)]).await
    }

    /// Trims the stream now; returns how many entries were removed.
    pub async fn trim(&self, trim: &Trim) -> Result<u64> {
        let mut cmd = command!("XTRIM", &self.key);
        trim.push_to(&mut cmd)?;
        Ok(int(&self.run(cmd).await?)?.max(0) as u64)
    }

    /// The number of entries.
    pub async fn len(&self) -> Result<u64> {
        Ok(int(&self.run(command!("XLEN", &self.key)).await?)?.max(0) as u64)
    }

    /// Entries with ids from `start` to `end` (`-`, `+`, ids, `(id` for exclusive), oldest
    /// first, at most `count`.
    pub async fn range(&self, start: &str, end: &str, count: Option<u64>) -> Result<Vec<Entry>> {
        self.range_of(&self.key, "XRANGE", start, end, count).await
    }

    /// Entries from `end` down to `start`, newest first, at most `count`.
    pub async fn rev_range(&self, end: &str, start: &str, count: Option<u64>) -> Result<Vec<Entry>> {
        self.range_of(&self.key, "XREVRANGE", end, start, count).await
    }

    async fn range_of(&self, key: &[u8], name: &str, a: &str, b: &str, count: Option<u64>) -> Result<Vec<Entry>> {
        check_id(a, "a range bound", true)?;
        check_id(b, "a range bound", true)?;
        let mut cmd = command!(name, key, a, b);
        if let Some(n) = count {
            check_count(n)?;
            cmd = cmd.arg("COUNT").arg(n);
        }
        entries(self.run(cmd).await?)
    }

    /// Up to `count` entries after id `after` (`"$"`: only entries added from now on), waiting
    /// up to `timeout` for the first if there are none yet; empty when the wait ran out. A zero
    /// timeout does not wait (so `"$"` with it always reads nothing). To follow the stream, pass
    /// the last id received as the next `after`.
    pub async fn tail(&self, after: &str, count: u64, timeout: Duration) -> Result<Vec<Entry>> {
        if after != "$" {
            check_id(after, "the id to read after", false)?;
        }
        check_count(count)?;
        let ms = wait_ms("timeout", timeout)?;
        let mut cmd = command!("XREAD", "COUNT", count);
        let reply = if ms == 0 {
            cmd = cmd.arg("STREAMS").arg(&self.key).arg(after);
            self.run(cmd).await?
        } else {
            cmd = cmd.arg("BLOCK").arg(ms).arg("STREAMS").arg(&self.key).arg(after);
            self.backend.blocking(cmd).await?
        };
        read_reply(reply)
    }

    /// Creates consumer group `group` reading from `start` (`"$"`: new entries only, `"0"`:
    /// everything), creating the stream if needed; `false` if the group already existed.
    pub async fn create_group(&self, group: &str, start: &str) -> Result<bool> {
        check_name("a group name", group)?;
        if start != "$" {
            check_id(start, "a group's start id", false)?;
        }
        match self.run(command!("XGROUP", "CREATE", &self.key, group, start, "MKSTREAM")).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::Reply && e.message.starts_with("BUSYGROUP") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes a consumer group and its pending list; `false` if there was none.
    pub async fn destroy_group(&self, group: &str) -> Result<bool> {
        check_name("a group name", group)?;
        Ok(int(&self.run(command!("XGROUP", "DESTROY", &self.key, group)).await?)? == 1)
    }

    /// The stream's consumer groups with their consumers, pending counts and lag (none for a
    /// stream that does not exist).
    pub async fn groups(&self) -> Result<Vec<GroupInfo>> {
        match self.run(command!("XINFO", "GROUPS", &self.key)).await {
            Ok(v) => array(v)?.into_iter().map(GroupInfo::from_reply).collect(),
            Err(e) if e.kind == ErrorKind::Reply && e.message.starts_with("ERR no such key") => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Removes a consumer from a group; returns how many entries it still had pending (they
    /// are dropped from the pending list: claim them first).
    pub async fn delete_consumer(&self, group: &str, consumer: &str) -> Result<u64> {
        check_name("a group name", group)?;
        check_name("a consumer name", consumer)?;
        let reply = self.run(command!("XGROUP", "DELCONSUMER", &self.key, group, consumer)).await?;
        Ok(int(&reply)?.max(0) as u64)
    }

    async fn read_group_at(
        &self,
        group: &str,
        consumer: &str,
        count: u64,
        block: Option<Duration>,
        id: &str,
    ) -> Result<Vec<Entry>> {
        check_name("a group name", group)?;
        check_name("a consumer name", consumer)?;
        check_count(count)?;
        let cmd = command!("XREADGROUP", "GROUP", group, consumer, "COUNT", count);
        let reply = match block.map(|d| wait_ms("block", d)).transpose()? {
            Some(ms) if ms > 0 => {
                let cmd = cmd.arg("BLOCK").arg(ms).arg("STREAMS").arg(&self.key).arg(id);
                self.backend.blocking(cmd).await.map_err(group_error)?
            }
            _ => self.run(cmd.arg("STREAMS").arg(&self.key).arg(id)).await?,
        };
        read_reply(reply)
    }

    /// Delivers up to `count` entries no consumer of `group` has seen (`>`) to `consumer`,
    /// waiting up to `block` for the first; they stay pending until acknowledged. A group that
    /// does not exist is [`ErrorKind::NotFound`].
    pub async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        count: u64,
        block: Option<Duration>,
    ) -> Result<Vec<Entry>> {
        self.read_group_at(group, consumer, count, block, ">").await
    }

    /// Re-reads up to `count` of `consumer`'s own pending entries (after a restart), oldest
    /// first; entries deleted meanwhile come back with no fields.
    pub async fn read_own_pending(&self, group: &str, consumer: &str, count: u64) -> Result<Vec<Entry>> {
        self.read_group_at(group, consumer, count, None, "0").await
    }

    /// Acknowledges entries; returns how many were pending.
    pub async fn ack(&self, group: &str, ids: &[&str]) -> Result<u64> {
        check_name("a group name", group)?;
        if ids.is_empty() {
            return Err(invalid("ack needs at least one id"));
        }
        for id in ids {
            check_id(id, "an acknowledged id", false)?;
        }
        let reply = self.run(command!("XACK", &self.key, group, ids)).await?;
        Ok(int(&reply)?.max(0) as u64)
    }

    /// The group's pending entries in summary.
    pub async fn pending(&self, group: &str) -> Result<PendingSummary> {
        check_name("a group name", group)?;
        let mut parts = array(self.run(command!("XPENDING", &self.key, group)).await?)?.into_iter();
        let mut next = || parts.next().unwrap_or(Value::Nil);
        let count = int(&next())?.max(0) as u64;
        let first_id = opt_bytes(&next())?.map(|b| String::from_utf8_lossy(&b).into_owned());
        let last_id = opt_bytes(&next())?.map(|b| String::from_utf8_lossy(&b).into_owned());
        let consumers = array(next())?
            .into_iter()
            .map(|c| {
                let c = array(c)?;
                let name = text(c.first().unwrap_or(&Value::Nil))?;
                Ok(ConsumerPending { name, count: int(c.get(1).unwrap_or(&Value::Nil))?.max(0) as u64 })
            })
            .collect::<Result<_>>()?;
        Ok(PendingSummary { count, first_id, last_id, consumers })
    }

    /// Up to `count` pending entries of the group, oldest first: only `consumer`'s when given,
    /// only those idle at least `min_idle` when given.
    pub async fn pending_entries(
        &self,
        group: &str,
        count: u64,
        consumer: Option<&str>,
        min_idle: Option<Duration>,
    ) -> Result<Vec<PendingEntry>> {
        check_name("a group name", group)?;
        check_count(count)?;
        let mut cmd = command!("XPENDING", &self.key, group);
        if let Some(idle) = min_idle {
            cmd = cmd.arg("IDLE").arg(wait_ms("min_idle", idle)?);
        }
        cmd = cmd.arg("-").arg("+").arg(count);
        if let Some(c) = consumer {
            check_name("a consumer name", c)?;
            cmd.push(c);
        }
        array(self.run(cmd).await?)?
            .into_iter()
            .map(|row| {
                let row = array(row)?;
                let at = |i: usize| row.get(i).unwrap_or(&Value::Nil);
                Ok(PendingEntry {
                    id: text(at(0))?,
                    consumer: text(at(1))?,
                    idle: Duration::from_millis(int(at(2))?.max(0) as u64),
                    deliveries: int(at(3))?.max(0) as u64,
                })
            })
            .collect()
    }

    /// Moves to `consumer` up to `count` pending entries idle for at least `min_idle` (their
    /// consumer is presumed dead), scanning the pending list from id `start` (`"0-0"` for the
    /// beginning; pass [`Claimed::next`] to continue). Each claimed entry counts one more
    /// delivery.
    pub async fn claim_idle(
        &self,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        count: u64,
        start: &str,
    ) -> Result<Claimed> {
        check_name("a group name", group)?;
        check_name("a consumer name", consumer)?;
        check_count(count)?;
        check_id(start, "the scan start", false)?;
        let idle = wait_ms("min_idle", min_idle)?;
        let cmd = command!("XAUTOCLAIM", &self.key, group, consumer, idle, start, "COUNT", count);
        let mut parts = array(self.run(cmd).await?)?.into_iter();
        let next = text(&parts.next().unwrap_or(Value::Nil))?;
        let claimed = array(parts.next().unwrap_or(Value::Nil))?
            .into_iter()
            .filter(|e| !e.is_nil())
            .map(Entry::from_reply)
            .collect::<Result<_>>()?;
        let deleted = array(parts.next().unwrap_or(Value::Nil))?.iter().map(text).collect::<Result<_>>()?;
        Ok(Claimed { entries: claimed, next, deleted })
    }

    /// Moves pending entries of `group` delivered at least `max_deliveries` times (and idle at
    /// least `min_idle`) to the dead-letter stream and acknowledges them, atomically; looks at
    /// up to `count` pending entries, oldest first.
    pub async fn dead_letter(
        &self,
        group: &str,
        max_deliveries: u64,
        min_idle: Duration,
        count: u64,
    ) -> Result<DeadLettered> {
        check_name("a group name", group)?;
        check_count(count)?;
        if max_deliveries == 0 {
            return Err(invalid("max_deliveries must be at least 1"));
        }
        let args = vec![
            group.as_bytes().to_vec(),
            max_deliveries.to_string().into_bytes(),
            wait_ms("min_idle", min_idle)?.to_string().into_bytes(),
            count.to_string().into_bytes(),
            self.dead_cap.to_string().into_bytes(),
        ];
        let reply = self
            .backend
            .script(&scripts::DEAD_LETTER, vec![self.key.clone(), self.dead.clone()], args)
            .await
            .map_err(group_error)?;
        let mut parts = array(reply)?.into_iter();
        let mut ids =
            || -> Result<Vec<String>> { array(parts.next().unwrap_or(Value::Nil))?.iter().map(text).collect() };
        Ok(DeadLettered { moved: ids()?, dropped: ids()? })
    }

    /// Dead-lettered entries, oldest first, at most `count`: each has the original fields plus
    /// `dead:id`, `dead:group`, `dead:consumer` and `dead:deliveries`.
    pub async fn dead_letters(&self, count: Option<u64>) -> Result<Vec<Entry>> {
        self.range_of(&self.dead, "XRANGE", "-", "+", count).await
    }
}

#[cfg(test)]
mod tests {
    use super::check_id;

    #[test]
    fn ids_are_checked_before_they_reach_redis() {
        for ok in ["0", "1-0", "1700000000000-12", "18446744073709551615-18446744073709551615"] {
            assert!(check_id(ok, "id", false).is_ok(), "{ok}");
        }
        for bad in ["", "-", "+", "1-", "-1", "a-1", "1-2-3", "(1", " 1"] {
            assert!(check_id(bad, "id", false).is_err(), "{bad}");
        }
        for ok in ["-", "+", "(1-0", "5"] {
            assert!(check_id(ok, "id", true).is_ok(), "{ok}");
        }
    }
}
