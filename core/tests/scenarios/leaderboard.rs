//! Scenario adapter for [`redkit::patterns::leaderboard`]: `new: "leaderboard"` with `name`,
//! optional `prefix`, `ascending` and `ttl_ms`; methods named as in the Rust API.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::BoxFuture;
use redkit::patterns::leaderboard::{Leaderboard, LeaderboardOptions, Order};
use serde_json::Value as Json;
use std::sync::Arc;

struct Board(Leaderboard);

/// Builds a `leaderboard`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "leaderboard" {
        return None;
    }
    Some((|| {
        let mut options = LeaderboardOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            options = options.prefix(&p);
        }
        if args.opt_bool("ascending") == Some(true) {
            options = options.order(Order::LowestFirst);
        }
        if let Some(ttl) = args.opt_ms("ttl_ms") {
            options = options.ttl(ttl);
        }
        let board = Leaderboard::new(world.backend.clone(), &args.str("name")?, options)?;
        Ok(Arc::new(Board(board)) as Arc<dyn Object>)
    })())
}

/// `[[member, score], …]` pairs.
fn pairs(args: &Args) -> Result<Vec<(String, f64)>, CallError> {
    let bad = || CallError::Harness("entries must be [[member, score], …]".into());
    let list = args.get("entries").and_then(Json::as_array).ok_or_else(bad)?;
    list.iter()
        .map(|p| match p.as_array().map(Vec::as_slice) {
            Some([Json::String(m), s]) => s.as_f64().map(|s| (m.clone(), s)).ok_or_else(bad),
            _ => Err(bad()),
        })
        .collect()
}

impl Object for Board {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let b = &self.0;
            match method.as_str() {
                "add" => json(&b.add(&args.str("member")?, args.f64("score")?).await?),
                "add_many" => {
                    let entries = pairs(&args)?;
                    let borrowed: Vec<(&str, f64)> = entries.iter().map(|(m, s)| (m.as_str(), *s)).collect();
                    json(&b.add_many(&borrowed).await?)
                }
                "add_if_better" => json(&b.add_if_better(&args.str("member")?, args.f64("score")?).await?),
                "increment" => json(&b.increment(&args.str("member")?, args.f64("by")?).await?),
                "remove" => json(&b.remove(&args.str("member")?).await?),
                "score" => json(&b.score(&args.str("member")?).await?),
                "rank" => json(&b.rank(&args.str("member")?).await?),
                "top" => json(&b.top(args.u64("n")?).await?),
                "around" => json(&b.around(&args.str("member")?, args.u64("k")?).await?),
                "page" => json(&b.page(args.u64("page")?, args.u64("size")?).await?),
                "count" => json(&b.count().await?),
                "clear" => json(&b.clear().await?),
                _ => Err(unknown_method("leaderboard", &method)),
            }
        })
    }
}
