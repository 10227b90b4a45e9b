"""Build the one Lambda artifact: a zip of lambdas/ (handlers, tapcommon, packs, migrations).

    python scripts/build_lambda_zip.py [-o dist/lambdas.zip] [--with-deps]

`--with-deps` also pip-installs lambdas/requirements.txt (Powertools with the tracer extra, pydantic,
tzdata), pinned by requirements/constraints.txt, as manylinux x86_64 wheels for CPython 3.13 (the template's
runtime and architecture), into the zip. boto3 and botocore (and their own dependencies) come with the
runtime and are left out.

The zip is reproducible: entries sorted, timestamps fixed, no caches, so the same sources give the same bytes
(and the same ArtifactKey hash). Prints the path, size and SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAMBDAS = REPO / "lambdas"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SKIP_PARTS = {"__pycache__", ".pytest_cache", "tests"}
SKIP_SUFFIXES = {".pyc", ".pyo"}
# The runtime ships boto3 with its botocore, urllib3, dateutil, six, jmespath and s3transfer; bundling another
# botocore (aws-xray-sdk asks for one) would pair the runtime's boto3 with a botocore not released with it.
RUNTIME_PROVIDED = (
    "boto3",
    "botocore",
    "s3transfer",
    "urllib3",
    "dateutil",
    "python_dateutil",
    "six",
    "jmespath",
    "bin",
)


def _files(root: Path) -> list[tuple[Path, str]]:
    return [
        (path, path.relative_to(root).as_posix())
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not SKIP_PARTS & set(path.relative_to(root).parts)
        and path.suffix not in SKIP_SUFFIXES
    ]


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o755 if path.stat().st_mode & 0o111 else 0o644) << 16
    archive.writestr(info, path.read_bytes())


def _bundled(top: str, ours: set[str]) -> bool:
    name = top.lower().removesuffix(".py").split("-")[0]
    return top not in ours and name not in RUNTIME_PROVIDED


def install_deps(target: Path) -> None:
    """pip install the runtime requirements for the Lambda platform into `target`."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        "manylinux2014_x86_64",
        "--implementation",
        "cp",
        "--python-version",
        "3.13",
        "--only-binary=:all:",
        "-r",
        str(LAMBDAS / "requirements.txt"),
        "-c",
        str(REPO / "requirements" / "constraints.txt"),
    ]
    subprocess.run(command, check=True)


def build(output: Path, with_deps: bool) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as deps_dir:
        entries = _files(LAMBDAS)
        if with_deps:
            install_deps(Path(deps_dir))
            ours = {name.split("/")[0] for _, name in entries}
            entries += [(p, n) for p, n in _files(Path(deps_dir)) if _bundled(n.split("/")[0], ours)]
        with zipfile.ZipFile(output, "w") as archive:
            for path, name in sorted(entries, key=lambda entry: entry[1]):
                _add(archive, path, name)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(REPO / "dist" / "lambdas.zip"))
    parser.add_argument("--with-deps", action="store_true")
    args = parser.parse_args(argv)
    path = build(Path(args.output), args.with_deps)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    print(f"{path} {path.stat().st_size} bytes sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
