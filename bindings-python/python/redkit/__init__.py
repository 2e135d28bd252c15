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
from typing import Any

from . import _native
from ._native import (
    Cache,
    Client,
    Cron,
    Drainer,
    Geo,
    Leaderboard,
    Limiter,
    LimiterSet,
    Lock,
    Messages,
    PubSub,
    Queue,
    Redlock,
    Requester,
    Responder,
    Semaphore,
    SessionStore,
    Simulator,
    Stream,
    StreamIter,
    Subscription,
    Worker,
)
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
from .results import (
    Acquisition,
    CacheStats,
    Claimed,
    Counts,
    Created,
    DeadLettered,
    Decision,
    DrainReport,
    Enqueued,
    Failed,
    GeoHit,
    GroupInfo,
    Job,
    JobInfo,
    LeaderboardEntry,
    Message,
    MultiDecision,
    Page,
    PendingEntry,
    PendingSummary,
    Permit,
    Position,
    Recovered,
    RedlockAcquisition,
    Release,
    Repeatable,
    Reservation,
    Session,
    SessionInfo,
    ShutdownReport,
    StreamEntry,
    WorkerStats,
    Write,
)

__all__ = [
    "Acquisition",
    "Cache",
    "CacheStats",
    "Claimed",
    "Client",
    "ConnectionError",
    "Counts",
    "Created",
    "Cron",
    "DeadLettered",
    "Decision",
    "DrainReport",
    "Drainer",
    "Enqueued",
    "Failed",
    "Geo",
    "GeoHit",
    "GroupInfo",
    "InvalidArgumentError",
    "Job",
    "JobInfo",
    "Leaderboard",
    "LeaderboardEntry",
    "Limiter",
    "LimiterSet",
    "Lock",
    "LockNotOwnedError",
    "Message",
    "Messages",
    "MultiDecision",
    "NotFoundError",
    "Page",
    "PendingEntry",
    "PendingSummary",
    "Permit",
    "Position",
    "ProtocolError",
    "PubSub",
    "Queue",
    "Recovered",
    "RedkitError",
    "Redlock",
    "RedlockAcquisition",
    "Release",
    "Repeatable",
    "Requester",
    "Reservation",
    "Responder",
    "ResponseError",
    "Semaphore",
    "SerializationError",
    "Session",
    "SessionInfo",
    "SessionStore",
    "ShutdownReport",
    "Simulator",
    "StorageError",
    "Stream",
    "StreamEntry",
    "StreamIter",
    "Subscription",
    "TimeoutError",
    "Worker",
    "WorkerStats",
    "Write",
    "connect",
    "connect_cluster",
    "redlock",
]

connect = _native.connect
connect_cluster = _native.connect_cluster


def redlock(clients: Any, name: str, **options: Any) -> Redlock:
    """A blocking ``Redlock`` named ``name`` over the independent masters behind ``clients``
    (options: ``ttl``, ``drift_factor``, ``retry_count``, ``retry_delay``, ``retry_jitter``,
    ``instance_timeout``, ``prefix``; durations in seconds). Retries pause on the first master's
    clock: over manual-clock simulators use ``retry_count=0`` or advance from another thread."""
    return _native.redlock(clients, name, asyncio=False, **options)


if hasattr(_os, "register_at_fork"):
    # A forked child gets a fresh I/O runtime and reconnects instead of sharing sockets.
    _os.register_at_fork(after_in_child=_native.after_fork)
