"""Versioned schema migrations: `migrations/NNNN_name.sql`, applied once each, recorded in schema_migrations.

Applied files are immutable: a changed checksum stops the run (write a new migration instead). All pending
migrations run in one transaction under an advisory lock, so two concurrent db_init calls cannot both apply
them, and a failing migration leaves nothing behind (PostgreSQL DDL is transactional).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from tapcommon.db import Database
from tapcommon.errors import PermanentError

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_270_001  # arbitrary, fixed: the advisory lock that serialises migration runs

BOOTSTRAP_SQL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY, name text NOT NULL, checksum char(64) NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())"
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a badly named file or a duplicate version is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if not match:
            raise PermanentError("BAD_MIGRATION_NAME", f"{path.name}: expected NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise PermanentError("DUPLICATE_MIGRATION", f"{path.name}: version {version} is used twice")
        found[version] = Migration(version, match.group(2), path.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def split_statements(sql: str) -> list[str]:
    """Split a SQL file on top-level semicolons (not inside quotes, dollar-quoted bodies or comments)."""
    statements, start, i, n = [], 0, 0, len(sql)
    while i < n:
        end = _skip_literal(sql, i)
        if end > i:
            i = end
        elif sql[i] == ";":
            statements.append(sql[start:i])
            start = i = i + 1
        else:
            i += 1
    statements.append(sql[start:])
    return [s.strip() for s in statements if _strip_comments(s).strip()]


def _skip_literal(sql: str, i: int) -> int:
    if sql.startswith("--", i):
        end = sql.find("\n", i)
        return len(sql) if end < 0 else end
    if sql.startswith("/*", i):
        end = sql.find("*/", i + 2)
        return len(sql) if end < 0 else end + 2
    if sql[i] in "'\"":
        end = i + 1
        while end < len(sql):
            if sql[end] == sql[i]:
                if sql.startswith(sql[i] * 2, end):
                    end += 2
                    continue
                return end + 1
            end += 1
        return len(sql)
    tag = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
    if tag:
        end = sql.find(tag.group(0), i + len(tag.group(0)))
        return len(sql) if end < 0 else end + len(tag.group(0))
    return i


def _strip_comments(sql: str) -> str:
    """The statement without its comments (to drop statements that are only comments)."""
    kept, i = [], 0
    while i < len(sql):
        end = _skip_literal(sql, i)
        if end > i:
            if not sql.startswith(("--", "/*"), i):
                kept.append(sql[i:end])
            i = end
        else:
            kept.append(sql[i])
            i += 1
    return "".join(kept)


def apply_migrations(db: Database, migrations: list[Migration] | None = None) -> list[int]:
    """Apply what is pending; returns the versions applied now (empty when the schema is current)."""
    migrations = load_migrations() if migrations is None else migrations
    db.execute(BOOTSTRAP_SQL)
    with db.transaction() as tx:
        tx.query("SELECT pg_advisory_xact_lock(:key) AS locked", {"key": _LOCK_KEY})
        applied = {
            row["version"]: row["checksum"]
            for row in tx.query("SELECT version, checksum FROM schema_migrations")
        }
        for migration in migrations:
            recorded = applied.get(migration.version)
            if recorded is not None and recorded.strip() != migration.checksum:
                raise PermanentError(
                    "MIGRATION_CHANGED",
                    f"migration {migration.version:04d}_{migration.name} was applied with another checksum",
                )
        pending = [m for m in migrations if m.version not in applied]
        for migration in pending:
            for statement in split_statements(migration.sql):
                tx.execute(statement)
            tx.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (:version, :name, :checksum)",
                {"version": migration.version, "name": migration.name, "checksum": migration.checksum},
            )
    return [m.version for m in pending]


def current_version(db: Database) -> int:
    db.execute(BOOTSTRAP_SQL)
    rows = db.query("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")
    return int(rows[0]["version"])
