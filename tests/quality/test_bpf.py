"""BPF figures of a fiscal year (BPF-05)."""
from __future__ import annotations

import csv
import io


def test_bpf_worked_example(worked_example, in_a):
    """BPF-05: revenue excl. VAT by funding source on the fiscal year (credit notes deducted,
    next year excluded), beneficiaries by type and hours, consultants and their hours; charges
    marked as needing accounting input."""
    from bilans.quality.bpf import bpf_csv, bpf_report

    report = bpf_report(year=2026)
    lines = {line.code: line for line in report.lines}
    assert lines["C-2e"].value == 160000  # CPF
    assert lines["C-1"].value == 180000  # employer, less the 200 € credit note
    assert lines["C-9"].value == 90000  # individual (the 2027 invoice is in the next fiscal year)
    assert lines["C-total"].value == 430000
    assert lines["D-total"].needs_input and lines["D-total"].value is None
    assert (lines["E-internal-n"].value, lines["E-internal-h"].value) == (1, 26.0)
    assert (lines["F1-a"].value, lines["F1-b"].value, lines["F1-c"].value) == (2, 1, 1)
    assert (lines["F1-a-h"].value, lines["F1-b-h"].value, lines["F1-c-h"].value) == (18.0, 2.0, 6.0)
    assert (lines["F1-total"].value, lines["F3-bc-h"].value) == (4, 26.0)
    rows = list(csv.reader(io.StringIO(bpf_csv(report).decode("utf-8-sig")), delimiter=";"))
    assert rows[0][5] == "À compléter par la comptabilité"
    marked = {row[1] for row in rows[1:] if row[5] == "oui"}
    assert {"D-total", "D-salaries", "D-purchases", "F2", "G"} <= marked
    assert next(row for row in rows if row[1] == "C-total")[3] == "4300,00"


def test_bpf_downloads(worked_example, in_a):
    client = in_a.client(in_a.admin)
    pdf = client.get("/qualite/bpf/bpf-2026.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    data = client.get("/qualite/bpf/bpf-2026.csv")
    assert data.status_code == 200 and "C-total" in data.content.decode("utf-8-sig")
    assert in_a.client(in_a.consultant).get("/qualite/bpf/bpf-2026.csv").status_code == 403


def test_bpf_excludes_prospects_and_reads_subcontracted_hours_of_the_year(worked_example, in_a):
    """BPF-05: a prospect (preliminary interview only, no bilan agreed) is not a trainee and its
    hours are not training hours; F-2 comes from the subcontractor register for the fiscal year
    (12,5 h and 2 trainees in 2026; the 40 h of 2025 are another year), « à compléter » without data."""
    from bilans.models import Bilan, Session
    from bilans.quality.bpf import bpf_report
    from bilans.quality.services import register_add
    from tests.bilans.factories import BeneficiaryFactory
    from tests.quality.conftest import at

    prospect = Bilan.objects.create(beneficiary=BeneficiaryFactory(), consultant=in_a.consultant, status="prospect")
    Session.objects.create(bilan=prospect, kind="accompaniment", starts_at=at(2026, 10, 5, 9), duration_minutes=60, attendance="attended")
    lines = {line.code: line for line in bpf_report(year=2026).lines}
    assert (lines["F1-total"].value, lines["F3-bc-n"].value, lines["F3-bc-h"].value) == (4, 4, 26.0)
    assert lines["E-internal-h"].value == 26.0
    assert lines["F2"].value is None and lines["F2"].needs_input and lines["F2"].display == "à compléter"

    register_add(actor=in_a.admin, model="partner", kind="subcontractor", name="Cabinet Orientation Sud", hours="12.50", trainees=2, fiscal_year=2026)
    register_add(actor=in_a.admin, model="partner", kind="subcontractor", name="Bilans Ouest", hours="40", trainees=5, fiscal_year=2025)
    register_add(actor=in_a.admin, model="partner", kind="disability", name="Cap emploi 75", hours="3", fiscal_year=2026)
    lines = {line.code: line for line in bpf_report(year=2026).lines}
    assert (lines["F2"].value, lines["F2"].needs_input) == (12.5, False) and "2 stagiaire" in lines["F2"].note
    page = in_a.client(in_a.admin).get("/qualite/bpf/?annee=2026").content.decode()
    assert "12,5 h" in page
