"""Qualiopi audit bundle, BPF and FEC for an organisation with 5,000 bilans.

Standalone: uses its own database ``BILLING_BENCH_DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/bilans_bench_billing``), dropped and recreated at start.
Creates one organisation (tenants.services.organisation_create) and bulk-inserts, over the 2026
fiscal year: 40 consultants with qualifications, 5,000 beneficiaries and bilans spread over the
statuses, 10 sessions per bilan (50,000), 2 objectives per bilan, a satisfaction survey per
ended bilan, one issued invoice per bilan (funders: CPF, OPCO, employer, beneficiary) with a
payment for two out of three, registers (complaints, actions, watch, partners). Bulk-inserted
invoices carry no PDF; the Factur-X issue itself is measured on a few invoices through the
service (numbering, mentions, CII XML, schema check, PDF/A-3).

Measures (DEBUG off, in-process): coverage of the 32 indicators, the audit bundle ZIP (index PDF
+ evidence CSVs), the BPF report with its CSV and PDF, the FEC, and issuing one Factur-X invoice.

    .venv/bin/python bench/billing_bpf.py [--quick] [--keep]
"""
from __future__ import annotations

import argparse
import io
import os
import random
import sys
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import _common as c

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bilans_bench_billing"
SLUG = "bench-billing"
PARIS = ZoneInfo("Europe/Paris")
NEWLINE = b"\n"


