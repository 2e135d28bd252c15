"""redkit's pytest plugin (entry point ``pytest11``): your Redis tests run on the simulator by
default and on a real Redis with one flag.

Fixtures:

- ``redkit_sim``: a ``redkit.Simulator`` with a manual clock (``redkit_sim.advance(seconds)``).
- ``redkit_client``: a ``redkit.Client``: of ``redkit_sim`` by default, of the real Redis with
  ``--redkit-backend=redis`` (flushed before the test).
- ``fake_server``: a ``redkit.testing.FakeServer`` over ``redkit_sim`` (the same data and clock).
- ``fake_redis`` / ``fake_async_redis``: a ``redkit.testing.FakeRedis`` / ``FakeAsyncRedis`` on
  ``fake_server`` by default; with ``--redkit-backend=redis`` a plain ``redis.Redis`` /
  ``redis.asyncio.Redis`` on ``--redis-url``, flushed before the test. They need redis-py
  (``redkit[fake]``); ``fake_async_redis`` closes its client when pytest-asyncio is installed.
- ``redkit_backend`` (``"sim"`` or ``"redis"``) and ``redkit_redis_url``, for fixtures of your
  own (a conftest may override ``redkit_redis_url``, e.g. with a server it starts).

Options: ``--redkit-backend=sim|redis`` (default: ``$REDKIT_BACKEND`` or ``sim``) and
``--redis-url`` (default: ``$REDKIT_REDIS_URL`` or ``redis://127.0.0.1:6379/0``).
"""

from __future__ import annotations

import os
from typing import Any, AsyncIterator, Iterator

import pytest

import redkit

DEFAULT_URL = "redis://127.0.0.1:6379/0"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("redkit", "redkit: Redis tests on the simulator or a real Redis")
    group.addoption(
        "--redkit-backend",
        choices=("sim", "redis"),
        default=os.environ.get("REDKIT_BACKEND", "sim"),
        help="where redkit's fixtures run: the in-process simulator (default) or a real Redis",
    )
    group.addoption(
        "--redis-url",
        default=os.environ.get("REDKIT_REDIS_URL"),
        help=f"the Redis of --redkit-backend=redis (default {DEFAULT_URL})",
    )


@pytest.fixture
def redkit_backend(request: pytest.FixtureRequest) -> str:
    """``"sim"`` or ``"redis"``, from ``--redkit-backend``."""
    return str(request.config.getoption("--redkit-backend"))


@pytest.fixture
def redkit_redis_url(request: pytest.FixtureRequest) -> str:
    """The real Redis's URL, from ``--redis-url``."""
    return str(request.config.getoption("--redis-url") or DEFAULT_URL)


@pytest.fixture
def redkit_sim() -> redkit.Simulator:
    """A simulator with a manual clock."""
    return redkit.Simulator(manual_clock=True)


@pytest.fixture
def redkit_client(request: pytest.FixtureRequest, redkit_backend: str) -> redkit.Client:
    """A ``redkit.Client`` of ``redkit_sim``, or of the real Redis (flushed) with the flag."""
    if redkit_backend == "sim":
        sim: redkit.Simulator = request.getfixturevalue("redkit_sim")
        return sim.client()
    client = redkit.connect(request.getfixturevalue("redkit_redis_url"))
    client.execute("FLUSHALL")
    return client


@pytest.fixture
def fake_server(redkit_sim: redkit.Simulator) -> Any:
    """A ``redkit.testing.FakeServer`` over ``redkit_sim``."""
    from .testing import FakeServer

    return FakeServer(simulator=redkit_sim)


@pytest.fixture
def fake_redis(request: pytest.FixtureRequest, redkit_backend: str) -> Iterator[Any]:
    """``FakeRedis`` on ``fake_server``, or ``redis.Redis`` on the real Redis (flushed)."""
    if redkit_backend == "sim":
        from .testing import FakeRedis

        client: Any = FakeRedis(server=request.getfixturevalue("fake_server"))
    else:
        import redis

        client = redis.Redis.from_url(request.getfixturevalue("redkit_redis_url"))
        client.flushall()
    yield client
    client.close()


def _fake_async_redis(request: pytest.FixtureRequest, backend: str) -> Any:
    if backend == "sim":
        from .testing import FakeAsyncRedis

        return FakeAsyncRedis(server=request.getfixturevalue("fake_server"))
    import redis
    import redis.asyncio

    url = request.getfixturevalue("redkit_redis_url")
    with redis.Redis.from_url(url) as flusher:
        flusher.flushall()
    return redis.asyncio.Redis.from_url(url)


async def _closing_fake_async_redis(request: pytest.FixtureRequest, redkit_backend: str) -> AsyncIterator[Any]:
    """``FakeAsyncRedis`` on ``fake_server``, or ``redis.asyncio.Redis`` on the real Redis."""
    client = _fake_async_redis(request, redkit_backend)
    yield client
    await client.aclose()


def _plain_fake_async_redis(request: pytest.FixtureRequest, redkit_backend: str) -> Any:
    """``FakeAsyncRedis`` on ``fake_server``, or ``redis.asyncio.Redis`` on the real Redis."""
    return _fake_async_redis(request, redkit_backend)


fake_async_redis: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - without pytest-asyncio the client is not closed for you
    fake_async_redis = pytest.fixture(_plain_fake_async_redis, name="fake_async_redis")
else:
    fake_async_redis = pytest_asyncio.fixture(_closing_fake_async_redis, name="fake_async_redis")
