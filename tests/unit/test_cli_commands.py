"""tapgate.cli: each COMMANDS entry's module registers exactly that sub-command, so `tapgate NAME ...`,
which builds the parser with NAME's module alone, parses as the full parser does; any other first
argument (--help, --version, a typo) gets every sub-command."""

from __future__ import annotations

import importlib

import pytest

from tapgate import cli


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_each_module_registers_its_own_name(name):
    parser = cli.build_parser(name)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == {name}
    importlib.import_module(cli.COMMANDS[name])


def test_without_a_known_command_every_command_is_there():
    for first in (None, "--help", "chekc"):
        sub = next(a for a in cli.build_parser(first)._actions if a.dest == "command")
        assert set(sub.choices) == set(cli.COMMANDS)


def test_check_parses_alike_with_one_or_every_command():
    argv = ["check", "T.json", "--fast", "--no-cache", "-f", "json", "--engines", "cfn-guard"]
    one, every = cli.build_parser("check").parse_args(argv), cli.build_parser().parse_args(argv)
    assert vars(one) == vars(every)


def test_an_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["chekc"]) == 2
    assert "invalid choice" in capsys.readouterr().err
