//! `Subscription`: a live pub/sub subscription read with an optional bounded wait
//! (`nextMessage(timeout)`), changed while read (`subscribe`, `unsubscribe` …) and ended by
//! `close()`; the Node package's `pubsub.js` makes it an async iterator (`for await`), adds
//! `listen({ timeout, max })`, `text()`/`json()` on messages, and `await using`.
//!
//! The core subscription sits in a [`Slot`] the calls take turns on. A reader waiting for a
//! message gives it back as soon as another call wants it (the core's `next()` loses no
//! message when dropped), so `sub.subscribe(...)` does not wait for the next message, and
//! `close()` ends every waiting read at once (it resolves to null).

use crate::convert::{millis, strings};
use crate::outcome::Fail;
use crate::tasks::promise;
use crate::ticker::Ticker;
use crate::turns::Slot;
use js_sys::{Object, Promise, Reflect, Uint8Array};
use redkit::backend::{BackendRef, BoxFuture};
use redkit::patterns::pubsub::{Message, Subscription as CoreSubscription};
use redkit::{Error, ErrorKind};
use std::cell::Cell;
use std::future::{pending, poll_fn, Future};
use std::pin::pin;
use std::rc::Rc;
use std::task::Poll;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// What every call on one subscription shares.
struct Shared {
    sub: Rc<Slot<CoreSubscription>>,
    closed: Cell<bool>,
    /// Calls other than reads waiting for their turn: a reader lets go while any wait.
    wanted: Cell<usize>,
    backend: BackendRef,
}

/// What a read found.
enum Next {
    Message(Message),
    /// The subscription was closed (by `close()` or by its connection).
    Closed,
    /// Nothing within the timeout.
    Idle,
}

/// Which of three futures finished first.
enum First<A, B, C> {
    A(A),
    B(B),
    C(C),
}

/// Awaits the first of `a`, `b`, `c` to finish (`a` wins a tie, then `b`).
async fn first<A: Future, B: Future, C: Future>(a: A, b: B, c: C) -> First<A::Output, B::Output, C::Output> {
    let (mut a, mut b, mut c) = (pin!(a), pin!(b), pin!(c));
    poll_fn(move |cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(v));
        }
        if let Poll::Ready(v) = b.as_mut().poll(cx) {
            return Poll::Ready(First::B(v));
        }
        if let Poll::Ready(v) = c.as_mut().poll(cx) {
            return Poll::Ready(First::C(v));
        }
        Poll::Pending
    })
    .await
}

impl Shared {
    /// The next message, waiting up to `timeout` of the backend's time (None: until closed).
    async fn next(&self, timeout: Option<Duration>) -> redkit::Result<Next> {
        let mut deadline: BoxFuture<'static, ()> = match timeout {
            Some(t) => self.backend.sleep(t),
            None => Box::pin(pending()),
        };
        let bell = &self.sub.bell;
        loop {
            let free = bell.until(|| self.closed.get() || (!self.sub.busy() && self.wanted.get() == 0));
            if let First::B(()) = first(free, &mut deadline, pending::<()>()).await {
                return Ok(Next::Idle);
            }
            if self.closed.get() {
                return Ok(Next::Closed);
            }
            let Some(mut turn) = self.sub.try_take() else { continue };
            let Some(sub) = turn.get() else { return Ok(Next::Closed) };
            let interrupted = bell.until(|| self.closed.get() || self.wanted.get() > 0);
            match first(sub.next(), &mut deadline, interrupted).await {
                First::A(m) => return Ok(m?.map_or(Next::Closed, Next::Message)),
                First::B(()) => return Ok(Next::Idle),
                First::C(()) if self.closed.get() => return Ok(Next::Closed),
                First::C(()) => {} // another call wants the subscription: let go, then read on
            }
        }
    }

    /// Runs `op` on the subscription in its turn; `ConnectionError` once closed.
    async fn with<F>(&self, op: F) -> redkit::Result<()>
    where
        F: for<'a> FnOnce(&'a mut CoreSubscription) -> BoxFuture<'a, redkit::Result<()>>,
    {
        self.wanted.set(self.wanted.get() + 1);
        self.sub.bell.ring();
        let mut turn = self.sub.take().await;
        self.wanted.set(self.wanted.get() - 1);
        let sub = turn.get().ok_or_else(|| Error::new(ErrorKind::Connection, "the subscription is closed"))?;
        op(sub).await
    }
}

