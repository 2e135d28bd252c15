"""Streams from Python: add with fields or JSON, trimming, ranges, the bounded tail, consumer
groups (read, ack, pending, claim, dead letters), the ``for`` / ``async for`` iterators, both
APIs and both backends, and the errors."""

from __future__ import annotations

import threading
import time

import pytest

import redkit
import redkit.aio


def test_add_range_and_json(client: redkit.Client) -> None:
    s = client.stream("orders")
    a = s.add({"id": 1, "total": 9.5, "note": b"x"})
    b = s.add_json({"id": 2, "items": ["a", "b"]})
    assert s.len() == 2
    entries = s.range()
    assert [e.id for e in entries] == [a, b]
    assert isinstance(entries[0], redkit.StreamEntry)
    assert entries[0].fields == {"id": "1", "total": "9.5", "note": "x"}
    assert entries[1].json() == {"id": 2, "items": ["a", "b"]}
    with pytest.raises(redkit.SerializationError, match='has no "data" field'):
        entries[0].json()
    with pytest.raises(redkit.SerializationError, match=f"entry {a}: Expecting value"):
        redkit.StreamEntry(a, {"data": "not json"}).json()
    assert [e.id for e in s.rev_range()] == [b, a]
    assert [e.id for e in s.range(f"({a}", "+")] == [b]
    assert len(s.range(count=1)) == 1
    assert repr(entries[0]).startswith("StreamEntry(id=") and repr(s) == "Stream('orders')"


def test_trimming(client: redkit.Client) -> None:
    s = client.stream("log", max_len=3)
    ids = [s.add({"n": i}) for i in range(5)]
    assert [e.id for e in s.range()] == ids[2:]
    s.add({"n": 5}, max_len=1)
    assert s.len() == 1
    plain = client.stream("plain")
    ids = [plain.add({"n": i}) for i in range(4)]
    assert plain.trim(min_id=ids[2]) == 2
    assert plain.trim(max_len=1) == 1
    with pytest.raises(TypeError, match="max_len or min_id"):
        plain.trim()
    with pytest.raises(TypeError, match="not both"):
        plain.trim(max_len=1, min_id="1-0")


def test_tail_is_a_bounded_wait(client: redkit.Client) -> None:
    s = client.stream("tail")
    first = s.add({"a": 1})
    assert [e.id for e in s.tail("0")] == [first]
    assert s.tail(first) == []
    started = time.monotonic()
    if client.simulator is None:
        assert s.tail("$", timeout=0.1) == []
        assert time.monotonic() - started < 5
    threading.Timer(0.1, lambda: s.add({"b": 2})).start()
    got = s.tail(first, timeout=10)
    assert [e.fields for e in got] == [{"b": "2"}]


def test_consumer_group_read_ack_pending(client: redkit.Client) -> None:
    s = client.stream("jobs")
    assert s.create_group("billing", "0") is True
    assert s.create_group("billing", "0") is False
    ids = [s.add({"n": i}) for i in range(3)]
    got = s.read_group("billing", "w1", count=2)
    assert [e.id for e in got] == ids[:2]
    summary = s.pending("billing")
    assert summary == redkit.PendingSummary(count=2, first_id=ids[0], last_id=ids[1], consumers={"w1": 2})
    detail = s.pending_entries("billing")
    assert [(p.id, p.consumer, p.deliveries) for p in detail] == [(ids[0], "w1", 1), (ids[1], "w1", 1)]
    assert isinstance(detail[0].idle, float)
    assert s.ack("billing", got[0], ids[1], ids[2]) == 2
    assert s.pending("billing").count == 0
    [group] = s.groups()
    assert isinstance(group, redkit.GroupInfo) and (group.name, group.consumers, group.pending) == ("billing", 1, 0)
    assert s.read_own_pending("billing", "w1") == []
    assert [e.id for e in s.read_group("billing", "w2")] == [ids[2]]
    assert s.delete_consumer("billing", "w2") == 1
    assert s.destroy_group("billing") is True and s.groups() == []


def test_claim_idle_and_dead_letter_under_the_manual_clock(sim: redkit.Simulator) -> None:
    s = sim.client().stream("work")
    s.create_group("g", "0")
    x = s.add({"task": "x"})
    s.read_group("g", "dead-worker")
    sim.advance(5)
    assert s.claim_idle("g", "alive", min_idle=10).entries == []
    sim.advance(6)
    claimed = s.claim_idle("g", "alive", min_idle=10)
    assert isinstance(claimed, redkit.Claimed)
    assert [e.id for e in claimed.entries] == [x] and claimed.next == "0-0" and claimed.deleted == []
    assert s.pending_entries("g", consumer="alive")[0].deliveries == 2
    assert s.pending_entries("g", min_idle=1) == []
    sim.advance(2)
    assert [p.idle for p in s.pending_entries("g", min_idle=1)] == [pytest.approx(2)]
    assert s.dead_letter("g", max_deliveries=3) == redkit.DeadLettered(moved=[], dropped=[])
    dl = s.dead_letter("g", max_deliveries=2, min_idle=1)
    assert dl.moved == [x] and s.pending("g").count == 0
    [dead] = s.dead_letters()
    assert dead.fields["task"] == "x" and dead.fields["dead:id"] == x and dead.fields["dead:consumer"] == "alive"


