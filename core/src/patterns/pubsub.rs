//! Pub/sub: publish to channels, subscribe to channels and glob patterns, read messages as an
//! async stream with an optional bounded wait, typed JSON messages, and request/response over
//! pub/sub with a timeout.
//!
//! Why a pattern: Redis pub/sub is fire-and-forget and every service ends up writing the same
//! pieces on top of it — a subscription object that can be read with a deadline, JSON payloads,
//! and "ask a service and wait for its answer". Here:
//!
//! - [`PubSub::publish`] returns how many subscribers received the message (PUBLISH's reply);
//!   [`PubSub::spublish`] publishes to a shard channel (SPUBLISH) on Redis Cluster. (Shard
//!   subscriptions, SSUBSCRIBE, wait for the backend's `Subscriber` to offer them.)
//! - A [`Subscription`] lives on a connection of its own; [`Subscription::next`] awaits the
//!   next message and [`Subscription::next_timeout`] bounds the wait with the backend's clock
//!   (virtual time on a manual-clock simulator), failing with [`ErrorKind::Timeout`].
//! - [`PubSub::serve`] runs a responder for a service in the background; [`PubSub::request`]
//!   (or a reusable [`Requester`]) subscribes to a reply channel of its own, publishes a
//!   request carrying a correlation id and that reply channel, and waits a bounded time for the
//!   answer. When PUBLISH reports that no responder received the request, it fails at once with
//!   [`ErrorKind::NotFound`] instead of waiting out the timeout.
//!
//! Wire format of request/response (JSON, so services in other languages can take part):
//! requests go to `PREFIX:rpc:{SERVICE}` as `{"id": ID, "reply_to": CHANNEL, "body": …}`;
//! answers go to `reply_to` as `{"id": ID, "body": …}` or
//! `{"id": ID, "error": {"kind": KIND, "message": TEXT}}`. A responder only answers on
//! channels under `PREFIX:rpc:{SERVICE}:reply:`, so a request cannot make it publish elsewhere.
//! Several responders on one service each answer every request (pub/sub fans out); the
//! requester takes the first answer.
//!
//! On Redis Cluster, PUBLISH reaches subscribers on every node but counts only those on the
//! node it ran on, so there [`PubSub::publish`]'s count is a lower bound and a request with no
//! responder waits out its timeout instead of failing fast.
//!
//! ```
//! use redkit::backend::{block_on, SimBackend};
//! use redkit::patterns::pubsub::{PubSub, PubSubOptions};
//! use redkit::sim::Simulator;
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! let backend = Arc::new(SimBackend::new(Simulator::new()));
//! let pubsub = PubSub::new(backend, PubSubOptions::default()).unwrap();
//! block_on(async {
//!     let mut sub = pubsub.psubscribe(&["news.*"]).await?;
//!     assert_eq!(pubsub.publish_json("news.sport", &serde_json::json!({"score": 3})).await?, 1);
//!     let m = sub.next_timeout(Duration::from_secs(1)).await?.unwrap();
//!     assert_eq!((m.channel.as_str(), m.pattern.as_deref()), ("news.sport", Some("news.*")));
//!     assert_eq!(m.json::<serde_json::Value>()?["score"], 3);
//!
//!     let doubler = pubsub.serve("double", |n: i64| async move { Ok(n * 2) }).await?;
//!     let answer: i64 = pubsub.request("double", &21, Duration::from_secs(1)).await?;
//!     assert_eq!(answer, 42);
//!     doubler.stop().await?;
//!     Ok::<_, redkit::Error>(())
//! })
//! .unwrap();
//! ```

use super::race::{select, Either};
use crate::backend::{value, BackendRef, BoxFuture, Cmd, Subscriber};
use crate::error::{Error, ErrorKind, Result};
use crate::patterns::keys;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::{poll_fn, Future};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

/// How long [`Responder::stop`] waits for the request in progress to finish.
pub const STOP_WAIT: Duration = Duration::from_secs(10);

/// How a [`PubSub`] is set up. Deserialises from the JavaScript packages' options
/// (`{ prefix: "app:" }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PubSubOptions {
    /// Prefix of the request/response channels (default [`keys::DEFAULT_PREFIX`]). Plain
    /// channels are used exactly as given.
    pub prefix: String,
}

