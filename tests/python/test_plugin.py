"""The pytest plugin (entry point ``pytest11``), checked with pytest's ``pytester``: its options,
and its fixtures on the simulator and, with ``--redkit-backend=redis``, on a real redis-server."""

from __future__ import annotations

import pytest

pytest.importorskip("redis")

INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

ON_SIM = '''
import redis
import redkit
from redkit.testing import FakeAsyncRedis, FakeRedis, FakeServer

def test_fixtures(redkit_backend, redkit_sim, redkit_client, fake_server, fake_redis):
    assert redkit_backend == "sim"
    assert isinstance(redkit_sim, redkit.Simulator) and redkit_sim.manual_clock
    assert isinstance(fake_server, FakeServer) and fake_server.simulator is redkit_sim
    assert isinstance(fake_redis, FakeRedis) and isinstance(fake_redis, redis.Redis)
    # One simulator behind all of them: the same data and the same clock.
    fake_redis.set("k", "v", ex=10)
    assert redkit_client.execute("GET", "k") == b"v"
    redkit_sim.advance(11)
    assert fake_redis.get("k") is None

def test_each_test_gets_a_fresh_simulator(fake_redis):
    assert fake_redis.dbsize() == 0
    fake_redis.set("left", "behind")

async def test_async(fake_async_redis, fake_redis):
    assert isinstance(fake_async_redis, FakeAsyncRedis)
    await fake_async_redis.set("a", "1")
    assert fake_redis.get("a") == b"1"
'''

ON_REDIS = '''
import redis
import redis.asyncio
import redkit
from redkit.testing import FakeRedis

def test_fixtures(redkit_backend, redkit_client, fake_redis):
    assert redkit_backend == "redis"
    assert type(fake_redis) is redis.Redis
    assert redkit_client.backend_name == "redis"
    assert fake_redis.get("stale") is None  # flushed before the test
    fake_redis.set("k", "v")
    assert redkit_client.execute("GET", "k") == b"v"

async def test_async(fake_async_redis):
    assert type(fake_async_redis) is redis.asyncio.Redis
    assert await fake_async_redis.dbsize() == 0
'''


def test_options_are_registered(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--redkit-backend={sim,redis}*", "*--redis-url=*"])


def test_fixtures_on_the_simulator(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user=ON_SIM)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_fixtures_on_redis_with_the_flag(pytester: pytest.Pytester, redis_url: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as r:
        r.set("stale", "from an earlier test")
    pytester.makeini(INI)
    pytester.makepyfile(test_user=ON_REDIS)
    result = pytester.runpytest("-p", "no:cacheprovider", "--redkit-backend=redis", f"--redis-url={redis_url}")
    result.assert_outcomes(passed=2)


def test_backend_from_the_environment(
    pytester: pytest.Pytester, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDKIT_BACKEND", "redis")
    monkeypatch.setenv("REDKIT_REDIS_URL", redis_url)
    pytester.makeini(INI)
    pytester.makepyfile(test_user=ON_REDIS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_an_unknown_backend_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_user="def test_nothing(): pass")
    result = pytester.runpytest("--redkit-backend=memcached")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*invalid choice*memcached*"])
