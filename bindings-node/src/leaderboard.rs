//! `client.leaderboard(name, options)` → `Leaderboard`: the core's sorted-set leaderboard —
//! scores, 1-based ranks (highest first, or lowest first for race times), the top N, the
//! members around one, numbered pages, and an optional TTL renewed by every write. Entries
//! resolve as `{ member, score, rank }` and pages as `{ page, size, total, pages, entries }`.

use crate::client::Client;
use crate::convert::{count, millis};
use crate::errors::{invalid, to_js};
use crate::record::record;
use napi::Either;
use napi_derive::napi;
use redkit::patterns::leaderboard::{Leaderboard as CoreLeaderboard, LeaderboardOptions as CoreOptions, Order};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

/// Options of `client.leaderboard(name, options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct LeaderboardOptions {
    /// `highest_first` (default: points) or `lowest_first` (race times).
    #[napi(ts_type = "'highest_first' | 'lowest_first'")]
    pub order: Option<String>,
    /// The board expires this long after its last write (default: never).
    pub ttl: Option<f64>,
    /// Key prefix (default `redkit:`).
    pub prefix: Option<String>,
}

/// A leaderboard: one sorted set.
#[napi]
pub struct Leaderboard {
    inner: Arc<CoreLeaderboard>,
    name: String,
    order: &'static str,
}

fn order(name: &str) -> napi::Result<(Order, &'static str)> {
    match name {
        "highest_first" => Ok((Order::HighestFirst, "highest_first")),
        "lowest_first" => Ok((Order::LowestFirst, "lowest_first")),
        other => Err(invalid(format!("order must be \"highest_first\" or \"lowest_first\", got {other:?}"))),
    }
}

#[napi]
impl Client {
    /// A leaderboard named `name`.
    #[napi(strict, catch_unwind)]
    pub fn leaderboard(&self, name: String, options: Option<LeaderboardOptions>) -> napi::Result<Leaderboard> {
        let o = options.unwrap_or_default();
        let (core_order, order) = self::order(o.order.as_deref().unwrap_or("highest_first"))?;
        let mut core = CoreOptions::default().order(core_order);
        if let Some(ms) = o.ttl {
            core = core.ttl(millis("ttl", ms)?);
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        let inner = CoreLeaderboard::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(Leaderboard { inner: Arc::new(inner), name, order })
    }
}

#[napi]
impl Leaderboard {
    /// Sets `member`'s score; true if the member is new to the board.
    #[napi(strict)]
    pub async fn add(&self, member: String, score: f64) -> napi::Result<bool> {
        self.inner.add(&member, score).await.map_err(to_js)
    }

    /// Sets several scores at once, given as `[member, score]` pairs or `{ member: score }`;
    /// resolves to how many members are new.
    #[napi(strict)]
    pub async fn add_many(&self, entries: Either<Vec<(String, f64)>, HashMap<String, f64>>) -> napi::Result<f64> {
        let entries: Vec<(String, f64)> = match entries {
            Either::A(pairs) => pairs,
            Either::B(map) => map.into_iter().collect(),
        };
        let borrowed: Vec<(&str, f64)> = entries.iter().map(|(m, s)| (m.as_str(), *s)).collect();
        Ok(self.inner.add_many(&borrowed).await.map_err(to_js)? as f64)
    }

    /// Sets `member`'s score only if it beats the one it has (or the member is new): a
    /// personal best. True if the board changed.
    #[napi(strict)]
    pub async fn add_if_better(&self, member: String, score: f64) -> napi::Result<bool> {
        self.inner.add_if_better(&member, score).await.map_err(to_js)
    }

    /// Adds `by` (default 1, may be negative) to `member`'s score; resolves to the new score.
    #[napi(strict)]
    pub async fn increment(&self, member: String, by: Option<f64>) -> napi::Result<f64> {
        self.inner.increment(&member, by.unwrap_or(1.0)).await.map_err(to_js)
    }

    /// Removes `member`; true if it was on the board.
    #[napi(strict)]
    pub async fn remove(&self, member: String) -> napi::Result<bool> {
        self.inner.remove(&member).await.map_err(to_js)
    }

    /// `member`'s score, or null if it is not on the board.
    #[napi(strict)]
    pub async fn score(&self, member: String) -> napi::Result<Option<f64>> {
        self.inner.score(&member).await.map_err(to_js)
    }

    /// `member`'s entry (rank and score read together), or null if it is not on the board.
    #[napi(strict, ts_return_type = "Promise<LeaderboardEntry | null>")]
    pub async fn rank(&self, member: String) -> napi::Result<Json> {
        record(&self.inner.rank(&member).await.map_err(to_js)?)
    }

    /// The first `n` entries.
    #[napi(strict, ts_return_type = "Promise<LeaderboardEntry[]>")]
    pub async fn top(&self, n: f64) -> napi::Result<Json> {
        record(&self.inner.top(count("n", n)?).await.map_err(to_js)?)
    }

    /// `member` with up to `k` entries above and `k` below it, in board order; rejects with
    /// `NotFoundError` when `member` is not on the board.
    #[napi(strict, ts_return_type = "Promise<LeaderboardEntry[]>")]
    pub async fn around(&self, member: String, k: f64) -> napi::Result<Json> {
        record(&self.inner.around(&member, count("k", k)?).await.map_err(to_js)?)
    }

    /// Page `page` (1-based) of `size` entries, with the board's total.
    #[napi(strict, ts_return_type = "Promise<LeaderboardPage>")]
    pub async fn page(&self, page: f64, size: f64) -> napi::Result<Json> {
        record(&self.inner.page(count("page", page)?, count("size", size)?).await.map_err(to_js)?)
    }

    /// How many members the board has.
    #[napi(strict)]
    pub async fn count(&self) -> napi::Result<f64> {
        Ok(self.inner.count().await.map_err(to_js)? as f64)
    }

    /// Deletes the whole board; true if it existed.
    #[napi(strict)]
    pub async fn clear(&self) -> napi::Result<bool> {
        self.inner.clear().await.map_err(to_js)
    }

    /// The board's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// `highest_first` or `lowest_first`.
    #[napi(strict, getter, ts_return_type = "'highest_first' | 'lowest_first'", catch_unwind)]
    pub fn order(&self) -> &'static str {
        self.order
    }

    /// The sorted set's key.
    #[napi(strict, getter, catch_unwind)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }
}
