"""Applying migrations to every schema with 100 organisations (``--quick``: 20).

Runs ``manage.py migrate_schemas`` as a deployment does (a fresh process each time, nothing left
to migrate) with the standard executor and with ``--executor=multiprocessing``
(TENANT_MULTIPROCESSING_MAX_PROCESSES, default 2), alternating, ``--repeat`` times each.
``migrate_schemas --shared`` (public schema only) is timed the same way as the baseline: process
start, Django setup and the public schema; the difference divided by the number of tenant
schemas (organisations + the template) is the cost per schema.

    .venv/bin/python bench/migrate_all_schemas.py [--quick] [--organisations 100] [--repeat 3] [--keep]
"""
from __future__ import annotations

import argparse
import subprocess
import sys

import _common as c

COMMANDS = {
    "shared only (baseline)": ["--shared"],
    "standard executor": [],
    "multiprocessing executor": ["--executor=multiprocessing"],
}


def run(url: str, arguments: list[str]) -> float:
    command = [sys.executable, "manage.py", "migrate_schemas", "--noinput", *arguments]
    environment = {**c.os.environ, **c.bench_environment(url)}
    with c.stopwatch() as elapsed:
        result = subprocess.run(command, check=False, cwd=c.ROOT, env=environment, capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    if "Applying " in result.stdout:
        raise SystemExit(f"{' '.join(command)} applied migrations: the benchmark expects nothing to migrate")
    return elapsed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 organisations instead of 100")
    parser.add_argument("--organisations", type=int, help="number of organisations (default 100, quick 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--processes", type=int, default=2, help="processes used to populate (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database at the end")
    args = parser.parse_args()
    count = args.organisations or (20 if args.quick else 100)

    url = c.bench_database_url()
    c.django_setup(url)
    from django.db import connection

    c.header(
        "Migrations on every schema (manage.py migrate_schemas, nothing to migrate)",
        database=url.rsplit("/", 1)[-1],
        organisations=count,
        repeat=args.repeat,
        mode="quick" if args.quick else "full",
    )
    try:
        created, seconds = c.organisations_populate(count, processes=args.processes)
        from tenants.models import Organisation

        tenant_schemas = Organisation.objects.count()  # organisations, template, spare schemas if any
        timings: dict[str, list[float]] = {label: [] for label in COMMANDS}
        connection.close()
        run(url, ["--shared"])  # warm the file system cache, not counted
        for _ in range(args.repeat):
            for label, arguments in COMMANDS.items():
                timings[label].append(run(url, arguments))
        baseline = c.summary(timings["shared only (baseline)"])["median"]
        rows = []
        for label, values in timings.items():
            s = c.summary(values)
            per_schema = "" if label.startswith("shared") else c.ms((s["median"] - baseline) / tenant_schemas)
            rows.append([label, s["n"], s["median"], s["min"], s["max"], per_schema])
        print()
        print(
            f"Wall-clock seconds, {count} organisations, {tenant_schemas} tenant schemas in all "
            f"(template and spares included) + public"
        )
        print(c.table(["command", "runs", "median s", "min s", "max s", "ms per tenant schema"], rows))
        standard = c.summary(timings["standard executor"])["median"]
        parallel = c.summary(timings["multiprocessing executor"])["median"]
        print()
        print(f"multiprocessing vs standard: x{standard / parallel:.2f} faster" if parallel < standard else
              f"multiprocessing vs standard: x{parallel / standard:.2f} slower")
        print(f"Population: {created} organisations in {seconds:.0f} s; {c.POPULATION_NOTE.format(processes=args.processes)}.")
    finally:
        connection.close()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    main()
