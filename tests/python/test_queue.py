"""The job queue from Python: enqueue with options, reserve / ack / fail / heartbeat, dead
letters and requeue, delays and stalled leases under the manual clock, repeatable jobs, pause,
counts, lookup, both APIs and both backends, and the errors."""

from __future__ import annotations

import datetime
import time

import pytest

import redkit
import redkit.aio


def advance(client: redkit.Client | redkit.aio.Client, seconds: float) -> None:
    """Moves the simulator's manual clock, or lets real time pass on a real Redis."""
    sim = client.simulator
    if sim is not None:
        sim.advance(seconds)
    else:
        time.sleep(seconds)


def test_enqueue_reserve_ack_and_lookup(client: redkit.Client) -> None:
    q = client.queue("emails")
    first = q.enqueue({"to": "ann"})
    assert first == redkit.Enqueued(id="1", added=True) and first
    urgent = q.enqueue("reset", job_type="reset", priority=10)
    assert q.counts() == redkit.Counts(waiting=2, delayed=0, active=0, completed=0, dead=0, paused=False, repeatable=0)
    job = q.reserve()
    assert isinstance(job, redkit.Job)
    assert (job.id, job.job_type, job.data, job.attempts, job.max_attempts) == (urgent.id, "reset", "reset", 1, 3)
    assert "token" not in repr(job) and "job_type='reset'" in repr(job)
    completed_at = q.ack(job, {"sent": True})
    info = q.get(job.id)
    assert isinstance(info, redkit.JobInfo)
    assert info.state == "completed" and info.result == {"sent": True} and info.finished_at == completed_at
    assert q.get(first.id).state == "waiting" and q.get(first.id).data == {"to": "ann"}
    assert q.counts().completed == 1


def test_payloads_str_bytes_and_json(client: redkit.Client) -> None:
    q = client.queue("p")
    for data in ["text", b"bytes", 3, 2.5, True, None, [1, "a"], (1, 2), {"k": {"n": [None]}}]:
        q.enqueue(data)
    got = [q.reserve().data for _ in range(9)]  # type: ignore[union-attr]
    # bytes travel as {"$bytes": base64} (JSON has no bytes) and come back as bytes
    assert got == ["text", b"bytes", 3, 2.5, True, None, [1, "a"], [1, 2], {"k": {"n": [None]}}]


@pytest.mark.parametrize(
    "bad, error",
    [(object(), TypeError), ({1: "x"}, TypeError), ({"$bytes": "x"}, ValueError), (float("nan"), ValueError), (2**70, ValueError)],
)
def test_payloads_that_are_not_json_raise(client: redkit.Client, bad: object, error: type) -> None:
    with pytest.raises(error):
        client.queue("p").enqueue(bad)


def test_dedup_id_and_bulk(client: redkit.Client) -> None:
    q = client.queue("d")
    assert q.enqueue(1, id="order-1").added
    again = q.enqueue(2, id="order-1")
    assert not again and again.id == "order-1"
    out = q.enqueue_bulk([{"data": "a"}, {"data": "b", "priority": 5, "job_type": "x"}, {"data": "c", "id": "order-1"}])
    assert [e.added for e in out] == [True, True, False]
    assert q.reserve().data == "b"  # type: ignore[union-attr]
    with pytest.raises(TypeError, match="unknown job key"):
        q.enqueue_bulk([{"data": 1, "prio": 2}])
    with pytest.raises(TypeError, match="iterable of job dicts"):
        q.enqueue_bulk({"data": 1})  # type: ignore[dict-item]
    with pytest.raises(redkit.InvalidArgumentError, match="plain integer"):
        q.enqueue_bulk([{"data": 1}, {"data": 2, "id": "7"}])
    assert q.counts().waiting == 2  # all or none


