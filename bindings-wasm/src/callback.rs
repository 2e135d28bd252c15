//! JavaScript functions the core calls back (a worker's job handler): called with one
//! argument, awaited when they return a Promise (or any thenable), their throw or rejection
//! kept as the JavaScript value it was. What the core needs from the outcome (JSON, an error
//! message) is the caller's business; [`message_of`] gives a thrown value's text.

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Calls `f(arg)` and awaits what it returns; `Err` holds what it threw or rejected with.
pub async fn call(f: &Function, arg: &JsValue) -> Result<JsValue, JsValue> {
    let out = f.call1(&JsValue::UNDEFINED, arg)?;
    if out.is_object() && !out.is_function() {
        // A plain value needs no turn of the event loop; a Promise or thenable is awaited.
        return JsFuture::from(Promise::resolve(&out)).await;
    }
    Ok(out)
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
    let message = thrown.is_object().then(|| js_sys::Reflect::get(thrown, &"message".into()).ok()).flatten();
    if let Some(text) = message.and_then(|m| m.as_string()) {
        return text;
    }
    js_sys::JSON::stringify(thrown)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "the handler threw a value without text".to_string())
}
