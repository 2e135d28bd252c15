//! Write-behind: writes go to the cache and, in the same script, onto a durable Redis stream;
//! a drainer reads the stream through a consumer group in batches and hands each batch to the
//! user's [`Sink`] (the database behind the cache). A batch is acknowledged (and deleted from
//! the stream) only after the sink accepted it; a failed batch — or the batch of a drainer that
//! crashed — stays pending in the group and is claimed again once it has been idle for
//! `retry_after`, so every write reaches the sink at least once, in stream order per drainer.

use super::flight::{first, Once};
use super::Cache;
use crate::backend::value::{array, bytes, int};
use crate::backend::{reply_to_result as reply, BoxFuture};
use crate::error::{Error, ErrorKind, Result};
use crate::resp::Value;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// One write for a [`Sink`]: the key and its new value (`None`: the key was deleted).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Write<T> {
    /// The cache key.
    pub key: String,
    /// The value written, or `None` for a delete.
    pub value: Option<T>,
}

/// The store behind the cache (a database): receives write-through writes one at a time and
/// write-behind writes in batches. Any `Fn(Vec<Write<T>>) -> BoxFuture<'static, Result<()>>`
/// is a sink.
///
/// ```
/// use redkit::backend::{block_on, BackendRef, BoxFuture, SimBackend};
/// use redkit::patterns::cache::{Cache, CacheOptions, DrainOptions, SetOptions, Write};
/// use redkit::sim::Simulator;
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let backend: BackendRef = Arc::new(SimBackend::new(Simulator::new()));
/// let cache = Cache::new(backend, "prices", CacheOptions::default()).unwrap();
/// let db: Arc<Mutex<Vec<(String, Option<u32>)>>> = Arc::default();
/// let sink = {
///     let db = db.clone();
///     move |batch: Vec<Write<u32>>| -> BoxFuture<'static, redkit::Result<()>> {
///         db.lock().unwrap().extend(batch.into_iter().map(|w| (w.key, w.value)));
///         Box::pin(async { Ok(()) })
///     }
/// };
/// block_on(async {
///     let ttl = SetOptions::new(Duration::from_secs(60));
///     cache.write_behind("apple", &3u32, ttl.clone()).await?;
///     cache.write_behind("pear", &5u32, ttl).await?;
///     assert_eq!(cache.get::<u32>("apple").await?, Some(3)); // cached at once
///     let report = cache.drain_behind(&sink, &DrainOptions::default()).await?;
///     assert_eq!(report.written, 2);
///     Ok::<_, redkit::Error>(())
/// })
/// .unwrap();
/// assert_eq!(db.lock().unwrap()[1], ("pear".to_string(), Some(5)));
/// ```
pub trait Sink<T>: Send + Sync {
    /// Persists `batch` in order; `Err` means none of it may be assumed written (it is retried).
    fn write(&self, batch: Vec<Write<T>>) -> BoxFuture<'static, Result<()>>;
}

impl<T, F> Sink<T> for F
where
    F: Fn(Vec<Write<T>>) -> BoxFuture<'static, Result<()>> + Send + Sync,
{
    fn write(&self, batch: Vec<Write<T>>) -> BoxFuture<'static, Result<()>> {
        self(batch)
    }
}

/// How the write-behind drainer works. Deserialises from the JavaScript packages' options
/// (`{ batch: 10, retryAfter: 1000 }`, see [`crate::patterns::wire`]).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DrainOptions {
    /// Most entries read per batch (default 100).
    pub batch: usize,
    /// How long a failed or abandoned batch stays pending before it is retried (default 5 s).
    #[serde(with = "crate::patterns::serde_ms")]
    pub retry_after: Duration,
    /// How long the background drainer sleeps when the stream is empty (default 100 ms).
    #[serde(with = "crate::patterns::serde_ms")]
    pub poll: Duration,
    /// Deliveries of one entry before it goes to the dead-letter stream (default 5).
    pub max_attempts: u32,
}

impl Default for DrainOptions {
    fn default() -> Self {
        DrainOptions {
            batch: 100,
            retry_after: Duration::from_secs(5),
            poll: Duration::from_millis(100),
            max_attempts: 5,
        }
    }
}

impl DrainOptions {
    /// Sets the batch size.
    #[must_use]
    pub fn batch(mut self, n: usize) -> Self {
        self.batch = n;
        self
    }

