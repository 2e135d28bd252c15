"""redkit.aio: the asyncio API. The same classes as ``redkit``, made by an asyncio client, whose
methods return awaitables (``await lock.acquire()``, ``async with lock:``).

    client = redkit.aio.connect("memory://")
    async with client.lock("report") as held:
        ...
"""

from __future__ import annotations

from typing import Any

from .. import _native
from .._native import Client, Lock, Simulator
from .._native import Cache, Drainer, SessionStore
from .._native import Geo, Leaderboard, Messages, Opening, PubSub, Requester, Responder, Subscription

__all__ = [
    "Client",
    "Lock",
    "Simulator",
    "connect",
    "connect_cluster",
    "Limiter",
    "LimiterSet",
    "Redlock",
    "Semaphore",
    "redlock",
    "Cache",
    "Drainer",
    "SessionStore",
    "Queue",
    "Worker",
    "Stream",
    "StreamIter",
    "Cron",
    "PubSub",
    "Opening",
    "Subscription",
    "Messages",
    "Requester",
    "Responder",
    "Leaderboard",
    "Geo",
]


def connect(url: str, **options: Any) -> Client:
    """An asyncio client for ``url`` (``redis://``, ``rediss://`` or ``memory://``)."""
    return _native.connect(url, asyncio=True, **options)


def connect_cluster(urls: list[str], **options: Any) -> Client:
    """An asyncio client for the Redis Cluster reached through any of ``urls``."""
    return _native.connect_cluster(urls, asyncio=True, **options)


from .._native import Limiter, LimiterSet, Redlock, Semaphore  # noqa: E402


def redlock(clients: Any, name: str, **options: Any) -> Redlock:
    """An asyncio ``Redlock`` named ``name`` over the independent masters behind ``clients``
    (any clients: only their connections are used); options as ``redkit.redlock``."""
    return _native.redlock(clients, name, asyncio=True, **options)
# Queue, worker, streams.
from .._native import Cron, Queue, Stream, StreamIter, Worker  # noqa: E402
