"""Cache: values, TTLs on the virtual clock, single flight (threads and tasks), loaders' own
exceptions, negative caching, stale-while-revalidate, XFetch, tags/prefix/namespace
invalidation, the local tier's coherence, write-through and write-behind with retries and dead
letters, counters, serializers, the @cached decorator (sync and async) and errors."""

from __future__ import annotations

import asyncio
import datetime
import pickle
import threading
import time
from typing import Any, Callable

import pytest

import redkit
import redkit.aio


def wait_until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Polls `check` (real time) until it holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


# --- values ---------------------------------------------------------------------------------


def test_values_round_trip_as_json_and_bytes(client: redkit.Client) -> None:
    cache = client.cache("v", ttl=60)
    values: list[Any] = [
        {"name": "ann", "tags": ["a", "b"], "n": 1, "f": 2.5, "ok": True, "none": None},
        [1, [2, [3]]],
        "text ü",
        42,
        -(2**63),
        2**64 - 1,
        0.1,
        False,
        b"\x00\xffraw",
        {"blob": bytearray(b"\x01\x02"), "view": memoryview(b"mv")},
    ]
    for i, v in enumerate(values):
        cache.set(f"k{i}", v)
    got = [cache.get(f"k{i}") for i in range(len(values))]
    assert got[:9] == values[:9]
    assert got[9] == {"blob": b"\x01\x02", "view": b"mv"}
    cache.set("t", (1, "two"))
    assert cache.get("t") == [1, "two"]  # a tuple comes back as a list (JSON)
    # Stored as the core's JSON (readable by any redkit client); bytes are tagged.
    assert client.execute("HGET", "redkit:cache:{v}:e:k2", "v") == '"text ü"'.encode()
    assert client.execute("HGET", "redkit:cache:{v}:e:k8", "v") == b'{"$bytes":"AP9yYXc="}'
    assert cache.get("missing") is None


def test_values_that_are_not_json_are_refused(client: redkit.Client) -> None:
    cache = client.cache("v", ttl=60)
    with pytest.raises(TypeError, match="set is not JSON-serialisable"):
        cache.set("k", {1, 2})
    with pytest.raises(TypeError, match="keys must be str"):
        cache.set("k", {1: "a"})
    with pytest.raises(ValueError, match="no JSON form"):
        cache.set("k", float("nan"))
    with pytest.raises(ValueError, match="64-bit"):
        cache.set("k", 2**64)
    with pytest.raises(ValueError, match="reserved"):
        cache.set("k", {"$bytes": "AA=="})
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError, match="nested deeper"):
        cache.set("k", cyclic)
    assert cache.get("k") is None


def test_serializer_is_opt_in() -> None:
    client = redkit.Simulator().client()
    cache = client.cache("p", ttl=60, serializer=pickle)
    cache.set("s", {1, 2, 3})
    assert cache.get("s") == {1, 2, 3}
    assert cache.get_or_set("d", lambda: datetime.date(2030, 1, 2)) == datetime.date(2030, 1, 2)
    assert cache.get("missing") is None
    with pytest.raises(TypeError, match="dumps and loads"):
        client.cache("p", serializer=object())

    class Bad:
        def dumps(self, v: Any) -> Any:
            return 1

        def loads(self, v: Any) -> Any:
            return v

    with pytest.raises(TypeError, match="must return bytes or str"):
        client.cache("p", ttl=1, serializer=Bad()).set("k", "v")


# --- ttl, errors ----------------------------------------------------------------------------


def test_ttl_runs_on_the_virtual_clock(sim: redkit.Simulator) -> None:
    cache = sim.client().cache("t")
    cache.set("k", "v", 2)
    cache.set("d", "v", datetime.timedelta(seconds=10))
    sim.advance(1.9)
    assert cache.get("k") == "v"
    sim.advance(0.2)
    assert cache.get("k") is None
    assert cache.get("d") == "v"


