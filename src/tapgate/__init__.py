"""tapgate: the compliance gate, auditor reports, cross-checks and local simulation for TapStack."""

__version__ = "0.1.0"
