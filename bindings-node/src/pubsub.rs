//! `client.pubsub(options)` → `PubSub`: publish (strings, Buffers, numbers or JSON), sharded
//! publish, subscriptions (`subscription.rs`), and the requesting side of request/response over
//! pub/sub — `request` with a timeout that fails at once when nobody serves, and a kept
//! `Requester`, and the serving side: `serve(service, handler)` → `Responder`. Bodies and
//! answers are JSON values.
//!
//! A handler's failure must reach the requester as an error kind and message, which only the
//! JavaScript side can read off a thrown value: `lib/pubsub.js` hands this file the user's
//! handler wrapped so that it answers `{ ok: answer }` or `{ error: { kind, message } }`.

use crate::callback::Callback;
use crate::client::Client;
use crate::convert::{millis, Arg};
use crate::errors::to_js;
use crate::json::JsJson;
use crate::subscription::{names, Subscription};
use napi::bindgen_prelude::Either;
use napi_derive::napi;
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{
    PubSub as CorePubSub, PubSubOptions as CoreOptions, Requester as CoreRequester, Responder as CoreResponder,
};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::sync::Arc;

/// Options of `client.pubsub(options)`.
#[napi(object)]
#[derive(Default)]
pub struct PubSubOptions {
    /// Prefix of the request/response channels (default `redkit:`); plain channels are used
    /// exactly as given.
    pub prefix: Option<String>,
}

/// Publishes, subscribes and asks services.
#[napi]
pub struct PubSub {
    inner: CorePubSub,
    backend: BackendRef,
}

#[napi]
impl Client {
    /// Pub/sub over this client.
    #[napi(strict, catch_unwind)]
    pub fn pubsub(&self, options: Option<PubSubOptions>) -> napi::Result<PubSub> {
        let mut core = CoreOptions::default();
        if let Some(p) = options.and_then(|o| o.prefix) {
            core = core.prefix(&p);
        }
        let inner = CorePubSub::new(self.backend.clone(), core).map_err(to_js)?;
        Ok(PubSub { inner, backend: self.backend.clone() })
    }
}

#[napi]
impl PubSub {
    /// Publishes `payload` (a string, Buffer or number) on `channel`; resolves to how many
    /// subscribers received it (on a cluster: those on the node that ran it).
    #[napi(strict, ts_args_type = "channel: string, payload: string | Buffer | number")]
    pub async fn publish(&self, channel: String, payload: Arg) -> napi::Result<f64> {
        Ok(self.inner.publish(&channel, payload.into_bytes()).await.map_err(to_js)? as f64)
    }

    /// Publishes `message` as JSON on `channel`; resolves to how many subscribers received it.
    #[napi(strict, ts_args_type = "channel: string, message: unknown")]
    pub async fn publish_json(&self, channel: String, message: JsJson) -> napi::Result<f64> {
        Ok(self.inner.publish_json(&channel, &message.0).await.map_err(to_js)? as f64)
    }

    /// Publishes to a shard channel (SPUBLISH): on a cluster only the shard owning the channel's
    /// slot gets it. Plain subscribers of the channel do not receive it.
    #[napi(strict, ts_args_type = "channel: string, payload: string | Buffer | number")]
    pub async fn spublish(&self, channel: String, payload: Arg) -> napi::Result<f64> {
        Ok(self.inner.spublish(&channel, payload.into_bytes()).await.map_err(to_js)? as f64)
    }

