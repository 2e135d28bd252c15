"""The simulator from Python: redkit's native client against fakeredis (target >= 40x) on the
anchors' workloads — SET+GET, a pipeline of 1,000, LPUSH+RPOP, ZADD, XADD+XREADGROUP+XACK."""

from __future__ import annotations

import fakeredis

import redkit
import workloads
from common import Row, anchor, rate


def native(c: redkit.Client) -> dict[str, workloads.Workload]:
    """The workloads through the native client's ``execute`` / ``execute_many``."""
    batch = [("SET", f"p{i}", "v") for i in range(1000)]
    c.execute("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")

    def stream(_: int) -> None:
        c.execute("XADD", "s", "MAXLEN", "~", 1000, "*", "f", "v")
        entries = c.execute("XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", "s", ">")
        c.execute("XACK", "s", "g", workloads.first_id(entries))

    return {w.name: w for w in [
        workloads.Workload(workloads.SET_GET, 2, lambda _: (c.execute("SET", "k", "v"), c.execute("GET", "k"))),
        workloads.Workload(workloads.PIPELINE, 1000, lambda _: c.execute_many(batch)),
        workloads.Workload(workloads.LIST, 2, lambda _: (c.execute("LPUSH", "l", "x"), c.execute("RPOP", "l"))),
        workloads.Workload(workloads.ZADD, 1, lambda i: c.execute("ZADD", "z", i % 1000, f"m{i % 1000}")),
        workloads.Workload(workloads.STREAM, 1, stream),
    ]}


def rows() -> list[Row]:
    ours = native(redkit.Simulator().client())
    return [
        Row.measure(w.name, lambda: rate(ours[w.name].op, ours[w.name].per_call), anchor("fakeredis"),
                    lambda: rate(w.op, w.per_call), 40)
        for w in workloads.redis_py(fakeredis.FakeRedis())
    ]
