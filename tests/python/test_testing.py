"""redkit.testing beyond redis-py's API: which clients share a server, connection faults
(``server.connected = False``), the bounds on blocking reads, FakeAsyncRedis, the byte-level
``WireConnection`` under it, and ``import redkit`` without redis-py."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest

redis = pytest.importorskip("redis")

import redkit  # noqa: E402
from redkit._native import WireConnection  # noqa: E402
from redkit.testing import FakeAsyncRedis, FakeRedis, FakeServer, FakeStrictRedis  # noqa: E402


def test_servers_shared_or_not() -> None:
    server = FakeServer()
    a, b = FakeRedis(server=server), FakeStrictRedis(server=server)
    a.set("k", "v")
    assert b.get("k") == b"v"
    assert FakeRedis().get("k") is None  # no server=: a server of its own
    assert isinstance(b, redis.StrictRedis)
    x = FakeRedis(host="fake.example", port=7000)
    x.set("shared", "1")
    assert FakeRedis(host="fake.example", port=7000).get("shared") == b"1"
    assert FakeRedis.from_url("redis://fake.example:7000/0").get("shared") == b"1"
    assert FakeRedis(host="fake.example", port=7001).get("shared") is None
    assert FakeRedis.from_url("redis://anything:1/0", server=server).get("k") == b"v"


def test_constructor_arguments() -> None:
    server = FakeServer()
    r = FakeRedis(server=server, db=2, decode_responses=True, version=(7, 2), single_connection_client=True)
    r.set("k", "v")
    assert r.get("k") == "v"
    assert FakeRedis(server=server).get("k") is None  # db 0
    assert FakeRedis(server=server, db=2).get("k") == b"v"
    assert FakeRedis(server=server, ssl=True, ssl_cert_reqs="none").ping() is True
    assert FakeRedis(server=server, unix_socket_path="/nonexistent.sock").ping() is True
    assert FakeRedis.from_url("unix:///nonexistent.sock", server=server).ping() is True
    assert FakeRedis(server=server, server_type="redis", lua_modules=set()).ping() is True
    with pytest.raises(ValueError, match="dragonfly"):
        FakeRedis(server_type="dragonfly")
    with pytest.raises(TypeError, match="FakeServer"):
        FakeRedis(server=redkit.Simulator())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FakeServer(simulator=redkit.Simulator(), manual_clock=True)


def test_the_simulator_is_shared_with_redkit() -> None:
    server = FakeServer(manual_clock=True)
    r = FakeRedis(server=server)
    r.set("k", "v", ex=5)
    assert server.client().execute("GET", "k") == b"v"
    before = server.now()
    server.advance(6)
    assert server.now() == pytest.approx(before + 6)
    assert r.get("k") is None


def test_connected_false_raises_connection_error_and_keeps_the_data() -> None:
    server = FakeServer()
    r = FakeRedis(server=server)
    r.set("k", "v")
    server.connected = False
    with pytest.raises(redis.ConnectionError):
        r.get("k")
    with pytest.raises(redis.ConnectionError):
        FakeRedis(server=server).ping()
    server.connected = True
    assert r.get("k") == b"v"
    assert FakeRedis(server=server, connected=False).server.connected is False
    server.connected = True


def test_pubsub_connection_lost() -> None:
    server = FakeServer()
    p = FakeRedis(server=server).pubsub()
    p.subscribe("c")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    server.connected = False
    with pytest.raises(redis.ConnectionError):
        p.get_message(timeout=1)
    server.connected = True


def test_socket_timeout_bounds_a_blocking_command() -> None:
    r = FakeRedis(server=FakeServer(manual_clock=True), socket_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        r.blpop("nothing", 0)
    assert time.monotonic() - started < 2
    assert r.ping() is True  # a new connection


def test_no_socket_timeout_waits_at_most_max_block() -> None:
    server = FakeServer(manual_clock=True, max_block=0.2)
    r = FakeRedis(server=server, socket_timeout=None)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        r.blpop("nothing", 0)
    assert time.monotonic() - started < 2


def test_manual_clock_times_out_a_blocked_command_when_advanced() -> None:
    server = FakeServer(manual_clock=True)
    r = FakeRedis(server=server)
    timer = threading.Timer(0.1, server.advance, (3,))
    timer.start()
    started = time.monotonic()
    assert r.blpop("q", 2) is None
    assert time.monotonic() - started < 2
    timer.join(5)


def test_pipelined_commands_after_a_blocked_one_wait_for_it() -> None:
    server = FakeServer()
    r, producer = FakeRedis(server=server), FakeRedis(server=server)
    timer = threading.Timer(0.1, producer.rpush, ("q", "x"))
    timer.start()
    pipe = r.pipeline(transaction=False)
    pipe.blpop("q", 5).set("after", "1").get("after")
    assert pipe.execute() == [(b"q", b"x"), True, b"1"]
    timer.join(5)


def test_client_kill_closes_the_connection() -> None:
    server = FakeServer()
    r, admin = FakeRedis(server=server), FakeRedis(server=server)
    r.client_setname("victim")
    victim = next(c for c in admin.client_list() if c["name"] == "victim")
    admin.client_kill_filter(_id=victim["id"])
    with pytest.raises(redis.ConnectionError):
        r.get("k")
    assert r.ping() is True  # reconnected


def test_lua_runs_on_the_simulator() -> None:
    r = FakeRedis(decode_responses=True)
    assert r.eval("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}", 1, "n", "a") == ["n", "a", 1]
    add = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    assert add(keys=["n"], args=[5]) == 6
    r.script_flush()
    assert add(keys=["n"], args=[1]) == 7  # NOSCRIPT, then EVAL: redis-py's fallback
    with pytest.raises(redis.ResponseError, match="user_script:1: boom"):
        r.eval("error('boom')", 0)
    lock = r.lock("job", timeout=10)
    assert lock.acquire(blocking=False)
    assert lock.extend(5)
    lock.release()
    assert r.get("job") is None


async def test_fake_async_redis() -> None:
    server = FakeServer(manual_clock=True)
    a = FakeAsyncRedis(server=server, decode_responses=True)
    sync = FakeRedis(server=server, decode_responses=True)
    await a.set("k", "v", ex=5)
    assert sync.get("k") == "v"
    server.advance(6)
    assert await a.get("k") is None
    asyncio.get_running_loop().call_later(0.1, sync.rpush, "q", "job")
    assert await a.blpop("q", 5) == ("q", "job")
    lock = a.lock("L", timeout=1)
    assert await lock.acquire() is True
    server.advance(2)
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        await lock.release()
    server.connected = False
    with pytest.raises(redis.ConnectionError):
        await a.get("k")
    server.connected = True
    assert await a.ping() is True
    await a.aclose()


async def test_fake_async_redis_bounds_a_blocking_command_without_socket_timeout() -> None:
    a = FakeAsyncRedis(server=FakeServer(manual_clock=True, max_block=0.2), socket_timeout=None)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        await a.blpop("nothing", 0)
    assert time.monotonic() - started < 2
    assert await a.ping() is True
    await a.aclose()


def test_wire_connection_speaks_resp_bytes() -> None:
    sim = redkit.Simulator(manual_clock=True)
    wire = WireConnection(sim)
    wire.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1")
    assert wire.read(timeout=0) == b"+OK\r\n"  # the GET is not complete yet
    wire.send(b"\r\nk\r\nPING\r\n")  # the rest, then an inline command
    assert wire.read(timeout=0) == b"$1\r\nv\r\n+PONG\r\n"
    assert wire.read(timeout=0) is None
    wire.send(b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n1\r\n*1\r\n$4\r\nPING\r\n")
    assert wire.blocked and wire.read(timeout=0.05) is None
    sim.advance(2)
    assert wire.read(timeout=1) == b"*-1\r\n+PONG\r\n"  # the timeout, then what waited behind it
    wire.send(b"HELLO 3\r\n")
    assert wire.read(timeout=0, max=1, peek=True) == b"%"
    assert wire.read(timeout=0).startswith(b"%")
    wire.send(b"QUIT\r\n")
    assert wire.read(timeout=0) == b"+OK\r\n"
    assert wire.read(timeout=0) == b""  # end of stream
    wire.close()
    assert wire.closed
    with pytest.raises(OSError):
        wire.send(b"PING\r\n")


def test_wire_connection_pushes() -> None:
    sim = redkit.Simulator()
    sub, pub = WireConnection(sim), WireConnection(sim)
    sub.send(b"SUBSCRIBE c\r\n")
    assert sub.read(timeout=1) == b"*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    pub.send(b"PUBLISH c hi\r\n")
    assert pub.read(timeout=1) == b":1\r\n"
    assert sub.read(timeout=1) == b"*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"
    assert sub.client_id != pub.client_id


def test_redkit_imports_without_redis() -> None:
    code = (
        "import sys; sys.modules['redis'] = None\n"
        "import redkit\n"
        "try:\n"
        "    import redkit.testing\n"
        "except ImportError as e:\n"
        "    print('ImportError:', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "redkit[fake]" in out.stdout


def test_a_big_value_is_read_in_chunks() -> None:
    r = FakeRedis()
    big = bytes(range(256)) * (16 * 1024)  # 4 MiB, read 64 KiB at a time by redis-py
    r.set("big", big)
    started = time.monotonic()
    assert r.get("big") == big
    assert time.monotonic() - started < 5
