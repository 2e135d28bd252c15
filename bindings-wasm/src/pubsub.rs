//! `client.pubsub(options)` → `PubSub`: publish (strings, bytes, numbers or JSON), sharded
//! publish, subscriptions (`subscription.rs`), request/response over pub/sub — `request` with a
//! timeout that fails at once when nobody serves, a kept `Requester`, and
//! `serve(service, handler)` → `Responder` — with the Node package's names. Bodies and answers
//! are JSON values.
//!
//! A handler's failure must reach the requester as an error kind and message, which only the
//! JavaScript side can read off a thrown value: the Node package's `pubsub.js` (shared) hands
//! `serve` the user's handler wrapped so that it resolves to `{ ok: answer }` or
//! `{ error: { kind, message } }`, and [`answer`] turns that into the core's result.

use crate::client::Client;
use crate::convert::{arg, js_of, json_of, millis, strings, text};
use crate::errors::to_js;
use crate::outcome::{settle, Fail};
use crate::subscription::Subscription;
use crate::tasks::{promise, Local};
use crate::ticker::Ticker;
use crate::turns::Slot;
use js_sys::{Function, Promise};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{
    PubSub as CorePubSub, PubSubOptions, Requester as CoreRequester, Responder as CoreResponder,
};
use redkit::{Error, ErrorKind};
use serde::Deserialize;
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Publishes, subscribes and asks services.
#[wasm_bindgen]
pub struct PubSub {
    inner: Rc<CorePubSub>,
    backend: BackendRef,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Client {
    /// Pub/sub over this client.
    pub fn pubsub(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "PubSubOptions")] options: JsValue,
    ) -> Result<PubSub, JsValue> {
        let core: PubSubOptions = crate::convert::options(&options, "pubsub options")?;
        let inner = CorePubSub::new(self.backend(), core).map_err(to_js)?;
        Ok(PubSub { inner: Rc::new(inner), backend: self.backend(), ticker: self.ticker().clone() })
    }
}

/// What a wrapped handler resolves to (see the module docs).
#[derive(Deserialize)]
struct Outcome {
    #[serde(default)]
    ok: Json,
    #[serde(default)]
    error: Option<Failure>,
}

#[derive(Deserialize)]
struct Failure {
    kind: String,
    message: String,
}

/// The core's handler for a wrapped JavaScript handler: each body is passed to it, its Promise
/// awaited, its `{ ok }` or `{ error }` made the answer or the requester's error.
fn answer(handler: Function) -> impl Fn(Json) -> BoxFuture<'static, redkit::Result<Json>> + Send + Sync + 'static {
    let handler = Local::new(handler);
    move |body| {
        let called = handler.call1(&JsValue::NULL, &js_of(&body));
        Box::pin(Local::new(async move {
            let failed = |e: JsValue| Error::new(ErrorKind::Reply, format!("the handler failed: {e:?}"));
            let settled = JsFuture::from(Promise::resolve(&called.map_err(failed)?)).await.map_err(failed)?;
            let outcome = json_of(&settled, "the handler's answer").map_err(failed)?;
            match serde_json::from_value::<Outcome>(outcome) {
                Ok(Outcome { error: Some(f), .. }) => Err(Error::new(ErrorKind::named(&f.kind), f.message)),
                Ok(Outcome { ok, .. }) => Ok(ok),
                Err(e) => Err(Error::new(ErrorKind::Serialization, format!("the handler's answer: {e}"))),
            }
        }))
    }
}

