"""Sessions: create/get/fields/touch/regenerate/destroy, idle TTL and absolute lifetime on the
virtual clock, per-user listing, revocation and cap, signed tokens and secret rotation, the
asyncio API and errors; save under framework-minted ids (Flask, Django) with its own idle TTL,
and the store-wide ids/all/count/clear."""

from __future__ import annotations

import re

import pytest

import redkit
import redkit.aio

SECRET = "s" * 32
OLD_SECRET = b"o" * 32


def test_create_and_get(client: redkit.Client) -> None:
    store = client.sessions("web")
    created = store.create("ada", {"cart": [1, 2], "blob": b"\x00\x01"})
    assert isinstance(created, redkit.Created) and created.evicted == []
    s = created.session
    assert isinstance(s, redkit.Session)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", s.id)
    assert s.token == s.id == created.token  # no secret: the token is the id
    assert s.user == "ada" and s.data == {"cart": [1, 2], "blob": b"\x00\x01"}
    assert s.expires_at == pytest.approx(s.created_at + 24 * 3600, abs=0.002)
    assert s.ttl == 1800
    got = store.get(s.token)
    assert got is not None
    assert (got.id, got.user, got.data, got.created_at) == (s.id, "ada", s.data, s.created_at)
    anonymous = store.create()
    assert anonymous.session.user is None and anonymous.session.data == {}
    assert store.get("A" * 43) is None  # well-formed, never issued
    assert s.token not in repr(got) and s.id[:6] in repr(got)


def test_idle_ttl_slides_and_lifetime_ends(sim: redkit.Simulator) -> None:
    store = sim.client().sessions("web", idle_ttl=10, lifetime=30)
    token = store.create("ada").token
    assert store.get(token) is not None
    for _ in range(2):
        sim.advance(8)
        assert store.touch(token) == 10  # each touch resets the idle TTL
    sim.advance(8)
    assert store.get(token) is not None  # 24 s old, read at 8 s idle
    assert store.touch(token) == 6  # the idle TTL never reaches past the lifetime
    sim.advance(6)
    assert store.get(token) is None  # the absolute lifetime (30 s) ended it
    idle = store.create().token
    sim.advance(10.1)
    assert store.get(idle) is None
    assert store.destroy(idle) is False


def test_fields(client: redkit.Client) -> None:
    store = client.sessions()
    token = store.create(data={"a": 1}).token
    assert store.get_field(token, "a") == 1
    assert store.get_field(token, "missing") is None
    assert store.set_field(token, "theme", {"dark": True}) == 1800
    assert store.set_fields(token, {"x": "y", "n": None, "bin": b"\xff"}) == 1800
    assert store.delete_fields(token, "a", "x") == 1800
    session = store.get(token)
    assert session is not None
    assert session.data == {"theme": {"dark": True}, "n": None, "bin": b"\xff"}
    assert store.get_field(token, "bin") == b"\xff"


def test_regenerate_and_destroy(client: redkit.Client) -> None:
    store = client.sessions()
    old = store.create("bob", {"k": "v"}).session
    fresh = store.regenerate(old.token)
    assert fresh.id != old.id and fresh.data == {"k": "v"} and fresh.user == "bob"
    assert fresh.created_at == old.created_at and fresh.expires_at == old.expires_at
    assert store.get(old.token) is None
    assert [i.id for i in store.list("bob")] == [fresh.id]
    assert store.destroy(fresh.token) is True
    assert store.destroy(fresh.token) is False
    assert store.list("bob") == []