impl Default for PubSubOptions {
    fn default() -> Self {
        PubSubOptions { prefix: keys::DEFAULT_PREFIX.to_string() }
    }
}

impl PubSubOptions {
    /// Sets the prefix of request/response channels.
    #[must_use]
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = prefix.to_string();
        self
    }
}

/// A message received on a [`Subscription`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Message {
    /// The channel it was published to.
    pub channel: String,
    /// The pattern that matched it, for pattern subscriptions.
    pub pattern: Option<String>,
    /// The payload, as published (serialised as UTF-8 text, lossily).
    #[serde(serialize_with = "lossy_text")]
    pub payload: Vec<u8>,
}

fn lossy_text<S: serde::Serializer>(bytes: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

impl Message {
    /// The payload as UTF-8 text; [`ErrorKind::Serialization`] if it is not.
    pub fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.payload)
            .map_err(|e| Error::new(ErrorKind::Serialization, format!("the payload is not UTF-8: {e}")))
    }

    /// The payload parsed as JSON into `T`; [`ErrorKind::Serialization`] if it does not parse.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        Ok(serde_json::from_slice(&self.payload)?)
    }

    fn from_backend(m: crate::backend::Message) -> Message {
        let text =
            |b: Vec<u8>| String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Message { channel: text(m.channel), pattern: m.pattern.map(text), payload: m.payload }
    }
}

/// Publishes and subscribes. Cheap to clone.
#[derive(Clone)]
pub struct PubSub {
    backend: BackendRef,
    prefix: String,
}

impl std::fmt::Debug for PubSub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PubSub(prefix={:?}, backend={})", self.prefix, self.backend.name())
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

fn names(what: &str, items: &[&str]) -> Result<Vec<Vec<u8>>> {
    if items.is_empty() {
        return Err(invalid(format!("give at least one {what}")));
    }
    Ok(items.iter().map(|s| s.as_bytes().to_vec()).collect())
}

impl PubSub {
    /// A publisher/subscriber over `backend`. Fails with [`ErrorKind::InvalidArgument`] for an
    /// empty prefix or one containing `{` or `}`.
    pub fn new(backend: BackendRef, options: PubSubOptions) -> Result<PubSub> {
        keys::validate("prefix", &options.prefix)?;
        Ok(PubSub { backend, prefix: options.prefix })
    }

    /// Publishes `payload` on `channel`; returns how many subscribers received it (on a
    /// cluster: how many on the node that ran the PUBLISH).
    pub async fn publish(&self, channel: &str, payload: impl AsRef<[u8]>) -> Result<u64> {
        self.publish_with("PUBLISH", channel.as_bytes(), payload.as_ref()).await
    }

    /// Publishes `message` as JSON on `channel`; returns how many subscribers received it.
    pub async fn publish_json<T: Serialize + ?Sized>(&self, channel: &str, message: &T) -> Result<u64> {
        let payload = serde_json::to_vec(message)?;
        self.publish(channel, payload).await
    }

    /// Publishes to a shard channel (SPUBLISH, Redis 7): on a cluster the message goes only to
    /// the shard owning the channel's slot instead of to every node, and the count is exact.
    /// Shard subscribers (SSUBSCRIBE) receive it; plain subscribers do not.
    pub async fn spublish(&self, channel: &str, payload: impl AsRef<[u8]>) -> Result<u64> {
        self.publish_with("SPUBLISH", channel.as_bytes(), payload.as_ref()).await
    }

    async fn publish_with(&self, command: &str, channel: &[u8], payload: &[u8]) -> Result<u64> {
        let reply = self.backend.command(Cmd::new(command).arg(channel).arg(payload)).await?;
        Ok(value::int(&reply)?.max(0) as u64)
    }

    /// A subscription to nothing yet, on a connection of its own.
    pub async fn subscription(&self) -> Result<Subscription> {
        Subscription::open(&self.backend).await
    }

    /// Subscribes to `channels` (at least one); returns once the server confirmed them.
    pub async fn subscribe(&self, channels: &[&str]) -> Result<Subscription> {
        let mut s = self.subscription().await?;
        s.subscribe(channels).await?;
        Ok(s)
    }

