//! [`Callback`]: a JavaScript function the core calls back from its futures — a cache loader, a
//! write sink, later a queue worker's handler — plain or `async` (returning a Promise).
//!
//! - It is taken as a method argument (`Callback` converts from any JS function; anything else
//!   is a `TypeError`) and becomes a napi-rs `ThreadsafeFunction`: [`Callback::call`] may run
//!   on any tokio thread; the function itself runs on the JavaScript thread, with the
//!   arguments (JSON, see [`crate::json`]) spread as its parameters.
//! - Its result is awaited when it is a Promise, and converted to JSON by `JSON.stringify`'s
//!   rules; `undefined` is `null`.
//! - Whatever it throws or rejects with (and a `TypeError` for a result JSON cannot hold)
//!   reaches the JavaScript caller of the pattern's method as THE SAME object, not a copy:
//!   the core only sees an error of kind `Io` whose message ends with a mark `[#17]`, and
//!   [`to_js`] swaps the kept original back in when the method fails. The originals are kept
//!   in a small registry under that number, so every caller the core hands that error to gets
//!   it — the callers of a cache's single flight that shared a failed load included. That holds
//!   for thrown values that are not `Error`s too (`throw 'oops'`, `Promise.reject(obj)`).
//! - Nothing here can bring the process down: a call after the function's environment is gone
//!   (the tsfn is closing), or whose answer never comes, is an ordinary core error.
//! - The function does not keep Node's event loop alive by itself (a weak tsfn): a pending
//!   call's Promise does, and a background drainer's sink does not.

use crate::json::{from_js, JsJson};
use napi::bindgen_prelude::{
    CallbackContext, FromNapiValue, Function, JsValuesTupleIntoVec, PromiseRaw, ToNapiValue, TypeName, Unknown,
    ValidateNapiValue,
};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{sys, Env, JsValue, Status, ValueType};
pub use redkit::patterns::wire::report_text;
use redkit::patterns::wire::{callback_error, callback_mark};
use redkit::{Error, ErrorKind};
use serde_json::Value as Json;
use std::cell::Cell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// How many thrown values are kept for [`to_js`] (the oldest go first).
const KEPT: usize = 256;
/// Values callbacks threw, by the number in their core error's message.
static THROWN: Mutex<VecDeque<(u64, napi::Error)>> = Mutex::new(VecDeque::new());
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The arguments of one call, spread as the function's parameters.
pub struct Args(pub Vec<Json>);

impl JsValuesTupleIntoVec for Args {
    fn into_vec(self, env: sys::napi_env) -> napi::Result<Vec<sys::napi_value>> {
        // napi-rs turns a failed argument conversion into a fatal exception, so none may fail:
        // an argument that cannot be built (only if the engine itself fails) is `undefined`.
        self.0
            .into_iter()
            .map(|v| {
                unsafe { JsJson::to_napi_value(env, JsJson(v)) }.or_else(|_| unsafe { <()>::to_napi_value(env, ()) })
            })
            .collect::<napi::Result<_>>()
    }
}

type Tsfn = ThreadsafeFunction<Args, Unknown<'static>, Args, Status, false, true>;
/// What one call's JavaScript side sends back.
type Outcome = napi::Result<Json>;

/// A JavaScript function shared with core futures. Cheap to clone.
#[derive(Clone)]
pub struct Callback {
    tsfn: Arc<Tsfn>,
}

impl TypeName for Callback {
    fn type_name() -> &'static str {
        "Function"
    }

    fn value_type() -> ValueType {
        ValueType::Function
    }
}

impl ValidateNapiValue for Callback {}

impl FromNapiValue for Callback {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // `env` and `value` are the live ones napi-rs hands an argument conversion.
        let ty = unsafe { Unknown::from_raw_unchecked(env, value) }.get_type()?;
        if ty != ValueType::Function {
            return Err(crate::errors::type_error(format!("expected a function, got {}", type_word(ty))));
        }
        let f = unsafe { Function::<Args, Unknown<'static>>::from_napi_value(env, value)? };
        let tsfn = f
            .build_threadsafe_function::<Args>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(|ctx| Ok(ctx.value))?;
        Ok(Callback { tsfn: Arc::new(tsfn) })
    }
}

