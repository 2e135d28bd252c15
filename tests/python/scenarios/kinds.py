"""Imports every adapter module, so each registers its kinds (adapters.register)."""

from . import adapters  # noqa: F401  (lock)
from . import queues_streams  # noqa: F401  (queue, worker, stream)
from . import messaging  # noqa: F401  (pubsub, leaderboard, geo)
from . import cache_session  # noqa: F401  (cache, session)
from . import limits  # noqa: F401  (limiter, limiter_set, semaphore, redlock)
