"""client.pubsub(): publish, subscriptions read with bounded waits, iterators that end, with /
async with, JSON, request/response (plain and async handlers, errors, timeouts, no responder),
on the simulator (manual clock) and on a real redis-server, with the blocking and asyncio APIs."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Awaitable, Callable, TypeVar

import pytest

import redkit
import redkit.aio

T = TypeVar("T")

STEP = 0.05  # seconds of time moved per step while a bounded wait runs out
LIMIT = 10.0  # real seconds any helper below waits at most


def pass_time(client: Any, seconds: float) -> None:
    """Advances a manual-clock simulator, or sleeps for a real Redis."""
    sim = client.simulator
    if sim is not None and sim.manual_clock:
        sim.advance(seconds)
    else:
        time.sleep(seconds)


def while_time_passes(client: Any, fn: Callable[[], T]) -> T:
    """Runs `fn` in a thread while time moves on (bounded); returns or raises what it did."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as e:  # re-raised below
            out["error"] = e

    t = threading.Thread(target=target)
    t.start()
    deadline = time.monotonic() + LIMIT
    while t.is_alive():
        assert time.monotonic() < deadline, "the call did not end"
        pass_time(client, STEP)
        t.join(0.01)
    if "error" in out:
        raise out["error"]
    return out["value"]


async def awhile_time_passes(client: Any, aw: Awaitable[T]) -> T:
    """Awaits `aw` while time moves on (bounded)."""
    task = asyncio.ensure_future(aw)
    sim = client.simulator
    deadline = time.monotonic() + LIMIT
    while not task.done():
        assert time.monotonic() < deadline, "the call did not end"
        if sim is not None and sim.manual_clock:
            sim.advance(STEP)
            await asyncio.sleep(0.01)
        else:
            await asyncio.sleep(STEP)
    return await task


def in_thread(fn: Callable[[], Any]) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


# --- blocking API -------------------------------------------------------------------------------


