//! JavaScript functions the core calls back from its futures, plain or `async` (returning a
//! Promise or any thenable, which is awaited): [`call`] for a worker's job handler (one
//! argument; what the core needs from the outcome is the worker's business, [`message_of`]
//! gives a thrown value's text), and [`Callback`] for a cache loader or write sink, as the Node
//! package's `callback.rs` does it:
//!
//! - It is called with its arguments (JSON, as plain JavaScript values) spread as parameters;
//!   a returned thenable is awaited; the result becomes JSON by [`crate::convert::json_of`]
//!   (`undefined` is `null`: "no value").
//! - Whatever it throws or rejects with (and the `TypeError` for a result JSON cannot hold)
//!   reaches the JavaScript caller of the pattern's method as THE SAME value: the core only
//!   sees an error of kind `Io` whose message ends with a mark `[#17]` (the core's
//!   `patterns::wire` rule), and [`to_js`] swaps the kept original back in. Originals are kept
//!   in a small registry under that number, so every caller the core hands that error to (the
//!   callers sharing a cache's failed load) gets it.
//! - The function and its pending Promise stay on the one thread ([`Local`]), so the futures
//!   are `Send` for the core.

use crate::convert::{js_of, json_of};
use crate::errors::type_error;
use crate::tasks::Local;
use js_sys::{Array, Function, Promise, Reflect};
use redkit::backend::BoxFuture;
pub use redkit::patterns::wire::report_text;
use redkit::patterns::wire::{callback_error, callback_mark};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// How many thrown values are kept for [`to_js`] (the oldest go first).
const KEPT: usize = 256;

thread_local! {
    /// Values callbacks threw, by the number in their core error's message.
    static THROWN: RefCell<VecDeque<(u64, JsValue)>> = const { RefCell::new(VecDeque::new()) };
    static NEXT: Cell<u64> = const { Cell::new(1) };
}

/// A JavaScript function shared with core futures. Cheap to clone.
#[derive(Clone)]
pub struct Callback {
    function: Local<Function>,
    /// What it is, for the `TypeError` of a result without a JSON form ("the loader's result").
    result: &'static str,
}

impl Callback {
    /// `value` as a callback; a `TypeError` naming `what` when it is not a function.
    pub fn new(value: &JsValue, what: &str, result: &'static str) -> Result<Callback, JsValue> {
        match value.dyn_ref::<Function>() {
            Some(f) => Ok(Callback { function: Local::new(f.clone()), result }),
            None => Err(type_error(format!("{what} must be a function"))),
        }
    }

    /// Calls the function with `args` and awaits its result (see the module docs).
    pub fn call(&self, args: Vec<Json>) -> BoxFuture<'static, redkit::Result<Json>> {
        let (function, result) = (self.function.clone(), self.result);
        Box::pin(Local::new(async move {
            let args: Array = args.iter().map(js_of).collect();
            let returned = function.apply(&JsValue::UNDEFINED, &args).map_err(keep)?;
            let value = settled(returned).await.map_err(keep)?;
            json_of(&value, result).map_err(keep)
        }))
    }
}

/// Whether `value` has a `then` method (a Promise or any thenable).
fn is_thenable(value: &JsValue) -> bool {
    value.is_object() && Reflect::get(value, &"then".into()).is_ok_and(|then| then.is_function())
}

/// What a function returned, awaited if it is a Promise or any thenable; `Err` holds what it
/// rejected with.
async fn settled(returned: JsValue) -> Result<JsValue, JsValue> {
    if is_thenable(&returned) {
        return JsFuture::from(Promise::resolve(&returned)).await;
    }
    Ok(returned)
}

/// Calls `f(arg)` and awaits what it returns; `Err` holds what it threw or rejected with.
pub async fn call(f: &Function, arg: &JsValue) -> Result<JsValue, JsValue> {
    settled(f.call1(&JsValue::UNDEFINED, arg)?).await
}

/// The text a thrown value stands for: an `Error`'s message (an error of another realm, or
/// anything with a string `message`, too), a string as it is, anything else as
/// `JSON.stringify` writes it.
pub fn message_of(thrown: &JsValue) -> String {
    if let Some(e) = thrown.dyn_ref::<js_sys::Error>() {
        return String::from(e.message());
    }
    if let Some(s) = thrown.as_string() {
        return s;
    }
    let message = thrown.is_object().then(|| Reflect::get(thrown, &"message".into()).ok()).flatten();
    if let Some(text) = message.and_then(|m| m.as_string()) {
        return text;
    }
    js_sys::JSON::stringify(thrown)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "the callback threw a value without text".to_string())
}

/// Keeps `thrown` for [`to_js`] and returns the core error that stands for it.
fn keep(thrown: JsValue) -> Error {
    let message = message_of(&thrown);
    let id = NEXT.with(|n| n.replace(n.get() + 1));
    THROWN.with(|kept| {
        let mut kept = kept.borrow_mut();
        if kept.len() >= KEPT {
            kept.pop_front();
        }
        kept.push_back((id, thrown));
    });
    callback_error(&message, id)
}

/// The value to reject with for a core error: what a callback threw if `e` stands for it (see
/// the module docs), else `e` as [`crate::errors::to_js`] maps it.
pub fn to_js(e: Error) -> JsValue {
    if let Some((head, id)) = callback_mark(&e) {
        let kept = THROWN.with(|kept| kept.borrow().iter().find(|(k, _)| *k == id).map(|(_, v)| v.clone()));
        return kept.unwrap_or_else(|| crate::errors::of_kind(ErrorKind::Io, head));
    }
    crate::errors::to_js(e)
}