def test_argument_errors(client: redkit.Client) -> None:
    cache = client.cache("e")
    with pytest.raises(TypeError, match="no ttl"):
        cache.set("k", 1)
    with pytest.raises(TypeError, match="no ttl"):
        cache.get_or_set("k", lambda: 1)
    with pytest.raises(TypeError, match="duration"):
        cache.set("k", 1, "soon")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cache.set("k", 1, -1)
    with pytest.raises(TypeError):
        cache.set("k", 1, 5, tags="one")
    with pytest.raises(TypeError, match="callable"):
        cache.get_or_set("k", 5, 1)  # type: ignore[arg-type]
    with pytest.raises(redkit.InvalidArgumentError, match="non-empty"):
        cache.get("")
    with pytest.raises(redkit.InvalidArgumentError, match="tags must be non-empty"):
        cache.set("k", 1, 5, tags=[""])
    with pytest.raises(redkit.InvalidArgumentError, match="whole milliseconds"):
        cache.set("k", 1, 0)
    with pytest.raises(redkit.InvalidArgumentError, match="lock_ttl"):
        client.cache("e", lock_ttl=0)
    with pytest.raises(redkit.InvalidArgumentError, match="beta"):
        client.cache("e", beta=-1)
    with pytest.raises(redkit.InvalidArgumentError):
        client.cache("")
    with pytest.raises(TypeError):
        client.cache("e", 60)  # type: ignore[call-arg]  # options are keyword-only


def test_a_key_of_the_wrong_type_is_a_response_error(client: redkit.Client) -> None:
    cache = client.cache("w", ttl=60)
    client.execute("SET", "redkit:cache:{w}:e:k", "plain")
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        cache.get("k")


# --- get_or_set ------------------------------------------------------------------------------


def test_get_or_set_loads_once_then_serves_the_cache(client: redkit.Client) -> None:
    cache = client.cache("g", ttl=60)
    calls: list[int] = []

    def load() -> dict[str, int]:
        calls.append(1)
        return {"id": 7}

    assert cache.get_or_set("k", load) == {"id": 7}
    assert cache.get_or_set("k", load) == {"id": 7}
    assert len(calls) == 1
    s = cache.stats()
    assert (s.hits, s.misses, s.loads) == (1, 1, 1)
    assert isinstance(s, redkit.CacheStats)


def test_a_loader_exception_reaches_the_caller_as_itself(client: redkit.Client) -> None:
    cache = client.cache("x", ttl=60)

    class Boom(Exception):
        pass

    def fail() -> None:
        raise Boom("db down")

    with pytest.raises(Boom, match="db down"):
        cache.get_or_set("k", fail)
    assert cache.get("k") is None  # nothing cached, the lock is free: the next load runs
    assert cache.get_or_set("k", lambda: "ok") == "ok"

    def unserialisable() -> Any:
        return object()

    with pytest.raises(TypeError, match="not JSON-serialisable"):
        cache.get_or_set("u", unserialisable)


def test_an_async_loader_works_from_the_sync_api(client: redkit.Client) -> None:
    cache = client.cache("a", ttl=60)

    async def load() -> str:
        await asyncio.sleep(0.01)
        return "from a coroutine"

    assert cache.get_or_set("k", load) == "from a coroutine"


def test_twenty_threads_on_a_cold_key_run_the_loader_once(client: redkit.Client) -> None:
    cache = client.cache("sf", ttl=60)
    calls: list[int] = []
    lock = threading.Lock()

    def slow() -> str:
        with lock:
            calls.append(1)
        time.sleep(0.2)
        return "value"

    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_set("cold", slow))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == ["value"] * 20
    assert len(calls) == 1
    assert cache.stats().coalesced == 19


def test_callers_sharing_a_failed_load_all_get_the_loader_exception(client: redkit.Client) -> None:
    cache = client.cache("sf", ttl=60)
    calls: list[int] = []

    def slow_fail() -> str:
        calls.append(1)
        time.sleep(0.2)
        raise LookupError("not there")

    errors: list[BaseException] = []

    def call() -> None:
        try:
            cache.get_or_set("cold", slow_fail)
        except BaseException as e:  # noqa: BLE001 - the test inspects it
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(errors) == 8
    assert all(type(e) is LookupError and str(e) == "not there" for e in errors)
    assert len(calls) == 1


