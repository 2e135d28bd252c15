"""redkit's exceptions: one class per kind of core error.

Each also subclasses the built-in that fits, so ``except TimeoutError`` or ``except ValueError``
written for the standard library catches redkit's too.
"""

from __future__ import annotations

import builtins

__all__ = [
    "RedkitError",
    "ResponseError",
    "ConnectionError",
    "TimeoutError",
    "LockNotOwnedError",
    "InvalidArgumentError",
    "SerializationError",
    "ProtocolError",
    "StorageError",
    "NotFoundError",
]


class RedkitError(Exception):
    """Base class of every error redkit raises."""


class ResponseError(RedkitError):
    """Redis (or the simulator) answered with an error reply; the message is its text."""


class ConnectionError(RedkitError, builtins.ConnectionError):
    """The connection failed, was refused or dropped."""


class TimeoutError(RedkitError, builtins.TimeoutError):
    """A bounded wait ran out."""


class LockNotOwnedError(RedkitError):
    """A lock was released or extended by a client that does not own it."""


class InvalidArgumentError(RedkitError, ValueError):
    """An argument was invalid."""


class SerializationError(RedkitError, ValueError):
    """A value could not be serialised or deserialised."""


class ProtocolError(RedkitError):
    """The protocol stream was malformed."""


class StorageError(RedkitError, OSError):
    """Reading or writing a snapshot file failed."""


class NotFoundError(RedkitError, LookupError):
    """The thing asked for does not exist (a job id, a session)."""
