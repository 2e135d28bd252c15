"""Whatever the arguments, redkit raises a Python exception — never a panic crossing into Python
(pyo3's PanicException), a crash or a hang. Every public method of every object a client makes
is called with arguments of every wrong kind, on a simulator with a real clock; each call runs on
a daemon thread bounded in time."""

from __future__ import annotations

import inspect
import math
import threading
from typing import Any, Callable

import pytest

import redkit

BAD: list[Any] = [None, True, -1, 0, 2**70, math.nan, math.inf, -0.5, "", "\x00", b"\xff\xfe", object(), [1], {"a": object()}]
#: Factory calls that make one of each object (keyword options left at their defaults).
FACTORIES: dict[str, Callable[[redkit.Client], Any]] = {
    "lock": lambda c: c.lock("x"),
    "semaphore": lambda c: c.semaphore("x", permits=2),
    "limiter": lambda c: c.limiter("x", limit=5, window=1),
    "cache": lambda c: c.cache("x", ttl=5),
    "sessions": lambda c: c.sessions("x"),
    "queue": lambda c: c.queue("x"),
    "stream": lambda c: c.stream("x"),
    "pubsub": lambda c: c.pubsub(),
    "leaderboard": lambda c: c.leaderboard("x"),
    "geo": lambda c: c.geo("x"),
}
#: Methods left out: they wait for as long as they are told, which a bounded test cannot.
WAITS = {"run", "acquire", "wait_idle", "listen", "iter", "tail", "read_group", "request", "next_message"}


def is_panic(e: BaseException | None) -> bool:
    """pyo3 turns a Rust panic into ``pyo3_runtime.PanicException`` (a BaseException)."""
    return e is not None and type(e).__name__ == "PanicException"


def call_bounded(fn: Callable[[], Any]) -> BaseException | None:
    """Runs fn on a daemon thread for at most 5 s; returns what it raised."""
    out: list[BaseException | None] = [None]

    def run() -> None:
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 — inspected by the caller
            out[0] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(5)
    return out[0]


def public_methods(obj: Any) -> list[str]:
    return [n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None)) and n not in WAITS]


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_no_argument_makes_a_method_panic(kind: str) -> None:
    client = redkit.Simulator().client()
    obj = FACTORIES[kind](client)
    calls = 0
    for name in public_methods(obj):
        method = getattr(obj, name)
        try:
            arity = len([p for p in inspect.signature(method).parameters.values() if p.default is p.empty
                         and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)])
        except (TypeError, ValueError):
            arity = 1
        for bad in BAD:
            for args in ([bad] * max(arity, 1), [bad] * (arity + 1), []):
                raised = call_bounded(lambda: method(*args))
                calls += 1
                assert not is_panic(raised), f"{kind}.{name}{tuple(args)!r} panicked: {raised}"
                assert raised is None or isinstance(raised, Exception), f"{kind}.{name}: {raised!r}"
    assert calls >= 3 * len(BAD)


def test_a_panic_would_be_seen() -> None:
    """The check above recognises pyo3's panic exception by name (a stand-in of that name)."""
    panic_type = type("PanicException", (BaseException,), {})
    assert is_panic(panic_type()) and not is_panic(ValueError())


@pytest.mark.parametrize("bad", BAD, ids=repr)
def test_factories_and_execute_refuse_bad_arguments_cleanly(bad: Any) -> None:
    client = redkit.Simulator().client()
    for kind, make in FACTORIES.items():
        for call in (lambda: getattr(client, kind)(bad), lambda: getattr(client, kind)("x", ttl=bad)):
            raised = call_bounded(call)
            assert not is_panic(raised), f"{kind}({bad!r}) panicked"
    raised = call_bounded(lambda: client.execute("SET", bad, bad))
    assert not is_panic(raised)
    for make_sim in (lambda: redkit.Simulator(manual_clock=True, start=bad), lambda: redkit.Simulator(bad)):
        assert not is_panic(call_bounded(make_sim))
