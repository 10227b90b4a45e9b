"""Sub-command registration (placeholder until the report piece lands; it is replaced, not extended)."""

from __future__ import annotations


def register(subparsers) -> None:  # noqa: ARG001 - filled in by the report work
    return None
