"""redkit's redis-py-compatible ``redkit.testing.FakeRedis`` against ``fakeredis.FakeRedis``
(target >= 2x): the same redis-py calls on both (workloads.py), so the difference is what sits
under redis-py — redkit's simulator behind an in-process wire connection vs fakeredis's Python
server."""

from __future__ import annotations

import fakeredis

import redkit.testing
import workloads
from common import Row, anchor, rate


def rows() -> list[Row]:
    ours = workloads.redis_py(redkit.testing.FakeRedis())
    theirs = workloads.redis_py(fakeredis.FakeRedis())
    return [
        Row.measure(f"FakeRedis: {o.name}", lambda: rate(o.op, o.per_call), anchor("fakeredis"),
                    lambda: rate(t.op, t.per_call), 2)
        for o, t in zip(ours, theirs)
    ]
