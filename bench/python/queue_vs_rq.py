"""Queue throughput on a real redis-server against RQ (target >= 20x): N jobs enqueued one by one
then drained, timed as a whole — redkit's ``queue.enqueue`` + ``queue.worker(handler).run(max_jobs=N)``
vs RQ's ``Queue.enqueue`` + ``SimpleWorker(...).work(burst=True)`` (RQ's in-process worker: no fork
per job). Each side does as many rounds as fit in the time budget, each round on a queue of its
own (so neither side pays for registries grown by earlier rounds); jobs/s for enqueue+drain.
A second row batches on both sides: redkit's ``enqueue_bulk`` + a worker of concurrency 8 vs RQ's
``enqueue_many`` + the same ``SimpleWorker`` (RQ has no concurrent in-process worker)."""

from __future__ import annotations

import itertools
import logging

import redis
import rq

import redkit
from common import RedisServer, Row, anchor, batch_rate

#: Jobs per round: RQ drains a few hundred per second, redkit many more. RQ's round is long
#: enough to amortise what each ``work(burst=True)`` costs once: up to 1 s joining its pub/sub
#: thread on the way out (rq/worker/base.py), which would halve its rate at 200 jobs.
OURS_N = 2_000
RQ_N = 1_000
#: Concurrency of redkit's worker in the batched row.
CONCURRENCY = 8
#: Real-time bound on one redkit drain (seconds).
DRAIN_TIMEOUT = 30


def job(i: int) -> int:
    """The RQ job (RQ imports it by name: ``queue_vs_rq.job``)."""
    return i


def rows(server: RedisServer) -> list[Row]:
    client = redkit.connect(server.url)
    rounds = itertools.count()

    def ours(n: int) -> None:
        queue = client.queue(f"bench:jobs:{next(rounds)}")
        for i in range(n):
            queue.enqueue({"i": i})
        stats = queue.worker(lambda j: j.data["i"]).run(max_jobs=n, timeout=DRAIN_TIMEOUT)
        assert stats.completed == n, stats

    def ours_batched(n: int) -> None:
        queue = client.queue(f"bench:jobs:{next(rounds)}")
        queue.enqueue_bulk([{"data": {"i": i}} for i in range(n)])
        stats = queue.worker(lambda j: j.data["i"], concurrency=CONCURRENCY).run(max_jobs=n, timeout=DRAIN_TIMEOUT)
        assert stats.completed == n, stats

    r = redis.Redis.from_url(server.url)
    logging.getLogger("rq.worker").setLevel(logging.ERROR)

    def theirs(n: int) -> None:
        rq_queue = rq.Queue(f"bench{next(rounds)}", connection=r)
        for i in range(n):
            rq_queue.enqueue(job, i)
        rq.SimpleWorker([rq_queue], connection=r).work(burst=True, logging_level="ERROR")
        assert rq_queue.count == 0

    def theirs_batched(n: int) -> None:
        rq_queue = rq.Queue(f"bench{next(rounds)}", connection=r)
        rq_queue.enqueue_many([rq.Queue.prepare_data(job, (i,)) for i in range(n)])
        rq.SimpleWorker([rq_queue], connection=r).work(burst=True, logging_level="ERROR")
        assert rq_queue.count == 0

    out = [Row.measure("redis: queue enqueue+drain (jobs)", lambda: batch_rate(ours, OURS_N),
                       anchor("rq", "SimpleWorker"), lambda: batch_rate(theirs, RQ_N, max_rounds=1), 20),
           Row.measure(f"redis: bulk enqueue+drain, {CONCURRENCY} workers (jobs)", lambda: batch_rate(ours_batched, OURS_N),
                       anchor("rq", "enqueue_many+SimpleWorker"),
                       lambda: batch_rate(theirs_batched, RQ_N, max_rounds=1), 20)]
    r.close()
    return out
