"""Simulator, Client and connect(): raw commands, replies as Python values, errors, faults,
snapshots, the asyncio client, fork, and the GIL released while a call waits."""

from __future__ import annotations

import asyncio
import datetime
import os
import threading
import time

import pytest

import redkit
import redkit.aio


def test_execute_returns_python_values(client: redkit.Client) -> None:
    assert client.execute("SET", "k", 1) == b"OK"
    assert client.execute("INCRBYFLOAT", "k", 0.5) == b"1.5"
    assert client.execute("GET", "k") == b"1.5"
    assert client.execute("GET", "missing") is None
    assert client.execute("RPUSH", "l", "a", b"b", 3) == 3
    assert client.execute("LRANGE", "l", 0, -1) == [b"a", b"b", b"3"]


def test_error_reply_raises_response_error(client: redkit.Client) -> None:
    client.execute("SET", "s", "x")
    with pytest.raises(redkit.ResponseError, match="^WRONGTYPE"):
        client.execute("LPUSH", "s", "y")
    with pytest.raises(redkit.ResponseError, match="wrong number of arguments"):
        client.execute("GET")


@pytest.mark.parametrize("bad", [True, None, [1], {"a": 1}, object()])
def test_wrong_argument_type_is_type_error(client: redkit.Client, bad: object) -> None:
    with pytest.raises(TypeError, match="Redis argument"):
        client.execute("SET", "k", bad)


def test_execute_many_and_transactions(client: redkit.Client) -> None:
    assert client.execute_many([("SET", "a", 1), ("INCR", "a")]) == [b"OK", 2]
    assert client.execute_many([("INCR", "a"), ("INCR", "a")], transaction=True) == [3, 4]
    replies = client.execute_many([("SET", "b", "x"), ("LPUSH", "b", 1)], raise_on_error=False)
    assert replies[0] == b"OK" and isinstance(replies[1], redkit.ResponseError)
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        client.execute_many([("LPUSH", "b", 1)])


@pytest.mark.parametrize("n", [0, 7, -7, 10**18, 2**63 - 1, -(2**63), 2**64, -(2**70)])
def test_int_arguments_are_their_decimal_text(client: redkit.Client, n: int) -> None:
    assert client.execute("SET", "n", n) == b"OK"
    assert client.execute("GET", "n") == str(n).encode()


def test_execute_many_takes_tuples_lists_and_iterables(client: redkit.Client) -> None:
    commands = iter([("SET", "t", 1), ["INCR", "t"], iter(["INCRBY", "t", 2]), ("GET", "t")])
    assert client.execute_many(commands) == [b"OK", 2, 4, b"4"]
    assert client.execute_many((c for c in [("INCR", "t")]), transaction=True) == [5]
    with pytest.raises(ValueError, match="at least its name"):
        client.execute_many([()])
    with pytest.raises(redkit.ResponseError, match="EXECABORT"):
        client.execute_many([("INCR", "t"), ("NOSUCHCOMMAND",)], transaction=True)
    assert client.execute("GET", "t") == b"5"


def test_resp3_map_is_a_dict() -> None:
    sim = redkit.Simulator()
    hello = sim.client().execute("HELLO", 3)
    assert isinstance(hello, list)  # the backend speaks RESP2; maps arrive flattened
    assert b"redis" in hello


def test_exceptions_subclass_builtins() -> None:
    assert issubclass(redkit.TimeoutError, TimeoutError)
    assert issubclass(redkit.ConnectionError, ConnectionError)
    assert issubclass(redkit.InvalidArgumentError, ValueError)
    assert issubclass(redkit.NotFoundError, LookupError)
    for cls in (redkit.ResponseError, redkit.LockNotOwnedError, redkit.TimeoutError):
        assert issubclass(cls, redkit.RedkitError)


def test_manual_clock_expires_keys() -> None:
    sim = redkit.Simulator(manual_clock=True, start=datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc))
    assert sim.now() == datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    c = sim.client()
    c.execute("SET", "k", "v", "PX", 1500)
    sim.advance(1.499)
    assert c.execute("GET", "k") == b"v"
    sim.advance(datetime.timedelta(milliseconds=2))  # Redis expires a key once now > its deadline
    assert c.execute("GET", "k") is None
    with pytest.raises(ValueError):
        sim.advance(-1)
    with pytest.raises(ValueError, match="manual_clock"):
        redkit.Simulator().advance(1)
    with pytest.raises(ValueError, match="manual_clock"):
        redkit.Simulator(start=0)


def test_snapshot_and_restore(sim: redkit.Simulator) -> None:
    c = sim.client()
    c.execute("HSET", "h", "f", "v")
    snap = sim.snapshot()
    c.execute("FLUSHALL")
    sim.restore(snap)
    assert c.execute("HGET", "h", "f") == b"v"
    with pytest.raises(redkit.RedkitError):
        sim.restore(b"not a snapshot")


def test_faults(sim: redkit.Simulator) -> None:
    c = sim.client()
    sim.fail_next(1, "LOADING Redis is loading the dataset in memory")
    with pytest.raises(redkit.ResponseError, match="^LOADING"):
        c.execute("PING")
    assert c.execute("PING") == b"PONG"
    sim.refuse_connections(True)
    with pytest.raises(redkit.ConnectionError):
        sim.client().execute("PING")
    sim.heal()


def test_memory_url_and_bad_urls() -> None:
    c = redkit.connect("memory://")
    assert c.backend_name == "sim" and c.simulator is not None
    assert c.execute("PING") == b"PONG"
    with pytest.raises(ValueError, match="redis://"):
        redkit.connect("http://127.0.0.1:1")
    with pytest.raises(ValueError):
        redkit.connect("memory://somewhere")


def test_unreachable_redis_raises_connection_error() -> None:
    from conftest import free_port

    c = redkit.connect(f"redis://127.0.0.1:{free_port()}", connect_timeout=0.2, retries=0, call_timeout=1)
    with pytest.raises((redkit.ConnectionError, redkit.TimeoutError)):
        c.execute("PING")


def test_async_client(aclient: redkit.aio.Client) -> None:
    async def main() -> None:
        assert await aclient.execute("SET", "k", "v") == b"OK"
        assert await aclient.execute("GET", "k") == b"v"
        with pytest.raises(redkit.ResponseError):
            await aclient.execute("INCR", "k")
        results = await asyncio.gather(*(aclient.execute("INCR", "n") for _ in range(50)))
        assert sorted(results) == list(range(1, 51))

    asyncio.run(main())


def test_gil_released_while_a_call_waits(client: redkit.Client) -> None:
    """A second thread makes progress while the first waits in BLPOP."""
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set() and ticks < 1_000_000:
            ticks += 1

    counter = threading.Thread(target=count)
    if client.simulator is not None and client.simulator.manual_clock:
        client = redkit.Simulator().client()  # a real clock, so the timeout passes by itself
    counter.start()
    start = time.monotonic()
    assert client.execute("BLPOP", "nothing", 0.3) is None
    done.set()
    counter.join(5)
    assert time.monotonic() - start >= 0.25
    assert ticks > 1000


def test_blocking_command_needs_a_timeout(client: redkit.Client) -> None:
    with pytest.raises(redkit.RedkitError, match="timeout"):
        client.execute("BLPOP", "k", 0)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_client_works_in_a_forked_child(redis_url: str) -> None:
    c = redkit.connect(redis_url)
    c.execute("SET", "k", "parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a fresh runtime and connection
        try:
            ok = c.execute("GET", "k") == b"parent" and c.execute("SET", "k", "child") == b"OK"
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    assert c.execute("GET", "k") == b"child"