def test_two_caches_share_one_load_across_processes(client: redkit.Client) -> None:
    # Two cache objects stand for two processes: the second waits for the first one's load.
    a, b = client.cache("xp", ttl=60), client.cache("xp", ttl=60)
    started = threading.Event()

    def slow() -> str:
        started.set()
        time.sleep(0.3)
        return "loaded once"

    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(a.get_or_set("k", slow)))
    t.start()
    assert started.wait(5)
    assert b.get_or_set("k", lambda: "second load") == "loaded once"
    t.join(timeout=10)
    assert out == ["loaded once"]
    assert b.stats().waited == 1


def test_none_is_not_cached_unless_negative_ttl(sim: redkit.Simulator) -> None:
    client = sim.client()
    calls: list[int] = []

    def absent() -> None:
        calls.append(1)

    plain = client.cache("n1", ttl=60)
    assert plain.get_or_set("k", absent) is None
    assert plain.get_or_set("k", absent) is None
    assert len(calls) == 2
    calls.clear()
    negative = client.cache("n2", ttl=60, negative_ttl=5)
    assert negative.get_or_set("k", absent) is None
    assert negative.get_or_set("k", absent) is None
    assert len(calls) == 1
    sim.advance(5.1)
    assert negative.get_or_set("k", absent) is None
    assert len(calls) == 2


def test_stale_while_revalidate_serves_the_old_value_and_refreshes(sim: redkit.Simulator) -> None:
    cache = sim.client().cache("swr", ttl=1, stale=30)
    assert cache.get_or_set("k", lambda: "old") == "old"
    sim.advance(2)
    assert cache.get("k") is None  # stale is not fresh for a plain get
    assert cache.get_or_set("k", lambda: "new") == "old"  # served stale, refreshed behind
    wait_until(lambda: cache.get("k") == "new")
    assert cache.stats().stale == 1
    sim.advance(40)
    assert cache.get_or_set("k", lambda: "reloaded") == "reloaded"


def test_xfetch_recomputes_early_with_a_huge_beta(sim: redkit.Simulator) -> None:
    cache = sim.client().cache("xf", ttl=100, beta=1e9)

    def measured() -> str:
        sim.advance(0.5)  # the load takes half a second of server time
        return "first"

    assert cache.get_or_set("k", measured) == "first"
    assert cache.get_or_set("k", lambda: "early") == "early"
    assert cache.stats().early_refreshes == 1
    never = sim.client().cache("xf0", ttl=100, beta=0)
    never.get_or_set("k", measured)
    assert never.get_or_set("k", lambda: "early") == "first"


# --- invalidation -----------------------------------------------------------------------------


def test_invalidate_by_tag_prefix_and_namespace(client: redkit.Client) -> None:
    cache = client.cache("inv", ttl=60)
    cache.set("user:1", 1, tags=["users", "team:a"])
    cache.set("user:2", 2, tags=["users"])
    cache.get_or_set("order:1", lambda: 3, tags=["orders"])
    cache.set("a*b", 4)
    assert cache.invalidate_tag("users") == 2
    assert cache.get("user:1") is None and cache.get("order:1") == 3
    assert cache.invalidate_prefix("a*") == 1  # glob characters match literally
    assert cache.invalidate_prefix("order:") == 1
    cache.set("k", "v")
    assert cache.invalidate_all() == 1
    assert cache.get("k") is None
    assert cache.invalidate_all() == 2
    with pytest.raises(redkit.InvalidArgumentError):
        cache.invalidate_tag("")


def test_delete_reports_whether_the_key_existed(client: redkit.Client) -> None:
    cache = client.cache("d", ttl=60)
    cache.set("k", "v")
    assert cache.delete("k") is True
    assert cache.delete("k") is False


