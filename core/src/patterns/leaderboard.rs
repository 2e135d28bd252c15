//! Leaderboards over a Redis sorted set: scores per member, the top N, a member's rank and
//! score, the members around it, numbered pages, and an optional TTL for boards that should
//! vanish when nobody writes to them (a daily or per-match board).
//!
//! Why a pattern for something Redis almost does by itself: the details every service gets
//! slightly wrong are done once here — ranks are 1-based and highest-first (or lowest-first for
//! race times), a rank comes with its score from the same instant (MULTI/EXEC), the neighbours
//! of a member are read atomically by one script ([`crate::scripts::leaderboard::AROUND`]), a
//! write to a board with a TTL renews the TTL in the same script only when the write succeeded
//! ([`crate::scripts::leaderboard::WRITE`]), and pages past the end are empty instead of errors. Ties are ordered exactly as Redis orders
//! them: on a highest-first board, equal scores list members in reverse byte order (ZREVRANGE),
//! on a lowest-first board in byte order (ZRANGE); a member's rank is its position in that order.
//!
//! Every operation is one round trip: one command, one MULTI/EXEC pipeline, or one script.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::leaderboard::{Leaderboard, LeaderboardOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let board = Leaderboard::new(backend, "season-1", LeaderboardOptions::default()).unwrap();
//! block_on(async {
//!     board.add("ann", 120.0).await?;
//!     board.add("bob", 90.0).await?;
//!     board.increment("bob", 50.0).await?;
//!     let top = board.top(2).await?;
//!     assert_eq!((top[0].member.as_str(), top[0].score, top[0].rank), ("bob", 140.0, 1));
//!     assert_eq!(board.rank("ann").await?.map(|e| e.rank), Some(2));
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

use crate::backend::{reply_to_result, value, BackendRef, Cmd};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::resp::Value;
use crate::scripts::leaderboard::{AROUND, MAX_AROUND, WRITE};
use std::time::Duration;

/// Which end of the board is first; JavaScript spells it `"highest_first"` / `"lowest_first"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Order {
    /// The highest score ranks 1 (points, wins).
    #[default]
    HighestFirst,
    /// The lowest score ranks 1 (race times, golf).
    LowestFirst,
}

/// How a [`Leaderboard`] is set up. Deserialises from the JavaScript packages' options
/// (`{ order: "lowest_first", ttl: 60000 }`, see [`super::wire`]).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct LeaderboardOptions {
    /// Key prefix (default [`keys::DEFAULT_PREFIX`]).
    pub prefix: String,
    /// Which end ranks first (default [`Order::HighestFirst`]).
    pub order: Order,
    /// When set, the board expires this long after its last write (every add and increment
    /// renews it); `None` (the default) keeps it forever.
    #[serde(with = "crate::patterns::serde_ms::opt")]
    pub ttl: Option<Duration>,
}

impl Default for LeaderboardOptions {
    fn default() -> Self {
        LeaderboardOptions { prefix: keys::DEFAULT_PREFIX.to_string(), order: Order::HighestFirst, ttl: None }
    }
}

impl LeaderboardOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Sets which end ranks first.
    #[must_use]
    pub fn order(mut self, order: Order) -> Self {
        self.order = order;
        self
    }

    /// Makes the board expire `ttl` after its last write (at least 1 ms).
    #[must_use]
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// A member with its score and 1-based rank.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Entry {
    /// The member.
    pub member: String,
    /// Its score.
    pub score: f64,
    /// Its place, 1 for the first.
    pub rank: u64,
}

/// One page of a board.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Page {
    /// The page number, 1-based.
    pub page: u64,
    /// Entries per page.
    pub size: u64,
    /// Members on the whole board.
    pub total: u64,
    /// Pages on the whole board (`0` for an empty board).
    pub pages: u64,
    /// This page's entries; empty past the last page.
    pub entries: Vec<Entry>,
}

/// A leaderboard: one sorted set at `PREFIX:leaderboard:{NAME}`.
#[derive(Clone)]
pub struct Leaderboard {
    backend: BackendRef,
    key: Vec<u8>,
    order: Order,
    ttl_ms: Option<u64>,
}

impl std::fmt::Debug for Leaderboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Leaderboard({})", String::from_utf8_lossy(&self.key))
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn check_score(score: f64) -> Result<()> {
    if score.is_nan() {
        return Err(invalid("a score must be a number, not NaN"));
    }
    Ok(())
}

