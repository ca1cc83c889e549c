"""Benchmark of ``plans.services.credits_charge``: charges per second on ONE bilan budget with
1, 4 and 16 concurrent workers (threads, one PostgreSQL connection each, one transaction per
charge) against the real PostgreSQL, then the books are checked: every wallet/budget balance
equals the sum of its ledger entries and of its lots, the budget lost exactly the sum of the
charges, and an over-subscribed run never overdraws.

Standalone: it drops and recreates its own database (``BENCH_CREDITS_DATABASE_URL``, default
``postgresql://postgres@127.0.0.1:5432/bilans_bench_credits``; the name must contain "bench").

    .venv/bin/python bench/credits_charge.py [--charges 1500] [--workers 1,4,16] [--keep]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench_credits"
ACTION, COST = "document_action_plan", 15


def database_url() -> str:
    url = os.environ.get("BENCH_CREDITS_DATABASE_URL", DEFAULT_URL)
    if "bench" not in urlsplit(url).path:
        raise SystemExit("refusing to drop a database whose name does not contain 'bench'")
    return url


def database_reset(url: str, *, drop_only: bool = False) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": "bench",
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "consolemail://",
            "STRIPE_SECRET_KEY": "",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_schemas", interactive=False, verbosity=0)


def organisation_make():
    from plans.migrations._seed import seed_plans
    from tenants.services import organisation_create

    seed_plans()
    return organisation_create(
        name="Organisme du banc d'essai", slug="banc-credits", kind="training_organisation", admin_email="admin@banc.example.org", admin_password=None
    ).organisation


def budget_make(organisation, credits: int) -> uuid.UUID:
    from plans.models import CreditLot
    from plans.services import credits_grant, forfait_allocate

    bilan_id = uuid.uuid4()
    credits_grant(
        organisation=organisation, amount=credits, source=CreditLot.Source.PURCHASE, idempotency_key=f"bench-fund:{bilan_id}", expires_at=None
    )
    forfait_allocate(
        organisation=organisation, bilan_id=bilan_id, forfait_code="entreprise", actor=None,
        idempotency_key=f"bench-alloc:{bilan_id}", credits=max(credits, 1000),
    )
    return bilan_id


def run(organisation, bilan_id, *, workers: int, charges: int) -> dict:
    """``charges`` attempts shared by ``workers`` threads; returns counts and latencies."""
    from django.db import connections

    from config.errors import PaymentRequired
    from plans.services import credits_charge

    per_worker = [charges // workers + (1 if i < charges % workers else 0) for i in range(workers)]
    latencies: list[float] = []
    counts = {"ok": 0, "refused": 0, "errors": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(workers + 1)

    def work(index: int) -> None:
        mine, ok, refused, errors = [], 0, 0, 0
        barrier.wait()
        for n in range(per_worker[index]):
            start = time.perf_counter()
            try:
                credits_charge(
                    organisation=organisation, bilan_id=bilan_id, action_code=ACTION, actor=None, idempotency_key=f"bench:{bilan_id}:{index}:{n}"
                )
                ok += 1
            except PaymentRequired:
                refused += 1
            except Exception:
                errors += 1
            mine.append(time.perf_counter() - start)
        connections.close_all()
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["refused"] += refused
            counts["errors"] += errors

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        **counts,
        "seconds": elapsed,
        "per_second": counts["ok"] / elapsed if elapsed else 0.0,
        "median_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
    }


def books_check(organisation, bilan_id, *, allocated: int, expected_ok: int) -> list[str]:
    from django.db.models import Sum

    from plans.models import CreditAccount, LedgerEntry
    from plans.selectors import ledger_balances_check

    problems = ledger_balances_check()
    budget = CreditAccount.objects.get(organisation=organisation, bilan_id=bilan_id)
    charged = LedgerEntry.objects.filter(organisation=organisation, kind="charge", bilan_id=bilan_id).aggregate(
        total=Sum("amount"), n=Sum(1)
    )
    total = charged["total"] or 0
    if budget.balance < 0:
        problems.append(f"budget overdrawn: {budget.balance}")
    if total != allocated - budget.balance:
        problems.append(f"charges {total} != budget consumed {allocated - budget.balance}")
    if total != expected_ok * COST:
        problems.append(f"charges {total} != successful calls {expected_ok} x {COST}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charges", type=int, default=1500, help="charges per configuration (default 1500)")
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = database_url()
    database_reset(url)
    started = time.perf_counter()
    django_setup(url)
    organisation = organisation_make()
    print("== credits_charge: charges per second on one bilan budget ==")
    print(
        f"date {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"database {urlsplit(url).path.lstrip('/')}, setup {time.perf_counter() - started:.1f} s, "
        f"{args.charges} charges of {COST} credits per configuration, one transaction per charge, threads"
    )
    header = f"{'workers':>7}  {'charges/s':>9}  {'median ms':>9}  {'p95 ms':>7}  {'ok':>5}  {'refused':>7}  {'errors':>6}  books"
    print(header)
    print("-" * len(header))
    failed = False
    for workers in [int(w) for w in args.workers.split(",")]:
        allocated = args.charges * COST + 100
        bilan_id = budget_make(organisation, allocated)
        result = run(organisation, bilan_id, workers=workers, charges=args.charges)
        problems = books_check(organisation, bilan_id, allocated=allocated, expected_ok=result["ok"])
        failed |= bool(problems) or result["errors"] > 0 or result["ok"] != args.charges
        print(
            f"{workers:>7}  {result['per_second']:>9.1f}  {result['median_ms']:>9.2f}  {result['p95_ms']:>7.2f}  {result['ok']:>5}  "
            f"{result['refused']:>7}  {result['errors']:>6}  {'OK' if not problems else '; '.join(problems)}"
        )
    # Over-subscribed: 16 workers want twice what the budget holds; it must stop exactly at zero.
    budget_credits = (args.charges // 2) * COST
    bilan_id = budget_make(organisation, budget_credits)
    from plans.models import CreditAccount

    allocated = CreditAccount.objects.get(bilan_id=bilan_id).balance
    result = run(organisation, bilan_id, workers=16, charges=args.charges)
    problems = books_check(organisation, bilan_id, allocated=allocated, expected_ok=result["ok"])
    balance = CreditAccount.objects.get(bilan_id=bilan_id).balance
    expected_ok = allocated // COST
    if result["ok"] != expected_ok or balance != allocated - expected_ok * COST:
        problems.append(f"expected {expected_ok} successful charges, got {result['ok']} (balance {balance})")
    failed |= bool(problems)
    print(
        f"over-subscribed, 16 workers: {result['ok']} charged, {result['refused']} refused (402), final budget balance {balance} "
        f"of {allocated}: {'OK, never overdrawn' if not problems else '; '.join(problems)}"
    )
    from plans.selectors import ledger_balances_check

    print(f"final check, every balance = sum of its entries = sum of its lots: {'OK' if not ledger_balances_check() else 'MISMATCH'}")
    from django.db import connections

    connections.close_all()
    if not args.keep:
        database_reset(url, drop_only=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
