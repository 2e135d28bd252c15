"""The simulator from Python: redkit's native client against fakeredis (target >= 40x) on the
anchors' workloads — SET+GET, a pipeline of 1,000, LPUSH+RPOP, ZADD, XADD+XREADGROUP+XACK."""

from __future__ import annotations

import fakeredis

import redkit
from common import Row, rate


def rows() -> list[Row]:
    ours = redkit.Simulator().client()
    fake = fakeredis.FakeRedis()
    out = []

    def set_get(c_set, c_get):  # type: ignore[no-untyped-def]
        def op(i: int) -> None:
            c_set()
            c_get()

        return op

    out.append(Row(
        "SET+GET (commands)",
        2 * rate(set_get(lambda: ours.execute("SET", "k", "v"), lambda: ours.execute("GET", "k"))),
        "fakeredis 2.40",
        2 * rate(set_get(lambda: fake.set("k", "v"), lambda: fake.get("k"))),
        40,
    ))
    batch = [("SET", f"p{i}", "v") for i in range(1000)]

    def fake_pipeline(_: int) -> None:
        p = fake.pipeline(transaction=False)
        for i in range(1000):
            p.set(f"p{i}", "v")
        p.execute()

    out.append(Row(
        "pipeline of 1,000 SET (commands)",
        rate(lambda _: ours.execute_many(batch), per_call=1000),
        "fakeredis 2.40",
        rate(fake_pipeline, per_call=1000),
        40,
    ))
    out.append(Row(
        "LPUSH+RPOP (commands)",
        2 * rate(lambda _: (ours.execute("LPUSH", "l", "x"), ours.execute("RPOP", "l"))),
        "fakeredis 2.40",
        2 * rate(lambda _: (fake.lpush("l", "x"), fake.rpop("l"))),
        40,
    ))
    out.append(Row(
        "ZADD (commands)",
        rate(lambda i: ours.execute("ZADD", "z", i % 1000, f"m{i % 1000}")),
        "fakeredis 2.40",
        rate(lambda i: fake.zadd("z", {f"m{i % 1000}": i % 1000})),
        40,
    ))
    ours.execute("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    fake.xgroup_create("s", "g", "$", mkstream=True)

    def ours_stream(_: int) -> None:
        ours.execute("XADD", "s", "MAXLEN", "~", 1000, "*", "f", "v")
        entries = ours.execute("XREADGROUP", "GROUP", "g", "c", "COUNT", 1, "STREAMS", "s", ">")
        ours.execute("XACK", "s", "g", entries[0][1][0][0])

    def fake_stream(_: int) -> None:
        fake.xadd("s", {"f": "v"}, maxlen=1000, approximate=True)
        entries = fake.xreadgroup("g", "c", {"s": ">"}, count=1)
        fake.xack("s", "g", entries[0][1][0][0])

    out.append(Row(
        "XADD+XREADGROUP+XACK (cycles)",
        rate(ours_stream),
        "fakeredis 2.40",
        rate(fake_stream),
        40,
    ))
    return out
