//! `client.pubsub(options)` → `PubSub`: publish (strings, Buffers, numbers or JSON), sharded
//! publish, subscriptions (`subscription.rs`), and the requesting side of request/response over
//! pub/sub — `request` with a timeout that fails at once when nobody serves, and a kept
//! `Requester`. Bodies and answers are JSON values.
//!
//! Serving (`PubSub::serve`) needs a JavaScript handler called from the core's tasks; it waits
//! for the binding's shared callback module rather than growing a second one here.

use crate::client::Client;
use crate::convert::{millis, Arg};
use crate::errors::to_js;
use crate::subscription::{names, Subscription};
use napi::bindgen_prelude::Either;
use napi_derive::napi;
use redkit::backend::BackendRef;
use redkit::patterns::pubsub::{PubSub as CorePubSub, PubSubOptions as CoreOptions, Requester as CoreRequester};
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
    #[napi]
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
    #[napi(ts_args_type = "channel: string, payload: string | Buffer | number")]
    pub async fn publish(&self, channel: String, payload: Arg) -> napi::Result<f64> {
        Ok(self.inner.publish(&channel, payload.into_bytes()).await.map_err(to_js)? as f64)
    }

    /// Publishes `message` as JSON on `channel`; resolves to how many subscribers received it.
    #[napi(ts_args_type = "channel: string, message: unknown")]
    pub async fn publish_json(&self, channel: String, message: Json) -> napi::Result<f64> {
        Ok(self.inner.publish_json(&channel, &message).await.map_err(to_js)? as f64)
    }

    /// Publishes to a shard channel (SPUBLISH): on a cluster only the shard owning the channel's
    /// slot gets it. Plain subscribers of the channel do not receive it.
    #[napi(ts_args_type = "channel: string, payload: string | Buffer | number")]
    pub async fn spublish(&self, channel: String, payload: Arg) -> napi::Result<f64> {
        Ok(self.inner.spublish(&channel, payload.into_bytes()).await.map_err(to_js)? as f64)
    }

    /// A `Subscription` to `channels` (a name or an array, at least one), confirmed by the
    /// server, on a connection of its own.
    #[napi]
    pub async fn subscribe(&self, channels: Either<String, Vec<String>>) -> napi::Result<Subscription> {
        let channels = names(channels);
        let refs: Vec<&str> = channels.iter().map(String::as_str).collect();
        let sub = self.inner.subscribe(&refs).await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// A `Subscription` to glob `patterns` (`news.*`; a pattern or an array, at least one).
    #[napi]
    pub async fn psubscribe(&self, patterns: Either<String, Vec<String>>) -> napi::Result<Subscription> {
        let patterns = names(patterns);
        let refs: Vec<&str> = patterns.iter().map(String::as_str).collect();
        let sub = self.inner.psubscribe(&refs).await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// A `Subscription` to nothing yet, on a connection of its own.
    #[napi]
    pub async fn subscription(&self) -> napi::Result<Subscription> {
        let sub = self.inner.subscription().await.map_err(to_js)?;
        Ok(Subscription::new(sub, self.backend.clone()))
    }

    /// Sends `body` (JSON) to `service` and waits up to `timeout` ms for the answer.
    /// `NotFoundError` at once when nobody serves it, `TimeoutError` when no answer came in time,
    /// or the error the handler failed with.
    #[napi(ts_args_type = "service: string, body: unknown, timeout: number", ts_return_type = "Promise<unknown>")]
    pub async fn request(&self, service: String, body: Json, timeout: f64) -> napi::Result<Json> {
        let timeout = millis("timeout", timeout)?;
        self.inner.request::<Json, Json>(&service, &body, timeout).await.map_err(to_js)
    }

    /// A `Requester` for `service`: a reply channel of its own, kept for many requests.
    #[napi]
    pub async fn requester(&self, service: String) -> napi::Result<Requester> {
        let r = self.inner.requester(&service).await.map_err(to_js)?;
        let reply_channel = r.reply_channel().to_string();
        Ok(Requester { inner: Arc::new(tokio::sync::Mutex::new(Some(r))), service, reply_channel })
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
    #[napi(ts_args_type = "body: unknown, timeout: number", ts_return_type = "Promise<unknown>")]
    pub async fn request(&self, body: Json, timeout: f64) -> napi::Result<Json> {
        let timeout = millis("timeout", timeout)?;
        let mut guard = self.inner.lock().await;
        let r = guard.as_mut().ok_or_else(|| to_js(Error::new(ErrorKind::Connection, "the requester is closed")))?;
        r.request::<Json, Json>(&body, timeout).await.map_err(to_js)
    }

    /// Waits for a request in progress, then unsubscribes the reply channel; later requests
    /// reject with `ConnectionError`. Closing twice is harmless.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        drop(self.inner.lock().await.take());
        Ok(())
    }

    /// The service it asks.
    #[napi(getter)]
    pub fn service(&self) -> String {
        self.service.clone()
    }

    /// The channel its answers come back on.
    #[napi(getter)]
    pub fn reply_channel(&self) -> String {
        self.reply_channel.clone()
    }
}
