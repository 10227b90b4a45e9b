"""Sub-command registration (placeholder until the sim piece lands; it is replaced, not extended)."""

from __future__ import annotations


def register(subparsers) -> None:  # noqa: ARG001 - filled in by the sim work
    return None