/// Reads a flat `[member, score, …]` reply into entries ranked from `first_rank`.
fn entries(flat: Value, first_rank: u64) -> Result<Vec<Entry>> {
    let items = value::array(flat)?;
    if items.len() % 2 != 0 {
        return Err(Error::new(ErrorKind::Protocol, "expected member/score pairs, got an odd count"));
    }
    items
        .chunks(2)
        .zip(first_rank..)
        .map(|(pair, rank)| Ok(Entry { member: value::text(&pair[0])?, score: value::float(&pair[1])?, rank }))
        .collect()
}

impl Leaderboard {
    /// A board named `name`. Fails with [`ErrorKind::InvalidArgument`] for an empty name or
    /// prefix, one containing `{` or `}`, or a TTL under 1 ms.
    pub fn new(backend: BackendRef, name: &str, options: LeaderboardOptions) -> Result<Leaderboard> {
        keys::validate("leaderboard name", name)?;
        keys::validate("prefix", &options.prefix)?;
        let ttl_ms = match options.ttl {
            Some(t) if t.as_millis() == 0 => return Err(invalid("a leaderboard's ttl must be at least 1 ms")),
            Some(t) => Some(t.as_millis().min(i64::MAX as u128) as u64),
            None => None,
        };
        Ok(Leaderboard { backend, key: keys::base(&options.prefix, "leaderboard", name), order: options.order, ttl_ms })
    }

