//! How the runner turns scenario data into pattern calls: the [`Object`] every adapter
//! implements, named-argument access ([`Args`]), and the registry of adapters (one file per
//! pattern beside this one).

// Argument helpers are shared by adapters; not every adapter needs every one.
#![allow(dead_code)]

use redkit::backend::{BackendRef, BoxFuture};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::sync::Arc;
use std::time::Duration;

/// Why a call failed: the library's error (compared with `error` in the scenario) or a mistake
/// in the scenario itself (unknown method, missing argument), which always fails the test.
#[derive(Debug)]
pub enum CallError {
    /// The library answered with an error.
    Redkit(Error),
    /// The scenario is wrong.
    Harness(String),
}

impl From<Error> for CallError {
    fn from(e: Error) -> Self {
        CallError::Redkit(e)
    }
}

/// Result of an adapter call.
pub type CallResult = Result<Json, CallError>;

/// A constructed pattern object that scenarios call methods on.
pub trait Object: Send + Sync {
    /// Calls `method` with named `args`.
    fn call(self: Arc<Self>, method: String, args: Args) -> BoxFuture<'static, CallResult>;
}

/// What constructors get besides their arguments.
pub struct World {
    /// The scenario's backend.
    pub backend: BackendRef,
    /// Another independent backend (another database of the same server or simulator), for
    /// patterns spanning several masters (Redlock): `other(i)` for i in 1..=8.
    pub other: Box<dyn Fn(usize) -> BackendRef + Send + Sync>,
    /// A backend whose server cannot be reached (fail-open / fail-closed policies).
    pub unreachable: Box<dyn Fn() -> BackendRef + Send + Sync>,
}

/// A constructor: `None` if `kind` is not this adapter's.
pub type Constructor = fn(kind: &str, args: &Args, world: &World) -> Option<Result<Arc<dyn Object>, CallError>>;

/// Every adapter, tried in order.
pub const ADAPTERS: &[Constructor] = &[
    crate::lock::construct,
    crate::limiter::construct,
    crate::queue::construct,
    super::cache::construct,
    crate::session::construct,
    crate::stream::construct,
    crate::leaderboard::construct,
    crate::geo::construct,
    crate::pubsub::construct,
];

/// Builds the object of `kind`.
pub fn construct(kind: &str, args: &Args, world: &World) -> Result<Arc<dyn Object>, CallError> {
    ADAPTERS
        .iter()
        .find_map(|c| c(kind, args, world))
        .unwrap_or_else(|| Err(CallError::Harness(format!("no adapter constructs {kind:?}"))))
}

/// Named arguments of a step.
#[derive(Debug, Clone, Default)]
pub struct Args(pub serde_json::Map<String, Json>);

fn missing(name: &str) -> CallError {
    CallError::Harness(format!("missing or mistyped argument {name:?}"))
}

impl Args {
    /// The raw JSON of `name`.
    pub fn get(&self, name: &str) -> Option<&Json> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A required string.
    pub fn str(&self, name: &str) -> Result<String, CallError> {
        self.opt_str(name).ok_or_else(|| missing(name))
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str) -> Option<String> {
        self.get(name).and_then(Json::as_str).map(str::to_string)
    }

    /// A required unsigned integer.
    pub fn u64(&self, name: &str) -> Result<u64, CallError> {
        self.opt_u64(name).ok_or_else(|| missing(name))
    }

    /// An optional unsigned integer.
    pub fn opt_u64(&self, name: &str) -> Option<u64> {
        self.get(name).and_then(Json::as_u64)
    }

    /// A required signed integer.
    pub fn i64(&self, name: &str) -> Result<i64, CallError> {
        self.get(name).and_then(Json::as_i64).ok_or_else(|| missing(name))
    }

    /// An optional float.
    pub fn opt_f64(&self, name: &str) -> Option<f64> {
        self.get(name).and_then(Json::as_f64)
    }

    /// A required float.
    pub fn f64(&self, name: &str) -> Result<f64, CallError> {
        self.opt_f64(name).ok_or_else(|| missing(name))
    }

    /// An optional boolean.
    pub fn opt_bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Json::as_bool)
    }

    /// A required duration given in milliseconds (`name` should end in `_ms`).
    pub fn ms(&self, name: &str) -> Result<Duration, CallError> {
        self.u64(name).map(Duration::from_millis)
    }

    /// An optional duration in milliseconds.
    pub fn opt_ms(&self, name: &str) -> Option<Duration> {
        self.opt_u64(name).map(Duration::from_millis)
    }

    /// A required list of strings.
    pub fn strs(&self, name: &str) -> Result<Vec<String>, CallError> {
        self.get(name)
            .and_then(Json::as_array)
            .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect())
            .ok_or_else(|| missing(name))
    }
}

/// A method name no adapter arm handled.
pub fn unknown_method(kind: &str, method: &str) -> CallError {
    CallError::Harness(format!("{kind} has no method {method:?}"))
}

/// Serialises a result for matching.
pub fn json<T: serde::Serialize>(v: &T) -> CallResult {
    serde_json::to_value(v).map_err(|e| CallError::Redkit(Error::new(ErrorKind::Serialization, e.to_string())))
}
