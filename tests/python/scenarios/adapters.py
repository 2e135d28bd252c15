"""One adapter per scenario object kind: how a file's ``new`` and ``call`` steps (named after
the Rust API, durations in ``*_ms``) map onto redkit's Python API (seconds).

The default does most of it: ``new KIND`` calls ``client.KIND(**args)`` and ``call NAME.METHOD``
calls the method of the same name (an attribute that is not callable is read), with every
``x_ms`` argument passed as ``x`` in seconds. Results become JSON-like values (dataclasses →
dicts, bytes → str); the matcher reads a result's ``x`` in seconds for an expected ``x_ms``.
Adapters override only what differs.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Optional

import redkit

Args = dict[str, Any]


async def resolved(x: Any) -> Any:
    """A value, awaited if the asyncio API returned an awaitable."""
    return await x if inspect.isawaitable(x) else x


def seconds_args(args: Args) -> Args:
    """``x_ms`` arguments as ``x`` in seconds (nested dicts and lists too)."""

    def conv(v: Any) -> Any:
        if isinstance(v, dict):
            return seconds_args(v)
        if isinstance(v, list):
            return [conv(x) for x in v]
        return v

    out = {}
    for k, v in args.items():
        if k.endswith("_ms"):
            out[k[:-3]] = None if v is None else v / 1000
        else:
            out[k] = conv(v)
    return out


def to_json(v: Any) -> Any:
    """A Python result as the JSON-like value the files expect."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return {f.name: to_json(getattr(v, f.name)) for f in dataclasses.fields(v)}
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, dict):
        return {to_json(k) if not isinstance(k, str) else k: to_json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [to_json(x) for x in v]
    if isinstance(v, (set, frozenset)):
        return sorted((to_json(x) for x in v), key=repr)
    if isinstance(v, BaseException):
        raise v
    return v


async def command(client: Any, argv: list[str]) -> Any:
    return to_json(await resolved(client.execute(*argv)))


class Adapter:
    """A constructed object and how to call it."""

    #: Methods whose result is a duration in seconds (the files expect milliseconds).
    seconds_results: frozenset[str] = frozenset()

    def __init__(self, obj: Any, world: Any) -> None:
        self.obj = obj
        self.world = world

    async def call(self, method: str, args: Args) -> Any:
        special: Optional[Callable[..., Any]] = getattr(self, "do_" + method, None)
        if special is not None:
            return to_json(await special(**args))
        attr = getattr(self.obj, method)
        value = await resolved(attr(**seconds_args(args))) if callable(attr) else attr
        if method in self.seconds_results and isinstance(value, (int, float)):
            return round(value * 1000, 3)
        return to_json(value)


class LockAdapter(Adapter):
    seconds_results = frozenset({"ttl"})

    async def do_with_lock(self, timeout_ms: int, key: str) -> Any:
        """INCR of ``key`` under the lock: acquire (waiting), the work, release."""
        held = await resolved(self.obj.acquire(timeout=timeout_ms / 1000))
        if not held:
            raise redkit.TimeoutError(f"lock {self.obj.name!r} still held after {timeout_ms} ms")
        value = await resolved(self.world.client().execute("INCR", key))
        await resolved(self.obj.release())
        return {"fence": held.fence, "value": value}

    async def do_guard(self, timeout_ms: int) -> Any:
        held = await resolved(self.obj.acquire(timeout=timeout_ms / 1000))
        if not held:
            raise redkit.TimeoutError(f"lock {self.obj.name!r} still held after {timeout_ms} ms")
        release = await resolved(self.obj.release())
        return {"fence": held.fence, "released": release.released}


#: ``new`` kinds and their adapter classes; adapter modules add theirs with ``register``.
KINDS: dict[str, type[Adapter]] = {
    "lock": LockAdapter,
}


def register(kind: str, adapter: type[Adapter]) -> None:
    """Makes ``adapter`` the one for ``new`` steps of ``kind``."""
    KINDS[kind] = adapter


class Unsupported(Exception):
    """A kind this runner has no adapter for yet (reported, never silently passed)."""


def construct(kind: str, args: Args, world: Any) -> Any:
    adapter = KINDS.get(kind)
    if adapter is None:
        raise Unsupported(kind)
    custom = getattr(adapter, "construct", None)
    if custom is not None:
        return custom(args, world)
    return adapter(getattr(world.client(), kind)(**seconds_args(args)), world)