def test_list_revoke_and_cap(sim: redkit.Simulator) -> None:
    store = sim.client().sessions(max_per_user=2)
    first = store.create("eve").session
    sim.advance(1)
    second = store.create("eve").session
    sim.advance(1)
    third = store.create("eve")
    assert third.evicted == [first.id]
    listed = store.list("eve")
    assert [i.id for i in listed] == [second.id, third.session.id]
    assert isinstance(listed[0], redkit.SessionInfo)
    assert listed[0].created_at == second.created_at and listed[0].ttl == 1799  # idle for a second
    other = store.create("mallory").token
    assert store.revoke_all("eve", keep=third.token) == 1
    assert [i.id for i in store.list("eve")] == [third.session.id]
    assert store.revoke_all("eve") == 1
    assert store.get(third.token) is None and store.get(other) is not None


def test_signed_tokens_and_secret_rotation(client: redkit.Client) -> None:
    old_store = client.sessions("signed", secret=OLD_SECRET)
    legacy = old_store.create("ada", {"n": 1}).session
    assert legacy.token.startswith(legacy.id + ".")
    store = client.sessions("signed", secret=SECRET, previous_secrets=[OLD_SECRET])
    got = store.get(legacy.token)
    assert got is not None and got.data == {"n": 1}
    assert got.token != legacy.token  # re-signed with the current secret: hand it back
    assert store.get(got.token) is not None
    fresh = store.create().token
    with pytest.raises(redkit.InvalidArgumentError, match="signature"):
        old_store.get(fresh)  # the old store does not know the new secret
    tampered = fresh[:-2] + ("AA" if not fresh.endswith("AA") else "BB")
    with pytest.raises(redkit.InvalidArgumentError, match="signature"):
        store.get(tampered)
    with pytest.raises(redkit.InvalidArgumentError, match="not signed"):
        store.get(legacy.id)


