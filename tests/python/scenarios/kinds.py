"""Imports every adapter module, so each registers its kinds (adapters.register)."""

from . import adapters  # noqa: F401  (lock)
