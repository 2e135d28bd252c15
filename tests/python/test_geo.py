"""client.geo(): places, positions, distances in every unit, radius and box searches around a
member or a point, counts, ordering and errors, with the blocking and asyncio APIs, on the
simulator and on a real redis-server."""

from __future__ import annotations

import pytest

import redkit
import redkit.aio
from redkit import GeoHit, Position

SICILY = [
    ("palermo", 13.361389, 38.115556),
    ("catania", 15.087269, 37.502669),
    ("edge1", 12.758489, 38.788135),
    ("edge2", 17.24151, 38.788135),
]


def test_add_and_positions(client: redkit.Client) -> None:
    g = client.geo("sicily")
    assert g.add("palermo", 13.361389, 38.115556) is True
    assert g.add("catania", 15.087269, 37.502669) is True
    p = g.position("palermo")
    assert isinstance(p, Position)
    assert p.longitude == pytest.approx(13.361389, abs=1e-5) and p.latitude == pytest.approx(38.115556, abs=1e-5)
    lon, lat = p  # unpacks
    assert (lon, lat) == (p.longitude, p.latitude)
    assert repr(p).startswith("Position(longitude=13.3613")
    assert g.position("nowhere") is None
    catania, missing, palermo = g.positions(["catania", "nowhere", "palermo"])
    assert missing is None and catania is not None and palermo == p
    assert g.positions([]) == []
    assert g.count() == 2
    assert g.key == "redkit:geo:{sicily}" and g.name == "sicily" and repr(g) == 'Geo("sicily")'
    assert client.execute("ZCARD", "redkit:geo:{sicily}") == 2


def test_distance_in_every_unit(client: redkit.Client) -> None:
    g = client.geo("dist")
    assert g.add_many(SICILY[:2]) == 2
    assert g.distance("palermo", "catania") == pytest.approx(166274.15, abs=0.1)
    assert g.distance("palermo", "catania", "km") == pytest.approx(166.2742, abs=0.001)
    assert g.distance("palermo", "catania", "mi") == pytest.approx(103.3182, abs=0.001)
    assert g.distance("palermo", "catania", "FT") == pytest.approx(545518.87, abs=0.1)
    assert g.distance("palermo", "palermo", "km") == 0
    assert g.distance("palermo", "nowhere") is None
    with pytest.raises(redkit.InvalidArgumentError, match="yards"):
        g.distance("palermo", "catania", "yards")  # type: ignore[arg-type]


def test_radius_search_from_a_point_and_a_member(client: redkit.Client) -> None:
    g = client.geo("radius")
    g.add_many(SICILY)
    hits = g.search(longitude=15, latitude=37, radius=200, unit="km")
    assert [h.member for h in hits] == ["catania", "palermo"]
    assert isinstance(hits[0], GeoHit)
    assert hits[0].distance == pytest.approx(56.4413, abs=0.001)
    assert hits[0].longitude == pytest.approx(15.087269, abs=1e-4)
    assert repr(hits[0]).startswith("GeoHit(member='catania', distance=56.441")
    assert g.search(longitude=15, latitude=37, radius=10, unit="km") == []
    around = g.search(member="palermo", radius=200, unit="km")
    assert [(h.member, round(h.distance)) for h in around] == [("palermo", 0), ("edge1", 91), ("catania", 166)]
    far = g.search(member="palermo", radius=200, unit="km", farthest_first=True)
    assert [h.member for h in far] == ["catania", "edge1", "palermo"]
    metres = g.search(member="palermo", radius=166300)  # unit defaults to metres
    assert metres[-1].distance == pytest.approx(166274.15, abs=0.1)


def test_box_search(client: redkit.Client) -> None:
    g = client.geo("box")
    g.add_many(SICILY)
    boxed = g.search(longitude=15, latitude=37, width=400, height=400, unit="km")
    assert [h.member for h in boxed][:2] == ["catania", "palermo"] and len(boxed) == 4
    assert len(g.search(longitude=15, latitude=37, radius=200, unit="km")) == 2
    miles = g.search(member="catania", width=250, height=100, unit="mi")
    assert [h.member for h in miles] == ["catania", "palermo"]
    assert miles[1].distance == pytest.approx(103.3182, abs=0.001)


