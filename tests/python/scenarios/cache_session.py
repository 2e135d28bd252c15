"""Scenario adapters for ``cache`` (tests/scenarios/cache.json) and ``session``
(session.json), after the Rust ones in core/tests/scenarios/{cache,session}.rs.

A cache adapter provides what a file cannot write as data, as Python callables handed to the
real API: a canned loader for ``get_or_set`` (returns ``load_value``, or raises ``load_error``
as a ``redkit.ConnectionError``, after ``load_ms`` of backend time counted from the step; the
``loads`` call counts its runs) and an in-memory sink for write-through and write-behind
(``sink`` lists what it received as ``{key, value}``, ``fail_sink`` makes its next ``times``
writes raise). On the asyncio API the loader and the sink are ``async def`` functions, so
both kinds of callable are exercised.

Backend time: on the simulator the loader waits with a ``BLPOP`` on a key nobody pushes to
(a wait parked on the manual clock, which ``advance`` ends; on its own client, database 15,
so it holds up nothing else); on a real server backend time is real time, so it sleeps.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Optional

import redkit

from .adapters import Adapter, Args, register, resolved, seconds_args

#: The database whose client the simulated loader's wait uses (and the key it waits on).
SLEEP_DB = 15
SLEEP_KEY = "scenario:loader:sleep"


class CacheAdapter(Adapter):
    def __init__(self, obj: Any, world: Any) -> None:
        super().__init__(obj, world)
        self.loads = 0
        self.received: list[dict[str, Any]] = []
        self.failures_left = 0
        self.drainer: Any = None

    # --- the test helpers -------------------------------------------------------------------

    def _now(self) -> float:
        """Backend time in seconds: the simulator's clock, or the real monotonic one."""
        return self.world.sim.now() if self.world.sim is not None else time.monotonic()

    def _loader(self, load_value: Any, load_error: Optional[str], deadline: Optional[float]) -> Any:
        """The canned loader, plain or ``async def`` like the API it is given to."""
        sim = self.world.sim

        def answer() -> Any:
            if load_error is not None:
                raise redkit.ConnectionError(load_error)
            return load_value

        def left() -> float:
            return 0.0 if deadline is None else deadline - self._now()

        if self.obj.is_async:

            async def aload() -> Any:
                self.loads += 1
                wait = left()
                if wait >= 0.001:
                    if sim is not None:
                        await self.world.client(SLEEP_DB).execute("BLPOP", SLEEP_KEY, f"{wait:.3f}")
                    else:
                        await asyncio.sleep(wait)
                return answer()

            return aload

        def load() -> Any:
            self.loads += 1
            wait = left()
            if wait >= 0.001:
                if sim is not None:
                    self.world.client(SLEEP_DB).execute("BLPOP", SLEEP_KEY, f"{wait:.3f}")
                else:
                    time.sleep(wait)
            return answer()

        return load

    def _write(self, writes: list[Any]) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise redkit.ConnectionError("sink unavailable")
        self.received.extend({"key": w.key, "value": w.value} for w in writes)

    def _sink(self) -> Any:
        """The in-memory sink, plain or ``async def`` like the API it is given to."""
        if self.obj.is_async:

            async def awrite(writes: list[Any]) -> None:
                self._write(writes)

            return awrite
        return self._write

    async def do_loads(self) -> int:
        return self.loads

    async def do_sink(self) -> list[dict[str, Any]]:
        return list(self.received)

    async def do_fail_sink(self, times: int) -> None:
        self.failures_left = times

    # --- the cache's methods that take a loader or a sink ------------------------------------

    async def do_get_or_set(
        self,
        key: str,
        ttl_ms: Optional[int] = None,
        load_value: Any = None,
        load_error: Optional[str] = None,
        load_ms: Optional[int] = None,
        tags: Optional[list[str]] = None,
    ) -> Any:
        # load_ms counts from the step, not from when the loader gets to run.
        deadline = None if load_ms is None else self._now() + load_ms / 1000
        loader = self._loader(load_value, load_error, deadline)
        ttl = None if ttl_ms is None else ttl_ms / 1000
        return await resolved(self.obj.get_or_set(key, loader, ttl, tags=tags))

    async def do_write_through(self, key: str, value: Any, ttl_ms: Optional[int] = None, tags: Any = None) -> Any:
        ttl = None if ttl_ms is None else ttl_ms / 1000
        return await resolved(self.obj.write_through(key, value, self._sink(), ttl, tags=tags))

    async def do_drain_behind(self, **options: Any) -> Any:
        return await resolved(self.obj.drain_behind(self._sink(), **seconds_args(options)))

    async def do_spawn_drainer(self, **options: Any) -> None:
        self.drainer = self.obj.spawn_drainer(self._sink(), **seconds_args(options))

    async def do_stop_drainer(self) -> None:
        if self.drainer is not None:
            self.drainer.stop()
            self.drainer = None


class SessionAdapter(Adapter):
    """``new session`` is ``client.sessions(...)``; TTL results are seconds."""

    seconds_results = frozenset({"set_field", "set_fields", "delete_fields", "touch"})

    @classmethod
    def construct(cls, args: Args, world: Any) -> "SessionAdapter":
        return cls(world.client().sessions(**seconds_args(args)), world)

    async def do_create(self, user: Optional[str] = None, data: Any = None) -> Any:
        try:
            return await resolved(self.obj.create(user=user, data=data))
        except TypeError as e:
            # Data that is not a JSON object is the file's invalid_argument; the Python API
            # refuses it before the core sees it, as a TypeError (the kind for a wrong type).
            if data is not None and not isinstance(data, dict):
                raise redkit.InvalidArgumentError(str(e)) from e
            raise

    async def do_save(
        self, id: str, user: Optional[str] = None, data: Any = None, idle_ttl_ms: Optional[int] = None
    ) -> Any:
        idle = None if idle_ttl_ms is None else idle_ttl_ms / 1000
        try:
            return await resolved(self.obj.save(id, user=user, data=data, idle_ttl=idle))
        except TypeError as e:
            # As in do_create: non-object data is refused as a TypeError before the core.
            if data is not None and not isinstance(data, dict):
                raise redkit.InvalidArgumentError(str(e)) from e
            raise

    async def do_delete_fields(self, token: str, fields: list[str]) -> Any:
        ttl = await resolved(self.obj.delete_fields(token, *fields))
        return round(ttl * 1000, 3)


register("cache", CacheAdapter)
register("session", SessionAdapter)