def test_errors(client: redkit.Client) -> None:
    with pytest.raises(redkit.InvalidArgumentError, match="at least 32 bytes"):
        client.sessions(secret="short")
    with pytest.raises(redkit.InvalidArgumentError, match="previous secrets"):
        client.sessions(previous_secrets=[SECRET])
    with pytest.raises(TypeError, match="bytes or str"):
        client.sessions(secret=32)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.sessions(secret=SECRET, previous_secrets=SECRET)
    with pytest.raises(redkit.InvalidArgumentError, match="idle_ttl"):
        client.sessions(idle_ttl=0)
    with pytest.raises(redkit.InvalidArgumentError, match="max_per_user"):
        client.sessions(max_per_user=0)
    store = client.sessions()
    with pytest.raises(TypeError, match=r"must be a dict \(a JSON object\), not list"):
        store.create("u", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        store.create("u", {"when": object()})
    with pytest.raises(redkit.InvalidArgumentError, match="malformed"):
        store.get("not an id")
    with pytest.raises(redkit.InvalidArgumentError, match="unsigned"):
        store.get("a.b")
    gone = store.create().token
    store.destroy(gone)
    for call in (
        lambda: store.get_field(gone, "a"),
        lambda: store.set_field(gone, "a", 1),
        lambda: store.touch(gone),
        lambda: store.regenerate(gone),
    ):
        with pytest.raises(redkit.NotFoundError):
            call()
    with pytest.raises(redkit.InvalidArgumentError, match="field name"):
        store.set_field(store.create().token, "", 1)
    with pytest.raises(redkit.InvalidArgumentError, match="user id"):
        store.list("")


def test_stores_are_isolated(client: redkit.Client) -> None:
    a, b = client.sessions("a"), client.sessions("b")
    token = a.create("u").token
    assert b.get(token) is None and b.list("u") == []
    assert client.sessions("a", prefix="other").get(token) is None


async def test_async_sessions(aclient: redkit.aio.Client) -> None:
    store = aclient.sessions("web", secret=SECRET, max_per_user=5)
    assert store.is_async and store.name == "web"
    created = await store.create("ada", {"a": 1})
    token = created.token
    session = await store.get(token)
    assert session is not None and session.data == {"a": 1}
    assert await store.set_field(token, "b", [2]) == 1800
    assert await store.get_field(token, "b") == [2]
    assert await store.set_fields(token, {"c": 3}) == 1800
    assert await store.delete_fields(token, "a") == 1800
    assert await store.touch(token) == 1800
    fresh = await store.regenerate(token)
    assert fresh.data == {"b": [2], "c": 3}
    assert [i.id for i in await store.list("ada")] == [fresh.id]
    assert await store.revoke_all("ada") == 1
    assert await store.get(fresh.token) is None
    assert await store.destroy(fresh.token) is False
    with pytest.raises(redkit.NotFoundError):
        await store.touch(fresh.token)


def test_save_under_a_framework_id(sim: redkit.Simulator) -> None:
    store = sim.client().sessions("flask", idle_ttl=60, lifetime=100, max_per_user=2)
    first = store.save("sid-0123456789abcdef", user="ada", data={"n": 1, "blob": b"\x00"}, idle_ttl=5)
    assert isinstance(first, redkit.Created) and first.evicted == []
    assert first.session.token == first.session.id == "sid-0123456789abcdef"
    assert first.session.ttl == 5
    sim.advance(4)
    assert store.touch("sid-0123456789abcdef") == 5  # slides by its own idle TTL
    sim.advance(4)
    again = store.save("sid-0123456789abcdef", user="ada", data={"n": 2})
    assert again.session.created_at == first.session.created_at
    assert again.session.expires_at == first.session.expires_at
    assert again.session.ttl == 60  # no own TTL any more: the store's
    got = store.get("sid-0123456789abcdef")
    assert got is not None and got.data == {"n": 2} and got.user == "ada"
    sim.advance(93)
    assert store.get("sid-0123456789abcdef") is None  # the lifetime counts from the first save
    with pytest.raises(redkit.InvalidArgumentError, match="session id"):
        store.save("has space")
    with pytest.raises(redkit.InvalidArgumentError):
        store.save("x", idle_ttl=0)
    with pytest.raises(TypeError, match="dict"):
        store.save("x", data=[1])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.save("x", "ada")  # type: ignore[misc]
    signed = sim.client().sessions("flask", secret=SECRET)
    with pytest.raises(redkit.InvalidArgumentError, match="secret"):
        signed.save("x")


def test_ids_all_count_clear(client: redkit.Client) -> None:
    store = client.sessions("django")
    other = client.sessions("other")
    other.save("elsewhere")
    store.save("a1", user="ada", data={"x": 1})
    store.save("b2", data={"y": b"\x01"})
    token = store.create("ada").token
    assert sorted(store.ids()) == sorted(["a1", "b2", token])
    assert store.count() == 3
    everything = {s.id: s for s in store.all()}
    assert set(everything) == {"a1", "b2", token}
    assert all(isinstance(s, redkit.Session) for s in everything.values())
    assert everything["a1"].data == {"x": 1} and everything["a1"].user == "ada"
    assert everything["b2"].data == {"y": b"\x01"} and everything["b2"].user is None
    assert store.destroy("b2")
    assert store.count() == 2
    assert store.clear() == 2
    assert (store.ids(), store.count(), store.list("ada")) == ([], 0, [])
    assert other.ids() == ["elsewhere"]


def test_ended_sessions_leave_the_index(sim: redkit.Simulator) -> None:
    store = sim.client().sessions("web", idle_ttl=1)
    store.save("short")
    store.save("long", idle_ttl=10)
    sim.advance(2)
    assert store.ids() == ["long"] and store.count() == 1


async def test_async_save_and_store_wide(aclient: redkit.aio.Client) -> None:
    store = aclient.sessions("aio")
    saved = await store.save("aio-sid", user="ada", data={"k": "v"}, idle_ttl=30)
    assert saved.session.ttl == 30
    assert await store.ids() == ["aio-sid"]
    assert await store.count() == 1
    assert [s.data for s in await store.all()] == [{"k": "v"}]
    assert await store.clear() == 1
    assert await store.count() == 0