def populate(bilans: int, sessions_per_bilan: int, consultants: int) -> dict:
    from django_tenants.utils import tenant_context

    from bilans.billing.models import BillingDocument, BillingLine, DocumentCounter, Funder, Payment
    from bilans.billing.services import funder_cdc
    from bilans.models import Beneficiary, Bilan, Objective, SatisfactionSurvey, Session
    from bilans.quality.models import Complaint, ImprovementAction, Partner, StaffQualification, WatchEntry
    from organisations.accounts.models import Role, User
    from tenants.models import Organisation
    from tenants.services import organisation_create, template_schema_ensure

    template_schema_ensure()
    created = organisation_create(
        name="Organisme du banc facturation", slug=SLUG, kind="training_organisation", admin_email=f"admin@{SLUG}.example.org", admin_password=None
    )
    organisation, admin = created.organisation, created.administrator
    Organisation.objects.filter(pk=organisation.pk).update(
        siret="12345678900021", activity_declaration_number="11755555575", activity_declaration_region="Île-de-France", vat_exempt=True
    )
    organisation.refresh_from_db()
    rng = random.Random(42)
    statuses = ["finished"] * 5 + ["follow_up_done", "closed", "abandoned", "investigation", "conclusions"]
    with tenant_context(organisation):
        staff = User.objects.bulk_create(
            [User(email=f"consultant{i}@{SLUG}.example.org", role=Role.CONSULTANT, first_name="Consultant", last_name=str(i), password="!") for i in range(consultants)]
        )
        StaffQualification.objects.bulk_create([StaffQualification(user=u, kind="diploma", title="Master psychologie du travail") for u in staff])
        people = Beneficiary.objects.bulk_create(
            [
                Beneficiary(first_name=f"Prénom{i}", last_name=f"Nom{i:05d}", email=f"b{i}@{SLUG}.example.org", consultant=staff[i % consultants],
                            situation=rng.choice(["employee", "employee", "jobseeker", ""]))
                for i in range(bilans)
            ],
            batch_size=2000,
        )
        rows = []
        for i, person in enumerate(people):
            status = statuses[i % len(statuses)]
            started = datetime(2026, 1, 5, 9, tzinfo=PARIS) + timedelta(days=rng.randint(0, 250))
            ended = started + timedelta(days=rng.randint(40, 90)) if status not in ("investigation", "conclusions") else None
            rows.append(
                Bilan(
                    beneficiary=person, consultant=person.consultant, status=status, started_at=started, ended_at=ended,
                    information_delivered_at=started, abandon_reason="Déménagement" if status == "abandoned" else "",
                )
            )
        bilan_rows = Bilan.objects.bulk_create(rows, batch_size=2000)
        sessions = []
        for bilan in bilan_rows:
            for k in range(sessions_per_bilan):
                sessions.append(
                    Session(bilan=bilan, kind="accompaniment", starts_at=bilan.started_at + timedelta(days=4 * k), duration_minutes=120,
                            attendance="attended" if k < sessions_per_bilan - 1 else rng.choice(["attended", "absent", "planned"]))
                )
        Session.objects.bulk_create(sessions, batch_size=5000)
        Objective.objects.bulk_create(
            [Objective(bilan=b, text=f"Objectif {k}", position=k, achieved=True if b.ended_at else None) for b in bilan_rows for k in range(2)], batch_size=5000
        )
        SatisfactionSurvey.objects.bulk_create(
            [SatisfactionSurvey(bilan=b, kind="immediate", scheduled_for=b.ended_at, answered_at=b.ended_at, score=rng.choice([3, 4, 4, 5, 5]))
             for b in bilan_rows if b.ended_at],
            batch_size=5000,
        )
        cdc = funder_cdc(actor=admin)
        funders = [cdc] + Funder.objects.bulk_create(
            [Funder(kind="opco", name="OPCO EP", siren="851296632", account_code="411OPCO"),
             Funder(kind="employer", name="ACME", siren="552100554", account_code="411ACME")]
        )
        personal = Funder.objects.bulk_create(
            [Funder(kind="beneficiary", name=p.full_name, beneficiary=p, account_code=f"4119{i:05d}") for i, p in enumerate(people[: bilans // 4])]
        )
        documents, lines, payments = [], [], []
        for n, bilan in enumerate(bilan_rows, start=1):
            funder = personal[n - 1] if n - 1 < len(personal) else funders[n % 3]
            issued = min((bilan.ended_at or bilan.started_at).date(), date(2026, 12, 31))
            amount = 160000 if funder.kind == "cpf" else rng.choice([150000, 180000, 200000])
            documents.append(
                BillingDocument(
                    kind="invoice", status="draft", number=f"FA-2026-{n:05d}", year=2026, sequence=n, bilan=bilan, funder=funder, issued_on=issued,
                    due_on=issued + timedelta(days=30), total_ht_cents=amount, vat_cents=0, total_ttc_cents=amount,
                    seller={"name": organisation.name, "siren": organisation.siren}, buyer={"name": funder.name, "siren": funder.siren},
                )
            )
        BillingDocument.objects.bulk_create(documents, batch_size=2000)
        for document in documents:
            lines.append(BillingLine(document=document, label="Bilan de compétences", unit_price_cents=document.total_ht_cents, total_cents=document.total_ht_cents))
            if rng.random() < 0.66:
                payments.append(Payment(invoice=document, amount_cents=document.total_ttc_cents, received_on=document.issued_on + timedelta(days=rng.randint(5, 40))))
        BillingLine.objects.bulk_create(lines, batch_size=5000)  # lines first: the trigger refuses lines on issued invoices
        BillingDocument.objects.filter(kind="invoice", status="draft").update(status="issued")
        Payment.objects.bulk_create(payments, batch_size=5000)
        DocumentCounter.objects.create(kind="invoice", year=2026, last_number=len(documents))
        complaints = Complaint.objects.bulk_create(
            [Complaint(received_on=date(2026, rng.randint(1, 11), 10), source="beneficiary", subject="Retard de rendez-vous", bilan=rng.choice(bilan_rows),
                       answer_due_on=date(2026, 12, 1), status="closed", response="Réponse apportée", closed_on=date(2026, 12, 1)) for _ in range(40)]
        )
        ImprovementAction.objects.bulk_create(
            [ImprovementAction(title="Rappel la veille", origin="complaint", complaint=c_, decided_on=c_.received_on) for c_ in complaints[:20]]
        )
        WatchEntry.objects.bulk_create(
            [WatchEntry(kind=k, dated=date(2026, m, 1), source="Légifrance", summary="Veille", action_taken="Diffusée") for k in ("legal", "jobs", "innovation") for m in range(1, 12)]
        )
        Partner.objects.bulk_create([Partner(kind="disability", name="Cap emploi"), Partner(kind="subcontractor", name="Cabinet associé", hours=120)])
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"organisation": organisation, "admin": admin, "bilans": len(bilan_rows), "sessions": len(sessions), "invoices": len(documents),
            "payments": len(payments), "employer": funders[2], "bilan": bilan_rows[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="500 bilans")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    bilans = 500 if args.quick else 5000
    url = os.environ.get("BILLING_BENCH_DATABASE_URL", DEFAULT_URL)
    if "bench" not in url.rsplit("/", 1)[-1]:
        raise SystemExit("refusing to drop a database whose name does not contain 'bench'")

    from cryptography.fernet import Fernet

    c.django_setup(url, FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode())
    c.header("Qualiopi audit bundle, BPF and FEC", bilans=bilans, sessions=bilans * 10)
    try:
        with c.stopwatch() as elapsed:
            data = populate(bilans, 10, consultants=40)
        print(f"population: {data['bilans']} bilans, {data['sessions']} sessions, {data['invoices']} invoices, {data['payments']} payments in {elapsed():.1f} s")
        from django_tenants.utils import tenant_context

        from bilans.billing.exports import fec_export
        from bilans.billing.services import invoice_create, invoice_issue
        from bilans.quality.bpf import bpf_csv, bpf_pdf, bpf_report
        from bilans.quality.bundle import build_audit_bundle
        from bilans.quality.selectors import coverage

        start, end = date(2026, 1, 1), date(2026, 12, 31)
        rows = []
        with tenant_context(data["organisation"]):
            def measure(label, fn, repeat=3, describe=lambda r: ""):
                values, result = [], None
                for _ in range(repeat):
                    with c.stopwatch() as t:
                        result = fn()
                    values.append(c.ms(t()))
                s = c.summary(values)
                rows.append([label, s["n"], s["median"], s["max"], describe(result)])
                return result

            measure("coverage of the 32 indicators", lambda: coverage(start=start, end=end),
                    describe=lambda r: f"{sum(s.status == 'covered' for s in r)} covered")
            bundle = measure("audit bundle ZIP (index PDF + evidence)", lambda: build_audit_bundle(start=start, end=end, organisation_name="Bench"),
                             describe=lambda r: f"{len(r) / 1024:.0f} KiB")
            archive = zipfile.ZipFile(io.BytesIO(bundle))
            sessions_csv = archive.read("indicateur-10/seances.csv").decode("utf-8-sig").count("\n") - 1
            report = measure("BPF report", lambda: bpf_report(year=2026),
                             describe=lambda r: f"revenue {next(l.value for l in r.lines if l.code == 'C-total') / 100:,.0f} EUR")
            measure("BPF CSV", lambda: bpf_csv(report), describe=lambda r: f"{len(r)} bytes")
            measure("BPF PDF", lambda: bpf_pdf(report, organisation=data["organisation"]), describe=lambda r: f"{len(r) / 1024:.0f} KiB")
            measure("FEC of the fiscal year", lambda: fec_export(year=2026), describe=lambda r: f"{r[1].count(NEWLINE) - 1} lines")

            def issue_one():
                draft = invoice_create(actor=data["admin"], bilan=data["bilan"], funder=data["employer"],
                                       lines=[{"label": "Bilan de compétences", "unit_price_cents": 180000}])
                return invoice_issue(actor=data["admin"], invoice=draft, today=date(2026, 12, 31))

            measure("issue one Factur-X invoice", issue_one, repeat=10, describe=lambda r: f"{r.number}, {len(bytes(r.pdf)) / 1024:.0f} KiB")
        print(c.table(["operation", "n", "median ms", "max ms", "result"], rows))
        print(f"audit bundle: {len(archive.namelist())} files, {sessions_csv} session rows in indicateur-10/seances.csv")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            c.database_drop(url)


if __name__ == "__main__":
    sys.path.insert(0, str(c.ROOT))
    main()
