"""redkit-server with redis-py: one everyday workload — strings, hashes, lists, sets, sorted sets,
streams, pipelines with and without a transaction, WATCH, pub/sub, expiry, blocking pops, SCAN,
Lua (``register_script``, EVAL, script errors, SCRIPT, functions) and redis-py's ``Lock`` —
run on ``target/debug/redkit-server`` and on a real redis-server, demanding identical results.
The fixture builds the binary (``cargo build --features server``) when it is missing or stale."""

from __future__ import annotations

import os
import pathlib
import subprocess
import threading
import time
from typing import Any, Iterator

import pytest
import redis
from conftest import RedisServer

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "redkit-server"


@pytest.fixture(scope="module")
def redkit_server() -> Iterator[RedisServer]:
    cargo = os.environ.get("CARGO", "cargo")
    build = [cargo, "build", "-q", "-p", "redkit", "--features", "server", "--bin", "redkit-server"]
    subprocess.run(build, cwd=ROOT, check=True)
    server = RedisServer(binary=str(BINARY))
    yield server
    server.stop()


def everyday_workload(r: redis.Redis, other: redis.Redis) -> list[Any]:
    """The commands an application sends, with every result recorded (sets sorted, TTLs as
    booleans: what two correct servers must agree on)."""
    out: list[Any] = []
    add = out.append
    r.flushall()
    # strings
    add(r.set("user:1:name", "ada"))
    add(r.get("user:1:name"))
    add(r.set("user:1:name", "x", nx=True))
    add(r.incr("visits"))
    add(r.incrby("visits", 41))
    add(r.incrbyfloat("ratio", 0.5))
    add(r.mset({"a": "1", "b": "2"}))
    add(r.mget("a", "b", "missing"))
    add(r.append("a", "23"))
    add(r.getrange("a", 1, 2))
    add(r.strlen("a"))
    add(r.getdel("b"))
    # hashes
    add(r.hset("user:1", mapping={"name": "ada", "lang": "en", "age": "36"}))
    add(r.hgetall("user:1"))
    add(r.hincrby("user:1", "age", 1))
    add(r.hdel("user:1", "lang"))
    add(sorted(r.hkeys("user:1")))
    add(r.hmget("user:1", ["name", "nope"]))
    # lists
    add(r.rpush("queue", "a", "b", "c", "d"))
    add(r.lpush("queue", "z"))
    add(r.lrange("queue", 0, -1))
    add(r.lpop("queue", 2))
    add(r.linsert("queue", "BEFORE", "c", "bb"))
    add(r.lrem("queue", 0, "d"))
    add(r.lmove("queue", "done", "LEFT", "RIGHT"))
    add(r.blpop(["queue"], timeout=1))
    add(r.blpop(["empty"], timeout=0.1))
    # sets
    add(r.sadd("tags:1", "red", "green", "blue"))
    add(r.sadd("tags:2", "green", "yellow"))
    add(sorted(r.smembers("tags:1")))
    add(sorted(r.sinter("tags:1", "tags:2")))
    add(r.scard("tags:1"))
    add(r.sismember("tags:2", "red"))
    # sorted sets
    add(r.zadd("board", {"ada": 10, "bob": 20, "cy": 15}))
    add(r.zincrby("board", 7, "ada"))
    add(r.zrange("board", 0, -1, withscores=True))
    add(r.zrevrank("board", "cy"))
    add(r.zrangebyscore("board", 12, "+inf"))
    add(r.zpopmin("board"))
    add(r.zscore("board", "bob"))
    # streams
    add(r.xadd("events", {"type": "signup", "user": "1"}, id="1-1"))
    add(r.xadd("events", {"type": "login", "user": "1"}, id="2-1"))
    add(r.xgroup_create("events", "workers", id="0"))
    add(r.xreadgroup("workers", "w1", {"events": ">"}, count=1))
    add(r.xack("events", "workers", "1-1"))
    add(r.xpending("events", "workers"))
    add(r.xrange("events", "-", "+"))
    add(r.xlen("events"))
    # pipelines, with and without MULTI
    pipe = r.pipeline(transaction=True)
    pipe.set("p:1", "x").incr("p:n").lpush("p:l", "v").expire("p:1", 100).ttl("p:1")
    add(pipe.execute())
    pipe = r.pipeline(transaction=False)
    for i in range(50):
        pipe.set(f"bulk:{i}", i)
    pipe.get("bulk:49").dbsize()
    add(pipe.execute())
    # WATCH: a concurrent write aborts the transaction
    with r.pipeline() as p:
        p.watch("visits")
        other.incr("visits")
        p.multi()
        p.incr("visits")
        try:
            add(p.execute())
        except redis.WatchError:
            add("watch-aborted")
    add(r.get("visits"))
    # expiry
    add(r.set("short", "v", px=100))
    add(r.pttl("short") > 0)
    time.sleep(0.25)
    add(r.get("short"))
    add(r.exists("short"))
    add(r.set("later", "v", ex=100))
    add(r.persist("later"))
    add(r.ttl("later"))
    # scan
    add(sorted(r.scan_iter(match="bulk:1*", count=7)))
    add(sorted(r.hscan_iter("user:1")))
    # pub/sub across connections
    pubsub = other.pubsub()
    pubsub.subscribe("news")
    add(pubsub.get_message(timeout=2))
    add(r.publish("news", "hello"))
    add(message(pubsub))
    pubsub.psubscribe("n*")
    add(pubsub.get_message(timeout=2))
    add(r.publish("news", "again"))
    add(sorted(str(message(pubsub)) for _ in range(2)))
    pubsub.close()
    # a pop blocked on one connection, served by a push from another
    pusher = threading.Timer(0.1, lambda: other.rpush("jobs", "j1"))
    pusher.start()
    add(r.blpop(["jobs"], timeout=5))
    pusher.join()
    # Lua: scripts by SHA with redis-py's NOSCRIPT fallback, EVAL with keys and arguments,
    # Redis's conversions and error texts, SCRIPT EXISTS/FLUSH, functions
    transfer = r.register_script(
        "local v = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
        "if v < tonumber(ARGV[1]) then return redis.error_reply('ERR insufficient funds') end\n"
        "redis.call('DECRBY', KEYS[1], ARGV[1])\n"
        "return redis.call('INCRBY', KEYS[2], ARGV[1])"
    )
    add(r.set("acct:a", 100))
    add(transfer(keys=["acct:a", "acct:b"], args=[30]))
    add(r.script_flush())
    add(transfer(keys=["acct:a", "acct:b"], args=[30]))
    try:
        transfer(keys=["acct:a", "acct:b"], args=[500])
    except redis.ResponseError as e:
        add(str(e))
    add(r.mget("acct:a", "acct:b"))
    add(r.eval("return {1, 2.9, 'x', true, false, nil, 7}", 0))
    add(r.eval("return redis.status_reply('FINE')", 0))
    add(r.eval("return cjson.encode({a = {1, 2}})", 0))
    add(r.eval("return redis.sha1hex(ARGV[1])", 0, "abc"))
    try:
        r.eval("return redis.call('NOSUCH')", 0)
    except redis.ResponseError as e:
        add(str(e))
    try:
        r.eval("return 1 +", 0)
    except redis.ResponseError as e:
        add(str(e).split(":")[0])
    sha = r.script_load("return ARGV[1]")
    add(r.script_exists(sha, "0" * 40))
    add(r.evalsha(sha, 0, "back"))
    add(r.function_load("#!lua name=mylib\nredis.register_function('twice', function(k, a) return a[1] * 2 end)", replace=True))
    add(r.fcall("twice", 0, 21))
    add(r.function_delete("mylib"))
    # redis-py's Lock, whose acquire, extend and release are Lua scripts
    lock = r.lock("resource", timeout=5, blocking=False)
    add(lock.acquire())
    add(other.lock("resource", timeout=5, blocking=False).acquire())
    add(lock.extend(5))
    add(lock.owned())
    lock.release()
    add(r.exists("resource"))
    add(r.client_setname("worker"))
    add(r.client_getname())
    add(r.info("server")["redis_version"])
    add(r.dbsize())
    return out