def test_set_and_write_behind_answer_none(client: redkit.Client) -> None:
    cache = client.cache("n", ttl=60)
    assert cache.set("k", "v") is None
    assert cache.write_behind("w", 1) is None
    assert cache.write_through("t", 2, lambda writes: None) is None


async def test_async_set_and_write_behind_answer_none(aclient: redkit.aio.Client) -> None:
    cache = aclient.cache("n", ttl=60)
    assert await cache.set("k", "v") is None
    assert await cache.write_behind("w", 1) is None
    assert (await cache.get("k"), await cache.get("w")) == ("v", 1)

# --- local tier ---------------------------------------------------------------------------------


def test_the_local_tier_serves_repeats_and_stays_coherent(client: redkit.Client) -> None:
    a = client.cache("two", ttl=60, local_capacity=10, local_ttl=30)
    b = client.cache("two", ttl=60, local_capacity=10)

    def primed() -> bool:
        # The tier is used once its subscription is live: read until a local hit is counted.
        a.set("k", "v1")
        a.get("k")
        return a.get("k") == "v1" and a.stats().local_hits > 0

    wait_until(primed)
    assert a.local_len() == 1
    b.set("k", "v2")  # another process writes: a's local copy is dropped via pub/sub
    wait_until(lambda: a.get("k") == "v2")
    b.invalidate_all()
    wait_until(lambda: a.get("k") is None)
    assert client.cache("none", ttl=1).local_len() == 0


# --- write-through / write-behind ---------------------------------------------------------------


def test_write_through_writes_the_sink_then_the_cache(client: redkit.Client) -> None:
    cache = client.cache("wt", ttl=60)
    db: list[redkit.Write] = []
    cache.write_through("k", {"v": 1}, db.extend)
    assert db == [redkit.Write(key="k", value={"v": 1}, deleted=False)]
    assert cache.get("k") == {"v": 1}

    class SinkDown(Exception):
        pass

    def failing(batch: list[redkit.Write]) -> None:
        raise SinkDown("db unavailable")

    with pytest.raises(SinkDown):
        cache.write_through("k", {"v": 2}, failing)
    assert cache.get("k") is None  # never claims a value the store may not have


def test_write_behind_drains_in_order_with_retries_and_dead_letters(sim: redkit.Simulator) -> None:
    client = sim.client()
    cache = client.cache("wb", ttl=60)
    db: list[tuple[str, Any, bool]] = []

    def sink(batch: list[redkit.Write]) -> None:
        db.extend((w.key, w.value, w.deleted) for w in batch)

    cache.write_behind("apple", 3)
    cache.write_behind("pear", b"\x05")
    assert cache.get("apple") == 3  # cached at once
    assert cache.delete_behind("apple") is True
    report = cache.drain_behind(sink)
    assert isinstance(report, redkit.DrainReport)
    assert (report.written, report.failed, report.error) == (3, 0, None)
    assert db == [("apple", 3, False), ("pear", b"\x05", False), ("apple", None, True)]

    attempts: list[int] = []

    def down(batch: list[redkit.Write]) -> None:
        attempts.append(len(batch))
        raise ConnectionRefusedError("store down")

    cache.write_behind("k", "v")
    failed = cache.drain_behind(down, retry_after=1, max_attempts=2)
    assert failed.failed == 1 and failed.error == "store down"  # the message, as any surface reports it
    assert cache.drain_behind(down, retry_after=1, max_attempts=2).failed == 0  # not yet due
    sim.advance(1.1)
    again = cache.drain_behind(down, retry_after=1, max_attempts=2)
    assert (again.retried, again.failed) == (1, 1)
    sim.advance(1.1)
    dead = cache.drain_behind(down, retry_after=1, max_attempts=2)
    assert dead.dead_lettered == 1
    assert client.execute("XLEN", "redkit:cache:{wb}:wb:dead") == 1
    assert attempts == [1, 1]
    with pytest.raises(redkit.InvalidArgumentError, match="max_attempts"):
        cache.drain_behind(sink, max_attempts=0)


