"""Find the cfn-guard binary (and the Control Tower rule pack) without trusting anything unverified.

Order: `--guard-bin`, `$CFN_GUARD_PATH`, `cfn-guard` on PATH, then the binary inside the pinned PyPI wheel
`cdklabs-cdk-validator-cfnguard==0.0.62`, fetched with `pip download --no-deps` into the user cache and
checked against its pinned SHA-256 before anything is extracted. A wrong hash is an engine failure (exit 3).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from tapgate.errors import EngineError

if TYPE_CHECKING:  # fetching and unpacking import their modules when they run: a cached gate run never does
    import tarfile

GUARD_WHEEL = "cdklabs-cdk-validator-cfnguard==0.0.62"
GUARD_WHEEL_SHA256 = "83c9c9a086de47637611f414ca90200db97e7b8cd3c4a69475b5f81034bd4b45"
GUARD_VERSION = "3.1.1"
CT_RULES_IN_TGZ = "package/rules/control-tower/cfn-guard/"
ENGINE = "cfn-guard"


def cache_dir() -> Path:
    base = os.environ.get("TAPGATE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    return Path(base) / "tapgate" if base else Path.home() / ".cache" / "tapgate"


def find_guard(explicit: str | None = None) -> str:
    """The cfn-guard executable to run, by the documented order."""
    for source, candidate in (
        ("--guard-bin", explicit),
        ("CFN_GUARD_PATH", os.environ.get("CFN_GUARD_PATH")),
    ):
        if candidate:
            if not (Path(candidate).is_file() and os.access(candidate, os.X_OK)):
                raise EngineError(ENGINE, f"{source} {candidate} is not an executable file")
            return candidate
    on_path = shutil.which("cfn-guard")
    if on_path:
        return on_path
    return str(_unpacked() / "bin" / "cfn-guard")


def control_tower_rules() -> Path:
    """The Control Tower proactive rules: `$TAPGATE_CONTROL_TOWER_RULES`, else from the pinned wheel."""
    given = os.environ.get("TAPGATE_CONTROL_TOWER_RULES")
    if given:
        if not Path(given).is_dir():
            raise EngineError("control-tower", f"TAPGATE_CONTROL_TOWER_RULES {given} is not a directory")
        return Path(given)
    return _unpacked() / "control-tower"


def _unpacked() -> Path:
    """cache/cfnguard-<sha>/ with bin/cfn-guard and control-tower/; fetched and verified on first use."""
    target = cache_dir() / f"cfnguard-{GUARD_WHEEL_SHA256[:16]}"
    if (target / "bin" / "cfn-guard").exists() and (target / "control-tower").is_dir():
        return target
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tapgate-wheel-") as tmp:
        wheel = _fetch_wheel(Path(tmp))
        _verify(wheel)
        staging = Path(tmp) / "unpacked"
        _extract(wheel, staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        shutil.move(str(staging), target)
    return target


def _fetch_wheel(into: Path) -> Path:
    import subprocess
    import sys

    local = os.environ.get("TAPGATE_GUARD_WHEEL")  # an already downloaded copy (offline CI); still verified
    if local:
        return Path(local)
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(into)]
    try:
        subprocess.run([*command, GUARD_WHEEL], capture_output=True, text=True, check=True, timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as err:
        raise EngineError(ENGINE, f"not found, and pip download {GUARD_WHEEL} failed: {err}") from None
    wheels = sorted(into.glob("*.whl"))
    if not wheels:
        raise EngineError(ENGINE, f"pip download {GUARD_WHEEL} produced no wheel")
    return wheels[0]


def _verify(wheel: Path) -> None:
    try:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    except OSError as err:
        raise EngineError(ENGINE, f"cannot read {wheel}: {err.strerror}") from None
    if digest != GUARD_WHEEL_SHA256:
        raise EngineError(ENGINE, f"{wheel.name} has sha256 {digest}, expected {GUARD_WHEEL_SHA256}: refused")


def _platform_dir() -> str:
    import platform

    system = {"Linux": "ubuntu", "Darwin": "macos"}.get(platform.system())
    machine = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}.get(
        platform.machine().lower()
    )
    if not system or not machine:
        raise EngineError(
            ENGINE, f"the pinned wheel has no binary for {platform.system()} {platform.machine()}"
        )
    return f"package/bin/{system}/{machine}/cfn-guard"


def _extract(wheel: Path, staging: Path) -> None:
    """Copy out the binary and the rule pack by name (no tarfile.extractall on downloaded archives)."""
    import tarfile
    import zipfile

    binary_name = _platform_dir()
    with zipfile.ZipFile(wheel) as zipped:
        inner = next((n for n in zipped.namelist() if n.endswith(".jsii.tgz")), None)
        if inner is None:
            raise EngineError(ENGINE, f"{wheel.name} holds no jsii tarball")
        with zipped.open(inner) as raw, tarfile.open(fileobj=raw, mode="r:gz") as tgz:
            for member in tgz:
                if member.isfile() and member.name == binary_name:
                    _write(tgz, member, staging / "bin" / "cfn-guard", mode=0o755)
                elif member.isfile() and member.name.startswith(CT_RULES_IN_TGZ) and ".." not in member.name:
                    _write(tgz, member, staging / "control-tower" / member.name[len(CT_RULES_IN_TGZ) :])
    if not (staging / "bin" / "cfn-guard").exists():
        raise EngineError(ENGINE, f"{wheel.name} has no {binary_name}")


def _write(tgz: tarfile.TarFile, member: tarfile.TarInfo, dest: Path, mode: int = 0o644) -> None:
    source = tgz.extractfile(member)
    if source is None:
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(source.read())
    dest.chmod(mode)