    /// Subscribes to glob `patterns` (`news.*`, `user:?:events`; at least one).
    pub async fn psubscribe(&self, patterns: &[&str]) -> Result<Subscription> {
        let mut s = self.subscription().await?;
        s.psubscribe(patterns).await?;
        Ok(s)
    }

    fn service_channel(&self, service: &str) -> Result<Vec<u8>> {
        keys::validate("service name", service)?;
        Ok(keys::base(&self.prefix, "rpc", service))
    }

    /// `PREFIX:rpc:{SERVICE}:reply:`, which every reply channel of `service` starts with.
    fn reply_prefix(&self, service: &str) -> String {
        String::from_utf8_lossy(&keys::part(&self.prefix, "rpc", service, "reply:")).into_owned()
    }

    /// A requester for `service` with a reply channel of its own (subscribed before this
    /// returns). Keep it to send many requests at one round trip each.
    pub async fn requester(&self, service: &str) -> Result<Requester> {
        let channel = self.service_channel(service)?;
        let id = unique_id();
        let reply_to = format!("{}{id}", self.reply_prefix(service));
        let sub = self.subscribe(&[&reply_to]).await?;
        Ok(Requester {
            sub,
            backend: self.backend.clone(),
            service: service.to_string(),
            channel,
            reply_to,
            id,
            sent: 0,
        })
    }

    /// Sends `body` to `service` and waits up to `timeout` for the answer.
    ///
    /// Costs a subscription connection and two round trips plus the answer: the reply channel
    /// must be subscribed before the request goes out, or a fast responder's answer would be
    /// lost. A kept [`Requester`] costs one round trip per request: prefer it for repeated
    /// requests. Fails with [`ErrorKind::NotFound`] at once when no responder received the
    /// request (except on a cluster, where PUBLISH's count is not global), [`ErrorKind::Timeout`] when none answered in time, the kind the
    /// responder's handler failed with, or [`ErrorKind::Serialization`] when the answer does
    /// not parse as `Resp`.
    pub async fn request<Req, Resp>(&self, service: &str, body: &Req, timeout: Duration) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        check_timeout(timeout)?;
        self.requester(service).await?.request(body, timeout).await
    }

    /// Serves `service` in the background: every request is parsed as `Req`, given to
    /// `handler`, and its `Ok` (as JSON) or `Err` (kind and message) is published to the
    /// request's reply channel. Requests are answered one at a time, in arrival order. The
    /// responder is subscribed when this returns; it runs until [`Responder::stop`] or until
    /// the [`Responder`] is dropped, and when its connection is lost it subscribes again by
    /// itself (at once, then 100 ms after a failed attempt, doubling up to 5 s). Needs a
    /// backend that can spawn tasks.
    pub async fn serve<Req, Resp, F, Fut>(&self, service: &str, handler: F) -> Result<Responder>
    where
        Req: DeserializeOwned + Send + 'static,
        Resp: Serialize + Send + 'static,
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Resp>> + Send + 'static,
    {
        let channel = self.service_channel(service)?;
        let reply_prefix = self.reply_prefix(service);
        let handler: Handler = Arc::new(move |body| {
            let parsed = serde_json::from_value::<Req>(body).map(&handler);
            Box::pin(async move {
                let answer = parsed?.await?;
                Ok(serde_json::to_value(answer)?)
            })
        });
        let sub = listen(&self.backend, &channel).await?;
        let shared = Arc::new(ResponderShared::default());
        let service =
            ServiceLoop { backend: self.backend.clone(), channel, handler, reply_prefix, shared: shared.clone() };
        self.backend.spawn(Box::pin(service.run(sub)))?;
        Ok(Responder { shared, backend: self.backend.clone() })
    }
}

fn check_timeout(timeout: Duration) -> Result<()> {
    if timeout.is_zero() {
        return Err(invalid("a timeout must be above 0"));
    }
    Ok(())
}

/// A live subscription on a connection of its own. Channels and patterns can be added and
/// removed while it is read. Dropping it closes the connection.
pub struct Subscription {
    inner: Box<dyn Subscriber>,
    backend: BackendRef,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Subscription({})", self.backend.name())
    }
}

impl Subscription {
    async fn open(backend: &BackendRef) -> Result<Subscription> {
        Ok(Subscription { inner: backend.subscribe().await?, backend: backend.clone() })
    }

