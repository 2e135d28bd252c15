"""Scenario adapters for the job queue, its worker and streams (queue.json, stream.json), after
core/tests/scenarios/{queue,stream}.rs.

- ``queue``: job options come as the Rust names — ``backoff`` is the kind (``"fixed"`` /
  ``"exponential"``) and ``backoff_ms`` its base — and a reserved job is named by ``id`` and
  ``token``. ``heartbeat`` and ``ack`` return the new deadline / completion time, shown as the
  Rust result's one field (``lease_deadline`` / ``completed_at``).
- ``worker``: a worker over the queue ``name`` whose ``handlers`` map job types to canned
  behaviours: ``"ok"`` returns the data, ``"fail"`` fails with "boom", ``"sleep"`` waits
  ``data.ms`` of the backend's time, then returns the data. Handlers are ``async def`` under the
  asyncio API and plain functions under the sync one.
- ``stream``: ``add_trimmed`` is ``add`` with a trim; ``*_json`` decode each entry's event;
  ``pending`` lists its consumers as ``{name, count}`` like the Rust result.

``backend_sleep`` (the backend's clock: the simulator's manual clock, or real time) also serves
the pub/sub adapter's slow responder.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Optional

from . import adapters
from .adapters import Adapter, Args, resolved, seconds_args

#: Real-time bound on a canned handler's sleep (a manual clock nobody advances, a killed worker).
SLEEP_LIMIT = 10.0


def _sleep_done(world: Any, ms: float, started: float, t0: float, abandon: Optional[threading.Event]) -> bool:
    if abandon is not None and abandon.is_set():
        return True
    if time.monotonic() - t0 > SLEEP_LIMIT:
        return True
    now: float = world.sim.now()
    return now >= started + ms / 1000


def backend_sleep(world: Any, ms: float, abandon: Optional[threading.Event] = None) -> None:
    """Waits ``ms`` of the backend's time (blocking): on the simulator until its clock moved
    that far, on Redis in real time; at most SLEEP_LIMIT real seconds, or until ``abandon``."""
    if world.sim is None:
        if abandon is not None:
            abandon.wait(ms / 1000)
        else:
            time.sleep(ms / 1000)
        return
    started, t0 = world.sim.now(), time.monotonic()
    while not _sleep_done(world, ms, started, t0, abandon):
        time.sleep(0.001)


async def backend_sleep_async(world: Any, ms: float, abandon: Optional[threading.Event] = None) -> None:
    """``backend_sleep`` for a coroutine."""
    t0 = time.monotonic()
    if world.sim is None:
        while time.monotonic() - t0 < ms / 1000 and not (abandon is not None and abandon.is_set()):
            await asyncio.sleep(min(0.005, ms / 1000))
        return
    started = world.sim.now()
    while not _sleep_done(world, ms, started, t0, abandon):
        await asyncio.sleep(0.001)


# ---------------------------------------------------------------------------------------------
# queue


def job_options(args: Args) -> Args:
    """A job's options as ``enqueue``'s keywords: the Rust ``backoff`` (kind) and ``backoff_ms``
    (base) become ``backoff_kind`` and ``backoff`` (seconds); the other ``*_ms`` seconds."""
    args = dict(args)
    kind = args.pop("backoff", None)
    out = seconds_args(args)
    if kind is not None:
        out["backoff_kind"] = kind
    return out


class QueueAdapter(Adapter):
    async def do_enqueue(self, **args: Any) -> Any:
        return await resolved(self.obj.enqueue(**job_options(args)))

    async def do_enqueue_bulk(self, jobs: list[Args]) -> Any:
        return await resolved(self.obj.enqueue_bulk([job_options(j) for j in jobs]))

    async def do_heartbeat(self, id: str, token: str, lease_ms: Optional[int] = None) -> Any:
        lease = None if lease_ms is None else lease_ms / 1000
        return {"lease_deadline": await resolved(self.obj.heartbeat(id, token=token, lease=lease))}

    async def do_ack(self, id: str, token: str, result: Any = None) -> Any:
        return {"completed_at": await resolved(self.obj.ack(id, result, token=token))}

    async def do_fail(self, id: str, token: str, error: str, retry: bool = True) -> Any:
        return await resolved(self.obj.fail(id, error, token=token, retry=retry))


class WorkerAdapter(Adapter):
    """A worker with canned handlers (see the module docs)."""

    def __init__(self, obj: Any, world: Any, abandon: threading.Event) -> None:
        super().__init__(obj, world)
        self.abandon = abandon

    @staticmethod
    def construct(args: Args, world: Any) -> "WorkerAdapter":
        args = dict(args)
        behaviours: dict[str, str] = args.pop("handlers", {})
        worker_opts: Args = {k: args.pop(k) for k in ("concurrency", "heartbeat_ms", "idle_wait_ms") if k in args}
        if "lease_ms" in args:
            worker_opts["lease_ms"] = args["lease_ms"]
        queue = world.client().queue(**seconds_args(args))
        abandon = threading.Event()
        asyncio_api = world.api == "aio"
        handlers = {t: handler(b, world, abandon, asyncio_api) for t, b in behaviours.items()}
        return WorkerAdapter(queue.worker(handlers, **seconds_args(worker_opts)), world, abandon)

    async def do_start(self) -> Any:
        return await resolved(self.obj.start())

    async def close(self) -> None:
        """End of the scenario: a worker still running is killed, its handlers end."""
        if self.obj.running:
            self.obj.kill()
        self.abandon.set()

    async def do_kill(self) -> Any:
        out = await resolved(self.obj.kill())
        self.abandon.set()  # the killed run's handlers end (their results go nowhere)
        return out


def handler(behaviour: str, world: Any, abandon: threading.Event, asyncio_api: bool) -> Callable[[Any], Any]:
    if behaviour not in ("ok", "fail", "sleep"):
        raise ValueError(f"unknown handler behaviour {behaviour!r}")

    def ok(job: Any) -> Any:
        if behaviour == "fail":
            raise Exception("boom")  # a plain Exception: the job's error is its message
        return job.data

    def sleep_ms(job: Any) -> float:
        data = job.data if isinstance(job.data, dict) else {}
        return float(data.get("ms", 0))

    if asyncio_api:

        async def run_async(job: Any) -> Any:
            if behaviour == "sleep":
                await backend_sleep_async(world, sleep_ms(job), abandon)
            return ok(job)

        return run_async

    def run(job: Any) -> Any:
        if behaviour == "sleep":
            backend_sleep(world, sleep_ms(job), abandon)
        return ok(job)

    return run


# ---------------------------------------------------------------------------------------------
# stream


def _trim(args: Args) -> Args:
    return {k: args[k] for k in ("max_len", "min_id", "approx") if k in args}


def _events(entries: Any) -> list[dict[str, Any]]:
    return [{"id": e.id, "event": e.json()} for e in entries]


class StreamAdapter(Adapter):
    async def do_add_trimmed(self, fields: dict[str, Any], **trim: Any) -> Any:
        return await resolved(self.obj.add(fields, **_trim(trim)))

    async def do_range_json(self, start: str, end: str, count: Optional[int] = None) -> Any:
        return _events(await resolved(self.obj.range(start, end, count)))

    async def do_read_group_json(self, group: str, consumer: str, count: int, block_ms: Optional[int] = None) -> Any:
        block = None if block_ms is None else block_ms / 1000
        return _events(await resolved(self.obj.read_group(group, consumer, count, block)))

    async def do_ack(self, group: str, ids: list[str]) -> Any:
        return await resolved(self.obj.ack(group, *ids))

    async def do_pending(self, group: str) -> Any:
        p = await resolved(self.obj.pending(group))
        return {
            "count": p.count,
            "first_id": p.first_id,
            "last_id": p.last_id,
            "consumers": [{"name": n, "count": c} for n, c in p.consumers.items()],
        }


adapters.register("queue", QueueAdapter)
adapters.register("worker", WorkerAdapter)
adapters.register("stream", StreamAdapter)
