//! `client.sessions(options)` → `SessionStore`: the core's server-side sessions (unguessable ids
//! from the host's CSPRNG — `crypto.getRandomValues` through getrandom — or HMAC-signed tokens
//! with secret rotation, sliding idle TTL plus an absolute lifetime, per-field JSON data,
//! regenerate, per-user listing, revocation and cap, `save` under a framework's id, and the
//! store-wide `ids`/`all`/`count`/`clear`) with the Node package's names and results.

use crate::client::Client;
use crate::convert::{js_of, json_of, options, record, text};
use crate::errors::{to_js, type_error};
use crate::tasks::promise;
use crate::ticker::Ticker;
use js_sys::{Array, Promise, Reflect, Uint8Array};
use redkit::patterns::session::{Created, SessionOptions as CoreOptions, SessionStore as CoreStore};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// What the store's options hold beyond the core's: its name.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Named {
    name: Option<String>,
}

/// The options of `create` and `save` (`idleTtl` is `save`'s only).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Write {
    user: Option<String>,
    data: Json,
    #[serde(with = "redkit::patterns::serde_ms::opt")]
    idle_ttl: Option<Duration>,
}

/// A store of server-side sessions (see the module docs).
#[wasm_bindgen]
pub struct SessionStore {
    inner: Arc<CoreStore>,
    name: String,
    ticker: Rc<Ticker>,
}

/// A secret: a string's UTF-8 or a `Uint8Array`'s bytes.
fn secret_bytes(value: &JsValue, what: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(s.into_bytes());
    }
    match value.dyn_ref::<Uint8Array>() {
        Some(bytes) => Ok(bytes.to_vec()),
        None => Err(type_error(format!("session options: {what} must be a string or a Uint8Array"))),
    }
}

/// The secrets of the options object `value` set on `core`.
fn with_secrets(mut core: CoreOptions, value: &JsValue) -> Result<CoreOptions, JsValue> {
    if !value.is_object() {
        return Ok(core);
    }
    let secret = Reflect::get(value, &"secret".into())?;
    if !secret.is_undefined() && !secret.is_null() {
        core = core.secret(secret_bytes(&secret, "secret")?);
    }
    let previous = Reflect::get(value, &"previousSecrets".into())?;
    if previous.is_undefined() || previous.is_null() {
        return Ok(core);
    }
    if !Array::is_array(&previous) {
        return Err(type_error("session options: previousSecrets must be an array"));
    }
    for s in Array::from(&previous).iter() {
        core = core.previous_secret(secret_bytes(&s, "previousSecrets[]")?);
    }
    Ok(core)
}

/// Milliseconds as a JavaScript number.
fn ms(d: Duration) -> JsValue {
    (d.as_secs_f64() * 1000.0).into()
}

/// `{ session, evicted }` with the session as the JavaScript object.
fn created(c: &Created) -> Result<JsValue, JsValue> {
    let session = redkit::patterns::wire::js_record(&c.session).map_err(to_js)?;
    Ok(js_of(&json!({ "session": session, "evicted": c.evicted })))
}

#[wasm_bindgen]
impl Client {
    /// A session store (see `SessionStore`).
    pub fn sessions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options_: Option<JsValue>,
    ) -> Result<SessionStore, JsValue> {
        let options_ = options_.unwrap_or(JsValue::UNDEFINED);
        let core = with_secrets(options(&options_, "session options")?, &options_)?;
        let named: Named = options(&options_, "session options")?;
        let name = named.name.unwrap_or_else(|| "sessions".to_string());
        let inner = CoreStore::new(self.backend(), &name, core).map_err(to_js)?;
        Ok(SessionStore { inner: Arc::new(inner), name, ticker: self.ticker().clone() })
    }
}

impl SessionStore {
    /// The store and a string argument (a token, a user: `what`).
    fn with(&self, value: &JsValue, what: &str) -> Result<(Arc<CoreStore>, String), JsValue> {
        Ok((self.inner.clone(), text(value, what)?))
    }
}

