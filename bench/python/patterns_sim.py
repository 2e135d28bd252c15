"""Patterns on the simulator against the same pattern on fakeredis (target >= 20x): a lock
acquire+release cycle (redkit ``client.lock`` vs redis-py's ``Lock``) and a limiter decision
(redkit's token bucket vs the usual token-bucket Lua script, which fakeredis runs through lupa).
Both sides use the same parameters and a bucket large enough that decisions are admitted."""

from __future__ import annotations

import fakeredis

import redkit
import token_bucket
from common import Row, anchor, lock_cycles, rate

#: Bucket size and refill per second, on both sides.
CAPACITY = 1_000_000


def rows() -> list[Row]:
    ours = redkit.Simulator().client()
    fake = fakeredis.FakeRedis()
    lock = ours.lock("bench:lock", ttl=10)
    their_lock = fake.lock("bench:lock", timeout=10)
    lock_cycle, their_lock_cycle = lock_cycles(lock, their_lock)

    bucket = ours.limiter("bench", algorithm="token_bucket", limit=CAPACITY, refill=CAPACITY, refill_interval=1)
    decide = token_bucket.decider(fake, CAPACITY, CAPACITY)
    fake_tag = anchor("fakeredis")
    return [
        Row.measure("sim: lock acquire+release (cycles)", lambda: rate(lock_cycle),
                    f"{anchor('redis')} Lock, {fake_tag}", lambda: rate(their_lock_cycle), 20),
        Row.measure("sim: token-bucket decision", lambda: rate(lambda _: bucket.consume("user")),
                    f"Lua script, {fake_tag}", lambda: rate(lambda _: decide("user")), 20),
    ]