    /// A `Subscription` to `channels` (a name or an array, at least one), confirmed by the
    /// server, on a connection of its own.
    #[napi(strict)]
    pub async fn subscribe(&self, channels: Either<String, Vec<String>>) -> napi::Result<Subscription> {
        let channels = names(channels);
        let refs: Vec<&str> = channels.iter().map(String::as_str).collect();
        let sub = self.inner.subscribe(&refs).await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// A `Subscription` to glob `patterns` (`news.*`; a pattern or an array, at least one).
    #[napi(strict)]
    pub async fn psubscribe(&self, patterns: Either<String, Vec<String>>) -> napi::Result<Subscription> {
        let patterns = names(patterns);
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let sub = self.inner.psubscribe(&refs).await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// A `Subscription` to nothing yet, on a connection of its own.
    #[napi(strict)]
    pub async fn subscription(&self) -> napi::Result<Subscription> {
        let sub = self.inner.subscription().await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// Sends `body` (JSON) to `service` and waits up to `timeout` ms for the answer.
    /// `NotFoundError` at once when nobody serves it, `TimeoutError` when no answer came in time,
    /// or the error the handler failed with.
    #[napi(
        strict,
        ts_args_type = "service: string, body: unknown, timeout: number",
        ts_return_type = "Promise<unknown>"
    )]
    pub async fn request(&self, service: String, body: JsJson, timeout: f64) -> napi::Result<Json> {
        let timeout = millis("timeout", timeout)?;
        self.inner.request::<Json, Json>(&service, &body.0, timeout).await.map_err(to_js)
    }

    /// A `Requester` for `service`: a reply channel of its own, kept for many requests.
    #[napi(strict)]
    pub async fn requester(&self, service: String) -> napi::Result<Requester> {
        let r = self.inner.requester(&service).await.map_err(to_js)?;
        let reply_channel = r.reply_channel().to_string();
        Ok(Requester { inner: Arc::new(tokio::sync::Mutex::new(Some(r))), service, reply_channel })
    }

    /// Serves `service` in the background until `stop()`: each request's JSON body is passed to
    /// `handler` (plain or async), whose return value is the answer; what it throws is sent back
    /// as an error (a redkit error keeps its kind, a `TypeError`/`RangeError` is
    /// `invalid_argument`, anything else `reply`). Requests are answered one at a time.
    #[napi(strict, ts_args_type = "service: string, handler: (body: any) => unknown")]
    pub async fn serve(&self, service: String, handler: Callback) -> napi::Result<Responder> {
        let responder = self.inner.serve(&service, answer(handler)).await.map_err(to_js)?;
        Ok(Responder { inner: std::sync::Mutex::new(Some(responder)), stopped: Default::default(), service })
    }
}

/// A responder's handler for the core: the wrapped JavaScript handler's `{ ok }` or
/// `{ error: { kind, message } }` as the answer or the error the requester gets.
fn answer(handler: Callback) -> impl Fn(Json) -> BoxFuture<'static, redkit::Result<Json>> + Send + Sync + 'static {
    move |body| {
        let handler = handler.clone();
        Box::pin(async move {
            let outcome = handler.call(vec![body]).await?;
            let error = outcome.get("error").filter(|e| !e.is_null());
            match (error, outcome.get("ok")) {
                (Some(e), _) => Err(Error::new(
                    ErrorKind::named(e.get("kind").and_then(Json::as_str).unwrap_or("reply")),
                    e.get("message").and_then(Json::as_str).unwrap_or("the handler failed").to_string(),
                )),
                (None, ok) => Ok(ok.cloned().unwrap_or(Json::Null)),
            }
        })
    }
}

/// Counts a responder had when it was stopped.
#[derive(Default, Clone, Copy)]
struct Stopped {
    served: u64,
    resubscribed: u64,
}

/// A background responder made by `PubSub.serve`; `stop()` (or `await using`) ends it.
#[napi]
pub struct Responder {
    inner: std::sync::Mutex<Option<CoreResponder>>,
    stopped: std::sync::Mutex<Stopped>,
    service: String,
}

impl Responder {
    fn counts(&self) -> Stopped {
        match self.inner.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            Some(r) => Stopped { served: r.served(), resubscribed: r.resubscribed() },
            None => *self.stopped.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }
}

#[napi]
impl Responder {
    /// Stops serving: waits (up to 10 s) for the request in progress, then unsubscribes, so
    /// later requests fail fast with `NotFoundError`. Stopping twice is harmless.
    #[napi(strict)]
    pub async fn stop(&self) -> napi::Result<()> {
        let counts = self.counts();
        let taken = self.inner.lock().unwrap_or_else(|p| p.into_inner()).take();
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = counts;
        match taken {
            Some(r) => r.stop().await.map_err(to_js),
            None => Ok(()),
        }
    }

    /// How many requests it has handled (counted before each answer is sent).
    #[napi(strict, getter, catch_unwind)]
    pub fn served(&self) -> f64 {
        self.counts().served as f64
    }

    /// How many times it subscribed again after losing its connection.
    #[napi(strict, getter, catch_unwind)]
    pub fn resubscribed(&self) -> f64 {
        self.counts().resubscribed as f64
    }

    /// Whether it is still serving (until `stop()`).
    #[napi(strict, getter, catch_unwind)]
    pub fn running(&self) -> bool {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).as_ref().is_some_and(CoreResponder::is_running)
    }

    /// The service it answers.
    #[napi(strict, getter, catch_unwind)]
    pub fn service(&self) -> String {
        self.service.clone()
    }
}

/// Sends requests to one service from a reply channel of its own (one round trip each);
/// `close()` (or `await using`) unsubscribes it.
#[napi]
pub struct Requester {
    inner: Arc<tokio::sync::Mutex<Option<CoreRequester>>>,
    service: String,
    reply_channel: String,
}

#[napi]
impl Requester {
    /// Sends `body` (JSON) and waits up to `timeout` ms for the answer (see `PubSub.request`);
    /// a late answer to an earlier request is skipped. Requests of one requester take turns.
    #[napi(strict, ts_args_type = "body: unknown, timeout: number", ts_return_type = "Promise<unknown>")]
    pub async fn request(&self, body: JsJson, timeout: f64) -> napi::Result<Json> {
        let timeout = millis("timeout", timeout)?;
        let mut guard = self.inner.lock().await;
        let r = guard.as_mut().ok_or_else(|| to_js(Error::new(ErrorKind::Connection, "the requester is closed")))?;
        r.request::<Json, Json>(&body.0, timeout).await.map_err(to_js)
    }

    /// Waits for a request in progress, then unsubscribes the reply channel; later requests
    /// reject with `ConnectionError`. Closing twice is harmless.
    #[napi(strict)]
    pub async fn close(&self) -> napi::Result<()> {
        drop(self.inner.lock().await.take());
        Ok(())
    }

    /// The service it asks.
    #[napi(strict, getter, catch_unwind)]
    pub fn service(&self) -> String {
        self.service.clone()
    }

    /// The channel its answers come back on.
    #[napi(strict, getter, catch_unwind)]
    pub fn reply_channel(&self) -> String {
        self.reply_channel.clone()
    }
}
