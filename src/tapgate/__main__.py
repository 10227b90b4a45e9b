"""`tapgate` console entry point: `main(argv)` returns the exit code."""

from __future__ import annotations

import sys

from tapgate.cli import main

if __name__ == "__main__":
    sys.exit(main())
