"""`make bench` (Python part): redkit from Python side by side with the anchors users compare it
with, in one run, each line a ratio against its target (../shared/notes/anchors.md). Anchors are
the pinned PyPI versions of bindings-python/requirements-dev.txt; the real-Redis tables share one
redis-server the run starts on loopback and stops by PID."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import fake_client  # noqa: E402
import patterns_redis  # noqa: E402
import patterns_sim  # noqa: E402
import queue_vs_rq  # noqa: E402
import simulator  # noqa: E402
from common import RedisServer, anchor, print_table  # noqa: E402


def main() -> None:
    versions = ", ".join(anchor(d) for d in ("redis", "fakeredis", "limits", "rq", "lupa"))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Python benchmarks — anchors: {versions}; load average {load} on {os.cpu_count()} cores")
    print_table("Python: the simulator through the native client vs fakeredis", simulator.rows())
    print_table("Python: redkit.testing.FakeRedis vs fakeredis.FakeRedis (same redis-py calls)",
                fake_client.rows())
    print_table("Python: patterns on the simulator vs on fakeredis", patterns_sim.rows())
    server = RedisServer()
    try:
        print_table(f"Python: patterns on a real redis-server ({server.url})", patterns_redis.rows(server))
        print_table("Python: queue vs RQ on the same redis-server", queue_vs_rq.rows(server))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
