//! `client.leaderboard(name, options)` → `Leaderboard`: the core's sorted-set leaderboard —
//! scores, 1-based ranks (highest first, or lowest first for race times), the top N, the
//! members around one, numbered pages, an optional TTL renewed by every write — with the Node
//! package's names; entries resolve as `{ member, score, rank }`, pages as
//! `{ page, size, total, pages, entries }`.

use crate::client::Client;
use crate::convert::{shaped, text, whole};
use crate::errors::to_js;
use crate::outcome::settle;
use crate::ticker::Ticker;
use js_sys::{Array, Promise};
use redkit::patterns::leaderboard::{Leaderboard as CoreLeaderboard, LeaderboardOptions, Order};
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

/// A leaderboard: one sorted set.
#[wasm_bindgen]
pub struct Leaderboard {
    inner: Rc<CoreLeaderboard>,
    name: String,
    order: &'static str,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// A leaderboard named `name`.
    pub fn leaderboard(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LeaderboardOptions")] options: JsValue,
    ) -> Result<Leaderboard, JsValue> {
        let name = &text(&name, "name")?;
        let core: LeaderboardOptions = crate::convert::options(&options, "leaderboard options")?;
        let order = if core.order == Order::LowestFirst { "lowest_first" } else { "highest_first" };
        let inner = CoreLeaderboard::new(self.backend(), name, core).map_err(to_js)?;
        Ok(Leaderboard { inner: Rc::new(inner), name: name.to_string(), order, ticker: self.ticker().clone() })
    }
}

/// `[member, score]` pairs or `{ member: score }`.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Scores {
    Pairs(Vec<(String, f64)>),
    Map(BTreeMap<String, f64>),
}

#[wasm_bindgen]
impl Leaderboard {
    /// Sets `member`'s score; true if the member is new to the board.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn add(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue, score: f64) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.add(&member, score).await?)
        })
    }

    /// Sets several scores at once, given as `[member, score]` pairs or `{ member: score }`;
    /// resolves to how many members are new.
    #[wasm_bindgen(js_name = addMany, unchecked_return_type = "Promise<number>")]
    pub fn add_many(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<[string, number]> | Record<string, number>")] entries: JsValue,
    ) -> Promise {
        let scores = if Array::is_array(&entries) || entries.is_object() {
            shaped::<Scores>(&entries, "addMany entries")
        } else {
            Err(crate::errors::type_error("addMany takes [member, score] pairs or { member: score }"))
        };
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let entries = match scores? {
                Scores::Pairs(pairs) => pairs,
                Scores::Map(map) => map.into_iter().collect(),
            };
            let borrowed: Vec<(&str, f64)> = entries.iter().map(|(m, s)| (m.as_str(), *s)).collect();
            Ok(board.add_many(&borrowed).await?)
        })
    }

    /// Sets `member`'s score only if it beats the one it has (or the member is new): a
    /// personal best. True if the board changed.
    #[wasm_bindgen(js_name = addIfBetter, unchecked_return_type = "Promise<boolean>")]
    pub fn add_if_better(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue,
        score: f64,
    ) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.add_if_better(&member, score).await?)
        })
    }

    /// Adds `by` (default 1, may be negative) to `member`'s score; resolves to the new score.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn increment(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue,
        by: Option<f64>,
    ) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.increment(&member, by.unwrap_or(1.0)).await?)
        })
    }

    /// Removes `member`; true if it was on the board.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn remove(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.remove(&member).await?)
        })
    }

    /// `member`'s score, or null if it is not on the board.
    #[wasm_bindgen(unchecked_return_type = "Promise<number | null>")]
    pub fn score(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.score(&member).await?)
        })
    }

    /// `member`'s entry (rank and score read together), or null if it is not on the board.
    #[wasm_bindgen(unchecked_return_type = "Promise<LeaderboardEntry | null>")]
    pub fn rank(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.rank(&member).await?)
        })
    }

    /// The first `n` entries.
    #[wasm_bindgen(unchecked_return_type = "Promise<LeaderboardEntry[]>")]
    pub fn top(&self, n: f64) -> Promise {
        let board = self.inner.clone();
        settle(&self.ticker, async move { Ok(board.top(whole("n", n)?).await?) })
    }

    /// `member` with up to `k` entries above and `k` below it, in board order; rejects with
    /// `NotFoundError` when `member` is not on the board.
    #[wasm_bindgen(unchecked_return_type = "Promise<LeaderboardEntry[]>")]
    pub fn around(&self, #[wasm_bindgen(unchecked_param_type = "string")] member: JsValue, k: f64) -> Promise {
        let member = text(&member, "member");
        let board = self.inner.clone();
        settle(&self.ticker, async move {
            let member = member?;
            Ok(board.around(&member, whole("k", k)?).await?)
        })
    }

    /// Page `page` (1-based) of `size` entries, with the board's total.
    #[wasm_bindgen(unchecked_return_type = "Promise<LeaderboardPage>")]
    pub fn page(&self, page: f64, size: f64) -> Promise {
        let board = self.inner.clone();
        settle(&self.ticker, async move { Ok(board.page(whole("page", page)?, whole("size", size)?).await?) })
    }

    /// How many members the board has.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn count(&self) -> Promise {
        let board = self.inner.clone();
        settle(&self.ticker, async move { Ok(board.count().await?) })
    }

    /// Deletes the whole board; true if it existed.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn clear(&self) -> Promise {
        let board = self.inner.clone();
        settle(&self.ticker, async move { Ok(board.clear().await?) })
    }

    /// The board's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// `highest_first` or `lowest_first`.
    #[wasm_bindgen(getter, unchecked_return_type = "'highest_first' | 'lowest_first'")]
    pub fn order(&self) -> String {
        self.order.to_string()
    }

    /// The sorted set's key.
    #[wasm_bindgen(getter)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }
}