def test_count_and_any(client: redkit.Client) -> None:
    g = client.geo("count")
    g.add_many(SICILY)
    near = g.search(longitude=15, latitude=37, radius=300, unit="km", count=2)
    assert [h.member for h in near] == ["catania", "palermo"]
    far = g.search(longitude=15, latitude=37, radius=300, unit="km", count=2, farthest_first=True)
    assert [h.member for h in far] == ["edge1", "edge2"]
    assert len(g.search(longitude=15, latitude=37, radius=300, unit="km", count=2, any=True)) == 2
    with pytest.raises(redkit.InvalidArgumentError, match="count"):
        g.search(longitude=15, latitude=37, radius=300, unit="km", any=True)
    with pytest.raises(redkit.InvalidArgumentError):
        g.search(longitude=15, latitude=37, radius=300, unit="km", count=0)


def test_move_remove_clear(client: redkit.Client) -> None:
    g = client.geo("move")
    assert g.add("van", 2.35, 48.85) is True
    assert g.add("van", -0.12, 51.5) is False
    assert g.position("van").longitude == pytest.approx(-0.12, abs=1e-4)
    assert g.search(longitude=2.35, latitude=48.85, radius=50, unit="km") == []
    assert g.add_many([("a", 1, 1), ("b", 2, 2)]) == 2
    assert g.remove("b") is True and g.remove("b") is False
    assert g.clear() is True and g.count() == 0


def test_out_of_range_and_not_found(client: redkit.Client) -> None:
    g = client.geo("bad")
    with pytest.raises(redkit.InvalidArgumentError, match="longitude"):
        g.add("x", 180.5, 0)
    with pytest.raises(redkit.InvalidArgumentError, match="latitude"):
        g.add("x", 0, 85.06)
    with pytest.raises(redkit.InvalidArgumentError):
        g.add_many([("ok", 10, 10), ("pole", 0, 89)])
    assert g.count() == 0
    assert g.add("corner", 180, 85.05112878) is True
    with pytest.raises(redkit.InvalidArgumentError, match="radius"):
        g.search(longitude=1, latitude=1, radius=-1, unit="km")
    with pytest.raises(redkit.InvalidArgumentError, match="width"):
        g.search(member="corner", width=-5, height=1)
    with pytest.raises(redkit.NotFoundError, match="ghost") as raised:
        g.search(member="ghost", radius=10, unit="km")
    assert isinstance(raised.value, LookupError)
    assert client.geo("empty").search(member="ghost", radius=10) == []


def test_wrong_arguments(client: redkit.Client) -> None:
    g = client.geo("args")
    with pytest.raises(TypeError, match="both longitude and latitude"):
        g.search(longitude=1, radius=1)
    with pytest.raises(TypeError, match="both width and height"):
        g.search(member="a", width=1)
    with pytest.raises(TypeError, match="not both"):
        g.search(member="a", longitude=1, latitude=1, radius=1)
    with pytest.raises(TypeError, match="centre"):
        g.search(radius=1)
    with pytest.raises(TypeError, match="area"):
        g.search(member="a")
    with pytest.raises(TypeError, match="area"):
        g.search(member="a", radius=1, width=1, height=1)
    with pytest.raises(TypeError, match="list of str"):
        g.positions("abc")
    with pytest.raises(TypeError, match="tuples"):
        g.add_many([("a", 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        g.add("a", "east", 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g.search(1, 1, 1)  # type: ignore[misc]
    with pytest.raises(redkit.InvalidArgumentError):
        client.geo("a}b")
    with pytest.raises(redkit.InvalidArgumentError):
        client.geo("x", prefix="")
    client.execute("SET", "redkit:geo:{oops}", "text")
    with pytest.raises(redkit.ResponseError, match="WRONGTYPE"):
        client.geo("oops").add("a", 1, 1)


async def test_async_geo(aclient: redkit.aio.Client) -> None:
    g = aclient.geo("async", prefix="app")
    assert g.key == "app:geo:{async}"
    assert await g.add_many(SICILY) == 4
    assert await g.add("extra", 14, 37.5) is True
    assert (await g.position("palermo")).latitude == pytest.approx(38.115556, abs=1e-5)
    assert [p is None for p in await g.positions(["palermo", "ghost"])] == [False, True]
    assert await g.distance("palermo", "catania", "km") == pytest.approx(166.2742, abs=0.001)
    hits = await g.search(member="palermo", radius=100, unit="km")
    assert [h.member for h in hits] == ["palermo", "extra", "edge1"]
    assert await g.count() == 5
    assert await g.remove("extra") is True
    with pytest.raises(redkit.NotFoundError):
        await g.search(member="ghost", radius=1)
    assert await g.clear() is True
