"""The shared scenario suite (tests/scenarios/*.json) through redkit's Python API: every
scenario on the simulator (manual clock) and on a real redis-server, each through the sync API
and through the asyncio API."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

import redkit
from scenarios import kinds, runner  # noqa: F401  (kinds registers the adapters)

SCENARIOS = runner.load_all()


def ids(sc: runner.Scenario) -> str:
    return sc.id.replace(".json", "")


@pytest.fixture(scope="module")
def loop() -> Iterator[runner.Loop]:
    lp = runner.Loop()
    yield lp
    lp.close()


def world(api: str, loop: runner.Loop, sim: redkit.Simulator | None = None, url: str | None = None) -> runner.World:
    return runner.World(api=api, sim=sim, redis_url=url, loop=loop if api == "aio" else None)


@pytest.mark.parametrize("api", ["sync", "aio"])
@pytest.mark.parametrize("sc", [s for s in SCENARIOS if "sim" in s.backends], ids=ids)
def test_on_the_simulator(sc: runner.Scenario, api: str, loop: runner.Loop) -> None:
    sim = redkit.Simulator(manual_clock=True, start=runner.T0)
    runner.run(sc, world(api, loop, sim=sim))


@pytest.mark.parametrize("api", ["sync", "aio"])
@pytest.mark.parametrize("sc", [s for s in SCENARIOS if "redis" in s.backends], ids=ids)
def test_on_redis(sc: runner.Scenario, api: str, loop: runner.Loop, redis_server) -> None:  # type: ignore[no-untyped-def]
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=2) as s:
        s.sendall(b"FLUSHALL\r\n")
        assert s.recv(16) == b"+OK\r\n"
    runner.run(sc, world(api, loop, url=redis_server.url))


def test_every_kind_has_an_adapter() -> None:
    from scenarios import adapters

    used = {step["new"] for sc in SCENARIOS for step in sc.steps if "new" in step}
    assert used <= set(adapters.KINDS), f"no Python adapter for {sorted(used - set(adapters.KINDS))}"
