"""redkit.aio: the asyncio API. The same classes as ``redkit``, made by an asyncio client, whose
methods return awaitables (``await lock.acquire()``, ``async with lock:``).

    client = redkit.aio.connect("memory://")
    async with client.lock("report") as held:
        ...
"""

from __future__ import annotations

from typing import Any

from .. import _native
from .._native import (
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
    Opening,
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

__all__ = [
    "Cache",
    "Client",
    "Cron",
    "Drainer",
    "Geo",
    "Leaderboard",
    "Limiter",
    "LimiterSet",
    "Lock",
    "Messages",
    "Opening",
    "PubSub",
    "Queue",
    "Redlock",
    "Requester",
    "Responder",
    "Semaphore",
    "SessionStore",
    "Simulator",
    "Stream",
    "StreamIter",
    "Subscription",
    "Worker",
    "connect",
    "connect_cluster",
    "redlock",
]


def connect(url: str, **options: Any) -> Client:
    """An asyncio client for ``url`` (``redis://``, ``rediss://`` or ``memory://``)."""
    return _native.connect(url, asyncio=True, **options)


def connect_cluster(urls: list[str], **options: Any) -> Client:
    """An asyncio client for the Redis Cluster reached through any of ``urls``."""
    return _native.connect_cluster(urls, asyncio=True, **options)


def redlock(clients: Any, name: str, **options: Any) -> Redlock:
    """An asyncio ``Redlock`` named ``name`` over the independent masters behind ``clients``
    (any clients: only their connections are used); options as ``redkit.redlock``."""
    return _native.redlock(clients, name, asyncio=True, **options)
