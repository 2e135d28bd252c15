"""Lock from Python: `with` / `async with`, fencing, blocking acquire woken by a release in
another thread, reentrancy, the watchdog, and errors."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time

import pytest

import redkit
import redkit.aio


def test_with_holds_and_releases(client: redkit.Client) -> None:
    lock = client.lock("report", ttl=5)
    with lock as held:
        assert held and held.acquired and held.count == 1
        assert isinstance(held.fence, int)
        assert lock.is_owned() and lock.is_locked()
        assert 4.5 <= (lock.ttl() or 0) <= 5
    assert not lock.is_locked()
    assert lock.ttl() is None


def test_fences_increase_and_a_second_owner_is_refused(client: redkit.Client) -> None:
    a, b = client.lock("job", ttl=10), client.lock("job", ttl=10)
    first = a.try_acquire()
    refused = b.try_acquire()
    assert first and not refused and refused.fence is None and refused.count == 0
    assert a.release() == redkit.Release(released=True, count=0)
    second = b.acquire(timeout=0)
    assert second and second.fence > first.fence


def test_with_raises_timeout_when_held_elsewhere(client: redkit.Client) -> None:
    holder = client.lock("busy", ttl=10)
    assert holder.try_acquire()
    waiter = client.lock("busy", ttl=10, blocking_timeout=0)  # (a manual clock would wait for advance)
    with pytest.raises(redkit.TimeoutError, match="still held"):
        with waiter:
            pass
    with pytest.raises(TimeoutError):  # also the built-in
        with waiter:
            pass


def test_release_by_a_non_owner_raises(client: redkit.Client) -> None:
    lock = client.lock("x")
    with pytest.raises(redkit.LockNotOwnedError):
        lock.release()
    with pytest.raises(redkit.LockNotOwnedError):
        lock.extend(5)


def test_exception_in_with_body_releases_and_propagates(client: redkit.Client) -> None:
    lock = client.lock("boom")
    with pytest.raises(KeyError):
        with lock:
            raise KeyError("inside")
    assert not lock.is_locked()


def test_blocking_acquire_wakes_on_release_from_another_thread() -> None:
    client = redkit.Simulator().client()  # real clock: the waiter really waits
    holder, waiter = client.lock("w", ttl=30), client.lock("w", ttl=30)
    assert holder.try_acquire()
    timer = threading.Timer(0.1, holder.release)
    timer.start()
    start = time.monotonic()
    got = waiter.acquire(timeout=5)
    elapsed = time.monotonic() - start
    timer.join()
    assert got and 0.05 <= elapsed < 2


def test_lease_expires_on_the_manual_clock(sim: redkit.Simulator) -> None:
    c = sim.client()
    a, b = c.lock("lease", ttl=datetime.timedelta(seconds=2)), c.lock("lease")
    assert a.try_acquire()
    sim.advance(2.001)
    assert b.try_acquire()
    with pytest.raises(redkit.LockNotOwnedError):
        a.release()


def test_reentrant_counts_holds(client: redkit.Client) -> None:
    lock = client.lock("re", reentrant=True)
    assert lock.try_acquire().count == 1
    assert lock.try_acquire().count == 2
    assert lock.release() == redkit.Release(released=False, count=1)
    assert lock.release().released


def test_watchdog_keeps_the_lease(sim: redkit.Simulator) -> None:
    lock = sim.client().lock("dog", ttl=3, watchdog=True)
    assert lock.try_acquire()
    for _ in range(5):  # 5 s of virtual time, renewals every second
        sim.advance(1)
        time.sleep(0.02)
    assert lock.is_owned() and not lock.lost
    lock.release()


def test_shared_token_makes_one_owner(client: redkit.Client) -> None:
    a = client.lock("tok", token="worker-1")
    b = client.lock("tok", token="worker-1")
    assert a.token == b.token == "worker-1" and a.name == "tok"
    assert a.try_acquire()
    assert b.is_owned()


@pytest.mark.parametrize(
    "kwargs",
    [{"ttl": 0}, {"ttl": -1}, {"prefix": ""}, {"token": ""}],
)
def test_bad_options_are_value_errors(client: redkit.Client, kwargs: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError):
        client.lock("bad", **kwargs)


def test_bad_types_are_type_errors(client: redkit.Client) -> None:
    with pytest.raises(TypeError):
        client.lock(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.lock("x", ttl="5")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.lock("x", ttl=True)


def test_async_with(aclient: redkit.aio.Client) -> None:
    async def main() -> None:
        lock, other = aclient.lock("a", ttl=5), aclient.lock("a", ttl=5)
        async with lock as held:
            assert held.acquired and await lock.is_owned()
            assert not await other.try_acquire()
        assert await other.try_acquire()
        with pytest.raises(redkit.LockNotOwnedError):
            await lock.release()

    asyncio.run(main())


def test_async_waiters_are_served_one_at_a_time() -> None:
    client = redkit.Simulator().async_client()

    async def main() -> list[int]:
        order: list[int] = []

        async def worker(i: int) -> None:
            lock = client.lock("queue", ttl=10, blocking_timeout=5)
            async with lock:
                order.append(i)
                await asyncio.sleep(0.01)

        await asyncio.gather(*(worker(i) for i in range(5)))
        return order

    assert sorted(asyncio.run(main())) == list(range(5))