#[wasm_bindgen]
impl PubSub {
    /// Publishes `payload` (a string, Uint8Array or number) on `channel`; resolves to how many
    /// subscribers received it.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn publish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] channel: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | number")] payload: JsValue,
    ) -> Promise {
        self.send(&channel, &payload, false)
    }

    /// Publishes `message` as JSON on `channel`; resolves to how many subscribers received it.
    #[wasm_bindgen(js_name = publishJson, unchecked_return_type = "Promise<number>")]
    pub fn publish_json(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] channel: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] message: JsValue,
    ) -> Promise {
        let (channel, message) = (text(&channel, "channel"), json_of(&message, "the message"));
        let ps = self.inner.clone();
        settle(&self.ticker, async move { Ok(ps.publish_json(&channel?, &message?).await?) })
    }

    /// Publishes to a shard channel (SPUBLISH). Plain subscribers of the channel do not
    /// receive it.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn spublish(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] channel: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array | number")] payload: JsValue,
    ) -> Promise {
        self.send(&channel, &payload, true)
    }

    /// A `Subscription` to `channels` (a name or an array, at least one), confirmed by the
    /// server, on a connection of its own.
    #[wasm_bindgen(unchecked_return_type = "Promise<Subscription>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Array<string>")] channels: JsValue,
    ) -> Promise {
        self.open(strings(&channels, "channels"), Some(false))
    }

    /// A `Subscription` to glob `patterns` (`news.*`; a pattern or an array, at least one).
    #[wasm_bindgen(unchecked_return_type = "Promise<Subscription>")]
    pub fn psubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Array<string>")] patterns: JsValue,
    ) -> Promise {
        self.open(strings(&patterns, "patterns"), Some(true))
    }

    /// A `Subscription` to nothing yet, on a connection of its own.
    #[wasm_bindgen(unchecked_return_type = "Promise<Subscription>")]
    pub fn subscription(&self) -> Promise {
        self.open(Ok(Vec::new()), None)
    }

    /// Sends `body` (JSON) to `service` and waits up to `timeout` ms for the answer.
    /// `NotFoundError` at once when nobody serves it, `TimeoutError` when no answer came in
    /// time, or the error the handler failed with.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] service: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] body: JsValue,
        timeout: f64,
    ) -> Promise {
        let (service, body) = (text(&service, "service"), json_of(&body, "the request body"));
        let ps = self.inner.clone();
        settle(&self.ticker, async move {
            Ok(ps.request::<Json, Json>(&service?, &body?, millis("timeout", timeout)?).await?)
        })
    }

    /// A `Requester` for `service`: a reply channel of its own, kept for many requests.
    #[wasm_bindgen(unchecked_return_type = "Promise<Requester>")]
    pub fn requester(&self, #[wasm_bindgen(unchecked_param_type = "string")] service: JsValue) -> Promise {
        let service = text(&service, "service");
        let ps = self.inner.clone();
        let ticker = self.ticker.clone();
        promise(&self.ticker, async move {
            let service = service?;
            let r = ps.requester(&service).await.map_err(to_js)?;
            let reply_channel = r.reply_channel().to_string();
            Ok(Requester { inner: Slot::new(r), service, reply_channel, ticker }.into())
        })
    }

    /// Serves `service` in the background until `stop()`: each request's JSON body is passed
    /// to `handler`, whose value (or Promise's) is the answer (the package's JavaScript wraps
    /// `handler` so that what it throws is sent back as an error). Requests are answered one
    /// at a time.
    #[wasm_bindgen(unchecked_return_type = "Promise<Responder>")]
    pub fn serve(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] service: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(body: any) => unknown")] handler: JsValue,
    ) -> Promise {
        let handler = handler
            .dyn_into::<Function>()
            .map_err(|_| crate::errors::type_error("serve: the handler must be a function"));
        let service = text(&service, "service");
        let (ps, ticker) = (self.inner.clone(), self.ticker.clone());
        promise(&self.ticker, async move {
            let service = service?;
            let responder = ps.serve(&service, answer(handler?)).await.map_err(to_js)?;
            let state = ResponderState { inner: RefCell::new(Some(responder)), stopped: Cell::new((0, 0)) };
            Ok(Responder { state: Rc::new(state), service, ticker }.into())
        })
    }
}

impl PubSub {
    /// Publishes `payload` on `channel` (SPUBLISH when `sharded`).
    fn send(&self, channel: &JsValue, payload: &JsValue, sharded: bool) -> Promise {
        let (channel, payload) = (text(channel, "channel"), arg(payload));
        let ps = self.inner.clone();
        settle(&self.ticker, async move {
            let (channel, payload) = (channel?, payload?);
            Ok(if sharded { ps.spublish(&channel, payload).await? } else { ps.publish(&channel, payload).await? })
        })
    }