    /// Sets the retry delay of failed batches.
    #[must_use]
    pub fn retry_after(mut self, d: Duration) -> Self {
        self.retry_after = d;
        self
    }

    /// Sets the idle poll interval of the background drainer.
    #[must_use]
    pub fn poll(mut self, d: Duration) -> Self {
        self.poll = d;
        self
    }

    /// Sets how many deliveries an entry gets before it is dead-lettered.
    #[must_use]
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    fn check(&self) -> Result<()> {
        if self.max_attempts == 0 {
            return Err(Error::new(ErrorKind::InvalidArgument, "drain max_attempts must be at least 1"));
        }
        if self.batch == 0 || self.batch > 10_000 {
            return Err(Error::new(ErrorKind::InvalidArgument, "drain batch must be in 1..=10000"));
        }
        if self.retry_after.is_zero() || self.poll.is_zero() {
            return Err(Error::new(ErrorKind::InvalidArgument, "drain retry_after and poll must be above 0"));
        }
        Ok(())
    }
}

/// What one drain pass did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct DrainReport {
    /// Entries handed to the sink and acknowledged.
    pub written: usize,
    /// Of those read, how many were retries of an earlier failed or abandoned batch.
    pub retried: usize,
    /// Entries the sink refused this time (they stay pending and are retried).
    pub failed: usize,
    /// Entries moved to the dead-letter stream (`…:wb:dead`): delivered `max_attempts` times
    /// without success, or not decodable as `T`.
    pub dead_lettered: usize,
    /// The sink's error, when it failed.
    pub error: Option<String>,
}

/// A running background drainer ([`Cache::spawn_drainer`]); [`Drainer::stop`] ends it after
/// its current batch. Dropping the handle does not stop it.
#[derive(Clone)]
pub struct Drainer {
    stop: Arc<Once<()>>,
}

impl std::fmt::Debug for Drainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Drainer(stopped={})", self.stop.get().is_some())
    }
}

impl Drainer {
    /// Asks the drainer to stop.
    pub fn stop(&self) {
        self.stop.set(());
    }
}

const GROUP: &str = "drain";

impl Cache {
    /// Runs one drain pass: claims entries of failed or abandoned batches idle for
    /// `retry_after`, reads new ones, hands them to `sink` as one batch and acknowledges them
    /// when it succeeds. A sink error is reported in [`DrainReport::error`] (the entries stay
    /// pending); errors talking to Redis are returned.
    ///
    /// An entry already delivered `max_attempts` times (or not decodable as `T`) is moved to
    /// the dead-letter stream `…:wb:dead` with its fields, its id and how often the sink tried it,
    /// instead of being handed to the sink again.
    ///
    /// Two round trips besides the sink call: the pending counts, the claim and the read go
    /// in one pipeline; the acknowledgement must wait for the sink.
    pub async fn drain_behind<T, S>(&self, sink: &S, options: &DrainOptions) -> Result<DrainReport>
    where
        T: DeserializeOwned,
        S: Sink<T> + ?Sized,
    {
        options.check()?;
        let k = &self.inner.keys;
        let stream = k.stream.clone();
        let consumer = self.inner.origin.as_str();
        let count = options.batch;
        let idle = options.retry_after.as_millis().to_string();
        let create = crate::command!("XGROUP", "CREATE", &stream, GROUP, "0", "MKSTREAM");
        let pending = crate::command!("XPENDING", &stream, GROUP, "IDLE", &idle, "-", "+", count);
        let claim = crate::command!("XAUTOCLAIM", &stream, GROUP, consumer, &idle, "0-0", "COUNT", count);
        let read = crate::command!("XREADGROUP", "GROUP", GROUP, consumer, "COUNT", count, "STREAMS", &stream, ">");
        let replies = self.inner.backend.pipeline(vec![create, pending, claim, read], false).await?;
        let mut it = replies.into_iter().skip(1);
        let mut next = || it.next().map(reply).transpose();
        let deliveries = delivery_counts(next()?)?;
        let claimed = match next()? {
            Some(c) => array(c)?.into_iter().nth(1).map(array).unwrap_or(Ok(vec![]))?,
            None => vec![],
        };
        let fresh = next()?.map(read_entries).unwrap_or(Ok(vec![]))?;
        let mut report = DrainReport { retried: claimed.len(), ..DrainReport::default() };
        let (mut done, mut dead, mut batch, mut batch_ids) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for entry in claimed.into_iter().chain(fresh) {
            let Some((id, fields, write)) = decode_entry::<T>(entry) else { continue };
            // XAUTOCLAIM counted this delivery too: earlier attempts are one less.
            let attempts = deliveries.iter().find(|(d, _)| *d == id).map_or(1, |(_, n)| n + 1);
            match write {
                Some(w) if attempts <= options.max_attempts as i64 => {
                    batch_ids.push(id);
                    batch.push(w);
                }
                // Recorded: how many times the sink was actually tried.
                _ => dead.push((id, fields, attempts - 1)),
            }
        }
        let n = batch.len();
        if n > 0 {
            match sink.write(batch).await {
                Ok(()) => {
                    done = batch_ids;
                    report.written = n;
                }
                Err(e) => {
                    report.failed = n;
                    report.error = Some(e.message);
                }
            }
        }
        report.dead_lettered = dead.len();
        let mut cmds = Vec::new();
        for (id, fields, attempts) in dead {
            let mut add = crate::command!("XADD", &k.dead, "*", "id", &id, "attempts", attempts);
            for (f, v) in fields {
                add = add.arg(f).arg(v);
            }
            cmds.push(add);
            done.push(id);
        }
        if !done.is_empty() {
            cmds.push(crate::command!("XACK", &stream, GROUP, done.clone()));
            cmds.push(crate::command!("XDEL", &stream, done));
            self.inner.backend.pipeline(cmds, true).await?;
        }
        Ok(report)
    }

