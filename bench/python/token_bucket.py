"""The usual token-bucket Lua script users run through redis-py's ``register_script`` (one hash
per key holding tokens and the last refill time; the caller passes the time in), the anchor for
redkit's ``token_bucket`` limiter."""

from __future__ import annotations

import time
from typing import Any, Callable

SCRIPT = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or capacity
local ts = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= requested then
  tokens = tokens - requested
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000))
return {allowed, tostring(tokens)}
"""


def decider(r: Any, capacity: int, per_second: float) -> Callable[[str], bool]:
    """A ``decide(key) -> allowed`` running the script on redis-py client ``r``."""
    script = r.register_script(SCRIPT)

    def decide(key: str) -> bool:
        allowed, _tokens = script(keys=[key], args=[capacity, per_second, time.time(), 1])
        return bool(allowed)

    return decide
