"""``@limiter.limit(key=...)``: a decorator that makes every call of a function consume from a
``Limiter`` or ``LimiterSet`` first (the native ``limit`` method calls ``decorator`` here).

The decision is the core's; this only calls ``consume``, waits ``retry_after`` while the call
may still be allowed within ``wait`` seconds, raises ``redkit.TimeoutError`` (with the last
``Decision`` as its ``decision`` attribute) when it is not, and releases a concurrency lease
when the function returns. ``key`` is a string, or a callable given the call's arguments.
Blocking limiters decorate plain functions, ``redkit.aio`` limiters ``async def`` ones.
Waiting uses the real clock: on a manual-clock simulator keep ``wait=0``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any, Callable

from .exceptions import TimeoutError

__all__ = ["decorator"]

# The shortest pause between two attempts, so a zero retry_after cannot spin.
_MIN_PAUSE = 0.001


def decorator(limiter: Any, key: Any, cost: int, wait: float, is_async: bool) -> Callable[[Any], Any]:
    if not (isinstance(key, str) or callable(key)):
        raise TypeError(f"key must be a str or a callable of the call's arguments, not {type(key).__name__}")

    def key_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        k = key(*args, **kwargs) if callable(key) else key
        if not isinstance(k, str):
            raise TypeError(f"the key function must return a str, not {type(k).__name__}")
        return k

    def denied(k: str, decision: Any) -> TimeoutError:
        name = getattr(limiter, "name", repr(limiter))
        err = TimeoutError(f"rate limited: {name} for key {k!r}, retry after {decision.retry_after:.3f} s")
        err.decision = decision  # type: ignore[attr-defined]
        return err

    def pause(decision: Any, deadline: float) -> float | None:
        """How long to sleep before trying again, or None when past the deadline."""
        left = deadline - time.monotonic()
        pause = max(decision.retry_after, _MIN_PAUSE)
        return pause if pause <= left else None

    def leases(decision: Any) -> list[str]:
        parts = getattr(decision, "decisions", [decision])
        return [d.lease for d in parts if d.lease is not None]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn) != is_async:
            api = "an asyncio (redkit.aio) limiter" if is_async else "a blocking limiter"
            want = "an async def function" if is_async else "a plain function"
            raise TypeError(f"{api} decorates {want}; {fn!r} is not one")

        if is_async:

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                k = key_of(args, kwargs)
                deadline = time.monotonic() + wait
                while not (d := await limiter.consume(k, cost)):
                    p = pause(d, deadline)
                    if p is None:
                        raise denied(k, d)
                    await asyncio.sleep(p)
                try:
                    return await fn(*args, **kwargs)
                finally:
                    for lease in leases(d):
                        await limiter.release(k, lease)

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            k = key_of(args, kwargs)
            deadline = time.monotonic() + wait
            while not (d := limiter.consume(k, cost)):
                p = pause(d, deadline)
                if p is None:
                    raise denied(k, d)
                time.sleep(p)
            try:
                return fn(*args, **kwargs)
            finally:
                for lease in leases(d):
                    limiter.release(k, lease)

        return run

    return wrap
