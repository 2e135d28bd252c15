"""Shared pieces of the Python benchmarks: timing loops bounded in count and time, a
redis-server of our own on a free loopback port, and the results table with ratios."""

from __future__ import annotations

import importlib.metadata
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "python"))
import redis_server  # noqa: E402  (the tests' own: one way to start a server)

#: Real time each measurement runs for (at most), and the most iterations it may do.
RUN_FOR = 0.3
MAX_OPS = 2_000_000
#: Alternating passes of redkit and its anchor per row (medians are reported): on a shared,
#: loaded machine this keeps a load swing from landing on one side only.
PASSES = 3


def rate(op: Callable[[int], object], per_call: int = 1, run_for: float = RUN_FOR) -> float:
    """Calls ``op(i)`` until ``run_for`` seconds passed (or MAX_OPS); returns operations per
    second, counting ``per_call`` operations per call (a pipeline of 1,000 counts 1,000)."""
    op(0)  # warm up (connections, script loading)
    start = time.perf_counter()
    calls = 0
    while calls * per_call < MAX_OPS:
        for i in range(20):
            op(calls + i)
        calls += 20
        if time.perf_counter() - start >= run_for:
            break
    return calls * per_call / (time.perf_counter() - start)


async def arate(op: Callable[[int], object], per_call: int = 1, run_for: float = RUN_FOR) -> float:
    """``rate`` for an async ``op``."""
    await op(0)  # type: ignore[misc]
    start = time.perf_counter()
    calls = 0
    while calls * per_call < MAX_OPS:
        for i in range(20):
            await op(calls + i)  # type: ignore[misc]
        calls += 20
        if time.perf_counter() - start >= run_for:
            break
    return calls * per_call / (time.perf_counter() - start)


def anchor(dist: str, what: str = "") -> str:
    """An anchor's table label: its PyPI distribution with the installed version (the pinned one
    from bindings-python/requirements-dev.txt), plus what of it runs."""
    label = f"{dist} {importlib.metadata.version(dist)}"
    return f"{label} {what}" if what else label


def side_by_side(ours: Callable[[], float], theirs: Callable[[], float], passes: int = PASSES) -> tuple[float, float]:
    """Median rates of ``ours()`` and ``theirs()`` (each a measurement like ``rate(...)``), run
    alternately ``passes`` times."""
    a, b = [], []
    for _ in range(passes):
        a.append(ours())
        b.append(theirs())
    return statistics.median(a), statistics.median(b)


def batch_rate(run: Callable[[int], object], n: int, run_for: float = RUN_FOR, max_rounds: int = 50) -> float:
    """Operations per second of ``run(n)``, a call doing ``n`` operations (enqueue and drain ``n``
    jobs), repeated until ``run_for`` seconds passed or ``max_rounds`` calls; no warm-up round."""
    start = time.perf_counter()
    rounds = 0
    while rounds < max_rounds:
        run(n)
        rounds += 1
        if time.perf_counter() - start >= run_for:
            break
    return rounds * n / (time.perf_counter() - start)


@dataclass
class Row:
    """One line of the table: our rate, the anchor's, and the target ratio."""

    workload: str
    ours: float
    anchor_name: str
    anchor: float
    target: float

    @classmethod
    def measure(
        cls, workload: str, ours: Callable[[], float], anchor_name: str, anchor: Callable[[], float], target: float
    ) -> Row:
        """A row from two measurements run side by side (``side_by_side``)."""
        a, b = side_by_side(ours, anchor)
        return cls(workload, a, anchor_name, b, target)

    @property
    def ratio(self) -> float:
        return self.ours / self.anchor if self.anchor else float("inf")


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"{'workload':<44} {'redkit/s':>11} {'anchor':<40} {'anchor/s':>10} {'ratio':>7}  target")
    for r in rows:
        mark = "ok" if r.ratio >= r.target else "BELOW"
        print(
            f"{r.workload:<44} {r.ours:>11,.0f} {r.anchor_name:<40} {r.anchor:>10,.0f} "
            f"{r.ratio:>6.1f}x  >= {r.target:g}x {mark}"
        )


class RedisServer(redis_server.RedisServer):
    """The tests' redis-server of our own (``tests/python/redis_server.py``); a benchmark run
    without one ends with the reason."""

    def __init__(self) -> None:
        try:
            super().__init__(prefix="redkit-bench-")
        except RuntimeError as e:
            raise SystemExit(str(e)) from e


def lock_cycles(ours: Any, theirs: Any) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """One acquire+release cycle of a redkit lock and of a redis-py ``Lock``, as ``rate`` ops."""

    def our_cycle(_: int) -> None:
        assert ours.try_acquire()
        ours.release()

    def their_cycle(_: int) -> None:
        assert theirs.acquire(blocking=False)
        theirs.release()

    return our_cycle, their_cycle
