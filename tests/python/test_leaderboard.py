"""client.leaderboard(): scores, ranks, top N, neighbours, pages, TTL and errors, with the
blocking and asyncio APIs, on the simulator (manual clock) and on a real redis-server."""

from __future__ import annotations

import time
from typing import Any

import pytest

import redkit
import redkit.aio
from redkit import LeaderboardEntry, Page


def pass_time(client: Any, seconds: float) -> None:
    sim = client.simulator
    if sim is not None and sim.manual_clock:
        sim.advance(seconds)
    else:
        time.sleep(seconds)


def test_top_rank_and_score(client: redkit.Client) -> None:
    b = client.leaderboard("season")
    assert b.add("ann", 120) is True
    assert b.add("bob", 300) is True
    assert b.add("cid", 45.5) is True
    assert b.add("ann", 130) is False  # moved, not new
    assert b.top(2) == [LeaderboardEntry("bob", 300.0, 1), LeaderboardEntry("ann", 130.0, 2)]
    assert b.top(0) == []
    assert len(b.top(10)) == 3
    assert b.rank("cid") == LeaderboardEntry(member="cid", score=45.5, rank=3)
    assert repr(b.rank("bob")) == "LeaderboardEntry(member='bob', score=300.0, rank=1)"
    assert b.rank("nobody") is None
    assert b.score("ann") == 130.0 and b.score("nobody") is None
    assert b.count() == 3
    assert b.key == "redkit:leaderboard:{season}" and b.name == "season" and b.order == "highest_first"
    assert repr(b) == 'Leaderboard("season", order="highest_first")'
    assert client.execute("ZCARD", "redkit:leaderboard:{season}") == 3


def test_add_many_increment_remove_clear(client: redkit.Client) -> None:
    b = client.leaderboard("many")
    assert b.add_many({"a": 3, "b": 2}) == 2
    assert b.add_many([("b", 5), ("c", 1.5)]) == 1
    assert b.add_many([]) == 0
    assert b.increment("a") == 4.0
    assert b.increment("a", -10) == -6.0
    assert b.increment("new", 2.5) == 2.5
    assert [e.member for e in b.top(10)] == ["b", "new", "c", "a"]
    assert b.remove("c") is True and b.remove("c") is False
    assert b.clear() is True and b.clear() is False
    assert b.count() == 0


def test_ties_follow_redis_order(client: redkit.Client) -> None:
    b = client.leaderboard("ties")
    b.add_many([("amy", 10), ("cat", 10), ("bea", 10), ("top", 50)])
    assert [e.member for e in b.top(4)] == ["top", "cat", "bea", "amy"]
    assert b.rank("amy") == LeaderboardEntry("amy", 10.0, 4)


def test_lowest_first_board(client: redkit.Client) -> None:
    race = client.leaderboard("race", order="lowest_first")
    race.add_many({"zoe": 61.2, "ann": 59.9, "bob": 61.2, "max": 75})
    assert [(e.member, e.rank) for e in race.top(4)] == [("ann", 1), ("bob", 2), ("zoe", 3), ("max", 4)]
    assert race.add_if_better("ann", 60) is False
    assert race.add_if_better("ann", 58.5) is True
    assert race.score("ann") == 58.5
    assert [e.member for e in race.around("bob", 1)] == ["ann", "bob", "zoe"]


def test_add_if_better_on_a_highest_first_board(client: redkit.Client) -> None:
    b = client.leaderboard("best")
    assert b.add_if_better("ann", 50) is True
    assert b.add_if_better("ann", 40) is False
    assert b.add_if_better("ann", 70) is True
    assert b.score("ann") == 70


