//! The one error type of the core. Every binding maps [`ErrorKind`] to its own exception classes.

use std::fmt;

/// What went wrong, coarsely, so bindings can map it to a typed exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Redis (or the simulator) answered with an error reply.
    Reply,
    /// The connection failed or was refused.
    Connection,
    /// A bounded wait ran out.
    Timeout,
    /// A lock operation by a client that does not own the lock.
    LockNotOwned,
    /// An argument was invalid.
    InvalidArgument,
    /// A value could not be serialised or deserialised.
    Serialization,
    /// The protocol stream was malformed.
    Protocol,
    /// I/O on a file (snapshots).
    Io,
    /// The thing asked for does not exist (a job id, a session).
    NotFound,
}

impl ErrorKind {
    /// The kind's snake_case name, as scenario files and bindings spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Reply => "reply",
            ErrorKind::Connection => "connection",
            ErrorKind::Timeout => "timeout",
            ErrorKind::LockNotOwned => "lock_not_owned",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Serialization => "serialization",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Io => "io",
            ErrorKind::NotFound => "not_found",
        }
    }

    /// The name of the error class every binding raises for this kind (`ResponseError`,
    /// `ConnectionError` …: redkit's exceptions in Python, its `RedkitError` subclasses in
    /// JavaScript).
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Reply => "ResponseError",
            ErrorKind::Connection => "ConnectionError",
            ErrorKind::Timeout => "TimeoutError",
            ErrorKind::LockNotOwned => "LockNotOwnedError",
            ErrorKind::InvalidArgument => "InvalidArgumentError",
            ErrorKind::Serialization => "SerializationError",
            ErrorKind::Protocol => "ProtocolError",
            ErrorKind::Io => "StorageError",
            ErrorKind::NotFound => "NotFoundError",
        }
    }

    /// The kind named `name` as [`ErrorKind::as_str`] spells it; [`ErrorKind::Reply`] for a
    /// name this version does not know (a kind that crossed a wire from a newer peer).
    pub fn named(name: &str) -> ErrorKind {
        use ErrorKind::*;
        [Reply, Connection, Timeout, LockNotOwned, InvalidArgument, Serialization, Protocol, Io, NotFound]
            .into_iter()
            .find(|k| k.as_str() == name)
            .unwrap_or(Reply)
    }
}

/// The core's error: a kind plus a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Error {
    /// The kind.
    pub kind: ErrorKind,
    /// Human-readable message (for `Reply`, the server's error text).
    pub message: String,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Error {}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::new(ErrorKind::Serialization, e.to_string())
    }
}

impl From<crate::resp::ParseError> for Error {
    fn from(e: crate::resp::ParseError) -> Self {
        Error::new(ErrorKind::Protocol, e.to_string())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

/// Result with the core's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
