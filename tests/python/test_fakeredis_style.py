"""Tests written the way fakeredis users write theirs: a fixture returning
``FakeRedis(decode_responses=True)`` and plain redis-py calls. They run on redkit's ``FakeRedis``
by default and, with the plugin's ``--redkit-backend=redis`` (``make test`` does both), on a real
redis-server: the same assertions hold on both.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator, Optional

import pytest

redis = pytest.importorskip("redis")

from redkit.testing import FakeAsyncRedis, FakeRedis, FakeServer  # noqa: E402


@pytest.fixture
def server(redkit_backend: str) -> Optional[FakeServer]:
    return FakeServer(manual_clock=True) if redkit_backend == "sim" else None


@pytest.fixture
def make(server: Optional[FakeServer], request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """Another client of the same server (a fakeredis user's ``FakeRedis(server=server)``)."""
    made: list[Any] = []

    def new(**kwargs: Any) -> Any:
        kwargs.setdefault("decode_responses", True)
        if server is not None:
            client = FakeRedis(server=server, **kwargs)
        else:
            client = redis.Redis.from_url(request.getfixturevalue("redkit_redis_url"), **kwargs)
        made.append(client)
        return client

    yield new
    for client in made:
        client.close()


@pytest.fixture
def r(make: Callable[..., Any]) -> Any:
    client = make()
    client.flushall()
    return client


@pytest.fixture
def advance(server: Optional[FakeServer]) -> Callable[[float], None]:
    """Time passes: the virtual clock on the simulator, a real sleep on Redis."""
    return server.advance if server is not None else time.sleep


def later(delay: float, action: Callable[[], Any]) -> threading.Timer:
    """Runs `action` on another thread after `delay` seconds (join it before the test ends)."""
    timer = threading.Timer(delay, action)
    timer.start()
    return timer


# -- strings and keys ---------------------------------------------------------------------------


def test_strings(r: Any) -> None:
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == "hello"
    assert r.append("greeting", " world") == 11
    assert r.getrange("greeting", 0, 4) == "hello"
    assert r.strlen("greeting") == 11
    assert r.set("greeting", "x", nx=True) is None
    assert r.set("greeting", "bye", xx=True, get=True) == "hello world"
    assert r.incr("n") == 1
    assert r.incrby("n", 41) == 42
    assert r.decr("n") == 41
    assert r.incrbyfloat("f", 1.5) == 1.5
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b", "missing") == ["1", "2", None]
    assert r.setnx("a", "9") is False
    assert r.getdel("a") == "1"
    assert r.get("a") is None


def test_keys(r: Any) -> None:
    r.set("k1", "v")
    r.rpush("l1", "x")
    assert r.exists("k1", "l1", "nope") == 2
    assert r.type("k1") == "string"
    assert r.type("l1") == "list"
    assert r.rename("k1", "k2") is True
    assert r.get("k2") == "v"
    assert r.dbsize() == 2
    assert r.delete("k2", "l1", "nope") == 2
    assert r.dbsize() == 0


def test_bytes_client(make: Callable[..., Any]) -> None:
    raw = make(decode_responses=False)
    raw.flushall()
    raw.set("b", b"\x00\xff")
    assert raw.get("b") == b"\x00\xff"
    assert raw.hgetall("none") == {}


@pytest.mark.parametrize("protocol", [2, 3])
def test_protocols(make: Callable[..., Any], protocol: int) -> None:
    c = make(protocol=protocol)
    c.flushall()
    c.hset("h", mapping={"a": "1"})
    c.zadd("z", {"m": 1.5})
    assert c.hgetall("h") == {"a": "1"}
    # redis-py shapes pairs by protocol (tuples on RESP2, lists on an explicit RESP3).
    assert [tuple(pair) for pair in c.zrange("z", 0, -1, withscores=True)] == [("m", 1.5)]
    assert c.ping() is True


# -- data types ---------------------------------------------------------------------------------


def test_hashes(r: Any) -> None:
    assert r.hset("user:1", mapping={"name": "ada", "age": "36"}) == 2
    assert r.hget("user:1", "name") == "ada"
    assert r.hgetall("user:1") == {"name": "ada", "age": "36"}
    assert r.hincrby("user:1", "age", 1) == 37
    assert r.hincrbyfloat("user:1", "score", 0.5) == 0.5
    assert r.hexists("user:1", "name") is True
    assert sorted(r.hkeys("user:1")) == ["age", "name", "score"]
    assert r.hlen("user:1") == 3
    assert r.hdel("user:1", "score", "nope") == 1
    assert r.hmget("user:1", ["name", "nope"]) == ["ada", None]
    assert dict(r.hscan_iter("user:1")) == {"name": "ada", "age": "37"}


def test_lists(r: Any) -> None:
    assert r.rpush("l", "a", "b", "c") == 3
    assert r.lpush("l", "z") == 4
    assert r.lrange("l", 0, -1) == ["z", "a", "b", "c"]
    assert r.lindex("l", 1) == "a"
    assert r.linsert("l", "BEFORE", "b", "a2") == 5
    assert r.lset("l", 0, "y") is True
    assert r.lrem("l", 0, "a2") == 1
    assert r.lpop("l") == "y"
    assert r.rpop("l", 2) == ["c", "b"]
    assert r.lmove("l", "other", "LEFT", "RIGHT") == "a"
    assert r.llen("l") == 0
    assert r.lrange("other", 0, -1) == ["a"]
    assert r.blpop(["empty", "other"], timeout=1) == ("other", "a")


def test_sets(r: Any) -> None:
    assert r.sadd("s1", "a", "b", "c") == 3
    r.sadd("s2", "b", "c", "d")
    assert r.smembers("s1") == {"a", "b", "c"}
    assert r.sismember("s1", "a") is True or r.sismember("s1", "a") == 1
    assert r.smismember("s1", ["a", "z"]) == [1, 0]
    assert r.sinter("s1", "s2") == {"b", "c"}
    assert r.sunion("s1", "s2") == {"a", "b", "c", "d"}
    assert r.sdiff("s1", "s2") == {"a"}
    assert r.srem("s1", "a") == 1
    assert r.scard("s1") == 2
    assert set(r.sscan_iter("s2", match="[bc]")) == {"b", "c"}
    assert r.spop("s1") in {"b", "c"}


def test_sorted_sets(r: Any) -> None:
    assert r.zadd("board", {"ann": 10, "bob": 20, "cid": 15}) == 3
    assert r.zscore("board", "bob") == 20.0
    assert r.zrange("board", 0, -1) == ["ann", "cid", "bob"]
    assert r.zrevrange("board", 0, 0, withscores=True) == [("bob", 20.0)]
    assert r.zincrby("board", 10, "ann") == 20.0
    assert r.zrank("board", "cid") == 0
    assert r.zrangebyscore("board", 16, "+inf") == ["ann", "bob"]
    assert r.zcount("board", "-inf", 15) == 1
    assert r.zrem("board", "cid") == 1
    assert r.zcard("board") == 2
    assert r.zpopmin("board") == [("ann", 20.0)]
    assert list(r.zscan_iter("board")) == [("bob", 20.0)]


def test_streams(r: Any) -> None:
    first = r.xadd("events", {"kind": "signup", "user": "1"})
    r.xadd("events", {"kind": "login", "user": "1"})
    assert r.xlen("events") == 2
    entries = r.xrange("events")
    assert entries[0] == (first, {"kind": "signup", "user": "1"})
    assert r.xgroup_create("events", "workers", id="0") is True
    read = r.xreadgroup("workers", "w1", {"events": ">"}, count=1)
    stream, messages = read[0] if isinstance(read, list) else next(iter(read.items()))
    assert stream == "events"
    assert messages[0][0] == first
    assert r.xpending("events", "workers")["pending"] == 1
    assert r.xack("events", "workers", first) == 1
    assert r.xpending("events", "workers")["pending"] == 0
    assert r.xtrim("events", maxlen=1, approximate=False) == 1
    assert r.xlen("events") == 1


def test_bitmaps(r: Any) -> None:
    assert r.setbit("bits", 7, 1) == 0
    assert r.getbit("bits", 7) == 1
    r.setbit("bits", 9, 1)
    assert r.bitcount("bits") == 2
    assert r.bitpos("bits", 1) == 7
    r.set("x", "\xff")
    assert r.bitop("AND", "dest", "bits", "x") >= 1
    assert r.bitfield("bf").incrby("u8", 0, 200).incrby("u8", 0, 100).execute() == [200, 44]


def test_hyperloglog(r: Any) -> None:
    assert r.pfadd("visitors", "a", "b", "c") == 1
    assert r.pfadd("visitors", "a") == 0
    assert r.pfcount("visitors") == 3
    r.pfadd("other", "c", "d")
    assert r.pfmerge("all", "visitors", "other") is True
    assert r.pfcount("all") == 4


def test_geo(r: Any) -> None:
    assert r.geoadd("cities", [2.3522, 48.8566, "paris", 13.4050, 52.5200, "berlin"]) == 2
    distance = r.geodist("cities", "paris", "berlin", unit="km")
    assert 870 < distance < 890
    lon, lat = r.geopos("cities", "paris")[0]
    assert abs(lon - 2.3522) < 1e-4 and abs(lat - 48.8566) < 1e-4
    assert r.geosearch("cities", longitude=2.35, latitude=48.85, radius=100, unit="km") == ["paris"]
    assert len(r.geohash("cities", "berlin")[0]) == 11


# -- expiry -------------------------------------------------------------------------------------


def test_expiry(r: Any, advance: Callable[[float], None]) -> None:
    r.set("session", "data", px=300)
    r.set("keep", "x")
    assert 0 < r.pttl("session") <= 300
    assert r.ttl("keep") == -1
    assert r.ttl("missing") == -2
    r.set("later", "y")
    assert r.pexpire("later", 300) is True
    assert r.persist("later") is True
    advance(0.4)
    assert r.get("session") is None
    assert r.exists("session") == 0
    assert r.get("later") == "y"


# -- pipelines and transactions -----------------------------------------------------------------


def test_pipeline(r: Any) -> None:
    with r.pipeline(transaction=False) as pipe:
        pipe.set("a", "1").incr("a").get("a").hset("h", "f", "v")
        assert pipe.execute() == [True, 2, "2", 1]
    with r.pipeline() as pipe:
        pipe.incr("a")
        pipe.lpush("a", "oops")
        pipe.get("a")
        results = pipe.execute(raise_on_error=False)
    assert results[0] == 3
    assert isinstance(results[1], redis.ResponseError)
    assert results[2] == "3"


def test_transaction_with_watch(r: Any, make: Callable[..., Any]) -> None:
    other = make()
    r.set("balance", "10")
    with r.pipeline() as pipe:
        pipe.watch("balance")
        current = int(pipe.get("balance"))
        other.set("balance", "100")  # a concurrent write
        pipe.multi()
        pipe.set("balance", current - 1)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("balance") == "100"

    def spend(pipe: Any) -> None:
        value = int(pipe.get("balance"))
        pipe.multi()
        pipe.set("balance", value - 1)

    assert r.transaction(spend, "balance") == [True]
    assert r.get("balance") == "99"


# -- pub/sub ------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 3])
def test_pubsub(make: Callable[..., Any], protocol: int) -> None:
    r, publisher = make(protocol=protocol), make()
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("log.*")
    assert p.get_message(timeout=1)["type"] == "subscribe"
    assert p.get_message(timeout=1)["type"] == "psubscribe"
    assert publisher.publish("news", "hello") == 1
    assert publisher.publish("log.error", "boom") == 1
    message = p.get_message(timeout=1)
    assert message == {"type": "message", "pattern": None, "channel": "news", "data": "hello"}
    message = p.get_message(timeout=1)
    assert message["type"] == "pmessage" and message["pattern"] == "log.*" and message["data"] == "boom"
    assert p.get_message(timeout=0.05) is None
    assert publisher.pubsub_numsub("news") == [("news", 1)]
    p.unsubscribe("news")
    p.punsubscribe()
    assert p.get_message(timeout=1)["type"] == "unsubscribe"
    p.close()


def test_pubsub_listen(r: Any, make: Callable[..., Any]) -> None:
    publisher = make()
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe("jobs")
    p.get_message(timeout=1)  # the confirmation
    publishing = later(0.05, lambda: [publisher.publish("jobs", str(i)) for i in range(3)])
    got = []
    for message in p.listen():
        if message["type"] == "message":
            got.append(message["data"])
        if len(got) == 3:
            break
    publishing.join(5)
    assert got == ["0", "1", "2"]
    p.close()


def test_pubsub_run_in_thread(r: Any, make: Callable[..., Any]) -> None:
    publisher = make()
    got: list[str] = []
    p = r.pubsub()
    p.subscribe(**{"a": lambda m: got.append(m["data"])})
    worker = p.run_in_thread(sleep_time=0.05)
    try:
        p.subscribe(**{"b": lambda m: got.append(m["data"])})  # while the thread reads
        deadline = time.monotonic() + 5
        while publisher.pubsub_numsub("b") != [("b", 1)] and time.monotonic() < deadline:
            time.sleep(0.01)
        publisher.publish("a", "1")
        publisher.publish("b", "2")
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        worker.stop()
        worker.join(5)
    assert got == ["1", "2"]


# -- blocking commands --------------------------------------------------------------------------


def test_blocking_pop_served_by_another_client(r: Any, make: Callable[..., Any]) -> None:
    producer = make()
    pushing = later(0.1, lambda: producer.rpush("queue", "job"))
    started = time.monotonic()
    assert r.blpop("queue", timeout=5) == ("queue", "job")
    assert time.monotonic() - started < 4
    pushing.join(5)


def test_blocking_pop_times_out(r: Any, advance: Callable[[float], None]) -> None:
    # On the simulator the virtual clock passes from another thread; on Redis the time is real.
    passing = later(0.1, lambda: advance(0.5))
    assert r.blpop("queue", timeout=0.3) is None
    passing.join(5)


# -- Lock ---------------------------------------------------------------------------------------


def test_lock(r: Any, make: Callable[..., Any], advance: Callable[[float], None]) -> None:
    other = make()
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False) is True
    assert lock.owned() is True
    assert other.lock("resource").acquire(blocking=True, blocking_timeout=0.1) is False
    assert lock.extend(5) is True
    assert 5000 < r.pttl("resource") <= 10000
    assert lock.reacquire() is True
    lock.release()
    assert r.exists("resource") == 0
    with other.lock("resource", timeout=0.2):
        assert r.get("resource") is not None
    short = r.lock("brief", timeout=0.2)
    assert short.acquire() is True
    advance(0.3)
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        short.release()