def test_fail_retries_with_backoff_then_dead_letters_and_requeue(sim: redkit.Simulator) -> None:
    q = sim.client().queue("r")
    job_id = q.enqueue("x", max_attempts=2, backoff=10, backoff_kind="fixed").id
    job = q.reserve()
    failed = q.fail(job, "boom")  # type: ignore[arg-type]
    assert failed.state == "delayed" and failed.retry_at == pytest.approx(sim.now() + 10)
    assert q.reserve() is None
    sim.advance(10)
    job = q.reserve()
    assert job is not None and job.attempts == 2
    assert q.fail(job.id, "boom again", token=job.token).state == "dead"
    info = q.get(job_id)
    assert info.state == "dead" and info.error == "boom again"
    assert q.counts().dead == 1
    assert q.requeue_dead() == 1
    assert q.get(job_id).state == "waiting" and q.get(job_id).attempts == 0
    job = q.reserve()
    assert q.fail(job, retry=False).state == "dead"  # type: ignore[arg-type]
    assert q.requeue_dead([job_id]) == 1


def test_delay_and_run_at_under_the_manual_clock(sim: redkit.Simulator) -> None:
    q = sim.client().queue("later", lease=3600)
    q.enqueue("in 5s", delay=5)
    q.enqueue("at", run_at=datetime.datetime.fromtimestamp(sim.now() + 60, tz=datetime.timezone.utc))
    q.enqueue("td", delay=datetime.timedelta(seconds=30))
    assert q.counts().delayed == 3 and q.reserve() is None
    sim.advance(4.9)
    assert q.reserve() is None
    sim.advance(0.1)
    assert q.reserve().data == "in 5s"  # type: ignore[union-attr]
    sim.advance(30)
    assert q.reserve().data == "td"  # type: ignore[union-attr]
    sim.advance(30)
    assert q.reserve().data == "at"  # type: ignore[union-attr]


def test_lease_expiry_brings_a_stalled_job_back(sim: redkit.Simulator) -> None:
    q = sim.client().queue("stall", lease=10)
    assert q.lease == 10
    q.enqueue("work", max_attempts=2)
    job = q.reserve()
    assert job is not None and job.lease_deadline == pytest.approx(sim.now() + 10)
    deadline = q.heartbeat(job, lease=20)
    assert deadline == pytest.approx(sim.now() + 20)
    sim.advance(19)
    assert q.reserve() is None  # still leased
    sim.advance(2)
    again = q.reserve()
    assert again is not None and again.id == job.id and again.attempts == 2
    assert q.get(job.id).error == "lease expired"
    with pytest.raises(redkit.LockNotOwnedError):
        q.ack(job)  # the old token lost the lease
    with pytest.raises(redkit.LockNotOwnedError):
        q.heartbeat(job)
    sim.advance(11)
    assert q.recover_stalled() == redkit.Recovered(requeued=0, dead=1, promoted=0)
    assert q.get(job.id).state == "dead"


def test_reserve_many_and_reservation(client: redkit.Client) -> None:
    q = client.queue("many")
    q.enqueue_bulk([{"data": i} for i in range(5)])
    r = q.reserve_many(3, lease=5)
    assert isinstance(r, redkit.Reservation) and [j.data for j in r.jobs] == [0, 1, 2]
    assert all(isinstance(j, redkit.Job) for j in r.jobs)
    assert r.next_due_in is not None and r.next_due_in <= 5
    with pytest.raises(redkit.InvalidArgumentError, match="count"):
        q.reserve_many(0)


def test_pause_resume(client: redkit.Client) -> None:
    q = client.queue("pz")
    q.enqueue(1)
    assert q.pause() is True and q.pause() is False
    assert q.reserve() is None and q.counts().paused
    assert q.resume() is True
    assert q.reserve() is not None