def test_a_background_drainer_delivers_writes(client: redkit.Client) -> None:
    cache = client.cache("bg", ttl=60)
    db: list[str] = []
    drainer = cache.spawn_drainer(lambda batch: db.extend(w.key for w in batch), poll=0.01)
    try:
        cache.write_behind("a", 1)
        cache.write_behind("b", 2)
        sim = client.simulator

        def delivered() -> bool:
            if sim is not None:
                sim.advance(0.02)  # the drainer's idle sleep runs on the virtual clock
            return db == ["a", "b"]

        wait_until(delivered)
    finally:
        drainer.stop()
    assert "Drainer" in repr(drainer)


# --- @cached ------------------------------------------------------------------------------------


def test_cached_decorator_on_a_sync_function(client: redkit.Client) -> None:
    cache = client.cache("deco", ttl=60)
    calls: list[tuple[int, int]] = []

    @cache.cached(ttl=30)
    def add(a: int, b: int = 2) -> int:
        """Adds."""
        calls.append((a, b))
        return a + b

    assert add(1) == 3
    assert add(a=1) == 3 and add(1, 2) == 3  # one entry: arguments are bound with defaults
    assert calls == [(1, 2)]
    assert add.__name__ == "add" and add.__doc__ == "Adds."
    assert add.key(1) == f"{__name__}.test_cached_decorator_on_a_sync_function.<locals>.add:[1,2]"
    assert add.invalidate(1) is True
    assert add(1) == 3 and len(calls) == 2
    add(5)
    assert add.invalidate_all() == 2
    assert add.cache is cache

    @cache.cached
    def bare(x: str) -> str:
        calls.append((0, 0))
        return x.upper()

    assert bare("a") == "A" and bare("a") == "A"
    assert calls.count((0, 0)) == 1


def test_cached_key_and_tag_templates(client: redkit.Client) -> None:
    cache = client.cache("deco", ttl=60)

    class Repo:
        @cache.cached(key="user:{user_id}", tags=["users", "user:{user_id}"])
        def user(self, user_id: int) -> dict[str, int]:
            return {"id": user_id}

    repo = Repo()
    assert repo.user(7) == {"id": 7}
    assert cache.get("user:7") == {"id": 7}
    assert cache.invalidate_tag("user:7") == 1
    repo.user(8)
    assert Repo.user.key(repo, 8) == "user:8"
    assert Repo.user.invalidate(repo, 8) is True

    @cache.cached(key=lambda obj: f"obj:{obj['id']}")
    def describe(obj: dict[str, int]) -> str:
        return f"#{obj['id']}"

    assert describe({"id": 3}) == "#3" and cache.get("obj:3") == "#3"

    @cache.cached()
    def of_object(o: object) -> int:
        return 1

    with pytest.raises(TypeError, match="pass key="):
        of_object(object())


def test_cached_errors() -> None:
    cache = redkit.Simulator().client().cache("deco")
    with pytest.raises(TypeError, match="needs a ttl"):
        cache.cached()
    with_ttl = redkit.Simulator().client().cache("deco", ttl=5)

    async def coro() -> int:
        return 1

    with pytest.raises(TypeError, match="redkit.aio"):
        with_ttl.cached()(coro)
    with pytest.raises(TypeError, match="single str"):
        with_ttl.cached(tags="users")

    @with_ttl.cached()
    def fails() -> int:
        raise ZeroDivisionError("x")

    with pytest.raises(ZeroDivisionError):
        fails()


# --- asyncio ------------------------------------------------------------------------------------


