"""redkit: Redis patterns (cache, sessions, locks, rate limiters, queues, streams, pub/sub,
leaderboards, geo) over real Redis or an in-memory Redis 7 simulator with a virtual clock.

    import redkit
    sim = redkit.Simulator(manual_clock=True)
    client = sim.client()                     # or redkit.connect("redis://127.0.0.1:6379")
    with client.lock("report", ttl=30) as held:
        print(held.fence)

The blocking API is here; ``redkit.aio`` has the same objects with awaitable methods. All logic
lives in the Rust core (``redkit._native``); this package only re-exports and adds Python forms.
"""

from __future__ import annotations

import os as _os

from . import _native
from ._native import Client, Lock, Simulator
from .exceptions import (
    ConnectionError,
    InvalidArgumentError,
    LockNotOwnedError,
    NotFoundError,
    ProtocolError,
    RedkitError,
    ResponseError,
    SerializationError,
    StorageError,
    TimeoutError,
)
from .results import Acquisition, Release
from ._native import Geo, Leaderboard, Messages, PubSub, Requester, Responder, Subscription
from .results import Entry, GeoHit, Message, Page, Position

__all__ = [
    "Acquisition",
    "Client",
    "ConnectionError",
    "InvalidArgumentError",
    "Lock",
    "LockNotOwnedError",
    "NotFoundError",
    "ProtocolError",
    "RedkitError",
    "Release",
    "ResponseError",
    "SerializationError",
    "Simulator",
    "StorageError",
    "TimeoutError",
    "connect",
    "connect_cluster",
    "PubSub",
    "Subscription",
    "Messages",
    "Message",
    "Requester",
    "Responder",
    "Leaderboard",
    "Entry",
    "Page",
    "Geo",
    "Position",
    "GeoHit",
]

connect = _native.connect
connect_cluster = _native.connect_cluster

if hasattr(_os, "register_at_fork"):
    # A forked child gets a fresh I/O runtime and reconnects instead of sharing sockets.
    _os.register_at_fork(after_in_child=_native.after_fork)
