"""The result objects redkit's patterns return: frozen dataclasses with readable reprs.

Durations are float seconds (the core's milliseconds divided by 1000), None where the core has
no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

__all__ = [
    "Acquisition",
    "Release",
    "Decision",
    "MultiDecision",
    "Permit",
    "RedlockAcquisition",
    "CacheStats",
    "DrainReport",
    "Write",
    "Session",
    "Created",
    "SessionInfo",
]


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
class CacheStats:
    """What a cache object counted since it was created."""

    hits: int
    """Lookups answered from the cache (either tier; cached absences included)."""
    misses: int
    """Lookups that found nothing."""
    loads: int
    """Loader runs."""
    stale: int
    """Stale values served while a refresh ran (stale-while-revalidate)."""
    early_refreshes: int
    """XFetch early recomputations."""
    local_hits: int
    """Hits served by the local tier."""
    coalesced: int
    """Calls that shared another call's load in this process (single flight)."""
    waited: int
    """Misses answered by another process's load."""


@dataclass(frozen=True)
class DrainReport:
    """What one write-behind drain pass did."""

    written: int
    """Writes handed to the sink and acknowledged."""
    retried: int
    """Of those read, retries of an earlier failed or abandoned batch."""
    failed: int
    """Writes the sink refused this time (they stay pending and are retried)."""
    dead_lettered: int
    """Writes moved to the dead-letter stream (tried ``max_attempts`` times, or undecodable)."""
    error: Optional[str]
    """The sink's error, when it raised."""


@dataclass(frozen=True)
class Write:
    """One write handed to a write-through or write-behind sink."""

    key: str
    value: Any
    """The value written (None for a delete)."""
    deleted: bool
    """True when the key was deleted (``delete_behind``)."""


@dataclass(frozen=True, repr=False)
class Session:
    """A live session. Times are seconds since the epoch on the server's clock; ``ttl`` is the
    time left before it ends if nothing touches it. The repr shortens the id and hides the
    token (both are credentials)."""

    id: str
    token: str
    """What the client holds: the id, or ``id.mac`` signed with the current secret."""
    user: Optional[str]
    created_at: float
    expires_at: float
    """The absolute deadline (creation plus the store's lifetime)."""
    ttl: float
    data: dict[str, Any]

    def __repr__(self) -> str:
        return (
            f"Session(id={self.id[:6] + '…'!r}, user={self.user!r}, created_at={self.created_at:.3f}, "
            f"expires_at={self.expires_at:.3f}, ttl={self.ttl:.3f}, data={self.data!r})"
        )


@dataclass(frozen=True)
class Created:
    """The result of ``SessionStore.create``: the new session and the ids evicted by the
    per-user cap."""

    session: Session
    evicted: list[str]

    @property
    def token(self) -> str:
        """The new session's token (``session.token``)."""
        return self.session.token


@dataclass(frozen=True, repr=False)
class SessionInfo:
    """One of a user's sessions as ``SessionStore.list`` reports it."""

    id: str
    created_at: float
    expires_at: float
    ttl: float

    def __repr__(self) -> str:
        return (
            f"SessionInfo(id={self.id[:6] + '…'!r}, created_at={self.created_at:.3f}, "
            f"expires_at={self.expires_at:.3f}, ttl={self.ttl:.3f})"
        )
