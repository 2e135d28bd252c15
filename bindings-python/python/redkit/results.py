"""The result objects redkit's patterns return: frozen dataclasses with readable reprs.

Durations are float seconds (the core's milliseconds divided by 1000), None where the core has
no value.
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional

__all__ = ["Acquisition", "Release", "Message", "Entry", "Page", "Position", "GeoHit"]


@dataclass(frozen=True)
class Acquisition:
    """The outcome of a lock acquire; truthy when acquired."""

    acquired: bool
    fence: Optional[int]
    """Fencing token of this hold: greater than every earlier acquisition's of the same lock."""
    count: int
    """How many times the owner holds it (reentrancy); 0 when refused."""
    ttl: Optional[float]
    """The new lease when acquired, the holder's remaining lease when refused."""

    def __bool__(self) -> bool:
        return self.acquired


@dataclass(frozen=True)
class Release:
    """The outcome of a release: whether the lock is now free and the owner's holds left."""

    released: bool
    count: int


@dataclass(frozen=True)
class Message:
    """A pub/sub message: the channel it was published to, the pattern that matched it (pattern
    subscriptions) and its payload as published."""

    channel: str
    pattern: Optional[str]
    payload: bytes

    def text(self) -> str:
        """The payload as UTF-8 text; ``SerializationError`` if it is not UTF-8."""
        try:
            return self.payload.decode("utf-8")
        except UnicodeDecodeError as e:
            from .exceptions import SerializationError

            raise SerializationError(f"the payload is not UTF-8: {e}") from e

    def json(self) -> Any:
        """The payload parsed as JSON; ``SerializationError`` if it does not parse."""
        try:
            return _json.loads(self.payload)
        except ValueError as e:
            from .exceptions import SerializationError

            raise SerializationError(f"the payload is not JSON: {e}") from e


@dataclass(frozen=True)
class Entry:
    """A leaderboard member with its score and 1-based rank."""

    member: str
    score: float
    rank: int


@dataclass(frozen=True)
class Page:
    """One page of a leaderboard; iterating it gives its entries (none past the last page)."""

    page: int
    """The page number, 1-based."""
    size: int
    """Entries per page."""
    total: int
    """Members on the whole board."""
    pages: int
    """Pages on the whole board (0 for an empty board)."""
    entries: List[Entry] = field(default_factory=list)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Position:
    """A longitude/latitude pair in degrees; unpacks as ``lon, lat = position``."""

    longitude: float
    latitude: float

    def __iter__(self) -> Iterator[float]:
        return iter((self.longitude, self.latitude))


@dataclass(frozen=True)
class GeoHit:
    """A geo search result: a member, its distance from the search's centre (in the search's
    unit, 4 decimals as Redis reports it) and its position."""

    member: str
    distance: float
    longitude: float
    latitude: float