#[wasm_bindgen]
impl SessionStore {
    /// Creates a session (for `user`, holding `data`). With `maxPerUser`, the user's oldest
    /// sessions beyond it are evicted in the same step: resolves to `{ session, evicted }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedSession>")]
    pub fn create(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "CreateOptions")] options_: Option<JsValue>,
    ) -> Promise {
        let write = options::<Write>(&options_.unwrap_or(JsValue::UNDEFINED), "create options");
        let store = self.inner.clone();
        promise(&self.ticker, async move {
            let w = write?;
            created(&store.create(w.user.as_deref(), &w.data).await.map_err(to_js)?)
        })
    }

    /// The live session `token` names (sliding its idle TTL), or null when it ended or never
    /// existed. A malformed, unsigned or forged token rejects with `InvalidArgumentError`.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionData | null>")]
    pub fn get(&self, #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue) -> Promise {
        let call = self.with(&token, "token");
        promise(&self.ticker, async move {
            let (store, token) = call?;
            match store.get(&token).await.map_err(to_js)? {
                Some(s) => record(&s),
                None => Ok(JsValue::NULL),
            }
        })
    }

    /// One field's value (sliding the TTL), null when unset; `NotFoundError` if the session
    /// ended.
    #[wasm_bindgen(js_name = getField, unchecked_return_type = "Promise<any>")]
    pub fn get_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
    ) -> Promise {
        let call = self.with(&token, "token").and_then(|t| Ok((t, text(&field, "field")?)));
        promise(&self.ticker, async move {
            let ((store, token), field) = call?;
            let value = store.get_field::<Json>(&token, &field).await.map_err(to_js)?;
            Ok(value.as_ref().map_or(JsValue::NULL, js_of))
        })
    }

    /// Sets one field (sliding the TTL); resolves to the session's TTL in ms. `NotFoundError`
    /// if the session ended.
    #[wasm_bindgen(js_name = setField, unchecked_return_type = "Promise<number>")]
    pub fn set_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Promise {
        let call = self.with(&token, "token").and_then(|t| Ok((t, text(&field, "field")?, json_of(&value, "value")?)));
        promise(&self.ticker, async move {
            let ((store, token), field, value) = call?;
            Ok(ms(store.set_field(&token, &field, &value).await.map_err(to_js)?))
        })
    }

    /// Sets every key of `data` at once; resolves to the TTL in ms.
    #[wasm_bindgen(js_name = setFields, unchecked_return_type = "Promise<number>")]
    pub fn set_fields(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] data: JsValue,
    ) -> Promise {
        let call = self.with(&token, "token").and_then(|t| Ok((t, json_of(&data, "data")?)));
        promise(&self.ticker, async move {
            let ((store, token), data) = call?;
            Ok(ms(store.set_fields(&token, &data).await.map_err(to_js)?))
        })
    }

    /// Removes `fields` (sliding the TTL); resolves to the TTL in ms.
    #[wasm_bindgen(js_name = deleteFields, unchecked_return_type = "Promise<number>")]
    pub fn delete_fields(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Array<string>")] fields: JsValue,
    ) -> Promise {
        let names = if Array::is_array(&fields) {
            Array::from(&fields).iter().map(|f| text(&f, "fields[]")).collect::<Result<Vec<_>, _>>()
        } else {
            Err(type_error("fields must be an array of strings"))
        };
        let call = self.with(&token, "token").and_then(|t| Ok((t, names?)));
        promise(&self.ticker, async move {
            let ((store, token), names) = call?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            Ok(ms(store.delete_fields(&token, &names).await.map_err(to_js)?))
        })
    }

    /// Slides the idle TTL without reading; resolves to the TTL in ms.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn touch(&self, #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue) -> Promise {
        let call = self.with(&token, "token");
        promise(&self.ticker, async move {
            let (store, token) = call?;
            Ok(ms(store.touch(&token).await.map_err(to_js)?))
        })
    }

    /// Moves the session to a fresh id keeping its data, user, creation time and deadline (do
    /// it at login: the fixation defence); the old token dies in the same step. Resolves to
    /// the new session; `NotFoundError` if it ended.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionData>")]
    pub fn regenerate(&self, #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue) -> Promise {
        let call = self.with(&token, "token");
        promise(&self.ticker, async move {
            let (store, token) = call?;
            record(&store.regenerate(&token).await.map_err(to_js)?)
        })
    }

    /// Ends the session; false if there was none.
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn destroy(&self, #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue) -> Promise {
        let call = self.with(&token, "token");
        promise(&self.ticker, async move {
            let (store, token) = call?;
            Ok(store.destroy(&token).await.map_err(to_js)?.into())
        })
    }

    /// The user's live sessions, oldest first.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionInfo[]>")]
    pub fn list(&self, #[wasm_bindgen(unchecked_param_type = "string")] user: JsValue) -> Promise {
        let call = self.with(&user, "user");
        promise(&self.ticker, async move {
            let (store, user) = call?;
            record(&store.list(&user).await.map_err(to_js)?)
        })
    }

    /// Ends every session of `user` but the one `keep` (a token) names ("log out everywhere
    /// else"); resolves to how many ended.
    #[wasm_bindgen(js_name = revokeAll, unchecked_return_type = "Promise<number>")]
    pub fn revoke_all(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] user: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string | null")] keep: Option<JsValue>,
    ) -> Promise {
        let keep = match keep.filter(|k| !k.is_undefined() && !k.is_null()) {
            Some(k) => text(&k, "keep").map(Some),
            None => Ok(None),
        };
        let call = self.with(&user, "user").and_then(|u| Ok((u, keep?)));
        promise(&self.ticker, async move {
            let ((store, user), keep) = call?;
            Ok((store.revoke_all(&user, keep.as_deref()).await.map_err(to_js)? as f64).into())
        })
    }

    /// Creates or replaces the session under `id`, an id the caller (a web framework) minted:
    /// 1–128 characters of `A-Z a-z 0-9 - _ + / =`. `data` replaces all of its fields; a live
    /// session keeps its creation time and deadline. A store with a `secret` refuses it
    /// (`InvalidArgumentError`). Resolves to `{ session, evicted }`.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedSession>")]
    pub fn save(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SaveOptions")] options_: Option<JsValue>,
    ) -> Promise {
        let write = options::<Write>(&options_.unwrap_or(JsValue::UNDEFINED), "save options");
        let call = self.with(&id, "id").and_then(|i| Ok((i, write?)));
        promise(&self.ticker, async move {
            let ((store, id), w) = call?;
            created(&store.save(&id, w.user.as_deref(), &w.data, w.idle_ttl).await.map_err(to_js)?)
        })
    }

    /// Every live session's id (walked in batches; ended ones are pruned on the way).
    #[wasm_bindgen(unchecked_return_type = "Promise<string[]>")]
    pub fn ids(&self) -> Promise {
        let store = self.inner.clone();
        promise(&self.ticker, async move { record(&store.ids().await.map_err(to_js)?) })
    }

    /// Every live session with its data, read without sliding any TTL.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionData[]>")]
    pub fn all(&self) -> Promise {
        let store = self.inner.clone();
        promise(&self.ticker, async move { record(&store.all().await.map_err(to_js)?) })
    }

    /// How many live sessions the store holds.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn count(&self) -> Promise {
        let store = self.inner.clone();
        promise(&self.ticker, async move { Ok((store.count().await.map_err(to_js)? as f64).into()) })
    }

    /// Deletes every session of the store (and its users' indexes); resolves to how many live
    /// sessions it deleted.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn clear(&self) -> Promise {
        let store = self.inner.clone();
        promise(&self.ticker, async move { Ok((store.clear().await.map_err(to_js)? as f64).into()) })
    }

    /// The store's name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }
}
