"""Sub-command registration (placeholder until the gate piece lands; it is replaced, not extended)."""

from __future__ import annotations


def register(subparsers) -> None:  # noqa: ARG001 - filled in by the gate work
    return None
