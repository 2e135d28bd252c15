//! Core errors crossing into JavaScript.
//!
//! napi-rs rejects a Promise with a plain `Error` whose `code` is a napi status, and builds it
//! off the JS thread, so a core error travels as a tag at the head of its message —
//! `[redkit:reply] ERR unknown command` — and `lib/errors.js` turns it into the subclass for
//! that kind (`ResponseError`, with `kind` and `code`). The tag is this crate's private
//! protocol with `lib/`: users never see it.

use napi::{Error, Status};
use redkit::ErrorKind;

/// The JS-side error for a core error.
pub fn to_js(e: redkit::Error) -> Error {
    tagged(e.kind, &e.message)
}

/// An error of `kind` with `message`, for checks the binding itself makes.
pub fn tagged(kind: ErrorKind, message: &str) -> Error {
    Error::new(Status::GenericFailure, format!("[redkit:{}] {message}", kind.as_str()))
}

/// An invalid argument the core never saw (a bad option value): `InvalidArgumentError`.
pub fn invalid(message: impl std::fmt::Display) -> Error {
    tagged(ErrorKind::InvalidArgument, &message.to_string())
}

/// A JavaScript `TypeError` for an argument of the wrong type.
pub fn type_error(message: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, message.to_string())
}
