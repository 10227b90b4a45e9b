"""Sub-command registration (placeholder until the crosscheck piece lands; it is replaced, not extended)."""

from __future__ import annotations


def register(subparsers) -> None:
    return None
