"""Rate limiters from Python: every algorithm, cost, peek, reset, leases, block_for, limiter
sets, fail policies and the local fallback, the decorator, both APIs and both backends.

The real-Redis runs use windows far longer than the test, so nothing rolls over by itself;
time travel runs on the manual-clock simulator.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import redkit
import redkit.aio
from conftest import free_port

ALGORITHMS = ["fixed_window", "sliding_log", "sliding_window", "token_bucket", "gcra", "concurrency"]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_admits_up_to_the_limit(client: redkit.Client, algorithm: str) -> None:
    limiter = client.limiter("api", algorithm=algorithm, limit=3, window=30)
    assert limiter.algorithm == algorithm and limiter.name == "api"
    decisions = [limiter.consume("ann") for _ in range(3)]
    assert all(decisions) and all(isinstance(d, redkit.Decision) for d in decisions)
    assert [d.remaining for d in decisions] == [2, 1, 0]
    assert all(d.limit == 3 and d.retry_after == 0 for d in decisions)
    denied = limiter.consume("ann")
    assert not denied and denied.allowed is False and denied.remaining == 0
    assert 0 < denied.retry_after <= 30 and 0 < denied.reset_after <= 60  # sliding: two windows
    assert limiter.consume("bob"), "another key has its own allowance"
    if algorithm == "concurrency":
        assert all(d.lease for d in decisions) and denied.lease is None
        assert limiter.release("ann", decisions[0].lease) is True
        assert limiter.release("ann", decisions[0].lease) is False
        assert limiter.consume("ann")
    else:
        assert all(d.lease is None for d in decisions)


def test_fixed_window_rolls_over_on_the_virtual_clock(sim: redkit.Simulator) -> None:
    limiter = sim.client().limiter("api", limit=2, window=1)
    assert limiter.consume("u") and limiter.consume("u")
    sim.advance(0.25)
    denied = limiter.consume("u")
    assert not denied and denied.retry_after == pytest.approx(0.75)
    sim.advance(denied.retry_after)
    assert limiter.consume("u").remaining == 1


def test_token_bucket_refills_and_gcra_spaces_calls(sim: redkit.Simulator) -> None:
    c = sim.client()
    bucket = c.limiter("tb", algorithm="token_bucket", limit=3, refill=1, refill_interval=2)
    assert [bool(bucket.consume("u")) for _ in range(4)] == [True, True, True, False]
    sim.advance(2)
    assert bucket.consume("u") and not bucket.consume("u")
    gcra = c.limiter("g", algorithm="gcra", limit=10, window=1, burst=2)
    assert gcra.consume("u") and gcra.consume("u")
    denied = gcra.consume("u")
    assert not denied and denied.limit == 2 and denied.retry_after == pytest.approx(0.1)
    sim.advance(0.1)
    assert gcra.consume("u")


def test_sliding_log_is_exact(sim: redkit.Simulator) -> None:
    limiter = sim.client().limiter("log", algorithm="sliding_log", limit=2, window=10)
    assert limiter.consume("u")
    sim.advance(6)
    assert limiter.consume("u") and not limiter.consume("u")
    sim.advance(4)  # the first call left the window; the second is still in it
    assert limiter.consume("u") and not limiter.consume("u")


def test_cost_peek_and_reset(client: redkit.Client) -> None:
    limiter = client.limiter("api", limit=5, window=60)
    assert limiter.consume("u", cost=2).remaining == 3
    peeked = limiter.peek("u", 3)
    assert peeked and peeked.remaining == 3, "a peek reports what is left now"
    assert not limiter.peek("u", 4)
    assert limiter.peek("u").remaining == 3, "peek consumed nothing"
    assert not limiter.consume("u", 4)
    assert limiter.consume("u", 3).remaining == 0
    assert limiter.reset("u") is None
    assert limiter.consume("u", 5)
    with pytest.raises(redkit.InvalidArgumentError, match="can never fit"):
        limiter.consume("u", 6)


def test_block_for_penalises_a_denied_caller(sim: redkit.Simulator) -> None:
    limiter = sim.client().limiter("login", limit=1, window=1, block_for=60)
    assert limiter.options["block_for"] == 60
    assert limiter.consume("eve")
    assert not limiter.consume("eve")
    sim.advance(5)  # the window is long over, the block is not
    blocked = limiter.consume("eve")
    assert not blocked and blocked.retry_after == pytest.approx(55, abs=0.01)
    sim.advance(55)
    assert limiter.consume("eve")


def unreachable_sim_client(sim: redkit.Simulator) -> redkit.Client:
    """A client whose every connection is refused."""
    sim.refuse_connections(True)
    return sim.client()


def test_fail_policies_when_the_backend_is_unreachable(sim: redkit.Simulator) -> None:
    c = unreachable_sim_client(sim)
    with pytest.raises(redkit.ConnectionError):
        c.limiter("err", limit=2, window=1).consume("u")
    opened = c.limiter("open", limit=2, window=1, on_unreachable="open")
    assert all(opened.consume("u") for _ in range(5))
    closed = c.limiter("closed", limit=2, window=7, on_unreachable="closed")
    denied = closed.consume("u")
    assert not denied and denied.retry_after == 7
    fallback = c.limiter("local", limit=2, window=60, local_fallback=True)
    assert [bool(fallback.consume("u")) for _ in range(3)] == [True, True, False]
    fallback.reset("u")
    assert fallback.consume("u"), "reset reached the local fallback"


def test_fail_open_on_an_unreachable_redis() -> None:
    c = redkit.connect(f"redis://127.0.0.1:{free_port()}", connect_timeout=0.2, retries=0, call_timeout=1)
    assert c.limiter("api", limit=1, window=1, on_unreachable="open").consume("u")
    with pytest.raises((redkit.ConnectionError, redkit.TimeoutError)):
        c.limiter("api", limit=1, window=1).consume("u")


def test_a_set_checks_every_limit_atomically(client: redkit.Client) -> None:
    second = client.limiter("s", limit=2, window=30)
    hour = client.limiter("h", algorithm="sliding_log", limit=3, window=3600)
    both = redkit.LimiterSet([second, hour])
    assert [lim.name for lim in both.limiters] == ["s", "h"]
    first = both.consume("ann", 2)
    assert first and isinstance(first, redkit.MultiDecision)
    assert [d.remaining for d in first.decisions] == [0, 1]
    assert all(isinstance(d, redkit.Decision) for d in first.decisions)
    denied = both.consume("ann")
    assert not denied and denied.retry_after > 0
    assert denied.decisions[1].remaining == 1, "a denied call consumed nothing"
    assert both.peek("bob", 2)
    both.reset("ann")
    assert both.consume("ann", 2)


def test_a_set_with_a_concurrency_limit_hands_out_leases(client: redkit.Client) -> None:
    both = redkit.LimiterSet(
        [client.limiter("rate", limit=10, window=60), client.limiter("inflight", algorithm="concurrency", limit=1)]
    )
    held = both.consume("u")
    lease = held.decisions[1].lease
    assert held and lease
    assert not both.consume("u")
    assert both.release("u", lease) is True
    assert both.consume("u")


def test_set_errors(client: redkit.Client, sim: redkit.Simulator) -> None:
    with pytest.raises(redkit.InvalidArgumentError):
        redkit.LimiterSet([])
    with pytest.raises(redkit.InvalidArgumentError, match="twice"):
        redkit.LimiterSet([client.limiter("a"), client.limiter("a")])
    with pytest.raises(redkit.InvalidArgumentError, match="another backend"):
        redkit.LimiterSet([client.limiter("a"), sim.client().limiter("b")])
    with pytest.raises(ValueError, match="mix"):
        redkit.LimiterSet([client.limiter("a"), sim.async_client().limiter("b")])
    with pytest.raises(TypeError):
        redkit.LimiterSet([client.limiter("a"), "b"])  # type: ignore[list-item]
    with pytest.raises(redkit.InvalidArgumentError, match="concurrency"):
        redkit.LimiterSet([client.limiter("a")]).release("u", "lease")


@pytest.mark.parametrize(
    "options",
    [
        {"limit": 0},
        {"limit": -1},
        {"window": 0},
        {"algorithm": "leaky"},
        {"on_unreachable": "maybe"},
        {"algorithm": "gcra", "limit": 10, "burst": 0},
        {"algorithm": "token_bucket", "refill": -2},
        {"prefix": ""},
    ],
)
def test_bad_options_raise_invalid_argument(client: redkit.Client, options: dict) -> None:
    with pytest.raises(redkit.InvalidArgumentError) as raised:
        client.limiter("api", **options)
    assert isinstance(raised.value, ValueError)


def test_wrong_types_and_bad_calls(client: redkit.Client) -> None:
    with pytest.raises(TypeError):
        client.limiter("api", limit="3")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="duration"):
        client.limiter("api", window="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.limiter("api", 3)  # type: ignore[misc]
    limiter = client.limiter("api")
    with pytest.raises(redkit.InvalidArgumentError):
        limiter.consume("u", -1)
    with pytest.raises(TypeError):
        limiter.consume(7)  # type: ignore[arg-type]
    with pytest.raises(redkit.InvalidArgumentError, match="concurrency"):
        limiter.release("u", "lease")


@pytest.mark.parametrize("algorithm", ["fixed_window", "sliding_log", "token_bucket", "gcra", "concurrency"])
def test_never_over_admits_under_threads(client: redkit.Client, algorithm: str) -> None:
    limiter = client.limiter("hot", algorithm=algorithm, limit=25, window=60)
    allowed = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(15):
            d = limiter.consume("k")
            with lock:
                allowed.append(d.allowed)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(allowed) == 90
    assert sum(allowed) == 25


def test_repr_and_options(client: redkit.Client) -> None:
    limiter = client.limiter("api", algorithm="token_bucket", limit=5, window=2, refill=1, refill_interval=0.5)
    assert repr(limiter) == 'Limiter("api", token_bucket, 5 per 2 s)'
    assert limiter.options == {
        "algorithm": "token_bucket",
        "limit": 5,
        "window": 2.0,
        "burst": None,
        "refill": 1,
        "refill_interval": 0.5,
        "block_for": 0.0,
        "on_unreachable": "error",
        "local_fallback": False,
        "prefix": "redkit",
    }
    d = limiter.consume("u")
    assert repr(d).startswith("Decision(allowed=True, remaining=4, limit=5")


def test_async_api(aclient: redkit.aio.Client) -> None:
    async def main() -> None:
        limiter = aclient.limiter("api", limit=3, window=60)
        results = await asyncio.gather(*(limiter.consume("u") for _ in range(5)))
        assert sum(bool(d) for d in results) == 3
        assert not await limiter.peek("u")
        await limiter.reset("u")
        assert (await limiter.consume("u", 3)).remaining == 0
        pool = aclient.limiter("pool", algorithm="concurrency", limit=1, window=60)
        held = await pool.consume("u")
        assert held and not await pool.consume("u")
        assert await pool.release("u", held.lease) is True
        both = redkit.aio.LimiterSet([aclient.limiter("a", limit=1, window=60), pool])
        assert (await both.consume("v")) and not await both.consume("v")
        await both.reset("v")
        assert await both.peek("v")

    asyncio.run(main())


def test_decorator_sync(client: redkit.Client) -> None:
    limiter = client.limiter("calls", limit=2, window=60)
    calls = []

    @limiter.limit(key=lambda user, n: user)
    def handle(user: str, n: int) -> int:
        calls.append(user)
        return n * 2

    assert handle.__name__ == "handle"
    assert handle("ann", 1) == 2 and handle("ann", 2) == 4
    with pytest.raises(redkit.TimeoutError, match="rate limited") as raised:
        handle("ann", 3)
    assert isinstance(raised.value, TimeoutError) and not raised.value.decision  # type: ignore[attr-defined]
    assert handle("bob", 5) == 10
    assert calls == ["ann", "ann", "bob"]

    pool = client.limiter("pool", algorithm="concurrency", limit=1, window=60)

    @pool.limit(key="job")
    def job() -> bool:
        return bool(pool.peek("job"))

    assert job() is False, "the lease is held while the function runs"
    assert job() is False, "and released when it returns"
    assert pool.peek("job")


def test_decorator_waits_for_retry_after() -> None:
    limiter = redkit.Simulator().client().limiter("slow", limit=1, window=0.2)  # the real clock

    @limiter.limit(key="k", wait=2)
    def tick() -> float:
        return time.monotonic()

    first, second = tick(), tick()
    assert 0.1 <= second - first < 1.5


def test_decorator_async_and_mismatches(aclient: redkit.aio.Client, client: redkit.Client) -> None:
    limiter = aclient.limiter("a", limit=1, window=60)

    @limiter.limit(key="k", cost=1)
    async def work() -> str:
        return "done"

    async def main() -> None:
        assert await work() == "done"
        with pytest.raises(redkit.TimeoutError):
            await work()

    asyncio.run(main())
    with pytest.raises(TypeError, match="async def"):
        limiter.limit(key="k")(lambda: None)
    with pytest.raises(TypeError, match="plain function"):

        @client.limiter("b").limit(key="k")
        async def nope() -> None: ...

    with pytest.raises(TypeError, match="key"):
        client.limiter("b").limit(key=3)  # type: ignore[arg-type]


def test_decorator_on_a_set_releases_its_leases(client: redkit.Client) -> None:
    pool = client.limiter("inflight", algorithm="concurrency", limit=1, window=60)
    both = redkit.LimiterSet([client.limiter("rate", limit=3, window=60), pool])

    @both.limit(key=lambda user: user)
    def run(user: str) -> bool:
        return bool(pool.peek(user))

    assert [run("ann") for _ in range(3)] == [False, False, False], "leased while running"
    assert pool.peek("ann"), "every lease released"
    with pytest.raises(redkit.TimeoutError) as raised:
        run("ann")
    assert isinstance(raised.value.decision, redkit.MultiDecision)  # type: ignore[attr-defined]


def test_async_decorator_waits_for_retry_after() -> None:
    limiter = redkit.Simulator().async_client().limiter("slow", limit=1, window=0.2)  # the real clock

    @limiter.limit(key="k", wait=2)
    async def tick() -> float:
        return time.monotonic()

    async def main() -> None:
        first = await tick()
        second = await tick()
        assert 0.1 <= second - first < 1.5

    asyncio.run(main())
