//! Scenario adapter for [`redkit::patterns::session::SessionStore`]: `new: "session"` with the
//! store's options, and its methods by their Rust names with named arguments.

use crate::objects::{json, unknown_method, Args, CallError, CallResult, Object, World};
use redkit::backend::BoxFuture;
use redkit::patterns::session::{SessionOptions, SessionStore};
use serde_json::Value as Json;
use std::sync::Arc;

struct Store(SessionStore);

/// Builds a session store from `name` and optional `prefix`, `idle_ttl_ms`, `lifetime_ms`,
/// `max_per_user`, `secret`, `previous_secrets`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>> {
    if kind != "session" {
        return None;
    }
    Some((|| {
        let mut o = SessionOptions::default();
        if let Some(p) = args.opt_str("prefix") {
            o = o.prefix(&p);
        }
        if let Some(d) = args.opt_ms("idle_ttl_ms") {
            o = o.idle_ttl(d);
        }
        if let Some(d) = args.opt_ms("lifetime_ms") {
            o = o.lifetime(d);
        }
        if let Some(n) = args.opt_u64("max_per_user") {
            o = o.max_per_user(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if let Some(s) = args.opt_str("secret") {
            o = o.secret(s);
        }
        if args.get("previous_secrets").is_some() {
            for s in args.strs("previous_secrets")? {
                o = o.previous_secret(s);
            }
        }
        let store = SessionStore::new(world.backend.clone(), &args.str("name")?, o)?;
        Ok(Arc::new(Store(store)) as Arc<dyn Object>)
    })())
}

impl Object for Store {
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult> {
        Box::pin(async move {
            let s = &self.0;
            let data = || args.get("data").cloned().unwrap_or(Json::Null);
            match method.as_str() {
                "create" => json(&s.create(args.opt_str("user").as_deref(), &data()).await?),
                "get" => json(&s.get(&args.str("token")?).await?),
                "get_field" => json(&s.get_field::<Json>(&args.str("token")?, &args.str("field")?).await?),
                "set_field" => {
                    let value = args.0.get("value").cloned().unwrap_or(Json::Null);
                    json(&s.set_field(&args.str("token")?, &args.str("field")?, &value).await?.as_millis())
                }
                "set_fields" => json(&s.set_fields(&args.str("token")?, &data()).await?.as_millis()),
                "delete_fields" => {
                    let fields = args.strs("fields")?;
                    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
                    json(&s.delete_fields(&args.str("token")?, &fields).await?.as_millis())
                }
                "touch" => json(&s.touch(&args.str("token")?).await?.as_millis()),
                "regenerate" => json(&s.regenerate(&args.str("token")?).await?),
                "destroy" => json(&s.destroy(&args.str("token")?).await?),
                "list" => json(&s.list(&args.str("user")?).await?),
                "revoke_all" => json(&s.revoke_all(&args.str("user")?, args.opt_str("keep").as_deref()).await?),
                "save" => {
                    let (id, user) = (args.str("id")?, args.opt_str("user"));
                    json(&s.save(&id, user.as_deref(), &data(), args.opt_ms("idle_ttl_ms")).await?)
                }
                "ids" => json(&s.ids().await?),
                "all" => json(&s.all().await?),
                "count" => json(&s.count().await?),
                "clear" => json(&s.clear().await?),
                _ => Err(unknown_method("session", &method)),
            }
        })
    }
}