async def test_async_cache(aclient: redkit.aio.Client) -> None:
    cache = aclient.cache("as", ttl=60)
    assert cache.is_async and repr(cache) == 'Cache("as", asyncio)'
    await cache.set("k", {"a": [1]}, tags=["t"])
    assert await cache.get("k") == {"a": [1]}
    assert await cache.delete("k") is True
    calls: list[int] = []

    async def load() -> str:
        calls.append(1)
        await asyncio.sleep(0.05)
        return "v"

    results = await asyncio.gather(*(cache.get_or_set("cold", load) for _ in range(20)))
    assert results == ["v"] * 20 and calls == [1]
    assert await cache.get_or_set("sync-loader", lambda: 5) == 5

    async def fail() -> None:
        raise PermissionError("nope")

    with pytest.raises(PermissionError, match="nope"):
        await cache.get_or_set("f", fail)
    assert await cache.invalidate_all() == 1
    db: list[redkit.Write] = []

    async def sink(batch: list[redkit.Write]) -> None:
        db.extend(batch)

    await cache.write_through("w", 1, sink)
    await cache.write_behind("b", 2)
    report = await cache.drain_behind(sink)
    assert report.written == 1 and [w.key for w in db] == ["w", "b"]
    assert cache.stats().loads >= 1


async def test_cached_decorator_on_async_and_sync_functions(aclient: redkit.aio.Client) -> None:
    cache = aclient.cache("adeco", ttl=60)
    calls: list[str] = []

    @cache.cached(ttl=10, tags=["t"])
    async def fetch(name: str) -> str:
        calls.append(name)
        await asyncio.sleep(0)
        return name * 2

    @cache.cached()
    def plain(n: int) -> int:
        calls.append(str(n))
        return n + 1

    assert await fetch("ab") == "abab"
    assert await fetch(name="ab") == "abab"
    assert await plain(1) == 2 and await plain(1) == 2  # an asyncio cache makes it awaitable
    assert calls == ["ab", "1"]
    assert await fetch.invalidate("ab") is True
    assert await fetch("ab") == "abab" and calls.count("ab") == 2
    assert await cache.invalidate_tag("t") == 1


async def test_async_loaders_and_sinks_run_on_the_callers_loop(aclient: redkit.aio.Client) -> None:
    cache = aclient.cache("loop", ttl=60)
    outer = asyncio.get_running_loop()
    seen: list[bool] = []

    async def load() -> str:
        seen.append(asyncio.get_running_loop() is outer)
        return "v"

    async def sink(batch: list[redkit.Write]) -> None:
        seen.append(asyncio.get_running_loop() is outer)

    assert await cache.get_or_set("k", load) == "v"
    await cache.write_through("w", 1, sink)
    assert seen == [True, True]


async def test_an_async_background_drainer(aclient: redkit.aio.Client) -> None:
    cache = aclient.cache("abg", ttl=60)
    got: list[Any] = []

    async def sink(batch: list[redkit.Write]) -> None:
        got.extend(w.value for w in batch)

    drainer = cache.spawn_drainer(sink, poll=0.01, batch=10)
    sim = aclient.simulator
    try:
        await cache.write_behind("a", {"n": 1})
        for _ in range(500):
            if got:
                break
            if sim is not None:
                sim.advance(0.02)
            await asyncio.sleep(0.01)
        assert got == [{"n": 1}]
    finally:
        drainer.stop()


def test_names_and_reprs(client: redkit.Client) -> None:
    cache = client.cache("users", ttl=datetime.timedelta(minutes=1))
    assert (cache.name, cache.ttl, cache.is_async) == ("users", 60.0, False)
    assert repr(cache) == 'Cache("users", sync)'
    store = client.sessions()
    assert (store.name, repr(store)) == ("sessions", 'SessionStore("sessions", sync)')
    assert "hits=0" in repr(cache.stats())


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
async def test_the_sync_api_inside_a_running_loop_refuses_an_async_loader_instead_of_hanging() -> None:
    cache = redkit.Simulator().client().cache("mixed", ttl=60)

    async def load() -> int:
        return 1

    with pytest.raises(RuntimeError, match="running event loop"):
        cache.get_or_set("k", load)
    assert cache.get_or_set("k", lambda: 2) == 2  # a plain loader is fine there
