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
import json as _json
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional



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


@dataclass(frozen=True)
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
    """The message of the sink's error (``str()`` of what it raised), when it raised."""


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
# --- queue, worker and streams -------------------------------------------------------------

from dataclasses import field  # noqa: E402
from typing import Any, Dict, List  # noqa: E402


@dataclass(frozen=True)
class Enqueued:
    """The outcome of an enqueue; truthy when the job was added, falsy when a job with its id
    already existed."""

    id: str
    added: bool

    def __bool__(self) -> bool:
        return self.added


@dataclass(frozen=True)
class Job:
    """A reserved job: run it, then ``queue.ack(job, result)`` or ``queue.fail(job, error)``
    before ``lease_deadline`` (or extend it with ``queue.heartbeat(job)``)."""

    id: str
    job_type: str
    data: Any
    attempts: int
    """Which attempt this is (1 for the first run)."""
    max_attempts: int
    token: str = field(repr=False)
    """The lease token that proves this reservation."""
    lease_deadline: float
    """When the lease ends unless extended (seconds since the epoch, server clock)."""


@dataclass(frozen=True)
class Reservation:
    """What ``queue.reserve_many`` returned."""

    jobs: List[Job]
    next_due_in: Optional[float]
    """Seconds until the next delayed job, lease deadline or repeat falls due (None: nothing
    scheduled)."""
    now: float
    """The server time of the reserve (seconds since the epoch)."""


@dataclass(frozen=True)
class Failed:
    """The outcome of ``queue.fail``: ``state`` is ``"delayed"`` or ``"waiting"`` (retried) or
    ``"dead"``."""

    state: str
    retry_at: Optional[float]


@dataclass(frozen=True)
class Recovered:
    """What ``queue.recover_stalled`` did."""

    requeued: int
    dead: int
    promoted: int


@dataclass(frozen=True)
class Counts:
    """Jobs per state."""

    waiting: int
    delayed: int
    active: int
    completed: int
    dead: int
    paused: bool
    repeatable: int


@dataclass(frozen=True)
class JobInfo:
    """A job as ``queue.get`` sees it; times are seconds since the epoch."""

    id: str
    state: str
    """``"waiting"``, ``"delayed"``, ``"active"``, ``"completed"`` or ``"dead"``."""
    job_type: str
    data: Any
    priority: int
    attempts: int
    max_attempts: int
    error: Optional[str]
    result: Any
    created_at: Optional[float]
    finished_at: Optional[float]
    due_at: Optional[float]
    """Delayed: when it is due; active: its lease deadline; completed: when its result expires."""


@dataclass(frozen=True)
class Repeatable:
    """The outcome of ``queue.add_repeatable``; ``added`` is False when it replaced one."""

    name: str
    added: bool
    next_run_at: float


@dataclass(frozen=True)
class WorkerStats:
    """A worker run's counters."""

    completed: int
    failed: int
    lost: int
    """Jobs whose lease was lost before their ack or fail."""
    in_flight: int


@dataclass(frozen=True)
class ShutdownReport:
    """How a worker's shutdown went; truthy when every in-flight job finished."""

    drained: bool
    abandoned: int

    def __bool__(self) -> bool:
        return self.drained


@dataclass(frozen=True)
class StreamEntry:
    """A stream entry: its id and its fields (text)."""

    id: str
    fields: Dict[str, str]

    def json(self) -> Any:
        """The event ``stream.add_json`` wrote in the ``data`` field, decoded."""
        import json

        from .exceptions import SerializationError

        if "data" not in self.fields:
            raise SerializationError(f'entry {self.id} has no "data" field')
        try:
            return json.loads(self.fields["data"])
        except ValueError as e:
            raise SerializationError(f"entry {self.id}: {e}") from e


@dataclass(frozen=True)
class PendingSummary:
    """A group's pending entries in summary; ``consumers`` maps each consumer to its count."""

    count: int
    first_id: Optional[str]
    last_id: Optional[str]
    consumers: Dict[str, int]


@dataclass(frozen=True)
class PendingEntry:
    """One pending entry: who holds it, how long idle (seconds), how often delivered."""

    id: str
    consumer: str
    idle: float
    deliveries: int


@dataclass(frozen=True)
class Claimed:
    """What ``stream.claim_idle`` took over; pass ``next`` as the next scan's ``start``."""

    entries: List[StreamEntry]
    next: str
    deleted: List[str]


@dataclass(frozen=True)
class GroupInfo:
    """A consumer group."""

    name: str
    consumers: int
    pending: int
    last_delivered_id: str
    lag: Optional[int]


@dataclass(frozen=True)
class DeadLettered:
    """What ``stream.dead_letter`` did: ids moved to the dead letters, ids dropped (deleted)."""

    moved: List[str]
    dropped: List[str]


__all__ += [
    "Enqueued",
    "Job",
    "Reservation",
    "Failed",
    "Recovered",
    "Counts",
    "JobInfo",
    "Repeatable",
    "WorkerStats",
    "ShutdownReport",
    "StreamEntry",
    "PendingSummary",
    "PendingEntry",
    "Claimed",
    "GroupInfo",
    "DeadLettered",
]


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
class LeaderboardEntry:
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
    entries: List[LeaderboardEntry] = field(default_factory=list)

    def __iter__(self) -> Iterator[LeaderboardEntry]:
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

__all__ += ["Message", "LeaderboardEntry", "Page", "Position", "GeoHit"]
