//! Scenario adapter for [`redkit::patterns::stream::Stream`]: `new: "stream"` with the
//! stream's options, and its methods by their Rust names with named arguments. Entries' fields
//! are JSON objects of strings; `*_json` methods decode each entry's event.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::BoxFuture;
use redkit::patterns::stream::{Entry, Stream, StreamOptions, Trim};
use serde_json::{json as j, Value as Json};
use std::sync::Arc;

struct Adapter(Stream);

/// A `Trim` from `max_len` or `min_id` plus `approx`, if either is given.
fn trim_of(args: &Args) -> Option<Trim> {
    let trim = match (args.opt_u64("max_len"), args.opt_str("min_id")) {
        (Some(n), _) => Trim::max_len(n),
        (None, Some(id)) => Trim::min_id(&id),
        (None, None) => return None,
    };
    Some(if args.opt_bool("approx") == Some(true) { trim.approx() } else { trim })
}

/// `fields` as (name, text) pairs; non-string values are written as their JSON text.
fn fields_of(args: &Args) -> Result<Vec<(String, String)>, CallError> {
    let map = args
        .get("fields")
        .and_then(Json::as_object)
        .ok_or_else(|| CallError::Harness("missing or mistyped argument \"fields\"".into()))?;
    Ok(map.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
}

/// Entries as `{id, event}` with each event decoded.
fn events(entries: &[Entry]) -> CallResult {
    let decoded = entries
        .iter()
        .map(|e| Ok(j!({"id": e.id, "event": e.json::<Json>()?})))
        .collect::<Result<Vec<_>, redkit::Error>>()?;
    Ok(Json::Array(decoded))
}

/// Builds a stream from `name` and optional `prefix`, `max_len` / `min_id` (+ `approx`), and
/// `dead_letter_max_len`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "stream" {
        return None;
    }
    Some((|| {
        let mut o = StreamOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            o = o.prefix(&p);
        }
        if let Some(t) = trim_of(args) {
            o = o.trim(t);
        }
        if let Some(n) = args.opt_u64("dead_letter_max_len") {
            o = o.dead_letter_max_len(n);
        }
        Ok(Arc::new(Adapter(Stream::new(world.backend.clone(), &args.str("name")?, o)?)) as Arc<dyn Object>)
    })())
}

impl Object for Adapter {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let s = &self.0;
            let group = || args.str("group");
            let consumer = || args.str("consumer");
            let count = || args.u64("count");
            match method.as_str() {
                "add" | "add_trimmed" => {
                    let owned = fields_of(&args)?;
                    let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    match trim_of(&args).filter(|_| method == "add_trimmed") {
                        Some(t) => json(&s.add_trimmed(&fields, &t).await?),
                        None => json(&s.add(&fields).await?),
                    }
                }
                "add_json" => json(&s.add_json(args.get("event").unwrap_or(&Json::Null)).await?),
                "trim" => {
                    let t = trim_of(&args).ok_or_else(|| CallError::Harness("trim needs max_len or min_id".into()))?;
                    json(&s.trim(&t).await?)
                }
                "len" => json(&s.len().await?),
                "range" => json(&s.range(&args.str("start")?, &args.str("end")?, args.opt_u64("count")).await?),
                "range_json" => events(&s.range(&args.str("start")?, &args.str("end")?, args.opt_u64("count")).await?),
                "rev_range" => json(&s.rev_range(&args.str("end")?, &args.str("start")?, args.opt_u64("count")).await?),
                "tail" => json(&s.tail(&args.str("after")?, count()?, args.ms("timeout_ms")?).await?),
                "create_group" => json(&s.create_group(&group()?, &args.str("start")?).await?),
                "groups" => json(&s.groups().await?),
                "destroy_group" => json(&s.destroy_group(&group()?).await?),
                "delete_consumer" => json(&s.delete_consumer(&group()?, &consumer()?).await?),
                "read_group" => json(&s.read_group(&group()?, &consumer()?, count()?, args.opt_ms("block_ms")).await?),
                "read_group_json" => {
                    events(&s.read_group(&group()?, &consumer()?, count()?, args.opt_ms("block_ms")).await?)
                }
                "read_own_pending" => json(&s.read_own_pending(&group()?, &consumer()?, count()?).await?),
                "ack" => {
                    let ids = args.strs("ids")?;
                    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                    json(&s.ack(&group()?, &ids).await?)
                }
                "pending" => json(&s.pending(&group()?).await?),
                "pending_entries" => {
                    let c = args.opt_str("consumer");
                    json(&s.pending_entries(&group()?, count()?, c.as_deref(), args.opt_ms("min_idle_ms")).await?)
                }
                "claim_idle" => {
                    let start = args.opt_str("start").unwrap_or_else(|| "0-0".to_string());
                    json(&s.claim_idle(&group()?, &consumer()?, args.ms("min_idle_ms")?, count()?, &start).await?)
                }
                "dead_letter" => {
                    let max = args.u64("max_deliveries")?;
                    json(&s.dead_letter(&group()?, max, args.ms("min_idle_ms")?, count()?).await?)
                }
                "dead_letters" => json(&s.dead_letters(args.opt_u64("count")).await?),
                _ => Err(unknown_method("stream", &method)),
            }
        })
    }
}