    /// Starts a background drainer ([`Backend::spawn`](crate::backend::Backend::spawn)) that
    /// runs [`Cache::drain_behind`] until stopped, sleeping `poll` whenever a pass finds
    /// nothing or fails.
    pub fn spawn_drainer<T, S>(&self, sink: Arc<S>, options: DrainOptions) -> Result<Drainer>
    where
        T: DeserializeOwned + Send + 'static,
        S: Sink<T> + 'static,
    {
        options.check()?;
        let stop = Arc::new(Once::new());
        let cache = self.clone();
        let handle = Drainer { stop: stop.clone() };
        let task = async move {
            while stop.get().is_none() {
                let pass = cache.drain_behind::<T, S>(&sink, &options).await;
                let busy = matches!(&pass, Ok(r) if r.written + r.dead_lettered > 0);
                if !busy && first(cache.inner.backend.sleep(options.poll), stop.wait()).await.is_err() {
                    return;
                }
            }
        };
        self.inner.backend.spawn(Box::pin(task))?;
        Ok(handle)
    }
}

/// XREADGROUP's `[[stream, [entries]]]` (or nil) as the entries.
fn read_entries(v: Value) -> Result<Vec<Value>> {
    match array(v)?.into_iter().next() {
        Some(stream) => array(stream)?.into_iter().nth(1).map(array).unwrap_or(Ok(vec![])),
        None => Ok(vec![]),
    }
}

/// `XPENDING … IDLE` rows `[id, consumer, idle, deliveries]` as (id, deliveries).
fn delivery_counts(v: Option<Value>) -> Result<Vec<(Vec<u8>, i64)>> {
    let rows = v.map(array).transpose()?.unwrap_or_default();
    rows.into_iter()
        .map(|row| {
            let row = array(row)?;
            match (row.first(), row.get(3)) {
                (Some(id), Some(n)) => Ok((bytes(id)?, int(n)?)),
                _ => Err(Error::new(ErrorKind::Protocol, "XPENDING row without id and deliveries")),
            }
        })
        .collect()
}

/// A stream entry's fields.
type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// One stream entry `[id, [field, value, ...]]`: its id, its fields and, if it decodes, the
/// write.
fn decode_entry<T: DeserializeOwned>(entry: Value) -> Option<(Vec<u8>, Fields, Option<Write<T>>)> {
    let mut parts = array(entry).ok()?.into_iter();
    let id = bytes(&parts.next()?).ok()?;
    let fields = crate::backend::value::pairs(parts.next()?).unwrap_or_default();
    let write = Some(&fields).and_then(|f| {
        let get = |name: &[u8]| f.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let key = String::from_utf8(get(b"key")?).ok()?;
        let value = match get(b"kind")?.as_slice() {
            b"1" => Some(serde_json::from_slice(&get(b"value")?).ok()?),
            _ => None,
        };
        Some(Write { key, value })
    });
    Some((id, fields, write))
}