    /// A new subscription to `names`: channels (`patterns` false), patterns (true), or nothing
    /// yet (None).
    fn open(&self, names: Result<Vec<String>, JsValue>, patterns: Option<bool>) -> Promise {
        let (ps, backend, ticker) = (self.inner.clone(), self.backend.clone(), self.ticker.clone());
        promise(&self.ticker, async move {
            let names = names?;
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let sub = match patterns {
                None => ps.subscription().await,
                Some(false) => ps.subscribe(&refs).await,
                Some(true) => ps.psubscribe(&refs).await,
            }
            .map_err(to_js)?;
            Ok(Subscription::new(sub, backend, ticker).into())
        })
    }
}

/// A responder and the counts it had when stopped.
struct ResponderState {
    inner: RefCell<Option<CoreResponder>>,
    /// (served, resubscribed) at `stop()`.
    stopped: Cell<(u64, u64)>,
}

impl ResponderState {
    fn counts(&self) -> (u64, u64) {
        match self.inner.borrow().as_ref() {
            Some(r) => (r.served(), r.resubscribed()),
            None => self.stopped.get(),
        }
    }
}

/// A background responder made by `PubSub.serve`; `stop()` (or `await using`) ends it.
#[wasm_bindgen]
pub struct Responder {
    state: Rc<ResponderState>,
    service: String,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Responder {
    /// Stops serving: waits (up to 10 s) for the request in progress, then unsubscribes, so
    /// later requests fail fast with `NotFoundError`. Stopping twice is harmless.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn stop(&self) -> Promise {
        self.state.stopped.set(self.state.counts());
        let taken = self.state.inner.borrow_mut().take();
        promise(&self.ticker, async move {
            if let Some(r) = taken {
                r.stop().await.map_err(to_js)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// How many requests it has handled (counted before each answer is sent).
    #[wasm_bindgen(getter)]
    pub fn served(&self) -> f64 {
        self.state.counts().0 as f64
    }

    /// How many times it subscribed again after losing its connection.
    #[wasm_bindgen(getter)]
    pub fn resubscribed(&self) -> f64 {
        self.state.counts().1 as f64
    }

    /// Whether it is still serving (until `stop()`).
    #[wasm_bindgen(getter)]
    pub fn running(&self) -> bool {
        self.state.inner.borrow().as_ref().is_some_and(CoreResponder::is_running)
    }

    /// The service it answers.
    #[wasm_bindgen(getter)]
    pub fn service(&self) -> String {
        self.service.clone()
    }
}

/// Sends requests to one service from a reply channel of its own (one round trip each);
/// `close()` (or `await using`) unsubscribes it.
#[wasm_bindgen]
pub struct Requester {
    inner: Rc<Slot<CoreRequester>>,
    service: String,
    reply_channel: String,
    ticker: Rc<Ticker>,
}

#[wasm_bindgen]
impl Requester {
    /// Sends `body` (JSON) and waits up to `timeout` ms for the answer (see `PubSub.request`);
    /// a late answer to an earlier request is skipped. Requests of one requester take turns.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn request(&self, #[wasm_bindgen(unchecked_param_type = "unknown")] body: JsValue, timeout: f64) -> Promise {
        let body = json_of(&body, "the request body");
        let slot = self.inner.clone();
        settle(&self.ticker, async move {
            let (body, timeout) = (body?, millis("timeout", timeout)?);
            let mut turn = slot.take().await;
            let closed = || Fail::from(Error::new(ErrorKind::Connection, "the requester is closed"));
            let r = turn.get().ok_or_else(closed)?;
            Ok(r.request::<Json, Json>(&body, timeout).await?)
        })
    }

    /// Waits for a request in progress, then unsubscribes the reply channel; later requests
    /// reject with `ConnectionError`. Closing twice is harmless.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let slot = self.inner.clone();
        promise(&self.ticker, async move {
            let mut turn = slot.take().await;
            drop(turn.remove());
            Ok(JsValue::UNDEFINED)
        })
    }

    /// The service it asks.
    #[wasm_bindgen(getter)]
    pub fn service(&self) -> String {
        self.service.clone()
    }

    /// The channel its answers come back on.
    #[wasm_bindgen(getter, js_name = replyChannel)]
    pub fn reply_channel(&self) -> String {
        self.reply_channel.clone()
    }
}
