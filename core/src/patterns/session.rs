//! Server-side sessions: a store of sessions held in Redis hashes, addressed by unguessable ids,
//! the way connect-redis, Flask-Session and starlette-session keep them — plus what users ask
//! those for and cannot get: every session of a user listed and revoked at once, and a cap on
//! how many a user may hold.
//!
//! - **Ids** are 256 bits from the operating system's CSPRNG, URL-safe base64 without padding
//!   (43 characters). With a secret, clients hold a *token* `id.mac` where `mac` is the
//!   HMAC-SHA256 of the id, verified in constant time before Redis is asked anything, so a
//!   forged or altered token costs no round trip. Secrets rotate: tokens signed with a
//!   [`SessionOptions::previous_secret`] stay valid while new ones get the current secret.
//! - **Expiry**: an idle TTL that every read, write and touch slides, and an absolute lifetime
//!   from creation that no activity extends; both are enforced by the server inside the same
//!   script (the key's TTL never reaches past the deadline), with the server's clock.
//! - **Data** is one hash field per name holding JSON, so a field is read or written without
//!   moving the rest.
//! - **Regenerate** (after login: the fixation defence) moves the data to a fresh id atomically.
//! - **Per-user index**: a sorted set of ids by creation time; `create` prunes ended sessions
//!   from it and evicts the oldest beyond [`SessionOptions::max_per_user`] in the same script.
//!
//! - **Framework ids** ([`SessionStore::save`]): express-session, Flask and Django mint the id
//!   themselves and ask the store to save under it. `save` creates or replaces the session under
//!   that id in one script: the data replaces every field, the user is (re)indexed with the same
//!   cap eviction as `create`, the absolute lifetime counts from the *first* save and survives
//!   replaces, and an optional per-session idle TTL (express-session passes the cookie's
//!   `maxAge`) is stored with the session so later reads and touches slide by it. Such ids are
//!   used raw: 1 to 128 characters of `A-Z a-z 0-9 - _ + / =` (URL-safe and standard base64,
//!   hex, UUIDs) — nothing that could reach the key layout (`{`, `}`, `:`, `.`, whitespace,
//!   control bytes). Every method taking a token accepts them on a store without a secret. A
//!   store *with* a secret refuses `save`: its ids are its own, signed, and a framework that
//!   mints ids signs its cookie itself (express-session's `secret`), so a second signature
//!   would protect nothing while making the store's tokens and the framework's ids disagree.
//!   An id re-saved after its session ended may still sit in its former user's index: `list`
//!   and `revoke_all` check each session's owner, so it is dropped there, never listed or
//!   revoked as that user's.
//! - **All sessions** ([`SessionStore::ids`], [`SessionStore::all`], [`SessionStore::count`],
//!   [`SessionStore::clear`]): an index of every session, a sorted set `…:all` in the store's
//!   hash tag scored by each session's absolute deadline, written by `create`, `save` and
//!   `regenerate` and cleaned by `destroy`. It is pruned lazily: `create`/`save` drop entries
//!   past their deadline (one `ZREMRANGEBYSCORE`, so the index never holds more than the
//!   sessions created within one lifetime), and the walks drop ids whose session ended early
//!   (idle, revoked, evicted). Why not `SCAN`: it walks the whole database (every store and
//!   every other key) for each call, cannot run inside a script, and on a cluster must be sent
//!   to the node owning the store's slot; the index is one slot, read in order in batches of
//!   [`BATCH`] ids per script, so every loop is bounded and Redis is never blocked long. A walk
//!   is not a snapshot: a session created during it may or may not appear, and one destroyed
//!   by another client during it can make a later batch skip an id. `clear` deletes batch by
//!   batch (each session, its user's whole index, its entry) until the index is empty; the index
//!   of a user whose sessions all ended on their own stays until it expires (it names no live
//!   session, and a session's user is unknown once its hash is gone). Sessions created before
//!   this index existed are not listed until saved again.
//!
//! All keys of a store share its hash tag (`redkit:session:{NAME}:…`), so each operation is one
//! script in one cluster slot; a store is therefore one slot's worth of sessions — use several
//! stores (e.g. one per tenant) to spread a very large population over a cluster.
//!
//! ```
//! use redkit::backend::{block_on, BackendRef, SimBackend};
//! use redkit::patterns::session::{SessionOptions, SessionStore};
//! use redkit::sim::Simulator;
//! use serde_json::json;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend: BackendRef = Arc::new(SimBackend::new(Simulator::new()));
//! let options = SessionOptions::default().idle_ttl(Duration::from_secs(1800)).max_per_user(3);
//! let store = SessionStore::new(backend, "web", options).unwrap();
//! block_on(async {
//!     let created = store.create(Some("ada"), &json!({"cart": [1, 2]})).await.unwrap();
//!     let token = created.session.token;
//!     store.set_field(&token, "theme", &"dark").await.unwrap();
//!     let session = store.get(&token).await.unwrap().expect("live");
//!     assert_eq!(session.data["cart"], json!([1, 2]));
//!     assert_eq!(session.user.as_deref(), Some("ada"));
//!     // After login: same data, new id; the old token is dead.
//!     let fresh = store.regenerate(&token).await.unwrap();
//!     assert!(store.get(&token).await.unwrap().is_none());
//!     assert_eq!(store.list("ada").await.unwrap()[0].id, fresh.id);
//!     assert_eq!(store.revoke_all("ada", None).await.unwrap(), 1);
//!     // A framework's own id (express-session, Flask), with the cookie's max age as idle TTL.
//!     store.save("k3Jx9-framework-id", Some("ada"), &json!({"views": 1}), Some(Duration::from_secs(600))).await.unwrap();
//!     assert_eq!(store.ids().await.unwrap(), vec!["k3Jx9-framework-id".to_string()]);
//!     assert_eq!(store.clear().await.unwrap(), 1);
//! });
//! ```

