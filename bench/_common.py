"""Helpers shared by the benchmarks (files starting with ``_`` are not run by run_all.py).

Every benchmark uses its own database, ``BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/bilans_bench``), dropped and recreated at start so that
figures are reproducible. ``DATABASE_URL`` is deliberately ignored: a developer's shell often
points it at a database they care about. As a safety net the database name must contain
"bench".
"""
from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_BENCH_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench"


# --- database -------------------------------------------------------------------------------
def bench_database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_BENCH_DATABASE_URL)
    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: a benchmark database name must contain 'bench'")
    return url


def _maintenance_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def database_reset(url: str) -> None:
    """Drop (closing any leftover connection) and recreate the benchmark database."""
    import psycopg

    maintenance, name = _maintenance_url(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    import psycopg

    maintenance, name = _maintenance_url(url)
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_environment(url: str, **extra: str) -> dict[str, str]:
    """Environment for Django in a benchmark: production-like settings (DEBUG off, so no
    query log growing in memory), the benchmark database, no Redis."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "bench",
        "PLATFORM_DOMAIN": "localhost",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "consolemail://",
    }
    environment.update(extra)
    return environment


def django_setup(url: str, **extra: str) -> None:
    """Reset the benchmark database, configure Django on it and migrate the public schema."""
    database_reset(url)
    os.environ.update(bench_environment(url, **extra))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)


# --- figures ---------------------------------------------------------------------------------
def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation): an observed value."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-fraction * len(ordered) // 1))))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": statistics.median(values),
        "p95": percentile(values, 0.95),
        "min": min(values),
        "max": max(values),
    }


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}" if value >= 100 else f"{value:.2f}"
    return str(value)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]


def header(title: str, **facts: object) -> None:
    print(f"== {title} ==")
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores, load average at start "
        f"{os.getloadavg()[0]:.2f}, Python {platform.python_version()}, PostgreSQL {postgres_version()}, "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in facts.items())
    )
    sys.stdout.flush()


@contextmanager
def stopwatch():
    """``with stopwatch() as elapsed: ...`` then ``elapsed()`` is the duration in seconds."""
    start = time.perf_counter()
    end: list[float] = []
    try:
        yield lambda: (end[0] if end else time.perf_counter()) - start
    finally:
        end.append(time.perf_counter())


# --- organisations -------------------------------------------------------------------------
POPULATION_NOTE = (
    "existing organisations made in bulk: Organisation and Domain rows inserted with bulk_create, each "
    "schema restored from a pg_dump of the template schema (structure and rows, i.e. what the service's "
    "clone gives, without the administrator's three rows), {processes} psql processes in parallel. "
    "organisation_create itself is not used for the bulk because its clone_schema() step grows with "
    "the number of schemas (see the figures), which would make the population quadratic"
)


def organisation_count() -> int:
    from tenants.models import Organisation

    return Organisation.objects.filter(is_template=False).count()


def _psql(url: str, sql: str) -> None:
    """Run a script (one transaction per schema: a whole batch at once overflows the lock table)."""
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
        input=sql, text=True, check=True, stdout=subprocess.DEVNULL, timeout=3600,
    )  # fmt: skip


def organisations_populate(target: int, *, processes: int = 2, batch: int = 10, progress: bool = True) -> tuple[int, float]:
    """Bulk-create organisations until ``target`` exist (template excluded): see POPULATION_NOTE.
    Returns (created, seconds)."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from plans.selectors import plan_default_trial
    from tenants.models import Domain, Organisation
    from tenants.services import (
        organisation_domain,
        schema_name_for_slug,
        template_schema_ensure,
    )

    template_schema_ensure()
    existing = organisation_count()
    missing = max(0, target - existing)
    if not missing:
        return 0, 0.0
    start = time.perf_counter()
    url = os.environ["DATABASE_URL"]  # set by django_setup
    template = settings.TENANT_TEMPLATE_SCHEMA
    dump = subprocess.run(
        ["pg_dump", f"--schema={template}", "--no-owner", "--no-privileges", "-d", url],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    if f"CREATE SCHEMA {template};" not in dump:
        raise RuntimeError("unexpected pg_dump output for the template schema")
    identifier = re.compile(rf"\b{re.escape(template)}\b")
    slugs = [f"pop-{index:05d}" for index in range(existing, target)]
    batches = [slugs[i : i + batch] for i in range(0, len(slugs), batch)]
    done = 0
    with ThreadPoolExecutor(max_workers=processes) as pool:
        jobs = [pool.submit(_psql, url, "".join(f"BEGIN;\n{identifier.sub(schema_name_for_slug(s), dump)}\nCOMMIT;\n" for s in b)) for b in batches]
        for job, slugs_of_batch in zip(jobs, batches):
            job.result()
            done += len(slugs_of_batch)
            if progress and (done % 100 < batch or done == missing):
                print(f"  … {existing + done}/{target} organisations ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    plan, now = plan_default_trial(), timezone.now()
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            [
                Organisation(
                    schema_name=schema_name_for_slug(slug), slug=slug, name=f"Organisme {slug}",
                    owner_email=f"admin@{slug}.example.org", plan=plan, trial_ends_at=now + timedelta(days=14),
                )
                for slug in slugs
            ],
            batch_size=500,
        )
        Domain.objects.bulk_create(
            [Domain(domain=organisation_domain(o.slug), tenant=o, is_primary=True) for o in organisations], batch_size=500
        )
    connection.set_schema_to_public()
    return missing, time.perf_counter() - start
