"""`make bench` (Python part): redkit from Python side by side with the anchors users compare it
with, in one run, each line a ratio against its target (../shared/notes/anchors.md)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import simulator  # noqa: E402
from common import print_table  # noqa: E402


def main() -> None:
    print_table("Python: the simulator through the native client vs fakeredis", simulator.rows())


if __name__ == "__main__":
    main()