use crate::backend::value::{array, bytes, int, opt_float, pairs, text};
use crate::backend::BackendRef;
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use crate::resp::Value;
use crate::scripts::session as scripts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value as Json};
use sha2::Sha256;
use std::time::Duration;

/// Bytes of randomness in an id.
const ID_BYTES: usize = 32;
/// Characters of an id: 32 bytes in unpadded base64.
const ID_LEN: usize = 43;
/// The longest idle TTL or lifetime the scripts accept.
const MAX_TTL: Duration = Duration::from_millis(1_000_000_000_000);
/// The largest per-user cap.
const MAX_CAP: u32 = 1_000_000;
/// The shortest secret for signed tokens: as long as the HMAC-SHA256 output.
const MIN_SECRET: usize = 32;
/// The longest caller-chosen id [`SessionStore::save`] accepts.
pub const MAX_ID_LEN: usize = 128;
/// How many index entries one script of a walk or a clear handles.
pub const BATCH: usize = 200;
/// The most batches one walk or clear runs before giving up (a store growing faster than it
/// is walked).
const MAX_BATCHES: usize = 1_000_000;

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// How a [`SessionStore`] behaves. Deserialises from the JavaScript packages' options
/// (`{ idleTtl: 60000, maxPerUser: 3 }`, see [`super::wire`]) but for the secrets, which
/// JavaScript gives as a string or bytes: a binding reads those itself.
#[derive(Clone, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionOptions {
    /// Key prefix (default `redkit`).
    pub prefix: String,
    /// A session ends after this long without a read, write or touch (default 30 min).
    #[serde(with = "crate::patterns::serde_ms")]
    pub idle_ttl: Duration,
    /// A session ends this long after creation whatever its activity (default 24 h).
    #[serde(with = "crate::patterns::serde_ms")]
    pub lifetime: Duration,
    /// The most sessions one user may hold; creating one more evicts the oldest (default none).
    pub max_per_user: Option<u32>,
    /// With a secret (at least 32 bytes), clients hold HMAC-signed tokens instead of bare ids.
    #[serde(skip)]
    pub secret: Option<Vec<u8>>,
    /// Secrets that signed tokens before the current one (key rotation): tokens they signed are
    /// still accepted; new tokens are signed with [`SessionOptions::secret`] only.
    #[serde(skip)]
    pub previous_secrets: Vec<Vec<u8>>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("prefix", &self.prefix)
            .field("idle_ttl", &self.idle_ttl)
            .field("lifetime", &self.lifetime)
            .field("max_per_user", &self.max_per_user)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("previous_secrets", &self.previous_secrets.len())
            .finish()
    }
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            prefix: keys::DEFAULT_PREFIX.to_string(),
            idle_ttl: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(24 * 3600),
            max_per_user: None,
            secret: None,
            previous_secrets: Vec::new(),
        }
    }
}

impl SessionOptions {
    /// Sets the key prefix.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }

    /// Sets the idle TTL.
    #[must_use]
    pub fn idle_ttl(mut self, d: Duration) -> Self {
        self.idle_ttl = d;
        self
    }

    /// Sets the absolute lifetime.
    #[must_use]
    pub fn lifetime(mut self, d: Duration) -> Self {
        self.lifetime = d;
        self
    }

    /// Caps the sessions per user.
    #[must_use]
    pub fn max_per_user(mut self, n: u32) -> Self {
        self.max_per_user = Some(n);
        self
    }

    /// Signs tokens with `secret` (at least 32 bytes).
    #[must_use]
    pub fn secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Still accepts tokens signed with `secret`, a secret being rotated out.
    #[must_use]
    pub fn previous_secret(mut self, secret: impl Into<Vec<u8>>) -> Self {
        self.previous_secrets.push(secret.into());
        self
    }
}

/// A live session as read.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Session {
    /// The session id (the key's name; never show it where a token is expected).
    pub id: String,
    /// What the client holds: the token signed with the current secret (after a rotation it
    /// differs from the one presented: hand it back to the client), or the id when the store
    /// has no secret.
    pub token: String,
    /// The user the session belongs to.
    pub user: Option<String>,
    /// Creation time, server clock, ms since the epoch.
    pub created_at_ms: u64,
    /// The absolute deadline, server clock, ms since the epoch.
    pub expires_at_ms: u64,
    /// Time left before the session ends if nothing touches it.
    #[serde(rename = "ttl_ms", with = "crate::patterns::serde_ms")]
    pub ttl: Duration,
    /// The session's values by field name.
    pub data: Map<String, Json>,
}