    /// The sorted set's key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    fn ascending(&self) -> bool {
        self.order == Order::LowestFirst
    }

    /// Runs a write (`ZADD` or `ZINCRBY` with `args` after the key). On a board with a TTL it
    /// goes through [`WRITE`], which renews the TTL in the same step only if the write
    /// succeeded; otherwise it is the plain command.
    async fn write(&self, command: &str, args: Vec<Vec<u8>>) -> Result<Value> {
        let Some(ttl) = self.ttl_ms else {
            return self.backend.command(Cmd::new(command).arg(&self.key).arg(args)).await;
        };
        let mut script_args = vec![ttl.to_string().into_bytes(), command.as_bytes().to_vec()];
        script_args.extend(args);
        self.backend.script(&WRITE, vec![self.key.clone()], script_args).await
    }

    /// `ZRANGE key start stop [REV] WITHSCORES` in the board's order.
    fn range(&self, start: u64, stop: u64) -> Cmd {
        let stop = stop.min(i64::MAX as u64);
        let mut cmd = Cmd::new("ZRANGE").arg(&self.key).arg(start).arg(stop);
        if !self.ascending() {
            cmd.push("REV");
        }
        cmd.arg("WITHSCORES")
    }

    /// Sets `member`'s score; `true` if the member is new to the board.
    pub async fn add(&self, member: &str, score: f64) -> Result<bool> {
        check_score(score)?;
        value::boolean(&self.write("ZADD", Cmd::default().arg(score).arg(member).into_args()).await?)
    }

    /// Sets several scores at once; returns how many members are new.
    pub async fn add_many(&self, entries: &[(&str, f64)]) -> Result<u64> {
        if entries.is_empty() {
            return Ok(0);
        }
        let mut args = Cmd::default();
        for (member, score) in entries {
            check_score(*score)?;
            args.push(*score);
            args.push(*member);
        }
        Ok(value::int(&self.write("ZADD", args.into_args()).await?)?.max(0) as u64)
    }

    /// Sets `member`'s score only if it beats the one it has (higher on a highest-first board,
    /// lower on a lowest-first one) or the member is new — a personal best. `true` if the
    /// board changed.
    pub async fn add_if_better(&self, member: &str, score: f64) -> Result<bool> {
        check_score(score)?;
        let only = if self.ascending() { "LT" } else { "GT" };
        let args = Cmd::default().arg(only).arg("CH").arg(score).arg(member).into_args();
        value::boolean(&self.write("ZADD", args).await?)
    }

    /// Adds `by` (may be negative) to `member`'s score, starting from 0 for a new member;
    /// returns the new score.
    pub async fn increment(&self, member: &str, by: f64) -> Result<f64> {
        check_score(by)?;
        value::float(&self.write("ZINCRBY", Cmd::default().arg(by).arg(member).into_args()).await?)
    }

    /// Removes `member`; `true` if it was on the board.
    pub async fn remove(&self, member: &str) -> Result<bool> {
        value::boolean(&self.backend.command(Cmd::new("ZREM").arg(&self.key).arg(member)).await?)
    }

    /// `member`'s score, `None` if it is not on the board.
    pub async fn score(&self, member: &str) -> Result<Option<f64>> {
        value::opt_float(&self.backend.command(Cmd::new("ZSCORE").arg(&self.key).arg(member)).await?)
    }

    /// `member`'s rank and score, read together (MULTI/EXEC); `None` if it is not on the board.
    pub async fn rank(&self, member: &str) -> Result<Option<Entry>> {
        let rank_cmd = if self.ascending() { "ZRANK" } else { "ZREVRANK" };
        let cmds = vec![Cmd::new(rank_cmd).arg(&self.key).arg(member), Cmd::new("ZSCORE").arg(&self.key).arg(member)];
        let mut replies = self.backend.pipeline(cmds, true).await?.into_iter();
        let rank = value::opt_int(&reply_to_result(replies.next().unwrap_or(Value::Nil))?)?;
        let score = value::opt_float(&reply_to_result(replies.next().unwrap_or(Value::Nil))?)?;
        Ok(match (rank, score) {
            (Some(rank), Some(score)) => {
                Some(Entry { member: member.to_string(), score, rank: rank.max(0) as u64 + 1 })
            }
            _ => None,
        })
    }

    /// The first `n` entries (fewer when the board is shorter).
    pub async fn top(&self, n: u64) -> Result<Vec<Entry>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        entries(self.backend.command(self.range(0, n - 1)).await?, 1)
    }

    /// `member` with up to `k` entries above and `k` below it, in board order, read atomically
    /// by one script. Near either end of the board there are fewer on that side. Fails with
    /// [`ErrorKind::NotFound`] when `member` is not on the board and with
    /// [`ErrorKind::InvalidArgument`] for `k` above 1,000,000.
    pub async fn around(&self, member: &str, k: u64) -> Result<Vec<Entry>> {
        if k > MAX_AROUND {
            return Err(invalid(format!("k must be at most {MAX_AROUND}, got {k}")));
        }
        let order = if self.ascending() { "1" } else { "0" };
        let args = vec![member.as_bytes().to_vec(), k.to_string().into_bytes(), order.as_bytes().to_vec()];
        let reply = self.backend.script(&AROUND, vec![self.key.clone()], args).await?;
        if reply.is_nil() {
            return Err(Error::new(ErrorKind::NotFound, format!("{member:?} is not on the leaderboard")));
        }
        let mut parts = value::array(reply)?.into_iter();
        let first = value::int(&parts.next().unwrap_or(Value::Nil))?.max(0) as u64;
        entries(parts.next().unwrap_or(Value::NilArray), first + 1)
    }

    /// Page `page` (1-based) of `size` entries, with the board's total, read together
    /// (MULTI/EXEC). A page past the end has no entries. Fails with
    /// [`ErrorKind::InvalidArgument`] for page 0 or size 0.
    pub async fn page(&self, page: u64, size: u64) -> Result<Page> {
        if page == 0 || size == 0 {
            return Err(invalid(format!("page numbers start at 1 and sizes at 1, got page {page} of size {size}")));
        }
        let start = (page - 1)
            .checked_mul(size)
            .filter(|s| *s <= i64::MAX as u64)
            .ok_or_else(|| invalid(format!("page {page} of size {size} is beyond any board")))?;
        let cmds = vec![self.range(start, start.saturating_add(size - 1)), Cmd::new("ZCARD").arg(&self.key)];
        let mut replies = self.backend.pipeline(cmds, true).await?.into_iter();
        let entries = entries(reply_to_result(replies.next().unwrap_or(Value::NilArray))?, start + 1)?;
        let total = value::int(&reply_to_result(replies.next().unwrap_or(Value::Nil))?)?.max(0) as u64;
        Ok(Page { page, size, total, pages: total.div_ceil(size), entries })
    }

    /// How many members the board has.
    pub async fn count(&self) -> Result<u64> {
        Ok(value::int(&self.backend.command(Cmd::new("ZCARD").arg(&self.key)).await?)?.max(0) as u64)
    }

    /// Deletes the whole board; `true` if it existed.
    pub async fn clear(&self) -> Result<bool> {
        value::boolean(&self.backend.command(Cmd::new("DEL").arg(&self.key)).await?)
    }
}
