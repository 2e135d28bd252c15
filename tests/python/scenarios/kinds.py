"""Imports every adapter module, so each registers its kinds (adapters.register)."""

from . import adapters  # noqa: F401  (lock)
from . import cache_session  # noqa: F401  (cache, session)
from . import limits  # noqa: F401  (limiter, limiter_set, semaphore, redlock)
