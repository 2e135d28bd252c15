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
class Entry:
    """A stream entry: its id and its fields (text)."""

    id: str
    fields: Dict[str, str]

    def json(self) -> Any:
        """The event ``stream.add_json`` wrote in the ``data`` field, decoded."""
        import json

        from .exceptions import SerializationError

        try:
            return json.loads(self.fields["data"])
        except (KeyError, ValueError) as e:
            raise SerializationError(f"entry {self.id} holds no JSON event: {e!r}") from e


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

    entries: List[Entry]
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
    "Entry",
    "PendingSummary",
    "PendingEntry",
    "Claimed",
    "GroupInfo",
    "DeadLettered",
]
