//! `Subscription`: a live pub/sub subscription read with an optional bounded wait
//! (`nextMessage(timeout)`), changed while read (`subscribe`, `unsubscribe` …) and ended by
//! `close()`. `lib/pubsub.js` makes it an async iterator (`for await (const msg of sub)`) and
//! disposable (`await using`).
//!
//! The core's `Subscription` reads and (un)subscribes through `&mut self`, so it sits behind an
//! async mutex every call shares. A reader waiting for a message gives the mutex up as soon as
//! another call queues for it (the core's `next()` loses no message when dropped), so
//! `sub.subscribe(...)` does not wait for the next message; and `close()` wakes every reader at
//! once — their reads resolve to null — so no Promise is left keeping Node alive.

use crate::convert::millis;
use crate::errors::to_js;
use napi::bindgen_prelude::{Buffer, Either, Null};
use napi_derive::napi;
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::Subscription as CoreSubscription;
use redkit::{Error, ErrorKind};
use std::convert::Infallible;
use std::future::pending;
use std::sync::Arc;
use tokio::sync::{watch, Notify};

/// Names from a string or an array of strings.
pub fn names(names: Either<String, Vec<String>>) -> Vec<String> {
    match names {
        Either::A(one) => vec![one],
        Either::B(many) => many,
    }
}

/// A message received on a subscription; `lib/pubsub.js` adds `text()` and `json()`.
#[napi(object)]
pub struct Message {
    /// The channel it was published to.
    pub channel: String,
    /// The pattern that matched it (pattern subscriptions), else null.
    pub pattern: Either<String, Null>,
    /// The payload, byte for byte as published.
    pub payload: Buffer,
}

/// The core subscription and what every call on it shares.
struct Shared {
    sub: tokio::sync::Mutex<Option<CoreSubscription>>,
    backend: BackendRef,
    closed: watch::Sender<bool>,
    /// Notified by a call queuing for `sub`: a waiting reader lets go of it.
    wanted: Notify,
}

/// What a read found.
enum Next {
    Message(redkit::patterns::pubsub::Message),
    /// The subscription was closed (by `close()` or by its connection).
    Closed,
    /// Nothing within the timeout.
    Idle,
}

impl Shared {
    /// Locks `sub`, asking a waiting reader to let go of it first.
    async fn take_turn(&self) -> tokio::sync::MutexGuard<'_, Option<CoreSubscription>> {
        tokio::select! {
            biased;
            guard = self.sub.lock() => guard,
            never = async {
                // Runs once the lock above is queued for, so the reader's re-lock comes after.
                self.wanted.notify_one();
                pending::<Infallible>().await
            } => match never {},
        }
    }

    /// The next message, waiting up to `timeout` of the backend's time (None: until closed).
    async fn next(&self, timeout: Option<std::time::Duration>) -> redkit::Result<Next> {
        let mut closed = self.closed.subscribe();
        let mut deadline: BoxFuture<'static, ()> = match timeout {
            Some(t) => self.backend.sleep(t),
            None => Box::pin(pending()),
        };
        loop {
            let mut guard = tokio::select! {
                biased;
                _ = closed.wait_for(|c| *c) => return Ok(Next::Closed),
                guard = self.sub.lock() => guard,
                _ = &mut deadline => return Ok(Next::Idle),
            };
            let Some(sub) = guard.as_mut() else { return Ok(Next::Closed) };
            tokio::select! {
                biased;
                _ = closed.wait_for(|c| *c) => return Ok(Next::Closed),
                m = sub.next() => return Ok(m?.map_or(Next::Closed, Next::Message)),
                _ = &mut deadline => return Ok(Next::Idle),
                _ = self.wanted.notified() => {} // another call wants the subscription: let go, then read on
            }
        }
    }

    /// Runs `op` on the subscription; `ConnectionError` once closed.
    async fn with<F>(&self, op: F) -> redkit::Result<()>
    where
        F: for<'a> FnOnce(&'a mut CoreSubscription) -> BoxFuture<'a, redkit::Result<()>>,
    {
        let mut guard = self.take_turn().await;
        let sub = guard.as_mut().ok_or_else(|| Error::new(ErrorKind::Connection, "the subscription is closed"))?;
        op(sub).await
    }
}