impl Session {
    /// The data as a typed value (a struct whose fields are the session's fields).
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Json::Object(self.data.clone()))
            .map_err(|e| Error::new(ErrorKind::Serialization, format!("session data: {e}")))
    }
}

/// The result of [`SessionStore::create`] and [`SessionStore::save`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct Created {
    /// The new session.
    pub session: Session,
    /// Ids of the user's oldest sessions evicted to respect the cap.
    pub evicted: Vec<String>,
}

/// One of a user's sessions, as [`SessionStore::list`] reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// The session id.
    pub id: String,
    /// Creation time, ms since the epoch.
    pub created_at_ms: u64,
    /// The absolute deadline, ms since the epoch.
    pub expires_at_ms: u64,
    /// Time left before the session ends if nothing touches it.
    #[serde(rename = "ttl_ms", with = "crate::patterns::serde_ms")]
    pub ttl: Duration,
}

/// A store of sessions. Cheap to clone.
#[derive(Clone)]
pub struct SessionStore {
    backend: BackendRef,
    session_prefix: Vec<u8>,
    user_prefix: Vec<u8>,
    all_key: Vec<u8>,
    idle_ms: u64,
    lifetime_ms: u64,
    cap: u32,
    /// The signing secret first, then the previous ones; empty when tokens are bare ids.
    secrets: Vec<Vec<u8>>,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SessionStore({})", String::from_utf8_lossy(&self.session_prefix))
    }
}

fn ttl_ms(what: &str, d: Duration) -> Result<u64> {
    if d < Duration::from_millis(1) || d > MAX_TTL {
        return Err(invalid(format!("{what} must be between 1 ms and {} ms, got {d:?}", MAX_TTL.as_millis())));
    }
    Ok(d.as_millis() as u64)
}

fn field_name(field: &str) -> Result<Vec<u8>> {
    if field.is_empty() {
        return Err(invalid("a session field name must not be empty"));
    }
    Ok(format!("f:{field}").into_bytes())
}

fn encode<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::new(ErrorKind::Serialization, format!("session value: {e}")))
}

fn decode(field: &[u8], raw: &[u8]) -> Result<Json> {
    serde_json::from_slice(raw).map_err(|e| {
        Error::new(ErrorKind::Serialization, format!("session field {:?}: {e}", String::from_utf8_lossy(field)))
    })
}

/// `data` as a JSON object (null: an empty one).
fn object<T: Serialize + ?Sized>(data: &T) -> Result<Map<String, Json>> {
    match serde_json::to_value(data).map_err(|e| Error::new(ErrorKind::Serialization, e.to_string()))? {
        Json::Object(m) => Ok(m),
        Json::Null => Ok(Map::new()),
        other => Err(invalid(format!("session data must be a JSON object, got {other}"))),
    }
}

/// A map's entries as `f:name` / JSON argument pairs.
fn field_args(map: &Map<String, Json>) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::with_capacity(map.len() * 2);
    for (k, v) in map {
        out.push(field_name(k)?);
        out.push(encode(v)?);
    }
    Ok(out)
}

/// Whether `id` is acceptable as a caller-chosen id (see the module doc).
fn framework_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/' | b'='))
}

fn not_found() -> Error {
    Error::new(ErrorKind::NotFound, "no live session with this id")
}

impl SessionStore {
    /// A store named `name` (the hash tag of its keys).
    pub fn new(backend: BackendRef, name: &str, options: SessionOptions) -> Result<SessionStore> {
        keys::validate("session store name", name)?;
        keys::validate("prefix", &options.prefix)?;
        let idle_ms = ttl_ms("idle_ttl", options.idle_ttl)?;
        let lifetime_ms = ttl_ms("lifetime", options.lifetime)?;
        let cap = options.max_per_user.unwrap_or(0);
        if options.max_per_user.is_some() && !(1..=MAX_CAP).contains(&cap) {
            return Err(invalid(format!("max_per_user must be between 1 and {MAX_CAP}, got {cap}")));
        }
        if options.secret.is_none() && !options.previous_secrets.is_empty() {
            return Err(invalid("previous secrets need a current secret to sign with"));
        }
        let secrets: Vec<Vec<u8>> = options.secret.into_iter().chain(options.previous_secrets).collect();
        if let Some(short) = secrets.iter().find(|s| s.len() < MIN_SECRET) {
            return Err(invalid(format!("a secret must be at least {MIN_SECRET} bytes, got {}", short.len())));
        }
        Ok(SessionStore {
            backend,
            session_prefix: keys::part(&options.prefix, "session", name, "id:"),
            user_prefix: keys::part(&options.prefix, "session", name, "user:"),
            all_key: keys::part(&options.prefix, "session", name, "all"),
            idle_ms,
            lifetime_ms,
            cap,
            secrets,
        })
    }

    fn key(&self, id: &str) -> Vec<u8> {
        [self.session_prefix.as_slice(), id.as_bytes()].concat()
    }

