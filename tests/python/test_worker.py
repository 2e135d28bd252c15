"""The queue worker from Python: plain and ``async def`` handlers, results and exceptions
(retry with backoff, then dead letter), ``run(max_jobs, timeout)``, ``with`` / ``async with``,
graceful stop from another thread and from a signal handler, crash recovery after a lease
expires, both APIs and both backends."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

import pytest

import redkit
import redkit.aio


def test_plain_handler_acks_with_its_result(client: redkit.Client) -> None:
    q = client.queue("math")
    ids = [q.enqueue(n).id for n in range(5)]
    worker = q.worker(lambda job: job.data * 2, concurrency=3)
    assert not worker.running and worker.concurrency == 3
    with worker as w:
        assert w is worker and worker.running
        assert worker.wait_idle(10)
    assert not worker.running
    assert [q.get(i).result for i in ids] == [0, 2, 4, 6, 8]
    stats = worker.stats()
    assert stats == redkit.WorkerStats(completed=5, failed=0, lost=0, in_flight=0)


def test_run_stops_after_max_jobs(client: redkit.Client) -> None:
    q = client.queue("run")
    q.enqueue_bulk([{"data": i} for i in range(3)])
    seen: list[int] = []
    started = time.monotonic()
    stats = q.worker(lambda job: seen.append(job.data)).run(max_jobs=2, timeout=10)
    assert time.monotonic() - started < 5
    assert stats.completed >= 2 and len(seen) == stats.completed
    assert q.counts().completed == stats.completed


def test_run_ends_at_its_timeout(client: redkit.Client) -> None:
    started = time.monotonic()
    stats = client.queue("idle").worker(lambda job: None).run(timeout=0.3)
    assert 0.25 <= time.monotonic() - started < 5
    assert stats.completed == 0


def test_async_handler_under_the_sync_api(client: redkit.Client) -> None:
    q = client.queue("co")
    q.enqueue({"x": 1})

    async def handler(job: redkit.Job) -> dict:
        await asyncio.sleep(0.01)
        return {"got": job.data, "attempt": job.attempts}

    stats = q.worker(handler).run(max_jobs=1, timeout=10)
    assert stats.completed == 1
    assert q.get("1").result == {"got": {"x": 1}, "attempt": 1}


def test_raising_handler_retries_with_backoff_then_dead_letters(sim: redkit.Simulator) -> None:
    q = sim.client().queue("flaky")
    job_id = q.enqueue("x", max_attempts=2, backoff=5, backoff_kind="fixed").id
    calls: list[int] = []

    def handler(job: redkit.Job) -> None:
        calls.append(job.attempts)
        raise ValueError(f"nope {job.attempts}")

    with q.worker(handler) as worker:
        assert worker.wait_idle(10)
        info = q.get(job_id)
        assert info.state == "delayed" and info.error == "ValueError: nope 1"
        sim.advance(5)  # the retry falls due; the idle worker wakes on the virtual clock
        assert worker.wait_idle(10)
    info = q.get(job_id)
    assert (info.state, info.error, calls) == ("dead", "ValueError: nope 2", [1, 2])
    assert worker.stats().failed == 2
    assert q.requeue_dead() == 1


def test_a_plain_exception_fails_the_job_with_just_its_message(client: redkit.Client) -> None:
    q = client.queue("plain")
    plain = q.enqueue(1, max_attempts=1).id
    typed = q.enqueue(2, max_attempts=1).id
    empty = q.enqueue(3, max_attempts=1).id

    def handler(job: redkit.Job) -> None:
        if job.data == 1:
            raise Exception("boom")
        raise KeyError("k") if job.data == 2 else Exception()

    q.worker(handler).run(max_jobs=3, timeout=10)
    assert [q.get(i).error for i in (plain, typed, empty)] == ["boom", "KeyError: 'k'", "Exception"]


def test_handlers_by_job_type_and_unknown_types_dead_letter(client: redkit.Client) -> None:
    q = client.queue("typed")
    a = q.enqueue(1, job_type="double").id
    b = q.enqueue("x", job_type="shout").id
    c = q.enqueue(None, job_type="nobody").id
    d = q.enqueue(None).id  # the default job type: no handler in this worker
    worker = q.worker({"double": lambda job: job.data * 2, "shout": lambda job: job.data.upper()})
    assert "job_types=['double', 'shout']" in repr(worker)
    with worker:
        assert worker.wait_idle(10)
    assert q.get(a).result == 2 and q.get(b).result == "X"
    for dead in (c, d):
        info = q.get(dead)
        assert info.state == "dead" and "no handler" in (info.error or "")


def test_a_result_that_is_not_json_fails_the_job(client: redkit.Client) -> None:
    q = client.queue("badresult")
    job_id = q.enqueue(1, max_attempts=1).id
    q.worker(lambda job: object()).run(max_jobs=1, timeout=10)
    info = q.get(job_id)
    assert info.state == "dead" and (info.error or "").startswith("TypeError: object is not JSON-serialisable")


def test_graceful_stop_from_another_thread_finishes_the_job_in_flight(client: redkit.Client) -> None:
    q = client.queue("graceful")
    q.enqueue_bulk([{"data": i} for i in range(3)])
    entered = threading.Event()

    def slow(job: redkit.Job) -> int:
        entered.set()
        time.sleep(0.3)
        return job.data

    worker = q.worker(slow)
    result: list[redkit.WorkerStats] = []
    runner = threading.Thread(target=lambda: result.append(worker.run(timeout=20)))
    runner.start()
    assert entered.wait(10)
    worker.stop()
    runner.join(10)
    assert not runner.is_alive()
    assert result[0].completed == 1 and result[0].in_flight == 0
    assert q.counts().completed == 1 and q.counts().waiting == 2


def test_with_exit_waits_for_jobs_in_flight(client: redkit.Client) -> None:
    q = client.queue("exit")
    job_id = q.enqueue(1).id
    entered = threading.Event()

    def slow(job: redkit.Job) -> str:
        entered.set()
        time.sleep(0.2)
        return "done"

    with q.worker(slow, shutdown_timeout=10):
        assert entered.wait(10)
    assert q.get(job_id).result == "done"


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_stop_from_a_signal_handler(client: redkit.Client) -> None:
    worker = client.queue("sig").worker(lambda job: None)
    previous = signal.signal(signal.SIGALRM, lambda *_: worker.stop())
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        started = time.monotonic()
        worker.run(timeout=20)
        assert time.monotonic() - started < 5
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_keyboard_interrupt_shuts_down_and_propagates(client: redkit.Client) -> None:
    worker = client.queue("int").worker(lambda job: None)
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    with pytest.raises(KeyboardInterrupt):
        worker.run(timeout=20)
    assert not worker.running


def test_killed_worker_stalls_and_the_job_comes_back(sim: redkit.Simulator) -> None:
    q = sim.client().queue("crash", lease=10)
    job_id = q.enqueue("work").id
    entered, release = threading.Event(), threading.Event()

    def hang(job: redkit.Job) -> None:
        entered.set()
        release.wait(10)

    first = q.worker(hang)
    with first:
        assert entered.wait(10)
        first.kill()  # as a crash: no ack, no heartbeat
    try:
        assert q.get(job_id).state == "active"
        sim.advance(11)  # the lease runs out
        stats = q.worker(lambda job: job.attempts).run(max_jobs=1, timeout=10)
        assert stats.completed == 1
        info = q.get(job_id)
        assert info.result == 2 and info.attempts == 2
    finally:
        release.set()


def test_errors(client: redkit.Client) -> None:
    q = client.queue("werr")
    with pytest.raises(TypeError, match="callable"):
        q.worker(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="job types"):
        q.worker({1: print})  # type: ignore[dict-item]
    with pytest.raises(redkit.InvalidArgumentError, match="concurrency"):
        q.worker(print, concurrency=0).run(timeout=1)
    with pytest.raises(redkit.InvalidArgumentError, match="heartbeat"):
        q.worker(print, lease=1, heartbeat=2).run(timeout=1)
    worker = q.worker(print)
    with pytest.raises(RuntimeError, match="not running"):
        worker.wait_idle(1)
    assert worker.shutdown() == redkit.ShutdownReport(drained=True, abandoned=0)
    worker.stop()  # not running: nothing to do
    with worker:
        with pytest.raises(RuntimeError, match="already running"):
            worker.run(timeout=1)
        report = worker.shutdown(5)
        assert report and report.abandoned == 0
    assert worker.stats().in_flight == 0


async def test_async_worker_runs_async_handlers_on_the_loop(aclient: redkit.aio.Client) -> None:
    q = aclient.queue("aw")
    ids = [(await q.enqueue(i)).id for i in range(4)]
    loop = asyncio.get_running_loop()
    loops: list[asyncio.AbstractEventLoop] = []

    async def handler(job: redkit.Job) -> int:
        loops.append(asyncio.get_running_loop())
        await asyncio.sleep(0.01)
        return job.data + 100

    async with q.worker(handler, concurrency=2) as worker:
        assert worker.running
        assert await worker.wait_idle(10)
    assert [(await q.get(i)).result for i in ids] == [100, 101, 102, 103]
    assert loops and all(lp is loop for lp in loops)


async def test_async_run_with_retry_and_plain_handler(aclient: redkit.aio.Client) -> None:
    q = aclient.queue("ar")
    ok = (await q.enqueue("fine")).id
    bad = (await q.enqueue("bad", max_attempts=1)).id

    def handler(job: redkit.Job) -> str:
        if job.data == "bad":
            raise RuntimeError("broken")
        return job.data

    stats = await q.worker(handler).run(max_jobs=2, timeout=10)
    assert (stats.completed, stats.failed) == (1, 1)
    assert (await q.get(ok)).result == "fine"
    assert (await q.get(bad)).error == "RuntimeError: broken"


async def test_async_run_cancelled_still_shuts_down(aclient: redkit.aio.Client) -> None:
    worker = aclient.queue("cancel").worker(lambda job: None)
    task = asyncio.ensure_future(worker.run(timeout=30))
    await asyncio.sleep(0.1)
    assert worker.running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(100):
        if not worker.running:
            break
        await asyncio.sleep(0.05)
    assert not worker.running
    report = await worker.shutdown(1)
    assert report.drained


def test_start_in_the_background_then_shutdown(client: redkit.Client) -> None:
    q = client.queue("bg")
    job_id = q.enqueue(3).id
    worker = q.worker(lambda job: job.data + 1)
    worker.start()
    assert worker.running
    assert worker.wait_idle(10)
    report = worker.shutdown(5)
    assert report.drained and not worker.running
    assert q.get(job_id).result == 4
    worker.start(max_jobs=0)  # a finished run can be followed by another
    assert worker.shutdown(5).drained


def test_a_handler_can_use_the_queue(client: redkit.Client) -> None:
    q = client.queue("inside", lease=30)

    def handler(job: redkit.Job) -> float:
        deadline = q.heartbeat(job, lease=60)  # a long job extends its own lease
        q.enqueue("follow-up", job_type="next")
        return deadline - job.lease_deadline

    job_id = q.enqueue("first").id
    q.worker(handler).run(max_jobs=1, timeout=10)
    assert q.get(job_id).result == pytest.approx(30, abs=1)
    assert q.counts().waiting == 1


async def test_an_async_handler_can_await_the_queue(aclient: redkit.aio.Client) -> None:
    q = aclient.queue("ainside")

    async def handler(job: redkit.Job) -> str:
        await q.heartbeat(job)
        return (await q.get(job.id)).state

    job_id = (await q.enqueue(1)).id
    await q.worker(handler).run(max_jobs=1, timeout=10)
    assert (await q.get(job_id)).result == "active"


def test_a_dropped_worker_stops(client: redkit.Client) -> None:
    import gc

    q = client.queue("dropped")
    worker = q.worker(lambda job: None)
    worker.start()
    del worker
    gc.collect()
    time.sleep(0.1)
    job_id = q.enqueue(1).id
    time.sleep(0.3)
    assert q.get(job_id).state == "waiting"  # nobody runs it any more


async def test_a_sync_run_inside_a_running_loop_does_not_need_that_loop() -> None:
    # As in Jupyter: the blocking API called where an event loop runs (and is held up by the
    # blocking call); async handlers run in a loop of their own.
    q = redkit.Simulator().client().queue("nb")
    q.enqueue(1)

    async def handler(job: redkit.Job) -> int:
        await asyncio.sleep(0)
        return job.data

    started = time.monotonic()
    stats = q.worker(handler).run(max_jobs=1, timeout=10)
    assert stats.completed == 1 and time.monotonic() - started < 5
