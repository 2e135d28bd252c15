"""Fixtures shared by the Python tests: simulators, and real redis-servers started on free
loopback ports and stopped by PID.

Under CI (``CI`` set) a missing ``redis-server`` fails the tests that need it; elsewhere they
are skipped.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest
import redis_server
from redis_server import free_port

import redkit

__all__ = ["RedisServer", "free_port"]


class RedisServer(redis_server.RedisServer):
    """``redis_server.RedisServer`` for tests: a missing binary fails under CI and skips
    elsewhere; a server that does not start fails the test."""

    def __init__(self, binary: str | None = None) -> None:
        try:
            super().__init__(prefix="redkit-py-redis-", binary=binary)
        except redis_server.RedisServerMissing as e:
            if os.environ.get("CI"):
                pytest.fail(str(e))
            pytest.skip(str(e))
        except RuntimeError as e:
            pytest.fail(str(e))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of a flushed redis-server of our own."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def sim() -> redkit.Simulator:
    """A simulator with a manual clock."""
    return redkit.Simulator(manual_clock=True)


@pytest.fixture(params=["sim", "redis"])
def client(request: pytest.FixtureRequest) -> redkit.Client:
    """A blocking client, once on a simulator and once on a real redis-server."""
    if request.param == "sim":
        return redkit.Simulator(manual_clock=True).client()
    return redkit.connect(request.getfixturevalue("redis_url"))


@pytest.fixture(params=["sim", "redis"])
def aclient(request: pytest.FixtureRequest) -> redkit.aio.Client:
    """An asyncio client, once on a simulator and once on a real redis-server."""
    if request.param == "sim":
        return redkit.Simulator(manual_clock=True).async_client()
    return redkit.aio.connect(request.getfixturevalue("redis_url"))


@pytest.fixture
def redkit_redis_url(request: pytest.FixtureRequest) -> str:
    """The real Redis of the redkit plugin's ``--redkit-backend=redis``: ``--redis-url`` when
    given, else a flushed redis-server of our own (``make test`` runs the fakeredis-style module
    that way)."""
    url = request.config.getoption("--redis-url")
    return str(url) if url else str(request.getfixturevalue("redis_url"))


# test_plugin.py runs pytest inside pytest.
pytest_plugins = ["pytester"]
