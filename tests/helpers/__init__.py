"""Helpers shared by more than one test directory: tests/ is on the pytest pythonpath (pyproject.toml), so
they are imported as `from helpers.<module> import ...`.

Helpers used by one directory only stay beside its tests (gate_test_helpers.py, guardrun.py, ...).
"""