/// A live subscription on a connection of its own (see the module docs).
#[wasm_bindgen]
pub struct Subscription {
    shared: Rc<Shared>,
    ticker: Rc<Ticker>,
}

impl Subscription {
    pub(crate) fn new(sub: CoreSubscription, backend: BackendRef, ticker: Rc<Ticker>) -> Subscription {
        let shared = Shared { sub: Slot::new(sub), closed: Cell::new(false), wanted: Cell::new(0), backend };
        Subscription { shared: Rc::new(shared), ticker }
    }

    /// `op` with `names` on the subscription, as a Promise of undefined.
    fn change(
        &self,
        names: Result<Vec<String>, JsValue>,
        op: fn(&mut CoreSubscription, Vec<String>) -> BoxFuture<'_, redkit::Result<()>>,
    ) -> Promise {
        let shared = self.shared.clone();
        promise(&self.ticker, async move {
            let names = names?;
            shared.with(|s| op(s, names)).await.map_err(|e| Fail::from(e).0)?;
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// Names given, or none (all) when left out.
fn optional_names(value: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    strings(value, what)
}

fn refs(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// A core message as the object the Node package hands out: `{ channel, pattern, payload }`.
fn message(m: Message) -> JsValue {
    let object = Object::new();
    let pattern = m.pattern.map_or(JsValue::NULL, JsValue::from);
    // Defining properties on a fresh plain object cannot fail.
    let _ = Reflect::set(&object, &"channel".into(), &m.channel.into());
    let _ = Reflect::set(&object, &"pattern".into(), &pattern);
    let _ = Reflect::set(&object, &"payload".into(), &Uint8Array::from(&m.payload[..]));
    object.into()
}

#[wasm_bindgen]
impl Subscription {
    /// Adds channels (a name or an array, at least one).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Array<string>")] channels: JsValue,
    ) -> Promise {
        self.change(strings(&channels, "channels"), |s, n| Box::pin(async move { s.subscribe(&refs(&n)).await }))
    }

    /// Adds glob patterns (a pattern or an array, at least one).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn psubscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | Array<string>")] patterns: JsValue,
    ) -> Promise {
        self.change(strings(&patterns, "patterns"), |s, n| Box::pin(async move { s.psubscribe(&refs(&n)).await }))
    }

    /// Removes channels; all of them when none is given.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn unsubscribe(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | Array<string> | null")] channels: JsValue,
    ) -> Promise {
        let names = optional_names(&channels, "channels");
        self.change(names, |s, n| Box::pin(async move { s.unsubscribe(&refs(&n)).await }))
    }

    /// Removes patterns; all of them when none is given.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn punsubscribe(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string | Array<string> | null")] patterns: JsValue,
    ) -> Promise {
        let names = optional_names(&patterns, "patterns");
        self.change(names, |s, n| Box::pin(async move { s.punsubscribe(&refs(&n)).await }))
    }

    /// The next message, waiting up to `timeout` ms of the backend's time (0 takes one only if
    /// it is already there; none: until one comes or the subscription is closed).
    /// `TimeoutError` when none came in time; null once closed.
    #[wasm_bindgen(js_name = nextMessage, unchecked_return_type = "Promise<Message | null>")]
    pub fn next_message(&self, timeout: Option<f64>) -> Promise {
        let shared = self.shared.clone();
        promise(&self.ticker, async move {
            let t = timeout.map(|ms| millis("timeout", ms)).transpose()?;
            match shared.next(t).await.map_err(|e| Fail::from(e).0)? {
                Next::Message(m) => Ok(message(m)),
                Next::Closed => Ok(JsValue::NULL),
                Next::Idle => Err(Fail::from(Error::new(
                    ErrorKind::Timeout,
                    format!("no message within {} ms", t.unwrap_or_default().as_millis()),
                ))
                .0),
            }
        })
    }

    /// Unsubscribes from everything and closes the connection; waiting reads resolve to null
    /// and iterations end. Closing twice is harmless.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        self.shared.closed.set(true);
        self.shared.sub.bell.ring();
        let shared = self.shared.clone();
        promise(&self.ticker, async move {
            let mut turn = shared.sub.take().await;
            if let Some(mut sub) = turn.remove() {
                // The connection is closed when `sub` drops, whatever these answer; unsubscribing
                // first makes a publish right after count no one.
                let _ = sub.unsubscribe(&[]).await;
                let _ = sub.punsubscribe(&[]).await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Whether `close()` was called.
    #[wasm_bindgen(getter)]
    pub fn closed(&self) -> bool {
        self.shared.closed.get()
    }
}
