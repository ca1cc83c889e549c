"""Pick a PostgreSQL for development when DATABASE_URL is not set.

Order: a PostgreSQL already answering on 127.0.0.1:5432 (database ``bilans``, created if
missing), otherwise an embedded PostgreSQL (pgserver) kept in ``.data/postgres``. pgserver is
the fallback only because, run as root, it adds a system user and loosens directory permissions.
"""
from __future__ import annotations

import socket
from pathlib import Path

LOCAL_DATABASE_NAME = "bilans"


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


def development_database_url(base_dir: Path) -> str:
    if _local_postgres_answers():
        try:
            _ensure_database("postgresql://postgres@127.0.0.1:5432/postgres", LOCAL_DATABASE_NAME)
            return f"postgresql://postgres@127.0.0.1:5432/{LOCAL_DATABASE_NAME}"
        except Exception:  # a server that refuses us: fall back to the embedded one
            pass
    import pgserver

    data_dir = base_dir / ".data" / "postgres"
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode=None)
    socket_dir = server.get_uri().split("host=")[-1]
    _ensure_database(f"postgresql://postgres@/postgres?host={socket_dir}", LOCAL_DATABASE_NAME)
    return f"postgresql://postgres@/{LOCAL_DATABASE_NAME}?host={socket_dir}"
