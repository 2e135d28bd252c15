"""``@cache.cached(...)``: a function's results cached through ``Cache.get_or_set``.

All caching behaviour (single flight, stampede protection, XFetch, stale-while-revalidate,
negative caching, tags) is the core's; this module only derives keys from calls and picks the
sync or async wrapper.

Key rule (stable across processes and runs): the call's arguments are bound to the function's
signature with defaults applied, so ``f(1)``, ``f(a=1)`` and ``f(1, b=2)`` (``b=2`` being the
default) share one entry; the key is ``"<module>.<qualname>:"`` followed by the JSON list of
the argument values in parameter order (``json.dumps`` with sorted keys and no spaces; a
``**kwargs`` parameter is one object). For ``def price(sku, currency="EUR")`` in module
``shop``, ``price("A1")`` is cached under ``shop.price:["A1","EUR"]``. Arguments that are not
JSON (objects, bytes, ``self``) need ``key=``: a format string over the parameter names
(``key="user:{user_id}"``) or a callable taking the function's arguments and returning a str.
``tags=`` takes format strings in the same way (or a callable returning a list of str).

The wrapped function gains ``.key(*args, **kwargs)`` (the key a call uses),
``.invalidate(*args, **kwargs)`` (deletes that call's entry; awaitable on an asyncio cache),
``.invalidate_all()`` (every entry of the function, with the default key rule) and ``.cache``.
On a method, ``key`` and ``invalidate`` take ``self`` too, like the function:
``Repo.user.invalidate(repo, 7)``.

A result of ``None`` is "no value": not cached unless the cache has ``negative_ttl``. Results
come back through the cache's JSON (a tuple is returned as a list, even on the first call).
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
from typing import Any, Callable, Optional

__all__ = ["cached"]


def cached(cache: Any, ttl: Any = None, key: Any = None, tags: Any = None) -> Any:
    """The decorator ``cache.cached(ttl, key=, tags=)`` returns (or, used bare as
    ``@cache.cached``, the decorated function)."""
    if callable(ttl) and not isinstance(ttl, (int, float, datetime.timedelta)):
        return _decorator(cache, None, key, tags)(ttl)
    return _decorator(cache, ttl, key, tags)


def _decorator(cache: Any, ttl: Any, key: Any, tags: Any) -> Callable[[Callable[..., Any]], Any]:
    if ttl is None and cache.ttl is None:
        raise TypeError("cached() needs a ttl: pass ttl= here or a default to client.cache(..., ttl=...)")
    if key is not None and not (isinstance(key, str) or callable(key)):
        raise TypeError(f"key= must be a format string or a callable, not {type(key).__name__}")
    if isinstance(tags, str):
        raise TypeError("tags= must be a list of str (or a callable), not a single str")

    def decorate(fn: Callable[..., Any]) -> Any:
        if not callable(fn):
            raise TypeError(f"cached() decorates a function, not {type(fn).__name__}")
        is_coroutine = inspect.iscoroutinefunction(fn)
        if is_coroutine and not cache.is_async:
            raise TypeError(
                f"{fn.__qualname__} is an async def function: cache it with a redkit.aio client's cache"
            )
        signature = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__qualname__}"

        def bound(args: tuple[Any, ...], kwargs: dict[str, Any]) -> inspect.BoundArguments:
            b = signature.bind(*args, **kwargs)
            b.apply_defaults()
            return b

        def key_of(*args: Any, **kwargs: Any) -> str:
            if callable(key):
                k = key(*args, **kwargs)
                if not isinstance(k, str):
                    raise TypeError(f"the key= callable must return a str, not {type(k).__name__}")
                return k
            b = bound(args, kwargs)
            if isinstance(key, str):
                return key.format(**b.arguments)
            try:
                text = json.dumps(list(b.arguments.values()), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            except (TypeError, ValueError) as e:
                raise TypeError(
                    f"cannot derive a cache key for {name} from its arguments ({e}); pass key= to cached()"
                ) from None
            return f"{name}:{text}"

        def tags_of(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Optional[list[str]]:
            if tags is None:
                return None
            if callable(tags):
                return list(tags(*args, **kwargs))
            arguments = bound(args, kwargs).arguments
            return [t.format(**arguments) for t in tags]

        if cache.is_async:

            @functools.wraps(fn)
            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                k, t = key_of(*args, **kwargs), tags_of(args, kwargs)
                return await cache.get_or_set(k, lambda: fn(*args, **kwargs), ttl, tags=t)

        else:

            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                k, t = key_of(*args, **kwargs), tags_of(args, kwargs)
                return cache.get_or_set(k, lambda: fn(*args, **kwargs), ttl, tags=t)

        def invalidate(*args: Any, **kwargs: Any) -> Any:
            return cache.delete(key_of(*args, **kwargs))

        def invalidate_all() -> Any:
            if key is not None:
                raise TypeError("invalidate_all() needs the default key rule (no key=): use tags= and invalidate_tag")
            return cache.invalidate_prefix(f"{name}:")

        w: Any = wrapper
        w.key = key_of
        w.invalidate = invalidate
        w.invalidate_all = invalidate_all
        w.cache = cache
        return w

    return decorate
