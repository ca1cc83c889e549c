"""Creating one organisation end to end, and how it grows with the number of organisations.

Times ``tenants.services.organisation_create`` exactly as the signup page calls it (with an
administrator password, so validation and PBKDF2 hashing included) at 0 existing organisations,
then 100 and 1,000 (``--quick``: 20 and 50), along its two paths, 10 calls each (``--calls``):

- **spare ready**: a spare schema is waiting (SPARE_SCHEMA_POOL_SIZE), the signup renames it;
  before each call one spare is made with ``tenants.services.spare_schema_create``, which is
  what the ``refill_spare_schemas`` background job does: that is timed too (**spare refill**);
- **pool empty**: no spare left (a burst of signups beyond the pool, or the job not running),
  the signup clones the template schema itself.

A path stops early at a level (3 calls at least) once it has taken ``--level-seconds``; the
table gives the count. One unmeasured warm-up creation (then deleted) comes first. The existing
organisations are made in bulk (see ``_common.POPULATION_NOTE``).

Each call is split into its main parts by timing wrappers around the functions it calls
(behaviour unchanged): the ``clone_schema()`` SQL copy of the template schema, the faked
``migrate_schemas`` run django-tenants makes after it, the spare claim (row lock + ``ALTER
SCHEMA … RENAME``), password validation + hashing, and the rest (rows, administrator, audit
events, commit).

    .venv/bin/python bench/organisation_creation.py [--quick] [--calls 10] [--levels 100,1000] [--level-seconds 600] [--keep]
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections import defaultdict

import _common as c

PASSWORD = "Bilan-Bench-2026!"
PARTS = ("clone", "fake_migrate", "claim", "password")  # passes every validator of config.settings


def instrument(parts: dict[str, float]) -> None:
    """Accumulate the time spent in the main parts of a creation into ``parts``."""
    import django_tenants.models as tenant_models
    from django.contrib.auth import base_user, password_validation
    from django_tenants.clone import CloneSchema

    def timed(label, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[label] += time.perf_counter() - start

        return wrapper

    import tenants.services

    CloneSchema.clone_schema = timed("clone", CloneSchema.clone_schema)
    tenants.services._spare_schema_claim = timed("claim", tenants.services._spare_schema_claim)
    tenant_models.call_command = timed("fake_migrate", tenant_models.call_command)
    password_validation.validate_password = timed("password", password_validation.validate_password)
    base_user.make_password = timed("password", base_user.make_password)


def create(slug: str):
    from tenants.services import organisation_create

    return organisation_create(
        name=f"Organisme {slug}",
        slug=slug,
        kind="training_organisation",
        admin_email=f"admin@{slug}.example.org",
        admin_password=PASSWORD,
        admin_first_name="Alice",
        admin_last_name="Martin",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 and 50 existing organisations instead of 100 and 1,000")
    parser.add_argument("--calls", type=int, default=10, help="measured creations per level (default 10)")
    parser.add_argument("--levels", help="comma-separated existing-organisation counts after 0 (default 100,1000)")
    parser.add_argument("--processes", type=int, default=2, help="processes used to populate (default 2)")
    parser.add_argument(
        "--level-seconds", type=float, default=600, help="stop a path's calls at a level after this long, 3 calls at least (default 600)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database at the end")
    args = parser.parse_args()
    levels = [0] + [int(v) for v in (args.levels or ("20,50" if args.quick else "100,1000")).split(",")]
    if sorted(set(levels)) != levels:
        parser.error("levels must be increasing")

    url = c.bench_database_url()
    c.django_setup(url)
    from django.db import connection

    from tenants.models import Organisation
    from tenants.services import (
        SPARE_PREFIX,
        spare_schema_create,
        template_schema_ensure,
    )

    c.header(
        "Organisation creation (tenants.services.organisation_create)",
        database=url.rsplit("/", 1)[-1],
        calls_per_level=args.calls,
        mode="quick" if args.quick else "full",
    )
    template_schema_ensure()  # done once by `manage.py serve` / deployment, not per creation
    spares = Organisation.objects.filter(is_template=True, schema_name__startswith=SPARE_PREFIX)
    spares_left = spares.count()
    if spares_left:
        raise RuntimeError(f"{spares_left} spare schemas exist before the benchmark")
    parts: dict[str, float] = defaultdict(float)
    instrument(parts)

    # One warm-up creation (imports, password list, migration graph), then removed.
    warm = create("bench-warm-up")
    warm.organisation.delete(force_drop=True)
    assert c.organisation_count() == 0

    rows, refills, population = [], [], []
    try:
        for level in levels:
            if level:
                created, seconds = c.organisations_populate(level, processes=args.processes)
                if created:
                    population.append((created, seconds))
            existing = c.organisation_count()
            load = os.getloadavg()[0]
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_class")
                relations = cursor.fetchone()[0]
            refill_times: list[float] = []
            for path in ("spare ready", "pool empty"):
                totals, breakdown = [], defaultdict(list)
                start = time.monotonic()
                for index in range(args.calls):
                    if index >= 3 and time.monotonic() - start > args.level_seconds:
                        print(f"  time limit: {index} calls, {path}, at {existing} existing", file=sys.stderr)
                        break
                    if path == "spare ready":
                        with c.stopwatch() as elapsed:
                            spare_schema_create()  # what the background job does
                        refill_times.append(elapsed())
                    elif spares.exists():
                        raise RuntimeError("a spare schema is left: the pool-empty path would not clone")
                    parts.clear()
                    with c.stopwatch() as elapsed:
                        create(f"bench-{level}-{'s' if path == 'spare ready' else 'c'}{index}")
                    total = elapsed()
                    totals.append(total)
                    for label in PARTS:
                        breakdown[label].append(parts[label])
                    breakdown["rest"].append(total - sum(parts[label] for label in PARTS))
                s = c.summary([c.ms(t) for t in totals])
                rows.append(
                    [existing, path, s["n"], s["median"], s["p95"], s["min"], s["max"]]
                    + [c.ms(c.summary(breakdown[k])["median"]) for k in (*PARTS, "rest")]
                )
            r = c.summary([c.ms(t) for t in refill_times])
            refills.append([existing, r["n"], r["median"], r["p95"], r["min"], r["max"], relations, f"{load:.1f}"])
            print(f"  measured at {existing} existing organisations", file=sys.stderr)
        print()
        print("Signup: organisation_create, ms (breakdown columns are medians of each part)")
        print(
            c.table(
                ["existing orgs", "path", "n", "median", "p95", "min", "max", "clone SQL", "fake migrate", "spare claim", "password", "rest"],
                rows,
            )
        )
        print()
        print("Spare refill (background job refill_spare_schemas, one spare_schema_create), ms")
        print(c.table(["existing orgs", "n", "median", "p95", "min", "max", "pg_class rows", "load avg at level start"], refills))
        print()
        for path in ("spare ready", "pool empty"):
            mine = [r for r in rows if r[1] == path]
            if len(mine) > 1 and mine[0][3]:
                print(f"Growth of the median, {path}: " + ", ".join(f"{r[0]} orgs x{r[3] / mine[0][3]:.2f}" for r in mine[1:]))
        if len(refills) > 1 and refills[0][2]:
            print("Growth of the median, spare refill: " + ", ".join(f"{r[0]} orgs x{r[2] / refills[0][2]:.2f}" for r in refills[1:]))
        print()
        for created, seconds in population:
            print(f"Population: {created} organisations in {seconds:.0f} s ({c.ms(seconds / created):.0f} ms each, wall clock).")
        print(f"Note: {c.POPULATION_NOTE.format(processes=args.processes)}.")
        print(f"Total organisations at the end: {Organisation.objects.filter(is_template=False).count()}.")
    finally:
        connection.close()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    main()
