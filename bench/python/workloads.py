"""The command workloads of the anchors (SET+GET, a pipeline of 1,000, LPUSH+RPOP, ZADD,
XADD+XREADGROUP+XACK) written once against redis-py's API, so fakeredis and redkit's own
redis-py-compatible ``FakeRedis`` run the very same calls."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple


class Workload(NamedTuple):
    """One workload: its table label, how many operations a call counts, and the call."""

    name: str
    per_call: int
    op: Callable[[int], object]


#: Table labels, shared with the native-client side in simulator.py.
SET_GET = "SET+GET (commands)"
PIPELINE = "pipeline of 1,000 SET (commands)"
LIST = "LPUSH+RPOP (commands)"
ZADD = "ZADD (commands)"
STREAM = "XADD+XREADGROUP+XACK (cycles)"


def first_id(reply: Any) -> Any:
    """The first entry id of an XREADGROUP reply, RESP2 (a list) or RESP3 (a dict)."""
    streams = list(reply.values()) if isinstance(reply, dict) else [s[1] for s in reply]
    return streams[0][0][0]


def redis_py(r: Any) -> list[Workload]:
    """The workloads on a redis-py-style client ``r`` (fakeredis or redkit.testing)."""

    def pipeline(_: int) -> None:
        p = r.pipeline(transaction=False)
        for i in range(1000):
            p.set(f"p{i}", "v")
        p.execute()

    r.xgroup_create("s", "g", "$", mkstream=True)

    def stream(_: int) -> None:
        r.xadd("s", {"f": "v"}, maxlen=1000, approximate=True)
        r.xack("s", "g", first_id(r.xreadgroup("g", "c", {"s": ">"}, count=1)))

    return [
        Workload(SET_GET, 2, lambda _: (r.set("k", "v"), r.get("k"))),
        Workload(PIPELINE, 1000, pipeline),
        Workload(LIST, 2, lambda _: (r.lpush("l", "x"), r.rpop("l"))),
        Workload(ZADD, 1, lambda i: r.zadd("z", {f"m{i % 1000}": i % 1000})),
        Workload(STREAM, 1, stream),
    ]
