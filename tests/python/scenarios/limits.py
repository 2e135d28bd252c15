"""Scenario adapters for ``limiter`` and ``limiter_set`` (tests/scenarios/limiter.json),
``semaphore`` (semaphore.json) and ``redlock`` (redlock.json), after the Rust ones in
core/tests/scenarios/{limiter,lock}.rs.

- ``limiter``: ``client.limiter(...)``, on ``world.unreachable()`` when the file says
  ``"unreachable": true``; ``limiter_set``: ``redkit.LimiterSet`` of limiters built from the
  specs in ``limiters``.
- ``semaphore``: ``client.semaphore(...)``; ``with_permit`` is the ``with`` / ``async with``
  form of a handle on the same semaphore whose ``blocking_timeout`` is the call's timeout,
  and answers how many permits are held inside it.
- ``redlock``: ``redkit.redlock`` / ``redkit.aio.redlock`` over the clients the file lists as
  ``instances`` (``0`` the scenario's, ``i`` ``other(i)``, ``"down"`` an unreachable one);
  ``with_lock`` runs an ``INCR`` of ``key`` inside ``with`` / ``async with``.
"""

from __future__ import annotations

from typing import Any

import redkit
import redkit.aio

from .adapters import Adapter, Args, register, resolved, seconds_args


def limiter(args: Args, client: Any) -> Any:
    """A Python ``Limiter`` on ``client`` from a file's limiter arguments."""
    return client.limiter(**seconds_args({k: v for k, v in args.items() if k != "unreachable"}))


def backend(args: Args, world: Any) -> Any:
    """The scenario's client, or an unreachable one when the file says ``"unreachable": true``."""
    return world.unreachable() if args.get("unreachable", False) else world.client()


class LimiterAdapter(Adapter):
    @classmethod
    def construct(cls, args: Args, world: Any) -> "LimiterAdapter":
        return cls(limiter(args, backend(args, world)), world)


class LimiterSetAdapter(LimiterAdapter):
    @classmethod
    def construct(cls, args: Args, world: Any) -> "LimiterSetAdapter":
        client = backend(args, world)  # one backend for the whole set
        return cls(redkit.LimiterSet([limiter(spec, client) for spec in args["limiters"]]), world)


class SemaphoreAdapter(Adapter):
    def __init__(self, obj: Any, world: Any, args: Args) -> None:
        super().__init__(obj, world)
        self.args = args

    @classmethod
    def construct(cls, args: Args, world: Any) -> "SemaphoreAdapter":
        return cls(world.client().semaphore(**seconds_args(args)), world, args)

    async def do_with_permit(self, timeout_ms: int) -> Any:
        """Enters a handle on the same semaphore waiting up to ``timeout_ms`` (a TimeoutError
        when no permit frees) and counts the holders inside."""
        handle = self.world.client().semaphore(**seconds_args(self.args), blocking_timeout=timeout_ms / 1000)
        if self.world.api == "aio":
            async with handle:
                return await handle.count()
        with handle:
            return handle.count()


class RedlockAdapter(Adapter):
    @classmethod
    def construct(cls, args: Args, world: Any) -> "RedlockAdapter":
        options = dict(args)
        clients = [instance(spec, world) for spec in options.pop("instances", [])]
        make = redkit.aio.redlock if world.api == "aio" else redkit.redlock
        return cls(make(clients, **seconds_args(options)), world)

    async def do_with_lock(self, key: str) -> Any:
        """``INCR key`` on the scenario's client inside ``with`` / ``async with``."""
        client = self.world.client()
        if self.world.api == "aio":
            async with self.obj:
                return await client.execute("INCR", key)
        with self.obj:
            return client.execute("INCR", key)


def instance(spec: Any, world: Any) -> Any:
    """A Redlock instance as the files list it: a database number or ``"down"``."""
    if spec == "down":
        return world.unreachable()
    if isinstance(spec, int) and 0 <= spec <= 8:
        return world.client(spec)
    raise RuntimeError(f"instance {spec!r}: use 0 ..= 8 or \"down\"")


register("limiter", LimiterAdapter)
register("limiter_set", LimiterSetAdapter)
register("semaphore", SemaphoreAdapter)
register("redlock", RedlockAdapter)
