"""The result objects redkit's patterns return: frozen dataclasses with readable reprs.

Durations are float seconds (the core's milliseconds divided by 1000), None where the core has
no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ["Acquisition", "Release", "Decision", "MultiDecision", "Permit", "RedlockAcquisition"]


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
class Decision:
    """A rate limiter's answer to one call; truthy when allowed."""

    allowed: bool
    remaining: int
    """What is left after this call (cost units; GCRA: calls that could pass at once)."""
    limit: int
    """The limit (GCRA: the burst), as ``X-RateLimit-Limit`` reports it."""
    reset_after: float
    """Seconds until the caller's state is back to empty."""
    retry_after: float
    """0 when allowed; otherwise seconds until this call would be allowed (``Retry-After``)."""
    lease: Optional[str]
    """A concurrency limiter's lease for an admitted call: pass it to ``release``."""

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class MultiDecision:
    """A ``LimiterSet``'s answer: allowed only if every limit allows (a denial consumes none)."""

    allowed: bool
    retry_after: float
    """The longest wait among the limits that denied (0 when allowed)."""
    decisions: list[Decision]
    """Each limit's decision, in the set's order."""

    def __bool__(self) -> bool:
        return self.allowed


@dataclass(frozen=True)
class Permit:
    """The outcome of a semaphore acquire; truthy when a permit was granted."""

    acquired: bool
    token: Optional[str]
    """The permit's token, for ``release`` and ``extend``; None when refused."""
    available: int
    """Permits still free after this call."""
    retry_after: float
    """When refused, seconds until the earliest lease runs out; 0 when granted."""

    def __bool__(self) -> bool:
        return self.acquired


@dataclass(frozen=True)
class RedlockAcquisition:
    """The outcome of a Redlock acquire or extend; truthy when held."""

    acquired: bool
    locked: int
    """How many instances granted it in the last attempt."""
    quorum: int
    """How many grants are needed: N/2+1."""
    validity: float
    """Seconds the lock is safe to use from now (ttl - elapsed - drift); 0 when not held."""
    attempts: int

    def __bool__(self) -> bool:
        return self.acquired