def test_publish_reaches_a_subscriber(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("news", "sport") as sub:
        assert ps.publish("news", "hello") == 1
        assert ps.publish("sport", b"\x00\xff") == 1
        assert ps.publish("news", 42) == 1
        assert ps.publish("elsewhere", "x") == 0
        m = sub.next_message(timeout=1)
        assert m == redkit.Message(channel="news", pattern=None, payload=b"hello")
        assert m.text() == "hello"
        assert repr(m) == "Message(channel='news', pattern=None, payload=b'hello')"
        assert sub.next_message(1).payload == b"\x00\xff"
        assert sub.next_message(1).payload == b"42"


def test_pattern_subscription_reports_the_pattern(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.psubscribe("news.*") as sub:
        assert ps.publish("news.tech", "chip") == 1
        assert ps.publish("weather", "rain") == 0
        m = sub.next_message(1)
        assert (m.channel, m.pattern, m.payload) == ("news.tech", "news.*", b"chip")


def test_json_messages(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("events") as sub:
        assert ps.publish_json("events", {"user": "ann", "ids": [1, 2], "admin": False}) == 1
        assert sub.next_message(1).json() == {"user": "ann", "ids": [1, 2], "admin": False}
        ps.publish("events", "not json")
        with pytest.raises(redkit.SerializationError, match="not JSON"):
            sub.next_message(1).json()
        ps.publish("events", b"\xff")
        with pytest.raises(ValueError, match="UTF-8"):
            sub.next_message(1).text()
    with pytest.raises(TypeError, match="not JSON serializable"):
        ps.publish_json("events", {1, 2})
    with pytest.raises(ValueError):
        ps.publish_json("events", float("nan"))


def test_next_message_times_out_on_the_backend_clock(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("quiet") as sub:
        with pytest.raises(redkit.TimeoutError, match="200 ms") as raised:
            while_time_passes(client, lambda: sub.next_message(0.2))
        assert isinstance(raised.value, TimeoutError)
        # timeout=0 takes a message only if one is already there
        with pytest.raises(redkit.TimeoutError):
            sub.next_message(0)
        ps.publish("quiet", "now")
        deadline = time.monotonic() + LIMIT
        while True:  # Redis delivers asynchronously: poll, bounded
            try:
                assert sub.next_message(0).payload == b"now"
                break
            except redkit.TimeoutError:
                assert time.monotonic() < deadline
                time.sleep(0.01)


def test_a_reader_wakes_for_a_message_from_another_thread(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("wake") as sub:
        publisher = in_thread(lambda: (time.sleep(0.05), ps.publish("wake", "now")))
        assert sub.next_message(LIMIT).payload == b"now"
        publisher.join(LIMIT)


def test_iteration_ends_when_the_subscription_is_closed(client: redkit.Client) -> None:
    ps = client.pubsub()
    sub = ps.subscribe("feed")
    got: list[bytes] = []

    def publish_then_close() -> None:
        for i in range(3):
            ps.publish("feed", str(i))
        deadline = time.monotonic() + LIMIT
        while len(got) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        sub.close()

    closer = in_thread(publish_then_close)
    for m in sub:  # ends when closed
        got.append(m.payload)
    closer.join(LIMIT)
    assert got == [b"0", b"1", b"2"]
    assert sub.closed and "closed" in repr(sub)
    assert sub.next_message(1) is None
    assert list(sub) == []
    assert ps.publish("feed", "late") == 0


def test_listen_ends_after_max_or_when_idle(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("n") as sub:
        for i in range(5):
            ps.publish("n", str(i))
        assert [m.payload for m in sub.listen(max=3)] == [b"0", b"1", b"2"]
        assert [m.payload for m in while_time_passes(client, lambda: list(sub.listen(timeout=0.2)))] == [b"3", b"4"]
        assert list(sub.listen(max=0)) == []
        assert repr(sub.listen(timeout=1.5, max=2)) == "Messages(timeout=1.5, left=2)"


def test_with_closes_and_unsubscribes(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("a") as sub:
        assert client.execute("PUBSUB", "NUMSUB", "a") == [b"a", 1]
    assert sub.closed
    assert client.execute("PUBSUB", "NUMSUB", "a") == [b"a", 0]
    sub.close()  # twice is harmless
    with pytest.raises(redkit.ConnectionError, match="closed"):
        sub.subscribe("b")


def test_unsubscribe_and_punsubscribe(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscription() as sub:
        sub.subscribe("a", "b")
        sub.psubscribe("user:*", "job:*")
        sub.unsubscribe("a")
        sub.punsubscribe("user:*")
        assert ps.publish("a", "lost") == 0
        assert ps.publish("user:1", "lost") == 0
        assert ps.publish("b", "kept") == 1
        assert ps.publish("job:1", "kept") == 1
        assert [m.payload for m in sub.listen(max=2)] == [b"kept", b"kept"]
        sub.unsubscribe()
        sub.punsubscribe()
        assert ps.publish("b", "x") == 0
        assert ps.publish("job:2", "x") == 0


def test_subscribing_while_another_thread_iterates(client: redkit.Client) -> None:
    ps = client.pubsub()
    sub = ps.subscribe("first")
    got: list[str] = []
    reader = in_thread(lambda: got.extend(m.channel for m in sub))
    time.sleep(0.05)  # the reader is waiting for a message now
    started = time.monotonic()
    sub.subscribe("second")  # does not wait for the reader's next message
    assert time.monotonic() - started < 2
    assert ps.publish("second", "x") == 1
    deadline = time.monotonic() + LIMIT
    while not got and time.monotonic() < deadline:
        time.sleep(0.01)
    sub.close()
    reader.join(LIMIT)
    assert not reader.is_alive()
    assert got == ["second"]


def test_sharded_publish_skips_plain_subscribers(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("orders:{eu}") as sub:
        assert ps.spublish("orders:{eu}", "x") == 0
        assert ps.publish("orders:{eu}", "y") == 1
        assert sub.next_message(1).payload == b"y"


def test_request_response(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.serve("double", lambda n: n * 2) as responder:
        assert responder.is_running and responder.service == "double"
        assert ps.request("double", 21, timeout=1) == 42
        assert ps.request("double", [1], 1) == [1, 1]
        assert responder.served == 2
        assert responder.last_error is None and responder.resubscribed == 0
        assert repr(responder) == 'Responder("double", served=2, running=True)'
    assert not responder.is_running and responder.served == 2
    responder.stop()  # twice is harmless
    started = time.monotonic()
    with pytest.raises(redkit.NotFoundError, match="double"):
        ps.request("double", 1, timeout=60)  # fails at once: nobody listens
    assert time.monotonic() - started < 5


def test_async_handler_with_the_blocking_api(client: redkit.Client) -> None:
    ps = client.pubsub()

    async def shout(body: dict[str, str]) -> dict[str, str]:
        await asyncio.sleep(0)
        return {"said": body["word"].upper()}

    with ps.serve("shout", shout):
        assert ps.request("shout", {"word": "hi"}, 2) == {"said": "HI"}


def test_handler_errors_reach_the_requester_with_their_kind(client: redkit.Client) -> None:
    ps = client.pubsub()

    def handler(body: str) -> Any:
        if body == "value":
            raise ValueError("bad value")
        if body == "missing":
            raise redkit.NotFoundError("no such thing")
        if body == "zero":
            return 1 / 0
        if body == "set":
            return {1, 2}
        return body

    with ps.serve("strict", handler) as responder:
        with pytest.raises(redkit.InvalidArgumentError, match="strict: ValueError: bad value") as raised:
            ps.request("strict", "value", 1)
        assert isinstance(raised.value, ValueError)
        with pytest.raises(redkit.NotFoundError, match="strict: no such thing"):
            ps.request("strict", "missing", 1)
        with pytest.raises(redkit.ResponseError, match="ZeroDivisionError"):
            ps.request("strict", "zero", 1)
        with pytest.raises(redkit.SerializationError, match="not JSON"):
            ps.request("strict", "set", 1)
        assert ps.request("strict", "fine", 1) == "fine"
        assert responder.served == 5


def test_request_times_out_when_nobody_answers(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.subscribe("redkit:rpc:{quiet}") as spy:  # listens, never answers
        with pytest.raises(redkit.TimeoutError, match="quiet"):
            while_time_passes(client, lambda: ps.request("quiet", {"q": 1}, 0.2))
        request = spy.next_message(1).json()
        assert request["body"] == {"q": 1} and request["reply_to"].startswith("redkit:rpc:{quiet}:reply:")


def test_kept_requester(client: redkit.Client) -> None:
    ps = client.pubsub(prefix="app")
    with ps.serve("add", lambda b: b["a"] + b["b"]), ps.requester("add") as requester:
        assert requester.reply_channel.startswith("app:rpc:{add}:reply:")
        assert requester.service == "add"
        assert [requester.request({"a": i, "b": 1}, 1) for i in range(3)] == [1, 2, 3]
        assert "Requester(\"add\"" in repr(requester)
    with pytest.raises(redkit.ConnectionError, match="closed"):
        requester.request({"a": 1, "b": 1}, 1)


def test_concurrent_requests_from_threads(client: redkit.Client) -> None:
    ps = client.pubsub()
    results: dict[int, Any] = {}
    with ps.serve("sq", lambda n: n * n):
        threads = [in_thread(lambda i=i: results.__setitem__(i, ps.request("sq", i, 5))) for i in range(5)]
        for t in threads:
            t.join(LIMIT)
    assert results == {i: i * i for i in range(5)}


def test_wrong_arguments(client: redkit.Client) -> None:
    ps = client.pubsub()
    with pytest.raises(TypeError, match="Redis argument"):
        ps.publish("c", {"a": 1})
    with pytest.raises(TypeError):
        ps.publish(1, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ps.subscribe(1)  # type: ignore[arg-type]
    with pytest.raises(redkit.InvalidArgumentError, match="at least one channel"):
        ps.subscribe()
    with pytest.raises(redkit.InvalidArgumentError, match="at least one pattern"):
        ps.psubscribe()
    with pytest.raises(TypeError, match="callable"):
        ps.serve("svc", 42)
    with pytest.raises(redkit.InvalidArgumentError):
        ps.serve("", lambda b: b)
    with pytest.raises(redkit.InvalidArgumentError):
        ps.request("svc", 1, 0)
    with pytest.raises(redkit.InvalidArgumentError):
        ps.request("a{b", 1, 1)
    with pytest.raises(TypeError, match="not JSON serializable"):
        ps.request("svc", object(), 1)
    with pytest.raises(TypeError, match="duration"):
        ps.request("svc", 1, "soon")  # type: ignore[arg-type]
    with pytest.raises(redkit.InvalidArgumentError):
        client.pubsub(prefix="x}")
    with ps.subscribe("c") as sub:
        with pytest.raises(ValueError, match="≥ 0"):
            sub.next_message(-1)
        with pytest.raises(TypeError):
            sub.subscribe(b"bytes")  # type: ignore[arg-type]


# --- asyncio API --------------------------------------------------------------------------------


async def test_async_publish_subscribe(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    async with ps.subscribe("news") as sub:
        assert isinstance(sub, redkit.aio.Subscription)
        assert await ps.publish("news", "hello") == 1
        assert await ps.publish_json("news", [1, 2]) == 1
        m = await sub.next_message(1)
        assert (m.channel, m.payload) == ("news", b"hello")
        assert (await sub.next_message(1)).json() == [1, 2]
    assert sub.closed
    assert await ps.publish("news", "late") == 0
    assert await sub.next_message(1) is None


async def test_async_awaited_subscription_and_patterns(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    sub = await ps.psubscribe("job:*")
    async with sub:
        await sub.subscribe("plain")
        await ps.publish("job:1", "a")
        await ps.publish("plain", "b")
        got = [(m.channel, m.pattern) async for m in sub.listen(max=2)]
        assert got == [("job:1", "job:*"), ("plain", None)]
    empty = await ps.subscription()
    await empty.subscribe("x")
    assert await ps.publish("x", 1) == 1
    await empty.close()


async def test_async_for_ends_when_closed_by_another_task(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    sub = await ps.subscribe("feed")

    async def publish_then_close() -> None:
        for i in range(3):
            await ps.publish("feed", str(i))
        await asyncio.sleep(0.1)
        await sub.close()

    closer = asyncio.ensure_future(publish_then_close())
    got = [m.payload async for m in sub]
    await asyncio.wait_for(closer, LIMIT)
    assert got == [b"0", b"1", b"2"]


async def test_async_timeouts_and_idle_iteration(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    async with ps.subscribe("quiet") as sub:
        with pytest.raises(redkit.TimeoutError, match="200 ms"):
            await awhile_time_passes(aclient, sub.next_message(0.2))
        await ps.publish("quiet", "one")
        got = await awhile_time_passes(aclient, _collect(sub.listen(timeout=0.2)))
        assert got == [b"one"]


async def _collect(messages: redkit.aio.Messages) -> list[bytes]:
    return [m.payload async for m in messages]


async def test_async_cancelled_read_loses_nothing(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    async with ps.subscribe("c") as sub:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(sub.next_message(LIMIT), 0.05)
        await ps.publish("c", "after")
        assert (await sub.next_message(LIMIT)).payload == b"after"


async def test_async_request_response(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()

    async def double(n: int) -> int:
        await asyncio.sleep(0.01)
        return n * 2

    async with ps.serve("double", double) as responder:
        assert await ps.request("double", 21, 2) == 42
        answers = await asyncio.gather(*(ps.request("double", i, 5) for i in range(4)))
        assert answers == [0, 2, 4, 6]
        assert responder.served == 5
    assert not responder.is_running
    with pytest.raises(redkit.NotFoundError):
        await ps.request("double", 1, 60)

    responder = await ps.serve("plain", lambda b: {"echo": b})
    async with ps.requester("plain") as requester:
        assert await requester.request("x", 1) == {"echo": "x"}
    await responder.stop()


async def test_async_handler_errors_and_timeout(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()

    async def refuse(body: Any) -> Any:
        raise redkit.InvalidArgumentError("refused by the handler")

    async with ps.serve("strict", refuse):
        with pytest.raises(redkit.InvalidArgumentError, match="refused by the handler"):
            await ps.request("strict", {}, 1)
    async with ps.subscribe("redkit:rpc:{quiet}"):
        with pytest.raises(redkit.TimeoutError, match="quiet"):
            await awhile_time_passes(aclient, ps.request("quiet", 1, 0.2))


async def test_async_messages_from_another_thread(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    sync_ps = None
    sim = aclient.simulator
    if sim is not None:
        sync_ps = sim.client().pubsub()
    async with ps.subscribe("t") as sub:

        def publish() -> None:
            if sync_ps is not None:
                for i in range(3):
                    sync_ps.publish("t", str(i))

        if sync_ps is None:
            for i in range(3):
                await ps.publish("t", str(i))
        else:
            await asyncio.get_running_loop().run_in_executor(None, publish)
        assert [m.payload async for m in sub.listen(max=3)] == [b"0", b"1", b"2"]


def test_opening_repr_and_exports() -> None:
    for name in ("PubSub", "Subscription", "Messages", "Requester", "Responder", "Opening"):
        assert name in redkit.aio.__all__
    for name in ("PubSub", "Subscription", "Messages", "Message", "Requester", "Responder"):
        assert name in redkit.__all__

    async def main() -> None:
        ps = redkit.Simulator().async_client().pubsub()
        opening = ps.subscribe("x")
        assert repr(opening) in ("Opening(pending)", "Opening(done)")
        sub = await opening
        assert repr(opening) == "Opening(done)"
        await sub.close()

    asyncio.run(main())


async def test_async_reads_cancelled_under_traffic_lose_nothing(aclient: redkit.aio.Client) -> None:
    ps = aclient.pubsub()
    async with ps.subscribe("busy") as sub:
        got: list[bytes] = []
        for i in range(30):
            publish = asyncio.ensure_future(ps.publish("busy", str(i)))
            try:  # a read cancelled about when the message lands
                got.append((await asyncio.wait_for(sub.next_message(LIMIT), 0.001)).payload)
            except asyncio.TimeoutError:
                pass
            await publish
        async for m in sub.listen(max=30 - len(got)):
            got.append(m.payload)
        assert got == [str(i).encode() for i in range(30)]


def test_a_signal_handler_interrupts_a_blocking_read() -> None:
    import os
    import signal

    class Interrupted(Exception):
        pass

    def handler(signum: int, frame: Any) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        ps = redkit.Simulator(manual_clock=True).client().pubsub()
        with ps.subscribe("never") as sub:
            timer = threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGUSR1))
            timer.start()
            started = time.monotonic()
            with pytest.raises(Interrupted):
                for _ in sub:  # would wait forever: the manual clock never moves
                    pass
            assert time.monotonic() - started < 5
            timer.join(LIMIT)
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_responder_whose_connection_is_killed_subscribes_again(client: redkit.Client) -> None:
    ps = client.pubsub()
    with ps.serve("phoenix", lambda b: b) as responder:
        assert ps.request("phoenix", "before", 1) == "before"
        assert client.execute("CLIENT", "KILL", "TYPE", "pubsub") >= 1
        deadline = time.monotonic() + LIMIT
        while responder.resubscribed < 1:
            assert time.monotonic() < deadline, "the responder did not subscribe again"
            pass_time(client, STEP)
        assert isinstance(responder.last_error, redkit.ConnectionError)
        assert ps.request("phoenix", "after", 1) == "after"
    assert responder.resubscribed == 1
