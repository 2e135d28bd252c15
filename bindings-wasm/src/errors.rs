//! Core errors as JavaScript errors: an `Error` whose `name` is the class every binding uses
//! for the kind (`ResponseError` …), with `kind` (the scenario files' snake_case name) and
//! `code` (`ERR_REDKIT_<KIND>`) — the fields the Node package's errors carry, so a runner
//! reading `e.kind` treats both packages alike. A wrong argument type is a `TypeError`.
//!
//! The package's JavaScript installs its error classes at load (`setErrorFactory`, the Node
//! package's `errors.js`), so errors are `instanceof LockNotOwnedError` and so on; before that
//! (or if the factory throws) they are plain `Error`s carrying the same fields.

use js_sys::{Error, Function, Reflect, TypeError};
use redkit::ErrorKind;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// `(kind, message) => error`, set by the package's JavaScript.
    static FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Makes `factory(kind, message)` build every error of a core kind from now on.
#[wasm_bindgen(js_name = setErrorFactory, skip_typescript)]
pub fn set_error_factory(factory: Function) {
    FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}

/// The JavaScript error for a core error.
pub fn to_js(e: redkit::Error) -> JsValue {
    of_kind(e.kind, &e.message)
}

/// An error of `kind` with `message`, for checks the binding itself makes.
pub fn of_kind(kind: ErrorKind, message: &str) -> JsValue {
    let made = FACTORY.with(|f| {
        f.borrow()
            .as_ref()
            .and_then(|factory| factory.call2(&JsValue::NULL, &kind.as_str().into(), &message.into()).ok())
    });
    if let Some(error) = made {
        return error;
    }
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