def message(pubsub: Any) -> Any:
    """The next pub/sub message (bounded wait)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = pubsub.get_message(timeout=0.5)
        if m is not None:
            return m
    return None


@pytest.mark.parametrize("protocol", [2, 3])
def test_redis_py_workload_matches_redis(redkit_server: RedisServer, redis_url: str, protocol: int) -> None:
    def run(url: str) -> list[Any]:
        r = redis.Redis.from_url(url, decode_responses=True, protocol=protocol)
        other = redis.Redis.from_url(url, decode_responses=True, protocol=protocol)
        try:
            return everyday_workload(r, other)
        finally:
            r.close()
            other.close()

    on_redis = run(redis_url)
    on_redkit = run(redkit_server.url)
    assert len(on_redkit) == len(on_redis)
    for i, (mine, theirs) in enumerate(zip(on_redkit, on_redis)):
        assert mine == theirs, f"result {i}: redkit-server {mine!r} != redis-server {theirs!r}"


def test_resp3_client(redkit_server: RedisServer) -> None:
    r = redis.Redis(port=redkit_server.port, protocol=3, decode_responses=True)
    r.flushall()
    assert r.hset("h", mapping={"f": "v"}) == 1
    assert r.hgetall("h") == {"f": "v"}
    assert r.zadd("z", {"m": 1.5}) == 1
    assert r.zscore("z", "m") == 1.5
    r.close()