    /// Adds channels (at least one).
    pub async fn subscribe(&mut self, channels: &[&str]) -> Result<()> {
        self.inner.subscribe(names("channel", channels)?).await
    }

    /// Adds glob patterns (at least one).
    pub async fn psubscribe(&mut self, patterns: &[&str]) -> Result<()> {
        self.inner.psubscribe(names("pattern", patterns)?).await
    }

    /// Removes channels; all of them when `channels` is empty. Messages already received stay
    /// readable.
    pub async fn unsubscribe(&mut self, channels: &[&str]) -> Result<()> {
        self.inner.unsubscribe(channels.iter().map(|s| s.as_bytes().to_vec()).collect()).await
    }

    /// Removes patterns; all of them when `patterns` is empty.
    pub async fn punsubscribe(&mut self, patterns: &[&str]) -> Result<()> {
        self.inner.punsubscribe(patterns.iter().map(|s| s.as_bytes().to_vec()).collect()).await
    }

    /// The next message; `Ok(None)` once the subscription's connection is closed. Waits as
    /// long as it takes: use [`Subscription::next_timeout`] for a bounded wait.
    pub async fn next(&mut self) -> Result<Option<Message>> {
        Ok(self.inner.next_message().await?.map(Message::from_backend))
    }

    /// The next message within `timeout` of the backend's time; [`ErrorKind::Timeout`] when
    /// none arrives, `Ok(None)` once the connection is closed. No message is lost to a timeout.
    pub async fn next_timeout(&mut self, timeout: Duration) -> Result<Option<Message>> {
        let sleep = self.backend.sleep(timeout);
        match select(self.next(), sleep).await {
            Either::Left(r) => r,
            Either::Right(()) => {
                Err(Error::new(ErrorKind::Timeout, format!("no message within {} ms", timeout.as_millis())))
            }
        }
    }
}

/// Sends requests to one service from a reply channel of its own; made by
/// [`PubSub::requester`]. Each request costs one round trip plus the answer.
pub struct Requester {
    sub: Subscription,
    backend: BackendRef,
    service: String,
    channel: Vec<u8>,
    reply_to: String,
    id: String,
    sent: u64,
}

impl std::fmt::Debug for Requester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Requester({} via {})", self.service, self.reply_to)
    }
}

#[derive(Serialize, Deserialize)]
struct RequestEnvelope {
    id: String,
    reply_to: String,
    body: serde_json::Value,
}

#[derive(Serialize, Deserialize)]
struct ResponseEnvelope {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

#[derive(Serialize, Deserialize)]
struct ErrorBody {
    kind: String,
    message: String,
}

impl Requester {
    /// The channel answers come back on.
    pub fn reply_channel(&self) -> &str {
        &self.reply_to
    }

    /// Sends `body` and waits up to `timeout` for the answer; see [`PubSub::request`] for the
    /// errors. An answer to an earlier request that timed out is skipped.
    pub async fn request<Req, Resp>(&mut self, body: &Req, timeout: Duration) -> Result<Resp>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned,
    {
        check_timeout(timeout)?;
        self.sent += 1;
        let id = format!("{}-{}", self.id, self.sent);
        let envelope =
            RequestEnvelope { id: id.clone(), reply_to: self.reply_to.clone(), body: serde_json::to_value(body)? };
        let cmd = Cmd::new("PUBLISH").arg(&self.channel).arg(serde_json::to_vec(&envelope)?);
        let receivers = value::int(&self.backend.command(cmd).await?)?;
        // On a cluster the count covers one node only: 0 there proves nothing.
        if receivers == 0 && self.backend.name() != "cluster" {
            return Err(Error::new(ErrorKind::NotFound, format!("no responder is serving {:?}", self.service)));
        }
        let sleep = self.backend.sleep(timeout);
        let answer = match select(wait_for(&mut self.sub, &id), sleep).await {
            Either::Left(r) => r?,
            Either::Right(()) => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("{:?} did not answer within {} ms", self.service, timeout.as_millis()),
                ))
            }
        };
        match answer {
            ResponseEnvelope { error: Some(e), .. } => {
                Err(Error::new(ErrorKind::named(&e.kind), format!("{}: {}", self.service, e.message)))
            }
            ResponseEnvelope { body, .. } => Ok(serde_json::from_value(body.unwrap_or(serde_json::Value::Null))?),
        }
    }
}

