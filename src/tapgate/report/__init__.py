"""Auditor reports rendered from a `GateResult`."""