    fn user_key(&self, user: &str) -> Result<Vec<u8>> {
        if user.is_empty() {
            return Err(invalid("a user id must not be empty"));
        }
        Ok([self.user_prefix.as_slice(), user.as_bytes()].concat())
    }

    fn mac(&self, secret: &[u8], id: &str) -> Result<Hmac<Sha256>> {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|e| invalid(format!("secret: {e}")))?;
        mac.update(id.as_bytes());
        Ok(mac)
    }

    /// The token a client holds for `id`.
    fn token(&self, id: &str) -> Result<String> {
        match self.secrets.first() {
            None => Ok(id.to_string()),
            Some(s) => Ok(format!("{id}.{}", URL_SAFE_NO_PAD.encode(self.mac(s, id)?.finalize().into_bytes()))),
        }
    }

    /// The id inside a token, after checking its shape and (with a secret) its signature in
    /// constant time. Every public method taking a token starts here, so malformed input never
    /// reaches Redis.
    fn id_of<'t>(&self, token: &'t str) -> Result<&'t str> {
        let (id, sig) = match (self.secrets.is_empty(), token.split_once('.')) {
            (true, None) => (token, None),
            (false, Some((id, sig))) => (id, Some(sig)),
            (true, Some(_)) => return Err(invalid("this store's session ids are unsigned")),
            (false, None) => return Err(invalid("the session token is not signed")),
        };
        let well_formed = if sig.is_some() {
            id.len() == ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        } else {
            framework_id(id)
        };
        if !well_formed {
            return Err(invalid("malformed session id"));
        }
        if let Some(sig) = sig {
            let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| invalid("the session token's signature is malformed"))?;
            // Each comparison is constant-time; which secret matched may show, the MAC does not.
            let mut verified = false;
            for secret in &self.secrets {
                verified |= self.mac(secret, id)?.verify_slice(&sig).is_ok();
            }
            if !verified {
                return Err(invalid("the session token's signature does not match"));
            }
        }
        Ok(id)
    }

    fn new_id() -> Result<String> {
        let mut raw = [0u8; ID_BYTES];
        getrandom::fill(&mut raw)
            .map_err(|e| Error::new(ErrorKind::Io, format!("the OS random number generator failed: {e}")))?;
        Ok(URL_SAFE_NO_PAD.encode(raw))
    }

    async fn run(
        &self,
        script: &'static crate::scripts::Script,
        keys: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
    ) -> Result<Value> {
        self.backend.script(script, keys, args).await
    }

    /// Creates a session for `user` (or an anonymous one) holding `data`, a value that
    /// serialises to a JSON object (or `()`/null for none): each top-level field becomes one
    /// session field. With a cap, the user's oldest sessions beyond it are evicted in the same
    /// step.
    pub async fn create<T: Serialize + ?Sized>(&self, user: Option<&str>, data: &T) -> Result<Created> {
        let id = Self::new_id()?;
        let token = self.token(&id)?;
        let mut keys = vec![self.key(&id), self.all_key.clone()];
        if let Some(u) = user {
            keys.push(self.user_key(u)?);
        }
        let mut args = vec![
            id.clone().into_bytes(),
            self.idle_ms.to_string().into_bytes(),
            self.lifetime_ms.to_string().into_bytes(),
            user.unwrap_or_default().as_bytes().to_vec(),
            self.cap.to_string().into_bytes(),
            self.session_prefix.clone(),
        ];
        let data = object(data)?;
        args.extend(field_args(&data)?);
        let reply = array(self.run(&scripts::CREATE, keys, args).await?)?;
        let [now, deadline, evicted] = <[Value; 3]>::try_from(reply)
            .map_err(|r| Error::new(ErrorKind::Protocol, format!("session_create replied {r:?}")))?;
        let (now, deadline) = (int(&now)?.max(0) as u64, int(&deadline)?.max(0) as u64);
        let evicted = array(evicted)?.iter().map(text).collect::<Result<Vec<_>>>()?;
        Ok(Created {
            session: Session {
                id,
                token,
                user: user.map(str::to_string),
                created_at_ms: now,
                expires_at_ms: deadline,
                ttl: Duration::from_millis(self.idle_ms.min(self.lifetime_ms)),
                data,
            },
            evicted,
        })
    }

    fn base_args(&self, id: &str) -> Vec<Vec<u8>> {
        vec![id.as_bytes().to_vec(), self.idle_ms.to_string().into_bytes(), self.user_prefix.clone()]
    }

    /// A session from a `{ttl, HGETALL}` reply.
    fn session_from(&self, id: &str, reply: Value) -> Result<Session> {
        let [ttl, all] = <[Value; 2]>::try_from(array(reply)?)
            .map_err(|r| Error::new(ErrorKind::Protocol, format!("session read replied {r:?}")))?;
        let mut s = Session {
            id: id.to_string(),
            token: self.token(id)?,
            user: None,
            created_at_ms: 0,
            expires_at_ms: 0,
            ttl: Duration::from_millis(int(&ttl)?.max(0) as u64),
            data: Map::new(),
        };
        let number = |raw: &[u8]| std::str::from_utf8(raw).ok().and_then(|t| t.parse::<u64>().ok()).unwrap_or(0);
        for (field, raw) in pairs(all)? {
            match field.as_slice() {
                b"m:created" => s.created_at_ms = number(&raw),
                b"m:deadline" => s.expires_at_ms = number(&raw),
                b"m:user" => s.user = (!raw.is_empty()).then(|| String::from_utf8_lossy(&raw).into_owned()),
                f if f.starts_with(b"f:") => {
                    s.data.insert(String::from_utf8_lossy(&f[2..]).into_owned(), decode(f, &raw)?);
                }
                _ => {}
            }
        }
        Ok(s)
    }

    /// Reads a live session, sliding its idle TTL; `None` when it has ended or never existed.
    pub async fn get(&self, token: &str) -> Result<Option<Session>> {
        let id = self.id_of(token)?;
        let reply = self.run(&scripts::READ, vec![self.key(id)], self.base_args(id)).await?;
        if reply.is_nil() {
            return Ok(None);
        }
        self.session_from(id, reply).map(Some)
    }

    /// Reads one field of a live session (sliding its TTL): `None` when the field is unset.
    /// A session that has ended is [`ErrorKind::NotFound`].
    pub async fn get_field<T: DeserializeOwned>(&self, token: &str, field: &str) -> Result<Option<T>> {
        let id = self.id_of(token)?;
        let name = field_name(field)?;
        let mut args = self.base_args(id);
        args.push(name.clone());
        let reply = self.run(&scripts::READ, vec![self.key(id)], args).await?;
        if reply.is_nil() {
            return Err(not_found());
        }
        let mut items = array(reply)?;
        let values = if items.len() == 2 { array(items.swap_remove(1))? } else { Vec::new() };
        match values.first() {
            Some(v) if !v.is_nil() => {
                let json = decode(&name, &bytes(v)?)?;
                serde_json::from_value(json).map(Some).map_err(|e| Error::new(ErrorKind::Serialization, e.to_string()))
            }
            _ => Ok(None),
        }
    }

    async fn write(&self, token: &str, sets: Vec<Vec<u8>>, dels: Vec<Vec<u8>>) -> Result<Duration> {
        let id = self.id_of(token)?;
        let mut args = self.base_args(id);
        args.push((sets.len() / 2).to_string().into_bytes());
        args.extend(sets);
        args.extend(dels);
        let reply = self.run(&scripts::WRITE, vec![self.key(id)], args).await?;
        if reply.is_nil() {
            return Err(not_found());
        }
        Ok(Duration::from_millis(int(&reply)?.max(0) as u64))
    }

    /// Sets one field of a live session to `value` (as JSON), sliding its TTL; returns the
    /// TTL. A session that has ended is [`ErrorKind::NotFound`].
    pub async fn set_field<T: Serialize + ?Sized>(&self, token: &str, field: &str, value: &T) -> Result<Duration> {
        self.write(token, vec![field_name(field)?, encode(value)?], Vec::new()).await
    }

    /// Sets every top-level field of `data` (a value serialising to a JSON object) at once.
    pub async fn set_fields<T: Serialize + ?Sized>(&self, token: &str, data: &T) -> Result<Duration> {
        self.write(token, field_args(&object(data)?)?, Vec::new()).await
    }

    /// Removes fields of a live session, sliding its TTL.
    pub async fn delete_fields(&self, token: &str, fields: &[&str]) -> Result<Duration> {
        let names = fields.iter().map(|f| field_name(f)).collect::<Result<Vec<_>>>()?;
        self.write(token, Vec::new(), names).await
    }

    /// Slides a live session's idle TTL without reading it; returns the new TTL.
    pub async fn touch(&self, token: &str) -> Result<Duration> {
        self.write(token, Vec::new(), Vec::new()).await
    }

    /// Moves a live session to a fresh id, keeping its data, user, creation time and deadline
    /// (call it on login and privilege changes: the fixation defence). The old token stops
    /// working in the same step. A session that has ended is [`ErrorKind::NotFound`].
    pub async fn regenerate(&self, token: &str) -> Result<Session> {
        let old = self.id_of(token)?;
        let new = Self::new_id()?;
        let args = vec![
            old.as_bytes().to_vec(),
            new.clone().into_bytes(),
            self.idle_ms.to_string().into_bytes(),
            self.user_prefix.clone(),
        ];
        let keys = vec![self.key(old), self.key(&new), self.all_key.clone()];
        let reply = self.run(&scripts::REGENERATE, keys, args).await?;
        if reply.is_nil() {
            return Err(not_found());
        }
        self.session_from(&new, reply)
    }

    /// Ends a session; `false` if there was none.
    pub async fn destroy(&self, token: &str) -> Result<bool> {
        let id = self.id_of(token)?;
        let args = vec![id.as_bytes().to_vec(), self.user_prefix.clone()];
        let reply = self.run(&scripts::DESTROY, vec![self.key(id), self.all_key.clone()], args).await?;
        Ok(int(&reply)? == 1)
    }

    /// The user's live sessions, oldest first (ended ones are pruned from the index).
    pub async fn list(&self, user: &str) -> Result<Vec<SessionInfo>> {
        let args = vec![self.session_prefix.clone(), user.as_bytes().to_vec()];
        let reply = self.run(&scripts::LIST, vec![self.user_key(user)?], args).await?;
        let number = |v: &Value| -> Result<u64> { Ok(opt_float(v)?.unwrap_or(0.0).max(0.0) as u64) };
        array(reply)?
            .into_iter()
            .map(|row| {
                let row = array(row)?;
                let [id, created, deadline, ttl] = <[Value; 4]>::try_from(row)
                    .map_err(|r| Error::new(ErrorKind::Protocol, format!("session_list replied {r:?}")))?;
                Ok(SessionInfo {
                    id: text(&id)?,
                    created_at_ms: number(&created)?,
                    expires_at_ms: number(&deadline)?,
                    ttl: Duration::from_millis(int(&ttl)?.max(0) as u64),
                })
            })
            .collect()
    }

    /// Ends every session of `user` except the one `keep` (a token) names, if any ("log out
    /// everywhere else"); returns how many live sessions ended.
    pub async fn revoke_all(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let keep = keep.map(|t| self.id_of(t)).transpose()?.unwrap_or_default();
        let args = vec![self.session_prefix.clone(), keep.as_bytes().to_vec(), user.as_bytes().to_vec()];
        let reply = self.run(&scripts::REVOKE, vec![self.user_key(user)?], args).await?;
        Ok(int(&reply)?.max(0) as u64)
    }

    /// Creates or replaces the session under `id`, an id the caller (a web framework) chose:
    /// `data` (a value serialising to a JSON object, or null) replaces all of its fields, `user`
    /// indexes it (evicting that user's oldest sessions beyond the cap, never this one), and
    /// `idle_ttl`, when given, becomes this session's own idle TTL, which later reads and
    /// touches slide by. A live session keeps its creation time and absolute deadline; an
    /// absent or ended one starts a new lifetime. Ids: see the module doc; a store with a
    /// secret refuses this ([`ErrorKind::InvalidArgument`]).
    pub async fn save<T: Serialize + ?Sized>(
        &self,
        id: &str,
        user: Option<&str>,
        data: &T,
        idle_ttl: Option<Duration>,
    ) -> Result<Created> {
        if !self.secrets.is_empty() {
            return Err(invalid(
                "save() takes ids minted by the caller, which a store with a secret does not accept: \
                 drop the secret (the framework signs its own cookie) or use create()",
            ));
        }
        if !framework_id(id) {
            return Err(invalid(format!(
                "a session id must be 1 to {MAX_ID_LEN} characters of A-Z a-z 0-9 - _ + / =, got {id:?}"
            )));
        }
        let own = idle_ttl.map(|d| ttl_ms("a session's idle_ttl", d)).transpose()?;
        let mut keys = vec![self.key(id), self.all_key.clone()];
        if let Some(u) = user {
            keys.push(self.user_key(u)?);
        }
        let mut args = vec![
            id.as_bytes().to_vec(),
            self.idle_ms.to_string().into_bytes(),
            self.lifetime_ms.to_string().into_bytes(),
            user.unwrap_or_default().as_bytes().to_vec(),
            self.cap.to_string().into_bytes(),
            self.session_prefix.clone(),
            self.user_prefix.clone(),
            own.map(|ms| ms.to_string()).unwrap_or_default().into_bytes(),
        ];
        let data = object(data)?;
        args.extend(field_args(&data)?);
        let reply = array(self.run(&scripts::SAVE, keys, args).await?)?;
        let [created, deadline, ttl, evicted] = <[Value; 4]>::try_from(reply)
            .map_err(|r| Error::new(ErrorKind::Protocol, format!("session_save replied {r:?}")))?;
        let ms = |v: &Value| -> Result<u64> { Ok(int(v)?.max(0) as u64) };
        Ok(Created {
            session: Session {
                id: id.to_string(),
                token: id.to_string(),
                user: user.map(str::to_string),
                created_at_ms: ms(&created)?,
                expires_at_ms: ms(&deadline)?,
                ttl: Duration::from_millis(ms(&ttl)?),
                data,
            },
            evicted: array(evicted)?.iter().map(text).collect::<Result<Vec<_>>>()?,
        })
    }

    /// Walks the all-sessions index in batches, handing each batch's rows to `each`.
    async fn walk(&self, with_data: bool, mut each: impl FnMut(Vec<Value>) -> Result<()>) -> Result<()> {
        let mut offset = 0u64;
        for _ in 0..MAX_BATCHES {
            let args = vec![
                self.session_prefix.clone(),
                offset.to_string().into_bytes(),
                BATCH.to_string().into_bytes(),
                if with_data { b"1".to_vec() } else { b"0".to_vec() },
            ];
            let reply = array(self.run(&scripts::SCAN, vec![self.all_key.clone()], args).await?)?;
            let [next, rows] = <[Value; 2]>::try_from(reply)
                .map_err(|r| Error::new(ErrorKind::Protocol, format!("session_scan replied {r:?}")))?;
            each(array(rows)?)?;
            offset = int(&next)?.max(0) as u64;
            if offset == 0 {
                return Ok(());
            }
        }
        Err(Error::new(ErrorKind::Protocol, "the session index kept growing faster than it could be walked"))
    }

    /// The id of every live session of the store (in deadline order; not a snapshot: see the
    /// module doc). Ended sessions found on the way are dropped from the index.
    pub async fn ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        self.walk(false, |rows| {
            for row in rows {
                ids.push(text(&row)?);
            }
            Ok(())
        })
        .await?;
        Ok(ids)
    }

    /// Every live session of the store with its data, read without sliding any TTL (what
    /// express-session's `all` asks for).
    pub async fn all(&self) -> Result<Vec<Session>> {
        let mut rows = Vec::new();
        self.walk(true, |batch| {
            rows.extend(batch);
            Ok(())
        })
        .await?;
        rows.into_iter()
            .map(|row| {
                let mut row = array(row)?;
                if row.len() != 3 {
                    return Err(Error::new(ErrorKind::Protocol, format!("session_scan row {row:?}")));
                }
                let id = text(&row[0])?;
                self.session_from(&id, Value::Array(row.split_off(1)))
            })
            .collect()
    }

    /// How many live sessions the store holds (a walk of its index: O(sessions)).
    pub async fn count(&self) -> Result<u64> {
        let mut n = 0u64;
        self.walk(false, |rows| {
            n += rows.len() as u64;
            Ok(())
        })
        .await?;
        Ok(n)
    }

    /// Deletes every session of the store with the indexes of their users, batch by batch;
    /// returns how many live sessions it deleted. Not atomic as a whole: a session saved while
    /// it runs may survive.
    pub async fn clear(&self) -> Result<u64> {
        let mut n = 0u64;
        for _ in 0..MAX_BATCHES {
            let args = vec![self.session_prefix.clone(), self.user_prefix.clone(), BATCH.to_string().into_bytes()];
            let reply = array(self.run(&scripts::CLEAR, vec![self.all_key.clone()], args).await?)?;
            let [deleted, left] = <[Value; 2]>::try_from(reply)
                .map_err(|r| Error::new(ErrorKind::Protocol, format!("session_clear replied {r:?}")))?;
            n += int(&deleted)?.max(0) as u64;
            if int(&left)? <= 0 {
                return Ok(n);
            }
        }
        Err(Error::new(ErrorKind::Protocol, "the session index kept growing faster than it could be cleared"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{block_on, SimBackend};
    use crate::sim::{Clock, Simulator};
    use serde_json::json;
    use std::sync::Arc;

    fn store(sim: &Simulator, options: SessionOptions) -> SessionStore {
        SessionStore::new(Arc::new(SimBackend::new(sim.clone())), "web", options).expect("store")
    }

    fn sim() -> Simulator {
        Simulator::with_clock(Clock::manual(1_000_000))
    }

    #[test]
    fn save_creates_then_replaces_keeping_the_lifetime() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default().lifetime(Duration::from_secs(100)));
        let first = block_on(s.save("sid-1", Some("ada"), &json!({"a": 1, "b": 2}), None)).unwrap().session;
        assert_eq!((first.id.as_str(), first.token.as_str()), ("sid-1", "sid-1"));
        assert_eq!(first.expires_at_ms, first.created_at_ms + 100_000);
        sim.advance_ms(10_000);
        let again = block_on(s.save("sid-1", Some("ada"), &json!({"a": 3}), None)).unwrap().session;
        assert_eq!((again.created_at_ms, again.expires_at_ms), (first.created_at_ms, first.expires_at_ms));
        assert_eq!(again.ttl, Duration::from_secs(90), "the idle TTL is capped by the deadline");
        let read = block_on(s.get("sid-1")).unwrap().expect("live");
        assert_eq!(read.data, json!({"a": 3}).as_object().unwrap().clone(), "data replaced, b gone");
        assert_eq!(read.user.as_deref(), Some("ada"));
        assert_eq!(block_on(s.list("ada")).unwrap().len(), 1, "replacing does not index it twice");
        sim.advance_ms(90_000);
        assert!(block_on(s.get("sid-1")).unwrap().is_none(), "the lifetime counts from the first save");
        let fresh = block_on(s.save("sid-1", None, &json!({}), None)).unwrap().session;
        assert_eq!(fresh.created_at_ms, 1_100_000, "an ended session starts a new lifetime");
        assert!(block_on(s.list("ada")).unwrap().is_empty());
    }

    #[test]
    fn a_sessions_own_idle_ttl_slides_reads_and_touches() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default());
        let saved = block_on(s.save("short", None, &json!({"n": 1}), Some(Duration::from_secs(5)))).unwrap();
        assert_eq!(saved.session.ttl, Duration::from_secs(5));
        sim.advance_ms(4_000);
        assert_eq!(block_on(s.touch("short")).unwrap(), Duration::from_secs(5));
        sim.advance_ms(4_000);
        assert_eq!(block_on(s.get("short")).unwrap().expect("slid").ttl, Duration::from_secs(5));
        sim.advance_ms(5_001);
        assert!(block_on(s.get("short")).unwrap().is_none());
        block_on(s.save("default", None, &json!({}), None)).unwrap();
        assert_eq!(block_on(s.touch("default")).unwrap(), Duration::from_secs(1800));
    }

    #[test]
    fn changing_user_moves_the_index_entry_and_the_cap_never_evicts_the_saved_one() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default().max_per_user(2));
        block_on(s.save("a", None, &json!({}), None)).unwrap();
        block_on(s.save("a", Some("ada"), &json!({}), None)).unwrap();
        sim.advance_ms(1);
        block_on(s.save("b", Some("ada"), &json!({}), None)).unwrap();
        sim.advance_ms(1);
        let again = block_on(s.save("b", Some("ada"), &json!({"x": 1}), None)).unwrap();
        assert!(again.evicted.is_empty(), "a replace does not count against itself");
        sim.advance_ms(1);
        let third = block_on(s.save("c", Some("ada"), &json!({}), None)).unwrap();
        assert_eq!(third.evicted, vec!["a".to_string()]);
        block_on(s.save("b", Some("bob"), &json!({}), None)).unwrap();
        let ids = |u| block_on(s.list(u)).unwrap().into_iter().map(|i| i.id).collect::<Vec<_>>();
        assert_eq!(ids("ada"), vec!["c".to_string()]);
        assert_eq!(ids("bob"), vec!["b".to_string()]);
        let mut all = block_on(s.ids()).unwrap();
        all.sort();
        assert_eq!(all, vec!["b".to_string(), "c".to_string()], "the evicted one left the index");
    }

    #[test]
    fn ids_all_count_and_clear_cover_every_session_over_many_batches() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default().idle_ttl(Duration::from_secs(60)));
        let n = BATCH * 2 + 17;
        for i in 0..n {
            block_on(s.save(&format!("s{i}"), Some(if i % 2 == 0 { "ada" } else { "bob" }), &json!({"i": i}), None))
                .unwrap();
        }
        let created = block_on(s.create(None, &json!({"made": true}))).unwrap().session.id;
        assert_eq!(block_on(s.count()).unwrap(), n as u64 + 1);
        let ids = block_on(s.ids()).unwrap();
        assert_eq!(ids.len(), n + 1);
        assert!(ids.contains(&created), "create indexes too");
        assert!(block_on(s.destroy("s3")).unwrap());
        let fresh = block_on(s.regenerate("s5")).unwrap().id;
        let all = block_on(s.all()).unwrap();
        assert_eq!(all.len(), n);
        assert!(all.iter().any(|x| x.id == fresh && x.data["i"] == json!(5) && x.user.as_deref() == Some("bob")));
        assert!(!all.iter().any(|x| x.id == "s3" || x.id == "s5"));
        // all() reads without sliding: the idle TTLs still run out.
        sim.advance_ms(59_000);
        block_on(s.all()).unwrap();
        block_on(s.touch("s0")).unwrap();
        sim.advance_ms(2_000);
        assert_eq!(block_on(s.ids()).unwrap(), vec!["s0".to_string()], "ended sessions are pruned");
        assert_eq!(block_on(s.clear()).unwrap(), 1);
        assert_eq!(block_on(s.count()).unwrap(), 0);
        // Left: bob's index, naming only sessions that ended on their own (its user is unknown
        // once a session's hash is gone); it expires with the last of their deadlines.
        let left = block_on(s.backend.command(crate::command!("KEYS", "*"))).unwrap();
        assert_eq!(left, Value::Array(vec![Value::bulk("redkit:session:{web}:user:bob")]));
    }

    #[test]
    fn an_id_re_saved_under_another_user_is_never_listed_or_revoked_as_the_former_users() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default().idle_ttl(Duration::from_secs(10)));
        block_on(s.save("reused", Some("ada"), &json!({}), None)).unwrap();
        sim.advance_ms(10_001);
        block_on(s.save("reused", Some("bob"), &json!({"mine": true}), None)).unwrap();
        assert_eq!(block_on(s.revoke_all("ada", None)).unwrap(), 0);
        assert!(block_on(s.list("ada")).unwrap().is_empty());
        assert_eq!(block_on(s.list("bob")).unwrap().len(), 1);
        assert_eq!(block_on(s.get("reused")).unwrap().expect("bob's").user.as_deref(), Some("bob"));
    }

    #[test]
    fn framework_ids_are_validated_and_refused_by_a_signed_store() {
        let sim = sim();
        let s = store(&sim, SessionOptions::default());
        for bad in ["", "a b", "a{b}", "a:b", "a.b", "é", &"x".repeat(MAX_ID_LEN + 1)] {
            let e = block_on(s.save(bad, None, &json!({}), None)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad:?}");
        }
        for good in ["x", "Ab-_+/=9", &"x".repeat(MAX_ID_LEN), "3f2a1c9e-2b7d-4c1a-9e8f-0a1b2c3d4e5f"] {
            block_on(s.save(good, None, &json!({}), None)).unwrap();
            assert!(block_on(s.get(good)).unwrap().is_some());
            assert!(block_on(s.destroy(good)).unwrap());
        }
        let e = block_on(s.save("x", None, &json!({}), Some(Duration::ZERO))).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        let signed = store(&sim, SessionOptions::default().secret([7u8; 32]));
        let e = block_on(signed.save("x", None, &json!({}), None)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("secret"), "{e}");
    }
}
