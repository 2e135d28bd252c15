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
from ._native import Cache, Drainer, SessionStore
from .results import CacheStats, Created, DrainReport, Session, SessionInfo, Write
from ._native import Geo, Leaderboard, Messages, PubSub, Requester, Responder, Subscription
from .results import LeaderboardEntry, GeoHit, Message, Page, Position

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
    "Decision",
    "Limiter",
    "LimiterSet",
    "MultiDecision",
    "Permit",
    "Redlock",
    "RedlockAcquisition",
    "Semaphore",
    "redlock",
    "Cache",
    "Drainer",
    "SessionStore",
    "CacheStats",
    "Write",
    "Created",
    "DrainReport",
    "Session",
    "SessionInfo",
    "Queue",
    "Worker",
    "Stream",
    "StreamIter",
    "Cron",
    "Enqueued",
    "Job",
    "Reservation",
    "Failed",
    "Recovered",
    "Counts",
    "JobInfo",
    "Repeatable",
    "WorkerStats",
    "ShutdownReport",
    "StreamEntry",
    "PendingSummary",
    "PendingEntry",
    "Claimed",
    "GroupInfo",
    "DeadLettered",
    "PubSub",
    "Subscription",
    "Messages",
    "Message",
    "Requester",
    "Responder",
    "Leaderboard",
    "LeaderboardEntry",
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

from ._native import Limiter, LimiterSet, Redlock, Semaphore  # noqa: E402
from .results import Decision, MultiDecision, Permit, RedlockAcquisition  # noqa: E402


def redlock(clients: Any, name: str, **options: Any) -> Redlock:
    """A blocking ``Redlock`` named ``name`` over the independent masters behind ``clients``
    (options: ``ttl``, ``drift_factor``, ``retry_count``, ``retry_delay``, ``retry_jitter``,
    ``instance_timeout``, ``prefix``; durations in seconds). Retries pause on the first master's
    clock: over manual-clock simulators use ``retry_count=0`` or advance from another thread."""
    return _native.redlock(clients, name, asyncio=False, **options)
# Queue, worker, streams.
from ._native import Cron, Queue, Stream, StreamIter, Worker  # noqa: E402
from .results import (  # noqa: E402
    Claimed,
    Counts,
    DeadLettered,
    Enqueued,
    StreamEntry,
    Failed,
    GroupInfo,
    Job,
    JobInfo,
    PendingEntry,
    PendingSummary,
    Recovered,
    Repeatable,
    Reservation,
    ShutdownReport,
    WorkerStats,
)
