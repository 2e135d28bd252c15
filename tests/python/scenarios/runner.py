"""Loads the scenario files and runs one scenario's steps on a World — a simulator with a manual
clock or a real redis-server — through redkit's sync API or its asyncio API.

Every call runs on a daemon thread (sync API) or on a background event loop (asyncio API) and is
bounded by STEP_LIMIT of real time, so a call waiting on the manual clock with no ``advance`` to
free it fails the scenario as hung instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
import threading
import time
from dataclasses import dataclass, field as dc_field
from pathlib import Path
from typing import Any, Callable, Optional

import redkit
import redkit.aio

from . import adapters
from .matcher import Mismatch, Saved, check, field, substitute, _MISSING

SCENARIO_DIR = Path(__file__).resolve().parents[3] / "tests" / "scenarios"
#: Where the manual clock starts (2023-11-14), as in the Rust runner.
T0 = 1_700_000_000.0
#: Real-time bound on any one step.
STEP_LIMIT = 10.0

ERROR_KINDS: list[tuple[type[BaseException], str]] = [
    (redkit.ResponseError, "reply"),
    (redkit.ConnectionError, "connection"),
    (redkit.TimeoutError, "timeout"),
    (redkit.LockNotOwnedError, "lock_not_owned"),
    (redkit.InvalidArgumentError, "invalid_argument"),
    (redkit.SerializationError, "serialization"),
    (redkit.ProtocolError, "protocol"),
    (redkit.StorageError, "io"),
    (redkit.NotFoundError, "not_found"),
    # The binding's own argument checks (a negative duration …) raise plain ValueError.
    (ValueError, "invalid_argument"),
]


@dataclass
class Scenario:
    file: str
    name: str
    backends: list[str]
    steps: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return f"{self.file}: {self.name}"


def load_all() -> list[Scenario]:
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        doc = json.loads(path.read_text())
        for sc in doc["scenarios"]:
            out.append(Scenario(path.name, sc["name"], sc.get("backends", ["sim", "redis"]), sc["steps"]))
    return out


class Loop:
    """A background asyncio loop for the asyncio API's calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        async def go() -> Any:
            try:
                out = fn()
                return True, (await out if inspect.isawaitable(out) else out)
            except Exception as e:  # noqa: BLE001 — handed to the step
                return False, e

        return asyncio.run_coroutine_threadsafe(go(), self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def in_thread(fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
    """Runs ``fn`` on a daemon thread (a hung call must not keep the interpreter alive). The
    future's result is ``(True, value)`` or ``(False, exception)``: its own exceptions are left
    to mean the wait ran out (``concurrent.futures.TimeoutError`` is the built-in TimeoutError,
    which redkit.TimeoutError also subclasses)."""
    fut: concurrent.futures.Future[Any] = concurrent.futures.Future()

    def run() -> None:
        try:
            fut.set_result((True, fn()))
        except Exception as e:  # noqa: BLE001 — handed to the step
            fut.set_result((False, e))

    threading.Thread(target=run, daemon=True).start()
    return fut


@dataclass
class World:
    """Where a scenario runs: its clients, time, and how calls are made."""

    api: str  # "sync" or "aio"
    sim: Optional[redkit.Simulator]
    redis_url: Optional[str]
    loop: Optional[Loop]
    clients: dict[int, Any] = dc_field(default_factory=dict)
    #: The simulator behind ``unreachable()`` clients: refuses every connection, runs on the
    #: scenario's clock (``advance`` moves it too), as in the Rust runner.
    dead: Optional[redkit.Simulator] = None

    def client(self, db: int = 0) -> Any:
        """The scenario's client (db 0) or ``other(db)``: an independent database."""
        if db not in self.clients:
            asyncio_api = self.api == "aio"
            if self.sim is not None:
                self.clients[db] = self.sim.async_client(db) if asyncio_api else self.sim.client(db)
            else:
                self.clients[db] = redkit.connect(f"{self.redis_url}/{db}", asyncio=asyncio_api)
        return self.clients[db]

    def unreachable(self) -> Any:
        """A client whose every call fails with a connection error."""
        asyncio_api = self.api == "aio"
        if self.sim is not None:
            if self.dead is None:
                self.dead = redkit.Simulator(manual_clock=True, start=self.sim.now())
                self.dead.refuse_connections(True)
            return self.dead.async_client() if asyncio_api else self.dead.client()
        from conftest import free_port

        return redkit.connect(
            f"redis://127.0.0.1:{free_port()}", connect_timeout=0.2, retries=0, call_timeout=1, asyncio=asyncio_api
        )

    def start(self, fn: Callable[[], Any]) -> concurrent.futures.Future[Any]:
        """Starts a call: on the loop (asyncio API) or a thread of its own (sync API, where an
        adapter's coroutine only awaits plain values and runs in a throwaway loop)."""
        if self.loop is not None:
            return self.loop.submit(fn)

        def resolve() -> Any:
            out = fn()
            return asyncio.run(out) if inspect.iscoroutine(out) else out

        return in_thread(resolve)

    def call(self, fn: Callable[[], Any]) -> Any:
        return self.finish(self.start(fn), "the call")

    def finish(self, fut: concurrent.futures.Future[Any], what: str) -> Any:
        """The value of a started call (raising its exception), bounded by STEP_LIMIT."""
        try:
            ok, value = fut.result(STEP_LIMIT)
        except concurrent.futures.TimeoutError:
            raise Mismatch(f"hung: {what} did not finish within 10 s (a wait on the manual clock with no advance?)")
        if not ok:
            raise value
        return value

    def advance(self, ms: int) -> None:
        if self.sim is not None:
            self.sim.advance(ms / 1000)
            if self.dead is not None:
                self.dead.advance(ms / 1000)
            time.sleep(0.002)  # let tasks woken by the advance run
        else:
            time.sleep(ms / 1000)

    def settle(self, fut: concurrent.futures.Future[Any], parked_before: int) -> None:
        """Lets a spawned call reach its wait: on a manual clock until it is parked on the
        simulator or done (at most 1 s); on real time a short pause."""
        time.sleep(0.005)
        if self.sim is None:
            return
        deadline = time.monotonic() + 1
        while not fut.done() and self.sim.parked() <= parked_before and time.monotonic() < deadline:
            time.sleep(0.001)


def error_kind(e: BaseException) -> Optional[str]:
    for cls, kind in ERROR_KINDS:
        if isinstance(e, cls):
            return kind
    return None


Outcome = tuple[bool, Any]  # (True, json result) or (False, (kind, message))


def outcome_of(world: World, fn: Callable[[], Any], fut: Optional[concurrent.futures.Future[Any]] = None) -> Outcome:
    try:
        if fut is not None:
            value = world.finish(fut, "the spawned call")
        else:
            value = world.call(fn)
    except Mismatch:
        raise
    except Exception as e:  # noqa: BLE001 — a redkit error is an outcome; anything else a failure
        kind = error_kind(e)
        if kind is None:
            raise
        return False, (kind, str(e))
    return True, value


def verify(step: dict[str, Any], outcome: Outcome, saved: Saved) -> None:
    ok, value = outcome
    want_error = step.get("error")
    if want_error is not None:
        if ok:
            raise Mismatch(f"expected error {want_error}, got {value!r}")
        kind, message = value
        if kind != want_error:
            raise Mismatch(f"expected error {want_error}, got {kind}: {message}")
        text = step.get("message")
        if text is not None and text not in message:
            raise Mismatch(f"error message {message!r} does not contain {text!r}")
        return
    if not ok:
        raise Mismatch(f"unexpected error {value[0]}: {value[1]}")
    if "expect" in step:
        check(substitute(step["expect"], saved), value)
    save = step.get("save")
    if isinstance(save, str):
        saved[save] = value
    elif isinstance(save, dict):
        for name, path in save.items():
            part = field(value, path)
            if part is _MISSING:
                raise Mismatch(f"save: result has no {path}: {value!r}")
            saved[name] = part


def run(sc: Scenario, world: World) -> None:
    objects: dict[str, adapters.Adapter] = {}
    spawned: dict[str, concurrent.futures.Future[Any]] = {}
    saved: Saved = {}
    try:
        for i, step in enumerate(sc.steps, 1):
            try:
                run_step(step, world, objects, spawned, saved)
            except Mismatch as e:
                raise Mismatch(f"step {i} {json.dumps(step)}: {e}") from None
    except BaseException:
        release(world, objects, quiet=True)
        raise
    release(world, objects)
    if spawned:
        raise Mismatch(f"spawned call {next(iter(spawned))} was never awaited")


def release(world: World, objects: dict[str, adapters.Adapter], quiet: bool = False) -> None:
    """Lets adapters with a ``close`` release what the scenario left open (subscriptions, running
    workers), so nothing outlives it on a server the next scenario shares. ``quiet``: after a
    failed step, whose error is the one to report."""
    for obj in objects.values():
        close = getattr(obj, "close", None)
        if close is None:
            continue
        try:
            world.call(close)
        except Exception:
            if not quiet:
                raise


def run_step(
    step: dict[str, Any],
    world: World,
    objects: dict[str, adapters.Adapter],
    spawned: dict[str, concurrent.futures.Future[Any]],
    saved: Saved,
) -> None:
    args = substitute(step.get("args", {}), saved)
    if "new" in step:
        made = outcome_of(world, lambda: adapters.construct(step["new"], args, world))
        if made[0]:
            objects[step["as"]] = made[1]
        else:
            verify(step, made, saved)
        return
    if "advance" in step:
        world.advance(step["advance"])
        return
    if "await" in step:
        fut = spawned.pop(step["await"], None)
        if fut is None:
            raise Mismatch(f"nothing spawned as {step['await']}")
        verify(step, outcome_of(world, lambda: None, fut), saved)
        return
    if "cmd" in step:
        argv = [a if isinstance(a, str) else json.dumps(a) for a in substitute(step["cmd"], saved)]
        client = world.client()
        verify(step, outcome_of(world, lambda: adapters.command(client, argv)), saved)
        return
    if "call" in step:
        name, _, method = step["call"].partition(".")
        obj = objects.get(name)
        if obj is None:
            raise Mismatch(f"no object named {name}")
        call = lambda: obj.call(method, args)  # noqa: E731
        if "spawn" in step:
            before = world.sim.parked() if world.sim is not None else 0
            fut = world.start(call)
            world.settle(fut, before)
            spawned[step["spawn"]] = fut
            return
        verify(step, outcome_of(world, call), saved)
        return
    raise Mismatch("unknown step")