/// A live subscription on a connection of its own (see the module docs).
#[napi]
pub struct Subscription {
    shared: Arc<Shared>,
}

impl Subscription {
    pub fn new(sub: CoreSubscription, backend: BackendRef) -> Subscription {
        Subscription {
            shared: Arc::new(Shared {
                sub: tokio::sync::Mutex::new(Some(sub)),
                backend,
                closed: watch::Sender::new(false),
                wanted: Notify::new(),
            }),
        }
    }
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

#[napi]
impl Subscription {
    /// Adds channels (a name or an array, at least one).
    #[napi(strict)]
    pub async fn subscribe(&self, channels: Either<String, Vec<String>>) -> napi::Result<()> {
        let n = names(channels);
        self.shared.with(|s| Box::pin(async move { s.subscribe(&refs(&n)).await })).await.map_err(to_js)
    }

    /// Adds glob patterns (a pattern or an array, at least one).
    #[napi(strict)]
    pub async fn psubscribe(&self, patterns: Either<String, Vec<String>>) -> napi::Result<()> {
        let n = names(patterns);
        self.shared.with(|s| Box::pin(async move { s.psubscribe(&refs(&n)).await })).await.map_err(to_js)
    }

    /// Removes channels; all of them when none is given.
    #[napi(strict)]
    pub async fn unsubscribe(&self, channels: Option<Either<String, Vec<String>>>) -> napi::Result<()> {
        let n = channels.map(names).unwrap_or_default();
        self.shared.with(|s| Box::pin(async move { s.unsubscribe(&refs(&n)).await })).await.map_err(to_js)
    }

    /// Removes patterns; all of them when none is given.
    #[napi(strict)]
    pub async fn punsubscribe(&self, patterns: Option<Either<String, Vec<String>>>) -> napi::Result<()> {
        let n = patterns.map(names).unwrap_or_default();
        self.shared.with(|s| Box::pin(async move { s.punsubscribe(&refs(&n)).await })).await.map_err(to_js)
    }

    /// The next message, waiting up to `timeout` ms of the backend's time (0 takes one only if
    /// it is already there; none: until one comes or the subscription is closed).
    /// `TimeoutError` when none came in time; null once closed.
    #[napi(strict)]
    pub async fn next_message(&self, timeout: Option<f64>) -> napi::Result<Option<Message>> {
        let t = timeout.map(|ms| millis("timeout", ms)).transpose()?;
        match self.shared.next(t).await.map_err(to_js)? {
            Next::Message(m) => Ok(Some(Message {
                channel: m.channel,
                pattern: m.pattern.map_or(Either::B(Null), Either::A),
                payload: m.payload.into(),
            })),
            Next::Closed => Ok(None),
            Next::Idle => Err(to_js(Error::new(
                ErrorKind::Timeout,
                format!("no message within {} ms", t.unwrap_or_default().as_millis()),
            ))),
        }
    }

    /// Unsubscribes from everything and closes the connection; waiting reads resolve to null
    /// and iterations end. Closing twice is harmless.
    #[napi(strict)]
    pub async fn close(&self) -> napi::Result<()> {
        self.shared.closed.send_replace(true);
        let sub = self.shared.take_turn().await.take();
        if let Some(mut sub) = sub {
            // The connection is closed when `sub` drops, whatever these answer; unsubscribing
            // first makes a publish right after count no one.
            let _ = sub.unsubscribe(&[]).await;
            let _ = sub.punsubscribe(&[]).await;
        }
        Ok(())
    }

    /// Whether `close()` was called.
    #[napi(strict, getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        *self.shared.closed.borrow()
    }
}