def test_repeatable_every_and_cron(sim: redkit.Simulator) -> None:
    q = sim.client().queue("rep")
    rep = q.add_repeatable("tick", {"n": 1}, every=60)
    assert rep.added and rep.name == "tick" and rep.next_run_at == pytest.approx(sim.now() + 60, abs=0.002)
    assert not q.add_repeatable("tick", {"n": 2}, every=60).added  # replaced
    nightly = q.add_repeatable("nightly", cron="0 3 * * *", job_type="report")
    assert nightly.next_run_at == redkit.Cron("0 3 * * *").next_after(sim.now())
    assert q.counts().repeatable == 2
    assert q.reserve() is None
    sim.advance(60)
    job = q.reserve()
    assert job is not None and job.data == {"n": 2} and job.id.startswith("repeat:tick:")
    q.ack(job)
    sim.advance(60)
    assert q.reserve().data == {"n": 2}  # type: ignore[union-attr]
    assert q.remove_repeatable("tick") is True and q.remove_repeatable("tick") is False
    with pytest.raises(TypeError, match="exactly one of every= and cron="):
        q.add_repeatable("x", every=1, cron="* * * * *")
    with pytest.raises(redkit.InvalidArgumentError, match="cron"):
        q.add_repeatable("x", cron="61 * * * *")


def test_cron() -> None:
    c = redkit.Cron("0 9 * * mon-fri")
    assert c.source == "0 9 * * mon-fri" and repr(c) == "Cron('0 9 * * mon-fri')"
    # 2023-11-14 22:13:20 UTC (a Tuesday) → Wednesday 09:00 UTC.
    assert c.next_after(1_700_000_000) == 1_700_038_800
    assert c.next_after(datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.timezone.utc)) == 1_700_038_800
    assert redkit.Cron("0 0 30 2 *").next_after(0) is None
    with pytest.raises(redkit.InvalidArgumentError, match="minute"):
        redkit.Cron("60 * * * *")
    with pytest.raises(TypeError):
        c.next_after("soon")  # type: ignore[arg-type]


def test_errors(client: redkit.Client) -> None:
    q = client.queue("e")
    with pytest.raises(redkit.NotFoundError):
        q.get("nope")
    with pytest.raises(redkit.InvalidArgumentError, match="priority"):
        q.enqueue(1, priority=1001)
    with pytest.raises(redkit.InvalidArgumentError, match="priority"):
        q.enqueue(1, priority=-1)
    with pytest.raises(redkit.InvalidArgumentError, match="max_attempts"):
        q.enqueue(1, max_attempts=0)
    with pytest.raises(ValueError, match="backoff_kind"):
        q.enqueue(1, backoff_kind="linear")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="duration"):
        q.enqueue(1, delay="soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        q.enqueue(1, delay=-1)
    with pytest.raises(TypeError, match="token"):
        q.ack("1")
    with pytest.raises(TypeError, match="reserved Job"):
        q.ack(42)  # type: ignore[arg-type]
    with pytest.raises(redkit.NotFoundError):
        q.ack("missing", token="t")
    with pytest.raises(redkit.InvalidArgumentError):
        client.queue("")
    with pytest.raises(redkit.InvalidArgumentError, match="lease"):
        client.queue("x", lease=0)
    assert repr(q) == "Queue('e')" and q.name == "e"


async def test_async_queue(aclient: redkit.aio.Client) -> None:
    q = aclient.queue("aq", result_ttl=60)
    assert q.result_ttl == 60
    added = await q.enqueue({"n": 1}, delay=0.05)
    assert added.added
    assert await q.reserve() is None
    advance(aclient, 0.06)
    job = await q.reserve()
    assert job is not None and job.data == {"n": 1}
    await q.heartbeat(job)
    await q.ack(job, "done")
    assert (await q.get(added.id)).result == "done"
    assert (await q.counts()).completed == 1
    bulk = await q.enqueue_bulk([{"data": 1}, {"data": 2}])
    r = await q.reserve_many(2)
    assert [j.id for j in r.jobs] == [e.id for e in bulk]
    assert (await q.fail(r.jobs[0], "x", retry=False)).state == "dead"
    assert await q.requeue_dead() == 1
    assert await q.pause() and await q.resume()
    assert (await q.add_repeatable("t", every=1)).added and await q.remove_repeatable("t")
    assert (await q.recover_stalled()).requeued == 0
    with pytest.raises(redkit.NotFoundError):
        await q.get("nope")
