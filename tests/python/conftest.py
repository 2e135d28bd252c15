"""Fixtures shared by the Python tests: simulators, and real redis-servers started on free
loopback ports and stopped by PID.

Under CI (``CI`` set) a missing ``redis-server`` fails the tests that need it; elsewhere they
are skipped.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Iterator

import pytest

import redkit


class RedisServer:
    """A redis-server of our own on 127.0.0.1, with its URL."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is not installed (make setup installs it)")
            pytest.skip("redis-server is not installed")
        self.dir = tempfile.mkdtemp(prefix="redkit-py-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def flush(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