fn type_word(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Undefined => "undefined",
        ValueType::Null => "null",
        ValueType::Boolean => "a boolean",
        ValueType::Number => "a number",
        ValueType::String => "a string",
        ValueType::Symbol => "a symbol",
        ValueType::BigInt => "a bigint",
        _ => "an object",
    }
}

impl Callback {
    /// Calls the function with `args` on the JavaScript thread and awaits its result (a
    /// returned Promise settled). A throw or rejection is kept for [`to_js`]; the core sees
    /// `Io`.
    pub async fn call(&self, args: Vec<Json>) -> redkit::Result<Json> {
        let (tx, rx) = oneshot::channel::<Outcome>();
        let status = self.tsfn.call_with_return_value(
            Args(args),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |ret: napi::Result<Unknown<'static>>, env: Env| {
                settle(ret, &env, tx);
                // An Err here would be a fatal exception: everything went through `tx`.
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(gone(&format!("{status}")));
        }
        match rx.await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(thrown)) => Err(keep(thrown)),
            Err(_) => Err(gone("no answer")),
        }
    }
}

/// On the JavaScript thread: sends the function's result (awaited if it is a Promise) or what
/// it threw.
fn settle(ret: napi::Result<Unknown<'static>>, env: &Env, tx: oneshot::Sender<Outcome>) {
    let value = match ret {
        Ok(v) => v,
        Err(thrown) => {
            let _ = tx.send(Err(thrown));
            return;
        }
    };
    if !value.is_promise().unwrap_or(false) {
        let _ = tx.send(from_js(env, value));
        return;
    }
    // Both handlers share the sender: whichever runs first takes it.
    let on_value = Rc::new(Cell::new(Some(tx)));
    let on_error = on_value.clone();
    // A value from `is_promise` is a promise object on this env.
    let promise = unsafe { PromiseRaw::<Unknown<'static>>::from_napi_value(env.raw(), value.raw()) };
    let attached = promise.and_then(|p| {
        p.then(move |ctx: CallbackContext<Unknown<'static>>| {
            if let Some(tx) = on_value.take() {
                let _ = tx.send(from_js(&ctx.env, ctx.value));
            }
            Ok(())
        })?
        .catch(move |ctx: CallbackContext<Unknown<'static>>| {
            if let Some(tx) = on_error.take() {
                let _ = tx.send(Err(napi::Error::from_unknown_without_coercion(ctx.value)));
            }
            Ok(())
        })
        .map(drop)
    });
    // If the handlers could not be attached, they were dropped with the sender: the caller
    // sees "no answer".
    drop(attached);
}

/// The core error for a call that could not reach the function or got no answer.
fn gone(why: &str) -> Error {
    Error::new(ErrorKind::Io, format!("the JavaScript callback could not be called ({why}): its environment is gone"))
}

/// Keeps `thrown` for [`to_js`] and returns the core error that stands for it.
fn keep(thrown: napi::Error) -> Error {
    let message = thrown.reason.clone();
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut kept = THROWN.lock().unwrap_or_else(|p| p.into_inner());
    if kept.len() >= KEPT {
        kept.pop_front();
    }
    kept.push_back((id, thrown));
    callback_error(&message, id)
}

/// The error to reject with for a core error: what a callback threw if `e` stands for it (see
/// the module docs), else `e` as [`crate::errors::to_js`] maps it.
pub fn to_js(e: Error) -> napi::Error {
    if let Some((head, id)) = callback_mark(&e) {
        let kept = THROWN.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(original) = kept.iter().find(|(k, _)| *k == id).and_then(|(_, t)| t.try_clone().ok()) {
            return original;
        }
        return crate::errors::tagged(ErrorKind::Io, head);
    }
    crate::errors::to_js(e)
}
