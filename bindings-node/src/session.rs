//! `client.sessions(options)` → `SessionStore`: the core's server-side sessions (unguessable ids
//! or HMAC-signed tokens with secret rotation, sliding idle TTL plus an absolute lifetime,
//! per-field JSON data, regenerate, per-user listing, revocation and cap), plus `save` under an
//! id a web framework minted and the store-wide `ids`/`all`/`count`/`clear` that
//! express-session's Store interface asks for (`lib/session-store.js` maps that interface).

use crate::client::Client;
use crate::convert::millis;
use crate::errors::to_js;
use crate::json::JsJson;
use crate::record::record;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use redkit::patterns::session::{Session, SessionOptions as CoreOptions, SessionStore as CoreStore};
use serde_json::{json, Value as Json};
use std::sync::Arc;
use std::time::Duration;

/// Options of `client.sessions(options)`; durations in milliseconds.
#[napi(object)]
#[derive(Default)]
pub struct SessionOptions {
    /// The store's name (default `"sessions"`): stores of different names never meet.
    pub name: Option<String>,
    /// A session ends after this long without a read, write or touch (default 30 min).
    pub idle_ttl: Option<f64>,
    /// A session ends this long after creation whatever its activity (default 24 h).
    pub lifetime: Option<f64>,
    /// The most sessions one user may hold; creating one more evicts the oldest.
    pub max_per_user: Option<u32>,
    /// With a secret (≥ 32 bytes), clients hold HMAC-signed tokens `id.mac` instead of ids.
    pub secret: Option<Either<String, Buffer>>,
    /// Secrets being rotated out: tokens they signed stay valid (and come back re-signed).
    pub previous_secrets: Option<Vec<Either<String, Buffer>>>,
    /// Key prefix (default `redkit`).
    pub prefix: Option<String>,
}

/// Options of `sessions.create(options)`.
#[napi(object)]
pub struct CreateOptions {
    /// The user the session belongs to (listed and revoked by it); none: anonymous.
    pub user: Option<String>,
    /// The session's data: an object, one field per key.
    #[napi(ts_type = "Record<string, unknown>")]
    pub data: Option<JsJson>,
}

/// Options of `sessions.save(id, options)`.
#[napi(object)]
pub struct SaveOptions {
    /// The user the session belongs to; none: anonymous (a save without it unindexes it).
    pub user: Option<String>,
    /// The session's data, replacing all of it: an object, one field per key.
    #[napi(ts_type = "Record<string, unknown>")]
    pub data: Option<JsJson>,
    /// This session's own idle TTL in ms (e.g. a cookie's maxAge); reads and touches slide by
    /// it. Default: the store's `idleTtl`.
    pub idle_ttl: Option<f64>,
}

/// A store of server-side sessions. Tokens are the session id (43 URL-safe characters from the
/// OS CSPRNG) or, with a `secret`, `id.mac` signed with HMAC-SHA256 and checked before Redis is
/// asked. Session data is an object of JSON values (Buffers stored tagged), one hash field each.
#[napi]
pub struct SessionStore {
    inner: Arc<CoreStore>,
    name: String,
}

fn secret_bytes(s: Either<String, Buffer>) -> Vec<u8> {
    match s {
        Either::A(text) => text.into_bytes(),
        Either::B(bytes) => bytes.to_vec(),
    }
}

