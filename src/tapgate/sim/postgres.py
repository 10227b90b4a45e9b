"""Start a real, throw-away PostgreSQL for the tests and the simulation, and hand back its DSN.

Backends, chosen by `TAPGATE_PG_BACKEND` (default `auto`):

- `pgserver`: the embedded PostgreSQL 16 wheel from PyPI (pinned in the venv). As root it runs the server as
  a system user `pgserver` that it creates with `useradd`, so it works in CI, which runs as root.
- `system`: the distribution's binaries (`initdb`/`pg_ctl` under /usr/lib/postgresql/*/bin, Debian's
  `postgresql` package). As root the server runs as `nobody` through `runuser`, because PostgreSQL refuses
  to run as root.
- `auto`: pgserver, and the system binaries if pgserver cannot start.

`TAPGATE_PG_DSN` skips all of this and uses an existing server (the caller owns it).

Data directories live under a short /tmp path because the Unix socket path must stay under 107 bytes.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "tapstack"
# Durability off: the data is thrown away after the run, and fsync dominates a test's run time.
_FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresUnavailable(RuntimeError):
    """No backend could start a PostgreSQL server; the message says what each one reported."""


@dataclass
class RunningPostgres:
    """A server that is up. `dsn` points at the database the caller asked for."""

    dsn: str
    backend: str
    data_dir: Path | None
    _stop: Callable[[], None] = field(repr=False, default=lambda: None)

    def stop(self) -> None:
        stop, self._stop = self._stop, (lambda: None)
        stop()


def start_postgres(database: str = DEFAULT_DATABASE, backend: str | None = None) -> RunningPostgres:
    """Start a server (or attach to `TAPGATE_PG_DSN`) and make sure `database` exists in it."""
    external = os.environ.get("TAPGATE_PG_DSN")
    if external:
        return RunningPostgres(dsn=external, backend="external", data_dir=None)
    choice = (backend or os.environ.get("TAPGATE_PG_BACKEND") or "auto").lower()
    starters = {
        "pgserver": [_start_pgserver],
        "system": [_start_system],
        "auto": [_start_pgserver, _start_system],
    }
    if choice not in starters:
        raise PostgresUnavailable(f"TAPGATE_PG_BACKEND={choice!r}: expected auto, pgserver or system")
    problems = []
    for starter in starters[choice]:
        try:
            server = starter()
        except Exception as err:  # noqa: BLE001 - every backend's failure is reported together below
            problems.append(f"{starter.__name__.removeprefix('_start_')}: {err}")
            log.warning("postgres backend failed: %s", problems[-1])
            continue
        try:
            _prepare(server, database)
        except Exception:
            server.stop()
            raise
        return server
    raise PostgresUnavailable("could not start PostgreSQL; " + "; ".join(problems))


@contextlib.contextmanager
def running_postgres(
    database: str = DEFAULT_DATABASE, backend: str | None = None
) -> Iterator[RunningPostgres]:
    """`start_postgres` as a context manager that always stops the server."""
    server = start_postgres(database, backend)
    try:
        yield server
    finally:
        server.stop()


def _prepare(server: RunningPostgres, database: str) -> None:
    """Create the database if missing, apply the fast settings, and point the DSN at the database."""
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(database)))
        if server.backend != "external":
            for name, value in _FAST_SETTINGS.items():
                conn.execute(
                    psycopg.sql.SQL("ALTER SYSTEM SET {} = {}").format(
                        psycopg.sql.Identifier(name), psycopg.sql.Literal(value)
                    )
                )
            conn.execute("SELECT pg_reload_conf()")
    server.dsn = psycopg.conninfo.make_conninfo(server.dsn, dbname=database)


def _short_tmpdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="tappg-", dir="/tmp"))


def _start_pgserver() -> RunningPostgres:
    # pgserver keeps its lock file under XDG_RUNTIME_DIR (read at import); give it one when the session has
    # none (CI, root).
    runtime_dir = Path(tempfile.gettempdir()) / f"runtime-{os.getuid()}"
    runtime_dir.mkdir(mode=0o700, exist_ok=True)
    if runtime_dir.stat().st_uid == os.getuid():
        runtime_dir.chmod(0o700)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime_dir))
    import pgserver  # heavy import, only when this backend is used

    data_dir = _short_tmpdir()
    server = pgserver.get_server(data_dir, cleanup_mode="delete")
    return RunningPostgres(dsn=server.get_uri(), backend="pgserver", data_dir=data_dir, _stop=server.cleanup)


def find_system_bindir() -> Path:
    """The newest /usr/lib/postgresql/<major>/bin that has initdb, or the directory of `initdb` on PATH."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major_version, reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresUnavailable("no initdb: install Debian's `postgresql` package")


def _major_version(initdb_path: str) -> int:
    part = Path(initdb_path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _start_system() -> RunningPostgres:
    bindir = find_system_bindir()
    data_dir = _short_tmpdir()
    pgdata = data_dir / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root; `nobody` exists on every Debian system.
        user = pwd.getpwnam("nobody")
        os.chown(data_dir, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "nobody", "--"]
    _run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(pgdata),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]
    )
    options = f"-k {data_dir} -c listen_addresses='' -c fsync=off"
    _run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(pgdata),
            "-l",
            str(data_dir / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        ]
    )

    def stop() -> None:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(data_dir, ignore_errors=True)

    dsn = psycopg.conninfo.make_conninfo(host=str(data_dir), user="postgres", dbname="postgres")
    return RunningPostgres(dsn=dsn, backend="system", data_dir=data_dir, _stop=stop)


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PostgresUnavailable(
            f"{Path(cmd[cmd.index('--') + 1] if '--' in cmd else cmd[0]).name} exited "
            f"{done.returncode}: {tail[0]}"
        )