# -- scans and errors ---------------------------------------------------------------------------


def test_scan_iter(r: Any) -> None:
    for i in range(30):
        r.set(f"user:{i}", i)
    r.set("other", 1)
    assert sorted(r.scan_iter(match="user:*", count=7)) == sorted(f"user:{i}" for i in range(30))
    assert list(r.scan_iter(match="other")) == ["other"]


def test_errors_are_redis_py_exceptions(r: Any) -> None:
    r.set("s", "text")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.lpush("s", "x")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("s")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        r.execute_command("NOSUCHCOMMAND")
    with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
        r.execute_command("GET")
    with pytest.raises(redis.DataError):
        r.set("k", {"not": "encodable"})


# -- asyncio ------------------------------------------------------------------------------------


@pytest.fixture
async def ar(server: Optional[FakeServer], request: pytest.FixtureRequest) -> Any:
    if server is not None:
        client = FakeAsyncRedis(server=server, decode_responses=True)
    else:
        import redis.asyncio

        client = redis.asyncio.Redis.from_url(request.getfixturevalue("redkit_redis_url"), decode_responses=True)
    await client.flushall()
    yield client
    await client.aclose()


async def test_async_commands_pipeline_pubsub(ar: Any) -> None:
    assert await ar.set("k", "v") is True
    assert await ar.get("k") == "v"
    async with ar.pipeline(transaction=True) as pipe:
        pipe.incr("n").incr("n").get("n")
        assert await pipe.execute() == [1, 2, "2"]
    p = ar.pubsub()
    await p.subscribe("c")
    assert (await p.get_message(timeout=1))["type"] == "subscribe"
    await ar.publish("c", "hi")
    assert (await p.get_message(timeout=1))["data"] == "hi"
    await p.aclose()
    listener = ar.pubsub(ignore_subscribe_messages=True)
    await listener.subscribe("events")
    await listener.get_message(timeout=1)  # the confirmation
    for i in range(3):
        await ar.publish("events", str(i))
    got = []
    async for message in listener.listen():
        got.append(message["data"])
        if len(got) == 3:
            break
    assert got == ["0", "1", "2"]
    await listener.aclose()
    async with ar.lock("L", timeout=5):
        assert await ar.exists("L") == 1
    assert await ar.exists("L") == 0