/// Reads the reply channel until the answer with `id` arrives, skipping late answers to
/// earlier requests and anything that is not an answer.
async fn wait_for(sub: &mut Subscription, id: &str) -> Result<ResponseEnvelope> {
    loop {
        let Some(m) = sub.next().await? else {
            return Err(Error::new(ErrorKind::Connection, "the reply subscription was closed"));
        };
        if let Ok(r) = serde_json::from_slice::<ResponseEnvelope>(&m.payload) {
            if r.id == id {
                return Ok(r);
            }
        }
    }
}

type Handler = Arc<dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<serde_json::Value>> + Send + Sync>;

/// State shared by a [`Responder`] and its background loop.
#[derive(Default)]
struct ResponderShared {
    stop: Signal,
    done: Signal,
    served: AtomicU64,
    resubscribed: AtomicU64,
    last_error: Mutex<Option<Error>>,
}

/// A background responder made by [`PubSub::serve`]. Dropping it stops the loop too, without
/// waiting for it.
pub struct Responder {
    shared: Arc<ResponderShared>,
    backend: BackendRef,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Responder(served={})", self.served())
    }
}

impl Responder {
    /// How many requests it has handled (counted before each answer is published).
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }

    /// Whether its loop is still running (until [`Responder::stop`] or drop).
    pub fn is_running(&self) -> bool {
        !self.shared.done.is_set()
    }

    /// How many times it subscribed again after losing its subscription's connection.
    pub fn resubscribed(&self) -> u64 {
        self.shared.resubscribed.load(Ordering::Relaxed)
    }

    /// The last error its subscription met (a lost connection, a failed resubscribe), if any.
    pub fn last_error(&self) -> Option<Error> {
        self.shared.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops serving: waits (up to [`STOP_WAIT`]) for the request in progress, then
    /// unsubscribes, so later requests fail fast with [`ErrorKind::NotFound`].
    pub async fn stop(self) -> Result<()> {
        self.shared.stop.set();
        let done = self.shared.done.wait();
        if let Either::Right(()) = select(done, self.backend.sleep(STOP_WAIT)).await {
            return Err(Error::new(ErrorKind::Timeout, "the responder did not stop in time"));
        }
        Ok(())
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.shared.stop.set();
    }
}

/// How long a responder waits after a failed attempt to subscribe again (the first attempt,
/// right after the loss, does not wait); it doubles on each failure up to [`RESUBSCRIBE_MAX`].
const RESUBSCRIBE_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between a responder's attempts to subscribe again.
const RESUBSCRIBE_MAX: Duration = Duration::from_secs(5);

/// A fresh subscription to a service's request channel.
async fn listen(backend: &BackendRef, channel: &[u8]) -> Result<Subscription> {
    let mut sub = Subscription::open(backend).await?;
    sub.inner.subscribe(vec![channel.to_vec()]).await?;
    Ok(sub)
}

/// A responder's background loop and what it needs.
struct ServiceLoop {
    backend: BackendRef,
    channel: Vec<u8>,
    handler: Handler,
    reply_prefix: String,
    shared: Arc<ResponderShared>,
}

