"""Redlock from Python over three independent masters: three simulators, and three
redis-servers of our own (started on free loopback ports and stopped by PID). Quorum, validity,
an instance down, expiry, extend, ``with`` / ``async with``, both APIs, and mutual exclusion
between threads."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Callable, Iterator

import pytest

import redkit
import redkit.aio
from conftest import RedisServer, free_port


@pytest.fixture(scope="module")
def three_servers() -> Iterator[list[RedisServer]]:
    """Three redis-servers, each stopped by its own process handle."""
    servers: list[RedisServer] = []
    try:
        for _ in range(3):
            servers.append(RedisServer())
        yield servers
    finally:
        for s in servers:
            s.stop()


Masters = Callable[[bool], list]
"""Makes one client per master: blocking (False) or asyncio (True)."""


@pytest.fixture(params=["sim", "redis"])
def masters(request: pytest.FixtureRequest) -> Iterator[Masters]:
    """Three independent masters: simulators on the real clock, or flushed redis-servers."""
    if request.param == "sim":
        sims = [redkit.Simulator() for _ in range(3)]
        yield lambda asyncio: [s.async_client() if asyncio else s.client() for s in sims]
    else:
        servers: list[RedisServer] = request.getfixturevalue("three_servers")
        for s in servers:
            s.flush()
        yield lambda asyncio: [redkit.connect(s.url, asyncio=asyncio) for s in servers]


def down() -> redkit.Client:
    """A client of a master that is not there."""
    return redkit.connect(f"redis://127.0.0.1:{free_port()}", connect_timeout=0.2, retries=0, call_timeout=1)


def test_a_quorum_holds_the_lock(masters: Masters) -> None:
    a = redkit.redlock(masters(False), "invoice-42", ttl=10)
    b = redkit.redlock(masters(False), "invoice-42", ttl=10, retry_count=0)
    assert a.quorum == 2 and a.name == "invoice-42"
    held = a.acquire()
    assert held and isinstance(held, redkit.RedlockAcquisition)
    assert (held.locked, held.quorum, held.attempts) == (3, 2, 1)
    assert 9.5 < held.validity <= 10 - 0.102, "validity = ttl - elapsed - drift (1% + 2 ms)"
    refused = b.try_acquire()
    assert not refused and refused.locked == 0 and refused.validity == 0
    assert a.release() == 3
    with pytest.raises(redkit.LockNotOwnedError):
        a.release()
    assert b.acquire()
    assert b.extend(20).validity > 19


def test_one_master_down_still_has_a_quorum(masters: Masters) -> None:
    clients = masters(False)
    lock = redkit.redlock([clients[0], clients[1], down()], "job", ttl=5, retry_count=0)
    held = lock.acquire()
    assert held and held.locked == 2
    assert lock.release() == 2
    minority = redkit.redlock([clients[0], down(), down()], "job", ttl=5, retry_count=0)
    refused = minority.acquire()
    assert not refused and refused.locked == 1
    assert redkit.redlock([clients[0]], "job", retry_count=0).try_acquire(), "the minority grant was undone"


def test_all_masters_down_raises() -> None:
    lock = redkit.redlock([down(), down(), down()], "job", retry_count=0)
    with pytest.raises((redkit.ConnectionError, redkit.TimeoutError)):
        lock.acquire()


def test_expiry_on_the_virtual_clocks() -> None:
    sims = [redkit.Simulator(manual_clock=True) for _ in range(3)]
    lock = redkit.redlock([s.client() for s in sims], "job", ttl=2, retry_count=0)
    other = redkit.redlock([s.client() for s in sims], "job", ttl=2, retry_count=0)
    assert lock.acquire()
    assert not other.try_acquire()
    for s in sims[:2]:
        s.advance(2.001)
    assert other.try_acquire(), "expired on a majority: free for another owner"
    with pytest.raises(redkit.LockNotOwnedError):
        lock.extend(5)
    assert lock.release() == 1, "only the third master still had this owner's hold"


def test_with_releases_and_refuses_without_quorum(masters: Masters) -> None:
    lock = redkit.redlock(masters(False), "report", ttl=10)
    rival = redkit.redlock(masters(False), "report", ttl=10, retry_count=1, retry_delay=0.01, retry_jitter=0)
    with lock as held:
        assert held.locked == 3
        with pytest.raises(redkit.TimeoutError, match="no quorum after 2 attempts"):
            with rival:
                pass
    with rival:
        pass
    with pytest.raises(KeyError):
        with lock:
            raise KeyError("passes through")
    assert lock.try_acquire(), "released on the way out"


def test_async_api(masters: Masters) -> None:
    async def main() -> None:
        lock = redkit.aio.redlock(masters(True), "a", ttl=10)
        rival = redkit.aio.redlock(masters(True), "a", ttl=10, retry_count=0)
        held = await lock.acquire()
        assert held.locked == 3
        assert not await rival.try_acquire()
        assert (await lock.extend(30)).validity > 29
        assert await lock.release() == 3
        async with rival as got:
            assert got and got.quorum == 2
            assert not await lock.try_acquire()
        assert await lock.try_acquire()
        await lock.release()

    asyncio.run(main())


def test_threads_are_mutually_exclusive(masters: Masters) -> None:
    inside = 0
    overlaps = 0
    entered = 0
    errors: list[BaseException] = []
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, overlaps, entered
        lock = redkit.redlock(masters(False), "critical", ttl=10, retry_count=200, retry_delay=0.005, retry_jitter=0.01)
        try:
            for _ in range(3):
                with lock:
                    with guard:
                        inside += 1
                        entered += 1
                        overlaps += inside > 1
                    time.sleep(0.005)
                    with guard:
                        inside -= 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert entered == 12 and overlaps == 0


@pytest.mark.parametrize(
    "options",
    [{"ttl": 0}, {"drift_factor": 1.5}, {"drift_factor": -0.1}, {"retry_count": 10_001}, {"retry_count": -1},
     {"instance_timeout": 0}, {"prefix": ""}],
)
def test_bad_options(options: dict) -> None:
    clients = [redkit.Simulator().client() for _ in range(3)]
    with pytest.raises(redkit.InvalidArgumentError):
        redkit.redlock(clients, "x", **options)


def test_wrong_arguments() -> None:
    with pytest.raises(redkit.InvalidArgumentError, match="at least one instance"):
        redkit.redlock([], "x")
    with pytest.raises(TypeError):
        redkit.redlock(["redis://127.0.0.1"], "x")  # type: ignore[list-item]
    with pytest.raises(TypeError, match="duration"):
        redkit.redlock([redkit.Simulator().client()], "x", ttl="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        redkit.redlock([redkit.Simulator().client()], "x", colour="red")
    five = redkit.redlock([redkit.Simulator().client() for _ in range(5)], "x")
    assert five.quorum == 3
    assert repr(five) == 'Redlock("x" over 5 instances, ttl 10000 ms)'


def test_retries_wait_on_the_virtual_clock() -> None:
    """A retrying acquire sleeps on the first master's clock: advancing it (from another thread
    while the GIL is released) lets the retry happen after the holder's lease ran out."""
    sims = [redkit.Simulator(manual_clock=True) for _ in range(3)]
    holder = redkit.redlock([s.client() for s in sims], "job", ttl=5, retry_count=0)
    waiter = redkit.redlock([s.client() for s in sims], "job", ttl=5, retry_count=3, retry_delay=2, retry_jitter=0)
    assert holder.acquire()
    got: list[redkit.RedlockAcquisition] = []
    t = threading.Thread(target=lambda: got.append(waiter.acquire()), daemon=True)
    t.start()
    deadline = time.monotonic() + 10
    while t.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
        for s in sims:
            s.advance(1)
    t.join(1)
    assert got and got[0] and got[0].attempts >= 2
