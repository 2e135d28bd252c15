"""The distributed semaphore from Python: permits as leases, blocking acquire woken by a release,
``with`` / ``async with`` releasing the entering thread's or task's own permit, both APIs and
both backends, time travel on the simulator, and never more holders than permits."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import redkit
import redkit.aio


def test_permits_tokens_and_count(client: redkit.Client) -> None:
    sem = client.semaphore("exports", permits=2, lease=30)
    assert sem.name == "exports" and repr(sem) == 'Semaphore("exports")'
    a, b = sem.try_acquire(), sem.acquire(timeout=0)
    assert a and b and isinstance(a, redkit.Permit)
    assert a.token and b.token and a.token != b.token
    assert (a.available, b.available) == (1, 0)
    refused = sem.try_acquire()
    assert not refused and refused.token is None and 0 < refused.retry_after <= 30
    assert sem.count() == 2
    assert sem.release(a.token) is None
    assert sem.count() == 1
    with pytest.raises(redkit.LockNotOwnedError):
        sem.release(a.token)
    assert sem.extend(b.token, 60) is None
    with pytest.raises(redkit.LockNotOwnedError):
        sem.extend("not-a-token", 60)


def test_leases_run_out_on_the_virtual_clock(sim: redkit.Simulator) -> None:
    sem = sim.client().semaphore("jobs", permits=1, lease=5)
    held = sem.try_acquire()
    assert held and not sem.try_acquire()
    sim.advance(3)
    sem.extend(held.token, 5)
    sim.advance(4)
    assert sem.count() == 1, "the extended lease still runs"
    sim.advance(1.01)
    assert sem.count() == 0
    with pytest.raises(redkit.LockNotOwnedError):
        sem.extend(held.token, 5)
    assert sem.try_acquire(), "an expired lease frees its permit by itself"


def test_a_blocked_acquire_wakes_on_release(client: redkit.Client) -> None:
    sem = client.semaphore("one", permits=1, lease=30)
    held = sem.try_acquire()
    got = []

    def waiter() -> None:
        start = time.monotonic()
        permit = sem.acquire(timeout=10)
        got.append((bool(permit), time.monotonic() - start))

    t = threading.Thread(target=waiter)
    t.start()
    time.sleep(0.2)
    assert not got, "still waiting"
    sem.release(held.token)
    t.join(10)
    assert got and got[0][0] and got[0][1] < 5


def test_with_takes_and_returns_a_permit(client: redkit.Client) -> None:
    sem = client.semaphore("pool", permits=2, lease=30, blocking_timeout=0)
    with sem as outer:
        assert outer and outer.token and sem.count() == 1
        with sem as inner:
            assert inner.token != outer.token and sem.count() == 2
            with pytest.raises(redkit.TimeoutError, match="no permit"):
                with sem:
                    pass
        assert sem.count() == 1
        sem.extend(outer.token, 10)  # the outer permit is the one still held
    assert sem.count() == 0
    with pytest.raises(RuntimeError):
        with sem:
            raise RuntimeError("the exception passes through")
    assert sem.count() == 0
    with pytest.raises(redkit.LockNotOwnedError, match="not entered"):
        sem.__exit__(None, None, None)


def test_threads_sharing_one_handle_never_exceed_the_permits(client: redkit.Client) -> None:
    sem = client.semaphore("shared", permits=2, lease=30, blocking_timeout=20)
    inside = 0
    most = 0
    errors: list[BaseException] = []
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        try:
            for _ in range(3):
                with sem as permit:
                    with guard:
                        inside += 1
                        most = max(most, inside)
                    time.sleep(0.01)
                    sem.extend(permit.token, 30)  # this thread's own permit
                    with guard:
                        inside -= 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert most == 2
    assert sem.count() == 0


def test_async_api(aclient: redkit.aio.Client) -> None:
    async def main() -> None:
        sem = aclient.semaphore("a", permits=2, lease=30, blocking_timeout=10)
        held = await sem.try_acquire()
        assert held and await sem.count() == 1
        await sem.extend(held.token, 20)
        await sem.release(held.token)
        inside = 0
        most = 0

        async def task() -> None:
            nonlocal inside, most
            async with sem as permit:
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0.02)
                await sem.extend(permit.token, 30)  # this task's own permit
                inside -= 1

        await asyncio.wait_for(asyncio.gather(*(task() for _ in range(6))), 30)
        assert most == 2
        assert await sem.count() == 0

    asyncio.run(main())


@pytest.mark.parametrize("options", [{"permits": 0}, {"permits": -1}, {"permits": 10**9}, {"lease": 0}])
def test_bad_options(client: redkit.Client, options: dict) -> None:
    with pytest.raises(redkit.InvalidArgumentError):
        client.semaphore("s", **options)


def test_wrong_types(client: redkit.Client) -> None:
    with pytest.raises(TypeError):
        client.semaphore("s", permits="2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="duration"):
        client.semaphore("s", lease=[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        client.semaphore("s", lease=-1)
    with pytest.raises(TypeError):
        client.semaphore("s").release(3)  # type: ignore[arg-type]