def test_around_and_pages(client: redkit.Client) -> None:
    b = client.leaderboard("mid")
    b.add_many({f"p{i}": 100 - 10 * i for i in range(1, 8)})
    assert [(e.member, e.rank) for e in b.around("p4", 2)] == [("p2", 2), ("p3", 3), ("p4", 4), ("p5", 5), ("p6", 6)]
    assert [e.member for e in b.around("p1", 2)] == ["p1", "p2", "p3"]
    assert b.around("p4", 0) == [LeaderboardEntry("p4", 60.0, 4)]
    with pytest.raises(redkit.NotFoundError, match="ghost"):
        b.around("ghost", 1)
    with pytest.raises(redkit.InvalidArgumentError, match="at most"):
        b.around("p1", 1_000_001)

    page = b.page(2, 3)
    assert isinstance(page, Page)
    assert (page.page, page.size, page.total, page.pages) == (2, 3, 7, 3)
    assert [e.member for e in page] == ["p4", "p5", "p6"] and len(page) == 3
    assert page.entries[0] == LeaderboardEntry("p4", 60.0, 4)
    assert repr(b.page(3, 3)) == (
        "Page(page=3, size=3, total=7, pages=3, entries=[LeaderboardEntry(member='p7', score=30.0, rank=7)])"
    )
    past = b.page(9, 3)
    assert past.entries == [] and not past and past.total == 7
    with pytest.raises(redkit.InvalidArgumentError, match="start at 1"):
        b.page(0, 3)
    with pytest.raises(redkit.InvalidArgumentError):
        b.page(1, 0)
    empty = client.leaderboard("empty").page(1, 10)
    assert (empty.total, empty.pages, empty.entries) == (0, 0, [])


def test_ttl_renewed_by_writes(client: redkit.Client) -> None:
    b = client.leaderboard("daily", ttl=0.3)
    b.add("ann", 1)
    assert 200 <= client.execute("PTTL", "redkit:leaderboard:{daily}") <= 300
    pass_time(client, 0.2)
    assert b.increment("bob", 2) == 2
    pass_time(client, 0.2)
    assert b.count() == 2  # the increment renewed it
    pass_time(client, 0.2)
    assert b.count() == 0 and b.rank("ann") is None
    forever = client.leaderboard("forever")
    forever.add("x", 1)
    assert client.execute("PTTL", "redkit:leaderboard:{forever}") == -1


def test_errors(client: redkit.Client) -> None:
    with pytest.raises(redkit.InvalidArgumentError):
        client.leaderboard("a{b}")
    with pytest.raises(redkit.InvalidArgumentError):
        client.leaderboard("")
    with pytest.raises(redkit.InvalidArgumentError, match="1 ms"):
        client.leaderboard("x", ttl=0)
    with pytest.raises(redkit.InvalidArgumentError, match="lowest_first"):
        client.leaderboard("x", order="random")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="duration"):
        client.leaderboard("x", ttl="1h")  # type: ignore[arg-type]
    b = client.leaderboard("x", prefix="app")
    b.add("m", 1)
    assert client.execute("ZSCORE", "app:leaderboard:{x}", "m") == b"1"
    with pytest.raises(redkit.InvalidArgumentError, match="NaN"):
        b.add("m", float("nan"))
    with pytest.raises(TypeError):
        b.add("m", "high")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        b.add(1, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pairs"):
        b.add_many("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pairs"):
        b.add_many([("a", "b")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="pairs"):
        b.add_many(42)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        b.top(-1)
    client.execute("SET", "redkit:leaderboard:{oops}", "text")
    oops = client.leaderboard("oops")
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        oops.add("m", 1)
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        oops.rank("m")
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        oops.page(1, 5)


async def test_async_leaderboard(aclient: redkit.aio.Client) -> None:
    b = aclient.leaderboard("async", order="lowest_first", ttl=60)
    assert await b.add_many({"a": 3, "b": 1, "c": 2}) == 3
    assert await b.add("d", 0.5) is True
    assert await b.top(2) == [LeaderboardEntry("d", 0.5, 1), LeaderboardEntry("b", 1.0, 2)]
    assert await b.rank("a") == LeaderboardEntry("a", 3.0, 4)
    assert await b.increment("a", -3) == 0.0
    assert await b.add_if_better("a", 5) is False
    assert await b.score("a") == 0.0
    assert [e.member for e in await b.around("c", 1)] == ["b", "c"]
    page = await b.page(1, 2)
    assert page.total == 4 and page.pages == 2
    assert await b.count() == 4
    assert await b.remove("a") is True
    with pytest.raises(redkit.NotFoundError):
        await b.around("ghost", 1)
    assert await b.clear() is True
    assert await b.count() == 0
