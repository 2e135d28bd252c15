"""Scenario adapters for pub/sub, leaderboards and geo indexes (pubsub.json, leaderboard.json,
geo.json), after core/tests/scenarios/{pubsub,leaderboard,geo}.rs.

- ``pubsub`` keeps what a scenario opens by name: subscriptions (``subscribe`` / ``psubscribe``
  with ``as``, adding to that subscription if it exists; ``next`` / ``next_json`` and
  ``unsubscribe`` / ``punsubscribe`` with ``subscription``), requesters (``requester`` with
  ``as``; ``request`` with ``requester``) and responders (``serve`` with ``service`` and a canned
  ``handler``: ``echo``; ``add``, which takes ``{"a": int, "b": int}`` and refuses any other
  shape as a serialization error; ``fail``, an invalid-argument error; ``slow``, an echo after
  ``delay_ms`` of the backend's time — then ``served``, ``resubscribed`` and ``stop``).
  Handlers are ``async def`` under the asyncio API and plain functions under the sync one.
- ``leaderboard``: ``ascending: true`` is ``order="lowest_first"``; entries are pairs.
- ``geo``: places are ``[member, longitude, latitude]`` triples.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import redkit

from . import adapters
from .adapters import Adapter, Args, resolved
from .queues_streams import backend_sleep, backend_sleep_async


class PubSubAdapter(Adapter):
    def __init__(self, obj: Any, world: Any) -> None:
        super().__init__(obj, world)
        self.subscriptions: dict[str, Any] = {}
        self.requesters: dict[str, Any] = {}
        self.responders: dict[str, Any] = {}

    async def close(self) -> None:
        """End of the scenario: stops the responders and closes the subscriptions and
        requesters it left open (on Redis they would outlive it otherwise)."""
        for r in self.responders.values():
            await resolved(r.stop())
        for s in [*self.subscriptions.values(), *self.requesters.values()]:
            await resolved(s.close())
        self.responders.clear()
        self.subscriptions.clear()
        self.requesters.clear()

    def _subscription(self, name: str) -> Any:
        if name not in self.subscriptions:
            raise KeyError(f"no subscription named {name!r}")
        return self.subscriptions[name]

    def _responder(self, service: str) -> Any:
        if service not in self.responders:
            raise KeyError(f"no responder named {service!r}")
        return self.responders[service]

    async def _subscribe(self, name: str, items: list[str], patterns: bool) -> None:
        sub = self.subscriptions.get(name)
        if sub is None:
            opened = self.obj.psubscribe(*items) if patterns else self.obj.subscribe(*items)
            self.subscriptions[name] = await resolved(opened)
        else:
            await resolved(sub.psubscribe(*items) if patterns else sub.subscribe(*items))

    async def do_subscribe(self, channels: list[str], **named: str) -> None:
        await self._subscribe(named["as"], channels, patterns=False)

    async def do_psubscribe(self, patterns: list[str], **named: str) -> None:
        await self._subscribe(named["as"], patterns, patterns=True)

    async def do_unsubscribe(self, subscription: str, channels: Optional[list[str]] = None) -> None:
        await resolved(self._subscription(subscription).unsubscribe(*(channels or [])))

    async def do_punsubscribe(self, subscription: str, patterns: Optional[list[str]] = None) -> None:
        await resolved(self._subscription(subscription).punsubscribe(*(patterns or [])))

    async def do_next(self, subscription: str, timeout_ms: int) -> Any:
        return await resolved(self._subscription(subscription).next_message(timeout_ms / 1000))

    async def do_next_json(self, subscription: str, timeout_ms: int) -> Any:
        m = await resolved(self._subscription(subscription).next_message(timeout_ms / 1000))
        if m is None:
            return None
        return {"channel": m.channel, "pattern": m.pattern, "data": m.json()}

    async def do_serve(self, service: str, handler: str, delay_ms: Optional[int] = None) -> None:
        fn = canned(handler, self.world, delay_ms or 0)
        self.responders[service] = await resolved(self.obj.serve(service, fn))

    async def do_served(self, service: str) -> int:
        served: int = self._responder(service).served
        return served

    async def do_resubscribed(self, service: str) -> int:
        resubscribed: int = self._responder(service).resubscribed
        return resubscribed

    async def do_stop(self, service: str) -> None:
        await resolved(self._responder(service).stop())
        del self.responders[service]

    async def do_requester(self, service: str, **named: str) -> str:
        r = await resolved(self.obj.requester(service))
        self.requesters[named["as"]] = r
        channel: str = r.reply_channel
        return channel

    async def do_request(
        self, timeout_ms: int, body: Any = None, service: Optional[str] = None, requester: Optional[str] = None
    ) -> Any:
        if requester is not None:
            return await resolved(self.requesters[requester].request(body, timeout_ms / 1000))
        return await resolved(self.obj.request(service, body, timeout_ms / 1000))


def _add(body: Any) -> int:
    """The typed ``add`` handler: ``a + b`` of a ``{"a": int, "b": int}`` body."""
    ok = isinstance(body, dict) and all(
        isinstance(body.get(k), int) and not isinstance(body.get(k), bool) for k in ("a", "b")
    )
    if not ok:
        raise redkit.SerializationError(f'expected {{"a": int, "b": int}}, got {body!r}')
    total: int = body["a"] + body["b"]
    return total


def _fail(_body: Any) -> Any:
    raise redkit.InvalidArgumentError("refused by the handler")


def canned(name: str, world: Any, delay_ms: int) -> Callable[[Any], Any]:
    """A responder's canned handler (see the module docs), async under the asyncio API."""
    simple: dict[str, Callable[[Any], Any]] = {"echo": lambda body: body, "add": _add, "fail": _fail}
    if name not in simple and name != "slow":
        raise ValueError(f"unknown handler {name!r}")
    if world.api == "aio":

        async def handle_async(body: Any) -> Any:
            if name == "slow":
                await backend_sleep_async(world, delay_ms)
                return body
            return simple[name](body)

        return handle_async

    def handle(body: Any) -> Any:
        if name == "slow":
            backend_sleep(world, delay_ms)
            return body
        return simple[name](body)

    return handle


class LeaderboardAdapter(Adapter):
    @staticmethod
    def construct(args: Args, world: Any) -> "LeaderboardAdapter":
        args = dict(args)
        if args.pop("ascending", False):
            args["order"] = "lowest_first"
        return LeaderboardAdapter(world.client().leaderboard(**adapters.seconds_args(args)), world)

    async def do_add_many(self, entries: list[list[Any]]) -> Any:
        return await resolved(self.obj.add_many([(m, s) for m, s in entries]))


class GeoAdapter(Adapter):
    async def do_add_many(self, places: list[list[Any]]) -> Any:
        return await resolved(self.obj.add_many([(m, lon, lat) for m, lon, lat in places]))


adapters.register("pubsub", PubSubAdapter)
adapters.register("leaderboard", LeaderboardAdapter)
adapters.register("geo", GeoAdapter)
