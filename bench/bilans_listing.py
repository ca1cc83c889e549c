"""Listing and opening bilans with 10,000 bilans and 100,000 sessions in one organisation.

Standalone: uses its own database ``BILANS_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/bilans_bench_bilans``), dropped and recreated at start.
Creates one organisation (tenants.services.organisation_create), then bulk-inserts 50
consultants, 10,000 beneficiaries, 10,000 bilans spread over the 8 statuses (10 objectives-free
bilans per consultant page…), 10 sessions per bilan (100,000) and a funding row per bilan, runs
ANALYZE, and measures the API routes in-process with Django's test client (full middleware
stack: tenant routing, token authentication, permission checks, serializers, JSON), sequential
requests, production-like settings (DEBUG off):

- ``GET /api/v1/bilans/`` first page, a deep page, filtered by status (administrator: 10,000
  visible; consultant: ~200 visible);
- ``GET /api/v1/bilans/<id>/`` of random bilans (hours summary over its sessions, progress,
  objectives, funding).

Every answer is checked (200 and the expected shape). Prints median and p95 in milliseconds.

    .venv/bin/python bench/bilans_listing.py [--quick] [--requests 200] [--keep]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone as dt_timezone

import _common as c

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench_bilans"
SLUG = "bench-bilans"


def populate(bilans: int, sessions_per_bilan: int, consultants: int) -> dict:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django_tenants.utils import tenant_context
    from organisations.services import api_token_create

    from bilans.models import Beneficiary, Bilan, FundingSource, Session
    from organisations.accounts.models import Role, User
    from tenants.services import organisation_create, template_schema_ensure

    template_schema_ensure()
    created = organisation_create(
        name="Organisme du banc d'essai", slug=SLUG, kind="training_organisation", admin_email=f"admin@{SLUG}.example.org", admin_password=None
    )
    organisation, admin = created.organisation, created.administrator
    statuses = [s for s, _ in Bilan.Status.choices]
    rng = random.Random(42)
    with tenant_context(organisation):
        TOTP.activate(admin, generate_totp_secret())  # administrators need 2FA (MfaRequiredMiddleware)
        staff = User.objects.bulk_create(
            [User(email=f"consultant{i}@{SLUG}.example.org", role=Role.CONSULTANT, first_name="Consultant", last_name=str(i), password="!") for i in range(consultants)]
        )
        people = Beneficiary.objects.bulk_create(
            [
                Beneficiary(first_name=f"Prénom{i}", last_name=f"Nom{i:05d}", email=f"b{i}@{SLUG}.example.org", consultant=staff[i % consultants])
                for i in range(bilans)
            ],
            batch_size=2000,
        )
        now = datetime.now(dt_timezone.utc)
        rows = []
        for i, person in enumerate(people):
            status = statuses[i % len(statuses)]
            rows.append(
                Bilan(
                    beneficiary=person,
                    consultant=person.consultant,
                    status=status,
                    abandon_reason="Déménagement" if status == "abandoned" else "",
                    planned_start=(now - timedelta(days=rng.randint(0, 400))).date(),
                )
            )
        bilan_rows = Bilan.objects.bulk_create(rows, batch_size=2000)
        FundingSource.objects.bulk_create(
            [FundingSource(bilan=b, kind=rng.choice(["cpf", "opco", "personal", "employer_plan"]), amount_cents=180000) for b in bilan_rows], batch_size=5000
        )
        batch = []
        for b in bilan_rows:
            start = now - timedelta(days=rng.randint(0, 400))
            for k in range(sessions_per_bilan):
                guided = k % 4 == 3
                batch.append(
                    Session(
                        bilan=b,
                        kind="guided_work" if guided else "accompaniment",
                        interview_type="" if guided else ("welcome" if k == 0 else "other"),
                        modality="autonomous" if guided else "video",
                        starts_at=start + timedelta(days=7 * k),
                        duration_minutes=120,
                        attendance="attended" if k % 2 else "planned",
                    )
                )
            if len(batch) >= 20000:
                Session.objects.bulk_create(batch, batch_size=5000)
                batch = []
        if batch:
            Session.objects.bulk_create(batch, batch_size=5000)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        tokens = {
            role: api_token_create(user=user, name="Banc d'essai", scope="read", validity_days=30).key
            for role, user in (("administrateur", admin), ("consultant", staff[0]))
        }
        ids = [str(b.pk) for b in bilan_rows]
        consultant_ids = [str(b.pk) for b in bilan_rows if b.consultant_id == staff[0].pk]
        counts = {"bilans": Bilan.objects.count(), "sessions": Session.objects.count()}
    return {"organisation": organisation, "tokens": tokens, "ids": ids, "consultant_ids": consultant_ids, **counts}


def measure(client, path: str, token: str, check) -> float:
    start = time.perf_counter()
    response = client.get(path, HTTP_AUTHORIZATION=f"Token {token}")
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.content[:300]!r}")
    check(response.json())
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 bilans, 10,000 sessions, 30 requests per route")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    bilans = 1000 if args.quick else 10_000
    per_bilan = 10
    requests = args.requests or (30 if args.quick else 200)
    url = os.environ.get("BILANS_BENCH_DATABASE_URL", DEFAULT_URL)
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop a database whose name does not contain 'bench'")

    from cryptography.fernet import Fernet

    c.django_setup(url, FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode())
    c.header("Bilans: API list and detail", bilans=bilans, sessions=bilans * per_bilan, requests_per_route=requests)
    try:
        with c.stopwatch() as elapsed:
            data = populate(bilans, per_bilan, consultants=50)
        print(f"population: {data['bilans']} bilans, {data['sessions']} sessions in {elapsed():.1f} s")
        from django.conf import settings
        from django.test import Client

        client = Client(HTTP_HOST=f"{SLUG}.{settings.PLATFORM_DOMAIN}")
        rng = random.Random(7)
        admin, consultant = data["tokens"]["administrateur"], data["tokens"]["consultant"]
        last_page = (data["bilans"] + 49) // 50

        def is_page(expected_min):
            def check(body):
                if body["count"] < expected_min or not body["results"]:
                    raise RuntimeError(f"unexpected page: {str(body)[:200]}")
            return check

        def is_detail(body):
            if "hours" not in body or body["hours"]["total_minutes"] <= 0:
                raise RuntimeError(f"unexpected detail: {str(body)[:200]}")

        routes = [
            ("GET /api/v1/bilans/ (administrateur, page 1)", lambda: ("/api/v1/bilans/", admin, is_page(data["bilans"]))),
            ("GET /api/v1/bilans/?page=N (administrateur, dernière page)", lambda: (f"/api/v1/bilans/?page={last_page}", admin, is_page(data["bilans"]))),
            ("GET /api/v1/bilans/?status=investigation (administrateur)", lambda: ("/api/v1/bilans/?status=investigation", admin, is_page(1))),
            ("GET /api/v1/bilans/ (consultant)", lambda: ("/api/v1/bilans/", consultant, is_page(1))),
            ("GET /api/v1/bilans/<id>/ (administrateur)", lambda: (f"/api/v1/bilans/{rng.choice(data['ids'])}/", admin, is_detail)),
            ("GET /api/v1/bilans/<id>/ (consultant)", lambda: (f"/api/v1/bilans/{rng.choice(data['consultant_ids'])}/", consultant, is_detail)),
        ]
        rows = []
        for label, make in routes:
            for _ in range(3):  # warm-up (connection, caches)
                measure(client, *make())
            values = [c.ms(measure(client, *make())) for _ in range(requests)]
            s = c.summary(values)
            rows.append([label, s["n"], s["median"], s["p95"], s["max"]])
        print(c.table(["route", "n", "median ms", "p95 ms", "max ms"], rows))
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    sys.path.insert(0, str(c.ROOT))
    main()
