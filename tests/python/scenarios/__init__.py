"""The Python runner of the shared scenario suite (tests/scenarios/*.json, format in its README):
loading and steps (runner.py), matching (matcher.py), and one adapter per object kind
(adapters.py) mapping the files' Rust-named calls onto redkit's Python API."""
