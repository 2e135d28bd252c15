"""redkit.testing's fast path: FakeConnection hands command arguments to the simulator without
RESP packing and builds replies natively. Everything here runs the same calls on the fast path
and on the byte path (redis-py packing every command and parsing every reply itself) and demands
identical results: values and their types, exception classes and messages, in RESP2 and RESP3,
with and without decode_responses."""

from __future__ import annotations

import enum
import threading
from typing import Any, Callable

import pytest

redis = pytest.importorskip("redis")

from redkit._native import PackedCommands  # noqa: E402
from redkit.testing import FakeConnection, FakeRedis, FakeServer, _FakeSocket  # noqa: E402


class BytesConnection(FakeConnection):
    """A FakeConnection that never takes the fast path: redis-py packs and parses."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fast_args = False

    def _connect(self) -> Any:
        sock = _FakeSocket(self.server)
        sock.settimeout(self.socket_timeout)
        return sock


def pair(**kwargs: Any) -> tuple[Any, Any]:
    """(fast client, byte-path client), each on a fresh manual-clock server at the same time."""
    fast = FakeRedis(server=FakeServer(manual_clock=True, start=1_700_000_000), **kwargs)
    slow = FakeRedis(server=FakeServer(manual_clock=True, start=1_700_000_000), **kwargs)
    slow.connection_pool.connection_class = BytesConnection
    return fast, slow


def outcome(call: Callable[[Any], Any], r: Any) -> Any:
    """What a call gives: its value (with types, errors as (class, args)) or what it raised."""
    try:
        return ("value", shape(call(r)))
    except Exception as e:  # noqa: BLE001 - the point is to compare any exception
        return ("raised", type(e), e.args)


def shape(v: Any) -> Any:
    if isinstance(v, BaseException):
        return ("error", type(v), v.args)
    if isinstance(v, dict):
        return ("dict", [(shape(k), shape(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple, set)):
        items = [shape(x) for x in v]
        return (type(v).__name__, sorted(items, key=repr) if isinstance(v, set) else items)
    return (type(v), v)


def same(fast: Any, slow: Any, *calls: Callable[[Any], Any]) -> list[Any]:
    results = []
    for call in calls:
        a, b = outcome(call, fast), outcome(call, slow)
        assert a == b
        results.append(a)
    return results


class Color(enum.IntEnum):
    RED = 1


def pipeline_with_errors(r: Any) -> Any:
    p = r.pipeline(transaction=False)
    p.set("s", "x").lpush("s", "y").get("s").execute_command("NOSUCHCOMMAND").incr("n")
    return p.execute(raise_on_error=False)


def transaction_with_errors(r: Any) -> Any:
    p = r.pipeline(transaction=True)
    p.set("t", "x").lpush("t", "y").incrbyfloat("f", 1.5).get("t")
    return p.execute(raise_on_error=False)


def transaction_raising(r: Any) -> Any:
    p = r.pipeline(transaction=True)
    p.set("t", "x").lpush("t", "y").get("t")
    return p.execute()


def transaction_aborted(r: Any) -> Any:
    p = r.pipeline(transaction=True)
    p.set("a", "1").execute_command("SET", "b").get("a")  # wrong arity: EXECABORT
    return p.execute()


CALLS: list[Callable[[Any], Any]] = [
    lambda r: r.set("k", "v"),
    lambda r: r.get("k"),
    lambda r: r.get("missing"),
    lambda r: r.set("bin", b"\x00\r\n\xff"),
    lambda r: r.get("bin"),  # not UTF-8: decode_responses raises UnicodeDecodeError
    lambda r: r.incr("n", 5),
    lambda r: r.incrbyfloat("f", 0.1),
    lambda r: r.set("floats", 1e20),
    lambda r: r.get("floats"),
    lambda r: r.set("neg", -0.0),
    lambda r: r.set("big", 2**70),
    lambda r: r.get("big"),
    lambda r: r.set("enum", Color.RED),
    lambda r: r.get("enum"),
    lambda r: r.set("ba", bytearray(b"xy")),
    lambda r: r.set("mv", memoryview(b"zz")),
    lambda r: r.mget("ba", "mv", "missing"),
    lambda r: r.set("bool", True),  # redis-py's DataError
    lambda r: r.set("obj", object()),
    lambda r: r.lpush("l", "a", "b", "c"),
    lambda r: r.lrange("l", 0, -1),
    lambda r: r.lpush("k", "x"),  # WRONGTYPE
    lambda r: r.execute_command("NOSUCHCOMMAND", "x"),
    lambda r: r.execute_command("AUTH", "nopass"),  # AuthenticationError: a ConnectionError
    lambda r: r.ping(),
    lambda r: r.hset("h", mapping={"a": "1", "b": "2"}),
    lambda r: r.hgetall("h"),
    lambda r: r.hgetall("missing"),
    lambda r: r.sadd("s1", "x", "y"),
    lambda r: r.smembers("s1"),
    lambda r: r.zadd("z", {"m1": 1.5, "m2": 1e20, "m3": float("inf")}),
    lambda r: r.zrange("z", 0, -1, withscores=True),
    lambda r: r.zscore("z", "m1"),
    lambda r: r.zscore("z", "m3"),
    lambda r: r.zscore("z", "nobody"),
    lambda r: r.zpopmin("z"),
    lambda r: r.xadd("st", {"f": "v"}, id="1-1"),
    lambda r: r.xgroup_create("st", "g", "0"),
    lambda r: r.xreadgroup("g", "c", {"st": ">"}),
    lambda r: r.xpending("st", "g"),
    lambda r: r.xinfo_stream("st"),
    lambda r: r.execute_command("XINFO", "STREAM", "st", "FULL"),
    lambda r: r.config_get("maxmemory*"),
    lambda r: r.execute_command("CONFIG GET", "hz"),  # a name with a space, split
    lambda r: r.execute_command(b"CONFIG GET", b"hz"),
    lambda r: r.execute_command("CLIENT", "INFO").split(" ")[0],  # verbatim in RESP3
    lambda r: r.geoadd("geo", (13.361389, 38.115556, "Palermo")),
    lambda r: r.geopos("geo", "Palermo", "nowhere"),
    lambda r: r.execute_command("GEOSEARCH", "geo", "FROMLONLAT", 15, 37, "BYRADIUS", 200, "km", "WITHDIST"),
    lambda r: r.object("encoding", "l"),
    lambda r: r.execute_command("LPOS", "l", "a", "RANK", 0),
    lambda r: r.expire("k", 100),
    lambda r: r.ttl("k"),
    lambda r: r.pttl("k"),
    lambda r: r.time(),
    lambda r: r.execute_command("HELLO", 3)["proto"],
    lambda r: r.get("k"),  # after HELLO 3 on a RESP2 parser: what redis-py makes of RESP3
    lambda r: r.execute_command("HELLO", 2)["proto"],
    pipeline_with_errors,
    transaction_with_errors,
    transaction_raising,
    transaction_aborted,
    lambda r: r.lrange("l", 0, -1),
]


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_the_fast_path_answers_what_redis_py_parses(protocol: int, decode: bool) -> None:
    fast, slow = pair(protocol=protocol, decode_responses=decode)
    same(fast, slow, *CALLS)


@pytest.mark.parametrize("protocol", [2, 3])
def test_non_utf8_encodings_take_redis_pys_path(protocol: int) -> None:
    fast, slow = pair(protocol=protocol, decode_responses=True, encoding="latin-1")
    same(
        fast,
        slow,
        lambda r: r.set("é", "ü"),
        lambda r: r.get("é"),
        lambda r: r.set("raw", b"\xff"),
        lambda r: r.get("raw"),
        lambda r: r.keys("*"),
    )


def test_errors_nested_in_replies_are_redis_pys_classes() -> None:
    for decode in (False, True):
        r = FakeRedis(decode_responses=decode)
        r.set("s", "x")
        p = r.pipeline(transaction=False)
        p.lpush("s", "y").execute_command("NOSUCHCOMMAND").get("s")
        wrongtype, unknown, value = p.execute(raise_on_error=False)
        assert type(wrongtype) is redis.ResponseError and str(wrongtype).startswith("WRONGTYPE")
        assert type(unknown) is redis.ResponseError and "unknown command" in str(unknown)
        assert value == ("x" if decode else b"x")
        p = r.pipeline(transaction=True)
        p.lpush("s", "y").get("s")
        with pytest.raises(redis.ResponseError, match="Command # 1 .*WRONGTYPE"):
            p.execute()
        p = r.pipeline(transaction=True)
        p.set("a", "1").execute_command("SET", "b")
        with pytest.raises(redis.ResponseError, match="Command # 2 .*wrong number of arguments"):
            p.execute()  # redis-py raises the queueing error rather than EXECABORT
        with pytest.raises(redis.AuthenticationError):
            r.execute_command("AUTH", "x")
        assert r.get("a") is None  # the aborted transaction wrote nothing
        with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
            r.lpush("s", "z")


def test_decode_errors_disconnect_as_redis_py_does() -> None:
    r = FakeRedis(decode_responses=True, single_connection_client=True)
    r.set("raw", b"\xff")
    with pytest.raises(UnicodeDecodeError):
        r.get("raw")
    assert r.connection._sock is None
    assert r.ping() is True


def test_fast_path_is_taken() -> None:
    """No redis-py packing or parsing for plain commands, pipelines and transactions."""
    for protocol in (2, 3):
        r = FakeRedis(protocol=protocol, single_connection_client=True)
        conn = r.connection

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("redis-py's packer or parser ran")

        conn._command_packer.pack = refuse
        conn._parser.read_response = refuse
        assert r.set("k", 1) is True
        assert r.get("k") == b"1"
        assert r.hgetall("missing") == {}
        pipe = r.pipeline(transaction=False)
        for i in range(10):
            pipe.set(f"p{i}", i)
        assert pipe.execute() == [True] * 10
        assert r.pipeline().incr("n").incr("n").execute() == [1, 2]


def test_packed_commands_iterate_as_redis_pys_bytes() -> None:
    r = FakeRedis(single_connection_client=True)
    commands = [("SET", "k", "v", "EX", 10), ("CONFIG GET", b"hz"), (b"GET", 1.5, 2**70)]
    packed = r.connection.pack_commands(commands)
    assert isinstance(packed, PackedCommands) and len(packed) == 3
    expected = b"".join(redis.Connection().pack_commands(commands))
    assert b"".join(packed) == expected
    with pytest.raises(redis.DataError):
        r.connection.pack_commands([("SET", "k", True)])


def test_response_callbacks_and_health_checks() -> None:
    fast, slow = pair(health_check_interval=30)
    for r in (fast, slow):
        r.set_response_callback("GET", lambda response, **options: ("cb", response))
    same(fast, slow, lambda r: r.set("k", "v"), lambda r: r.get("k"), lambda r: r.ping())


def test_pubsub_and_blocking_reads_mix_with_the_fast_path() -> None:
    for protocol in (2, 3):
        server = FakeServer()
        r, other = FakeRedis(server=server, protocol=protocol), FakeRedis(server=server, protocol=protocol)
        p = r.pubsub()
        p.subscribe("c")
        assert p.get_message(timeout=1)["type"] == "subscribe"
        assert other.publish("c", "hi") == 1
        message = p.get_message(timeout=1)
        assert message is not None and message["data"] == b"hi"
        assert p.get_message(timeout=0.01) is None
        p.close()
        timer = threading.Timer(0.05, other.rpush, ("q", "x"))
        timer.start()
        assert tuple(r.blpop("q", 5)) == (b"q", b"x")  # a list in RESP3
        timer.join(5)
        assert r.set("after", 1) and r.get("after") == b"1"


def pubsub_sequence(r: Any) -> Any:
    p = r.pubsub()
    p.subscribe("c")
    p.psubscribe("c*")
    FakeRedis(server=r.server).publish("c", "hi")
    p.ping()
    messages = []
    for _ in range(10):
        m = p.get_message(timeout=0.05)
        if m is None:
            break
        messages.append(m)
    p.close()
    return messages


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
def test_pubsub_messages_and_pushes_as_redis_py_reads_them(protocol: int, decode: bool) -> None:
    fast, slow = pair(protocol=protocol, decode_responses=decode)
    (kind, messages), = same(fast, slow, pubsub_sequence)
    assert kind == "value" and len(messages[1]) == 5  # subscribe x2, message x2, pong


def pool_sequence(r: Any) -> Any:
    pool = r.connection_pool
    conn = pool.get_connection()
    conn.send_command("PING")  # its reply is never read: what the next user sees is redis-py's call
    pool.release(conn)
    seen = [r.set("k", "v"), r.get("k")]
    first, second = pool.get_connection(), pool.get_connection()
    assert first is not second
    pool.release(first)
    pool.release(second)
    pool.release(second)  # not in use any more: ignored
    return seen, len(pool._available_connections), len(pool._in_use_connections)


@pytest.mark.parametrize("protocol", [2, 3])
def test_the_pool_behaves_as_redis_pys(protocol: int) -> None:
    fast, standard = pair(protocol=protocol)
    standard.connection_pool.connection_class = FakeConnection
    if redis.__version__.startswith("8.1."):  # the pool version _FakeConnectionPool mirrors
        assert type(fast.connection_pool) is not redis.ConnectionPool
    standard.connection_pool.__class__ = redis.ConnectionPool
    same(fast, standard, pool_sequence)
    blocking = FakeRedis(connection_pool=redis.BlockingConnectionPool(max_connections=2))
    assert type(blocking.connection_pool) is redis.BlockingConnectionPool
    assert blocking.set("k", "v") is True and blocking.get("k") == b"v"


def test_threads_share_a_pool() -> None:
    r = FakeRedis()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                assert r.incr(f"t{n}") == i + 1
                assert r.get(f"t{n}") == str(i + 1).encode()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(r.connection_pool._available_connections) <= 4