def test_iter_tail_and_group_with_acks(client: redkit.Client) -> None:
    s = client.stream("it")
    ids = [s.add({"n": i}) for i in range(5)]
    assert [e.id for e in s.iter(after="0")] == ids  # ends when a read finds nothing
    assert [e.id for e in s.iter(after="0", max=2, count=1)] == ids[:2]
    s.create_group("g", "0")
    seen = []
    for entry in s.iter("g", "c", ack=True, max=3, count=2):
        seen.append(entry.id)
    assert seen == ids[:3]
    # The last entry is acked when the loop asks for the next one, so all three are acked.
    assert s.pending("g").count == 0
    it = s.iter("g", "c", ack=True, count=1)  # a batch of count entries is delivered at once
    first = next(it)
    assert first.id == ids[3] and s.pending("g").count == 1
    for _ in it:
        break  # acks ids[3]; leaving the loop early leaves the current entry pending
    assert s.pending("g") == redkit.PendingSummary(count=1, first_id=ids[4], last_id=ids[4], consumers={"c": 1})
    assert repr(it) == "StreamIter(group='g', consumer='c')"


def test_iter_waits_up_to_block_for_new_entries(client: redkit.Client) -> None:
    s = client.stream("live")
    s.create_group("g", "$")
    threading.Timer(0.1, lambda: s.add({"late": 1})).start()
    got = [e.fields for e in s.iter("g", "c", block=10, max=1)]
    assert got == [{"late": "1"}]
    if client.simulator is None:
        started = time.monotonic()
        assert list(s.iter("g", "c", block=0.1)) == []
        assert time.monotonic() - started < 5


def test_errors(client: redkit.Client) -> None:
    s = client.stream("err")
    with pytest.raises(redkit.NotFoundError, match="NOGROUP"):
        s.read_group("nope", "c")
    with pytest.raises(redkit.InvalidArgumentError, match="stream id"):
        s.range("bad", "+")
    with pytest.raises(redkit.InvalidArgumentError, match="at least one field"):
        s.add({})
    with pytest.raises(TypeError, match="dict"):
        s.add([("a", "b")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Redis argument"):
        s.add({"a": None})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="str or an Entry"):
        s.ack("g", 5)  # type: ignore[arg-type]
    with pytest.raises(redkit.InvalidArgumentError, match="at least one id"):
        s.ack("g")
    with pytest.raises(TypeError, match="both group and consumer"):
        s.iter("g")
    with pytest.raises(TypeError, match="ack=True"):
        s.iter(ack=True)
    with pytest.raises(TypeError):
        s.add_json(object())
    with pytest.raises(redkit.InvalidArgumentError):
        client.stream("")


async def test_async_stream(aclient: redkit.aio.Client) -> None:
    s = aclient.stream("as", max_len=100)
    assert await s.create_group("g", "0")
    ids = [await s.add({"n": i}) for i in range(3)]
    ids.append(await s.add_json({"n": 3}))
    assert await s.len() == 4
    assert [e.id for e in await s.range()] == ids
    assert [e.id for e in await s.rev_range(count=1)] == ids[-1:]
    assert [e.id for e in await s.tail("0", count=2)] == ids[:2]
    got = [e async for e in s.iter("g", "c", ack=True, max=3)]
    assert [e.id for e in got] == ids[:3]
    assert (await s.pending("g")).count == 0
    rest = await s.read_group("g", "c")
    assert rest[0].json() == {"n": 3}
    assert (await s.pending_entries("g"))[0].id == ids[3]
    assert (await s.claim_idle("g", "d", min_idle=0)).entries[0].id == ids[3]
    assert (await s.dead_letter("g", max_deliveries=2)).moved == [ids[3]]
    assert len(await s.dead_letters()) == 1
    assert await s.ack("g", ids[3]) == 0
    assert [e.id async for e in s.iter(after="0", max=10)] == ids
    assert (await s.groups())[0].name == "g"
    assert await s.trim(max_len=1) == 3
    with pytest.raises(redkit.NotFoundError):
        await s.read_group("nope", "c")
    with pytest.raises(redkit.NotFoundError):
        async for _ in s.iter("nope", "c"):
            pass
    assert await s.read_own_pending("g", "c") == []
    assert await s.delete_consumer("g", "c") == 0
    assert await s.destroy_group("g")