impl ServiceLoop {
    /// Answers requests until stopped, subscribing again (with backoff) whenever the
    /// subscription's connection is lost, so a Redis restart or a killed connection does not
    /// silently end the service.
    async fn run(self, mut sub: Subscription) {
        'serve: loop {
            match select(sub.next(), self.shared.stop.wait()).await {
                Either::Right(()) => break,
                Either::Left(Ok(Some(m))) => {
                    if let Some((reply_to, payload)) = answer(&self.handler, &self.reply_prefix, &m).await {
                        self.shared.served.fetch_add(1, Ordering::Relaxed);
                        // The requester may have given up and left: 0 receivers is no error
                        // here, and a failed publish has no one to report to.
                        let _ = self.backend.command(Cmd::new("PUBLISH").arg(reply_to).arg(payload)).await;
                    }
                }
                Either::Left(lost) => {
                    self.note(lost.err().unwrap_or_else(|| {
                        Error::new(ErrorKind::Connection, "the responder's subscription was closed")
                    }));
                    match self.resubscribe().await {
                        Some(fresh) => sub = fresh,
                        None => break 'serve,
                    }
                }
            }
        }
        // Unsubscribing before `done` makes later requests see 0 receivers at once.
        let _ = sub.unsubscribe(&[]).await;
        drop(sub);
        self.shared.done.set();
    }

    /// Subscribes again at once, then after a growing backoff while attempts fail; `None`
    /// when stopped first.
    async fn resubscribe(&self) -> Option<Subscription> {
        let mut wait = RESUBSCRIBE_FIRST;
        loop {
            if self.shared.stop.is_set() {
                return None;
            }
            match listen(&self.backend, &self.channel).await {
                Ok(sub) => {
                    self.shared.resubscribed.fetch_add(1, Ordering::Relaxed);
                    return Some(sub);
                }
                Err(e) => self.note(e),
            }
            if let Either::Right(()) = select(self.backend.sleep(wait), self.shared.stop.wait()).await {
                return None;
            }
            wait = (wait * 2).min(RESUBSCRIBE_MAX);
        }
    }

    fn note(&self, e: Error) {
        *self.shared.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
    }
}

/// Runs the handler on one request; returns the reply channel and the answer to publish there,
/// or `None` for a message that is not a request this responder may answer.
async fn answer(handler: &Handler, reply_prefix: &str, m: &Message) -> Option<(String, Vec<u8>)> {
    let req = serde_json::from_slice::<RequestEnvelope>(&m.payload).ok()?;
    if !req.reply_to.starts_with(reply_prefix) {
        return None;
    }
    let response = match handler(req.body).await {
        Ok(body) => ResponseEnvelope { id: req.id, body: Some(body), error: None },
        Err(e) => ResponseEnvelope {
            id: req.id,
            body: None,
            error: Some(ErrorBody { kind: e.kind.as_str().to_string(), message: e.message }),
        },
    };
    Some((req.reply_to, serde_json::to_vec(&response).ok()?))
}

/// A one-shot flag one task sets and one task awaits (std only, no runtime).
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.0 = true;
            st.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn is_set(&self) -> bool {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0
    }

    fn wait(&self) -> impl Future<Output = ()> + Send + '_ {
        poll_fn(move |cx| {
            let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            if st.0 {
                return Poll::Ready(());
            }
            st.1 = Some(cx.waker().clone());
            Poll::Pending
        })
    }
}

/// A 128-bit id, unique across processes with overwhelming probability: a per-process counter
/// hashed under the standard library's randomly keyed SipHash (seeded from the OS).
fn unique_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = std::collections::hash_map::RandomState::new();
    (0..2u64)
        .map(|half| {
            let mut h = state.build_hasher();
            h.write_u64(n);
            h.write_u64(half);
            format!("{:016x}", h.finish())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_128_bits() {
        let a = unique_id();
        let b = unique_id();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn sharded_publish_reaches_shard_subscribers() {
        let sim = crate::sim::Simulator::new();
        let mut shard_subscriber = sim.connect();
        shard_subscriber.execute(&["SSUBSCRIBE", "orders:{eu}"]);
        shard_subscriber.drain_pushes();
        let pubsub = PubSub::new(Arc::new(crate::backend::SimBackend::new(sim)), PubSubOptions::default()).unwrap();
        assert_eq!(crate::backend::block_on(pubsub.spublish("orders:{eu}", "o-1")).unwrap(), 1);
        assert_eq!(crate::backend::block_on(pubsub.publish("orders:{eu}", "o-2")).unwrap(), 0);
        let frame = shard_subscriber.pop_push().expect("an smessage");
        let m = crate::backend::Message::from_push(&frame).expect("a message frame");
        assert_eq!((m.channel.as_slice(), m.payload.as_slice()), (&b"orders:{eu}"[..], &b"o-1"[..]));
        assert_eq!(shard_subscriber.pop_push(), None);
    }

    #[test]
    fn error_kinds_round_trip_by_name() {
        for k in [ErrorKind::Timeout, ErrorKind::InvalidArgument, ErrorKind::NotFound, ErrorKind::Serialization] {
            assert_eq!(ErrorKind::named(k.as_str()), k);
        }
        assert_eq!(ErrorKind::named("something_new"), ErrorKind::Reply);
    }
}
