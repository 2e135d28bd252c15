"""The result objects redkit's patterns return: frozen dataclasses with readable reprs.

Durations are float seconds (the core's milliseconds divided by 1000), None where the core has
no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["Acquisition", "Release"]


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