/// Milliseconds as JavaScript numbers.
fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A core session as the JavaScript object (`createdAt`, `expiresAt`, `ttl` in ms; its data's
/// Buffers back as Buffers).
fn session(s: &Session) -> napi::Result<JsJson> {
    record(s).map(JsJson)
}

#[napi]
impl Client {
    /// A session store (see `SessionStore`).
    #[napi(strict, catch_unwind)]
    pub fn sessions(&self, options: Option<SessionOptions>) -> napi::Result<SessionStore> {
        let o = options.unwrap_or_default();
        let mut core = CoreOptions::default();
        if let Some(v) = o.idle_ttl {
            core = core.idle_ttl(millis("idleTtl", v)?);
        }
        if let Some(v) = o.lifetime {
            core = core.lifetime(millis("lifetime", v)?);
        }
        if let Some(n) = o.max_per_user {
            core = core.max_per_user(n);
        }
        if let Some(s) = o.secret {
            core = core.secret(secret_bytes(s));
        }
        for s in o.previous_secrets.unwrap_or_default() {
            core = core.previous_secret(secret_bytes(s));
        }
        if let Some(p) = &o.prefix {
            core = core.prefix(p);
        }
        let name = o.name.unwrap_or_else(|| "sessions".to_string());
        let inner = CoreStore::new(self.backend.clone(), &name, core).map_err(to_js)?;
        Ok(SessionStore { inner: Arc::new(inner), name })
    }
}

#[napi]
impl SessionStore {
    /// Creates a session (for `user`, holding `data`). With `maxPerUser`, the user's oldest
    /// sessions beyond it are evicted in the same step: resolves to `{ session, evicted }`.
    #[napi(strict, ts_return_type = "Promise<CreatedSession>")]
    pub async fn create(&self, options: Option<CreateOptions>) -> napi::Result<JsJson> {
        let (user, data) = options.map_or((None, Json::Null), |o| (o.user, o.data.map_or(Json::Null, |d| d.0)));
        let created = self.inner.create(user.as_deref(), &data).await.map_err(to_js)?;
        Ok(JsJson(json!({ "session": session(&created.session)?.0, "evicted": created.evicted })))
    }

    /// The live session `token` names (sliding its idle TTL), or null when it ended or never
    /// existed. A malformed, unsigned or forged token rejects with `InvalidArgumentError`.
    #[napi(strict, ts_return_type = "Promise<SessionData | null>")]
    pub async fn get(&self, token: String) -> napi::Result<JsJson> {
        match self.inner.get(&token).await.map_err(to_js)? {
            Some(s) => session(&s),
            None => Ok(JsJson(Json::Null)),
        }
    }

    /// One field's value (sliding the TTL), null when unset; `NotFoundError` if the session
    /// ended.
    #[napi(strict, ts_return_type = "Promise<any>")]
    pub async fn get_field(&self, token: String, field: String) -> napi::Result<JsJson> {
        Ok(JsJson(self.inner.get_field::<Json>(&token, &field).await.map_err(to_js)?.unwrap_or(Json::Null)))
    }

    /// Sets one field (sliding the TTL); resolves to the session's TTL in ms. `NotFoundError`
    /// if the session ended.
    #[napi(strict, ts_args_type = "token: string, field: string, value: unknown")]
    pub async fn set_field(&self, token: String, field: String, value: JsJson) -> napi::Result<f64> {
        Ok(ms(self.inner.set_field(&token, &field, &value.0).await.map_err(to_js)?))
    }

    /// Sets every key of `data` at once; resolves to the TTL in ms.
    #[napi(strict, ts_args_type = "token: string, data: Record<string, unknown>")]
    pub async fn set_fields(&self, token: String, data: JsJson) -> napi::Result<f64> {
        Ok(ms(self.inner.set_fields(&token, &data.0).await.map_err(to_js)?))
    }

    /// Removes `fields` (sliding the TTL); resolves to the TTL in ms.
    #[napi(strict)]
    pub async fn delete_fields(&self, token: String, fields: Vec<String>) -> napi::Result<f64> {
        let names: Vec<&str> = fields.iter().map(String::as_str).collect();
        Ok(ms(self.inner.delete_fields(&token, &names).await.map_err(to_js)?))
    }

    /// Slides the idle TTL without reading; resolves to the TTL in ms.
    #[napi(strict)]
    pub async fn touch(&self, token: String) -> napi::Result<f64> {
        Ok(ms(self.inner.touch(&token).await.map_err(to_js)?))
    }

    /// Moves the session to a fresh id keeping its data, user, creation time and deadline (do
    /// it at login: the fixation defence); the old token dies in the same step. Resolves to the
    /// new session; `NotFoundError` if it ended.
    #[napi(strict, ts_return_type = "Promise<SessionData>")]
    pub async fn regenerate(&self, token: String) -> napi::Result<JsJson> {
        session(&self.inner.regenerate(&token).await.map_err(to_js)?)
    }

    /// Ends the session; false if there was none.
    #[napi(strict)]
    pub async fn destroy(&self, token: String) -> napi::Result<bool> {
        self.inner.destroy(&token).await.map_err(to_js)
    }

    /// The user's live sessions, oldest first.
    #[napi(strict, ts_return_type = "Promise<SessionInfo[]>")]
    pub async fn list(&self, user: String) -> napi::Result<Vec<Json>> {
        self.inner.list(&user).await.map_err(to_js)?.iter().map(record).collect()
    }

    /// Ends every session of `user` but the one `keep` (a token) names ("log out everywhere
    /// else"); resolves to how many ended.
    #[napi(strict)]
    pub async fn revoke_all(&self, user: String, keep: Option<String>) -> napi::Result<f64> {
        Ok(self.inner.revoke_all(&user, keep.as_deref()).await.map_err(to_js)? as f64)
    }

    /// Creates or replaces the session under `id`, an id the caller (a web framework) minted:
    /// 1–128 characters of `A-Z a-z 0-9 - _ + / =`. `data` replaces all of its fields; a live
    /// session keeps its creation time and deadline. A store with a `secret` refuses it
    /// (`InvalidArgumentError`). Resolves to `{ session, evicted }`.
    #[napi(strict, ts_return_type = "Promise<CreatedSession>")]
    pub async fn save(&self, id: String, options: Option<SaveOptions>) -> napi::Result<JsJson> {
        let (user, data, idle) =
            options.map_or((None, Json::Null, None), |o| (o.user, o.data.map_or(Json::Null, |d| d.0), o.idle_ttl));
        let idle = idle.map(|v| millis("idleTtl", v)).transpose()?;
        let saved = self.inner.save(&id, user.as_deref(), &data, idle).await.map_err(to_js)?;
        Ok(JsJson(json!({ "session": session(&saved.session)?.0, "evicted": saved.evicted })))
    }

    /// Every live session's id (walked in batches; ended ones are pruned on the way).
    #[napi(strict)]
    pub async fn ids(&self) -> napi::Result<Vec<String>> {
        self.inner.ids().await.map_err(to_js)
    }

    /// Every live session with its data, read without sliding any TTL.
    #[napi(strict, ts_return_type = "Promise<SessionData[]>")]
    pub async fn all(&self) -> napi::Result<JsJson> {
        let all = self.inner.all().await.map_err(to_js)?;
        Ok(JsJson(Json::Array(all.iter().map(|s| session(s).map(|j| j.0)).collect::<napi::Result<_>>()?)))
    }

    /// How many live sessions the store holds.
    #[napi(strict)]
    pub async fn count(&self) -> napi::Result<f64> {
        Ok(self.inner.count().await.map_err(to_js)? as f64)
    }

    /// Deletes every session of the store (and its users' indexes); resolves to how many live
    /// sessions it deleted.
    #[napi(strict)]
    pub async fn clear(&self) -> napi::Result<f64> {
        Ok(self.inner.clear().await.map_err(to_js)? as f64)
    }

    /// The store's name.
    #[napi(strict, getter, catch_unwind)]
    pub fn name(&self) -> String {
        self.name.clone()
    }
}
