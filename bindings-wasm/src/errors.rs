//! Core errors as JavaScript errors: an `Error` whose `name` is the class every binding uses
//! for the kind (`ResponseError` …), with `kind` (the scenario files' snake_case name) and
//! `code` (`ERR_REDKIT_<KIND>`) — the fields the Node package's errors carry, so a runner
//! reading `e.kind` treats both packages alike. A wrong argument type is a `TypeError`.

use js_sys::{Error, Reflect, TypeError};
use redkit::ErrorKind;
use wasm_bindgen::JsValue;

/// The JavaScript error for a core error.
pub fn to_js(e: redkit::Error) -> JsValue {
    of_kind(e.kind, &e.message)
}

/// An error of `kind` with `message`, for checks the binding itself makes.
pub fn of_kind(kind: ErrorKind, message: &str) -> JsValue {
    let error = Error::new(message);
    error.set_name(kind.class_name());
    let code = format!("ERR_REDKIT_{}", kind.as_str().to_uppercase());
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"kind".into(), &kind.as_str().into());
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// An invalid argument value (a negative time …): `InvalidArgumentError`.
pub fn invalid(message: impl std::fmt::Display) -> JsValue {
    of_kind(ErrorKind::InvalidArgument, &message.to_string())
}

/// A `TypeError` for an argument of the wrong type.
pub fn type_error(message: impl std::fmt::Display) -> JsValue {
    TypeError::new(&message.to_string()).into()
}
