"""The matching rules of tests/scenarios/README.md — exact scalars and arrays, partial objects,
``$`` matchers, ``$NAME`` references — plus one rule for Python's units: an expected field
``x_ms`` matches a result field ``x`` in seconds (times 1000), since the Python API speaks
seconds where the files speak milliseconds."""

from __future__ import annotations

from typing import Any

Saved = dict[str, Any]
_MISSING = object()


class Mismatch(AssertionError):
    """A step's result did not match; the message says where and why."""


def is_matcher(v: Any) -> bool:
    return isinstance(v, dict) and len(v) == 1 and next(iter(v)).startswith("$")


def field(v: Any, path: str) -> Any:
    """``v.path`` (dot-separated object fields or array indexes), or _MISSING."""
    cur = v
    for p in filter(None, path.split(".")):
        if isinstance(cur, dict):
            if p in cur:
                cur = cur[p]
            elif p.endswith("_ms") and p[:-3] in cur:
                cur = ms(cur[p[:-3]])
            else:
                return _MISSING
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            return _MISSING
    return cur


def lookup(name: str, saved: Saved) -> Any:
    head, _, rest = name.partition(".")
    if head not in saved:
        raise Mismatch(f"nothing saved as ${head}")
    v = field(saved[head], rest)
    if v is _MISSING:
        raise Mismatch(f"${name}: no such field")
    return v


def substitute(v: Any, saved: Saved) -> Any:
    """Replaces every ``"$NAME"`` / ``"$NAME.path"`` string by the saved value."""
    if isinstance(v, str) and v.startswith("$") and len(v) > 1:
        return lookup(v[1:], saved)
    if isinstance(v, list):
        return [substitute(x, saved) for x in v]
    if isinstance(v, dict):
        return {k: substitute(x, saved) for k, x in v.items()}
    return v


def ms(seconds: Any) -> Any:
    """Seconds as milliseconds (None stays None), rounded off float noise."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return round(seconds * 1000, 3)
    return seconds


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def check(expected: Any, actual: Any, at: str = "result") -> None:
    """Raises Mismatch unless ``actual`` matches ``expected`` (already substituted)."""
    if is_matcher(expected):
        (k, x), = expected.items()
        if k == "$any":
            return
        if actual is _MISSING:
            raise Mismatch(f"{at}: missing, expected {expected}")
        v = _num(actual)
        if k == "$range":
            ok = v is not None and _num(x[0]) is not None and x[0] <= v <= x[1]
        elif k == "$gt":
            ok = v is not None and _num(x) is not None and v > x
        elif k == "$ge":
            ok = v is not None and _num(x) is not None and v >= x
        elif k == "$lt":
            ok = v is not None and _num(x) is not None and v < x
        elif k == "$ne":
            try:
                check(x, actual, at)
                ok = False
            except Mismatch:
                ok = True
        elif k == "$type":
            ok = _type(actual) == x
        elif k == "$len":
            ok = isinstance(actual, (str, list, dict)) and len(actual) == x
        elif k == "$unordered":
            ok = _unordered(x, actual)
        else:
            raise Mismatch(f"{at}: unknown matcher {k}")
        if not ok:
            raise Mismatch(f"{at}: expected {expected}, got {actual!r}")
        return
    if actual is _MISSING:
        raise Mismatch(f"{at}: missing, expected {expected}")
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k, ev in expected.items():
            check(ev, field(actual, k) if "." not in k else actual.get(k, _MISSING), f"{at}.{k}")
        return
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            raise Mismatch(f"{at}: expected {len(expected)} items, got {len(actual)}: {actual!r}")
        for i, (ev, av) in enumerate(zip(expected, actual)):
            check(ev, av, f"{at}[{i}]")
        return
    e, a = _num(expected), _num(actual)
    if e is not None and a is not None and e == a:
        return
    if type(expected) is type(actual) and expected == actual:
        return
    raise Mismatch(f"{at}: expected {expected!r}, got {actual!r}")


def _unordered(expected: Any, actual: Any) -> bool:
    if not isinstance(expected, list) or not isinstance(actual, list) or len(expected) != len(actual):
        return False
    left = list(actual)
    for ev in expected:
        for i, av in enumerate(left):
            try:
                check(ev, av)
            except Mismatch:
                continue
            left.pop(i)
            break
        else:
            return False
    return True
