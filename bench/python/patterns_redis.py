"""Patterns on a real redis-server (the one run.py starts) against the Python tools users run
there (target >= 1.5x): a lock acquire+release cycle (redkit ``client.lock`` vs redis-py's
``Lock``) and a limiter decision (redkit's ``sliding_log``, an exact moving window, vs ``limits``'
``MovingWindowRateLimiter`` on its ``RedisStorage``). Same server, same limit, one client each."""

from __future__ import annotations

import redis
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

import redkit
from common import RedisServer, Row, anchor, lock_cycles, rate

#: Decisions admitted per second on both sides: more than either reaches, so all are admitted.
LIMIT = 100_000


def rows(server: RedisServer) -> list[Row]:
    ours = redkit.connect(server.url)
    r = redis.Redis.from_url(server.url)
    lock = ours.lock("bench:lock", ttl=10)
    their_lock = r.lock("bench:pylock", timeout=10)
    lock_cycle, their_lock_cycle = lock_cycles(lock, their_lock)

    window = ours.limiter("bench:window", algorithm="sliding_log", limit=LIMIT, window=1)
    moving = MovingWindowRateLimiter(RedisStorage(server.url))
    item = RateLimitItemPerSecond(LIMIT)
    out = [
        Row.measure("redis: lock acquire+release (cycles)", lambda: rate(lock_cycle),
                    f"{anchor('redis')} Lock", lambda: rate(their_lock_cycle), 1.5),
        Row.measure("redis: moving-window decision", lambda: rate(lambda _: window.consume("user")),
                    anchor("limits", "moving window"), lambda: rate(lambda _: moving.hit(item, "user")), 1.5),
    ]
    r.close()
    return out
