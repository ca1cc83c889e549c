"""Accounting exports: FEC (EI-06) and the CSV for accounting tools."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from tests.billing.conftest import issue_invoice


def _cents(text: str) -> int:
    euros, cents = text.split(",")
    return int(euros) * 100 + int(cents)


def test_fec_worked_example_balances(in_a, bilan, employer, opco):
    """EI-06: file named SirenFECAAAAMMJJ after the closing date, the 18 fields in order,
    chronological entries, each entry balanced and debit = credit overall, with only the
    fiscal year's operations."""
    from bilans.billing.exports import FEC_FIELDS, fec_export
    from bilans.billing.services import credit_note_create, payment_record

    a = issue_invoice(in_a, bilan, employer, cents=180000, today=date(2026, 3, 10))
    b = issue_invoice(in_a, bilan, opco, cents=40000, today=date(2026, 6, 1))
    credit_note_create(actor=in_a.admin, invoice=b, reason="Remise", amount_cents=10000, today=date(2026, 6, 15))
    payment_record(actor=in_a.admin, invoice=a, amount_cents=180000, received_on=date(2026, 4, 2))
    issue_invoice(in_a, bilan, employer, cents=99900, today=date(2027, 1, 5))  # next fiscal year

    name, content = fec_export(year=2026)
    assert name == "123456789FEC20261231.txt"
    rows = [line.split("\t") for line in content.decode("utf-8").split("\r\n") if line]
    assert tuple(rows[0]) == FEC_FIELDS and len(FEC_FIELDS) == 18
    body = [dict(zip(FEC_FIELDS, row)) for row in rows[1:]]
    assert all(len(row) == 18 for row in rows)
    assert len(body) == 2 + 2 + 2 + 2  # 2 invoices, 1 credit note, 1 payment: two lines each (no VAT)
    assert sum(_cents(r["Debit"]) for r in body) == sum(_cents(r["Credit"]) for r in body) == 180000 + 40000 + 10000 + 180000
    per_entry = defaultdict(int)
    for r in body:
        per_entry[r["EcritureNum"]] += _cents(r["Debit"]) - _cents(r["Credit"])
    assert set(per_entry.values()) == {0}
    assert [r["EcritureDate"] for r in body] == sorted(r["EcritureDate"] for r in body)
    assert {r["JournalCode"] for r in body} == {"VE", "BQ"}
    credit_note = [r for r in body if r["PieceRef"].startswith("AV-")]
    assert {(r["CompteNum"], r["Debit"], r["Credit"]) for r in credit_note} == {("411000", "0,00", "100,00"), ("706000", "100,00", "0,00")}
    assert all(r["CompAuxNum"] for r in body if r["CompteNum"] == "411000")


def _fec_rows(year: int) -> list[dict]:
    from bilans.billing.exports import FEC_FIELDS, fec_export

    _, content = fec_export(year=year)
    rows = [line.split("\t") for line in content.decode("utf-8").split("\r\n") if line]
    assert tuple(rows[0]) == FEC_FIELDS and all(len(row) == 18 for row in rows)
    return [dict(zip(FEC_FIELDS, row)) for row in rows[1:]]


def _assert_balanced(body: list[dict]) -> None:
    per_entry = defaultdict(int)
    for r in body:
        per_entry[r["EcritureNum"]] += _cents(r["Debit"]) - _cents(r["Credit"])
    assert set(per_entry.values()) == {0}
    assert sum(_cents(r["Debit"]) for r in body) == sum(_cents(r["Credit"]) for r in body)


def test_fec_opening_entries_carry_open_receivables(in_a, bilan, employer, opco):
    """EI-06 à-nouveaux: an invoice issued in 2025 and paid in 2026 opens the 2026 FEC with an AN
    entry on 411 (the funder's auxiliary account, the invoice as piece) dated 1 January 2026,
    before every other entry; settled or credited invoices of 2025 carry nothing; the file still
    balances entry by entry and overall, with the 18 fields in order."""
    from bilans.billing.services import credit_note_create, payment_record

    open_one = issue_invoice(in_a, bilan, employer, cents=180000, today=date(2025, 11, 20))
    payment_record(actor=in_a.admin, invoice=open_one, amount_cents=30000, received_on=date(2025, 12, 15))  # partly paid in 2025
    settled = issue_invoice(in_a, bilan, opco, cents=40000, today=date(2025, 10, 1))
    payment_record(actor=in_a.admin, invoice=settled, amount_cents=40000, received_on=date(2025, 10, 20))
    cancelled = issue_invoice(in_a, bilan, opco, cents=25000, today=date(2025, 12, 1))
    credit_note_create(actor=in_a.admin, invoice=cancelled, reason="Annulation", today=date(2025, 12, 2))
    payment_record(actor=in_a.admin, invoice=open_one, amount_cents=150000, received_on=date(2026, 1, 12))  # the rest in 2026
    issue_invoice(in_a, bilan, employer, cents=50000, today=date(2026, 2, 3))

    body = _fec_rows(2026)
    opening = [r for r in body if r["JournalCode"] == "AN"]
    assert body[: len(opening)] == opening  # the à-nouveaux come first
    assert {(r["CompteNum"], r["CompAuxNum"], r["Debit"], r["Credit"]) for r in opening} == {
        ("411000", employer.account_code, "1500,00", "0,00"),
        ("890000", "", "0,00", "1500,00"),
    }
    assert {r["EcritureDate"] for r in opening} == {"20260101"}
    assert {(r["PieceRef"], r["PieceDate"], r["EcritureNum"]) for r in opening} == {(open_one.number, "20251120", "000001")}
    assert {r["JournalLib"] for r in opening} == {"À-nouveaux"}
    _assert_balanced(body)
    # 411 of the employer: opening 1 500 € + invoice 500 € − payment 1 500 € = 500 € still due.
    employer_411 = [r for r in body if r["CompteNum"] == "411000" and r["CompAuxNum"] == employer.account_code]
    assert sum(_cents(r["Debit"]) - _cents(r["Credit"]) for r in employer_411) == 50000
    assert [r["EcritureNum"] for r in body] == sorted(r["EcritureNum"] for r in body)
    assert [r["EcritureDate"] for r in body] == sorted(r["EcritureDate"] for r in body)

    # 2025's own FEC has no opening entry (nothing before it) and 2027's carries the 500 € left.
    assert not [r for r in _fec_rows(2025) if r["JournalCode"] == "AN"]
    opening_2027 = [r for r in _fec_rows(2027) if r["JournalCode"] == "AN" and r["CompteNum"] == "411000"]
    assert [(r["PieceRef"], r["Debit"]) for r in opening_2027] == [("FA-2026-00001", "500,00")]


def test_fec_opening_entry_of_a_refund_due_is_a_credit(in_a, bilan, employer):
    """A credit note after a full payment leaves a credit balance on 411 (a refund due): its
    à-nouveau is on the credit side, the counterpart on the debit side."""
    from bilans.billing.exports import fec_lines
    from bilans.billing.services import credit_note_create, payment_record

    invoice = issue_invoice(in_a, bilan, employer, cents=100000, today=date(2025, 6, 1))
    payment_record(actor=in_a.admin, invoice=invoice, amount_cents=100000, received_on=date(2025, 6, 20))
    credit_note_create(actor=in_a.admin, invoice=invoice, reason="Heures non réalisées", amount_cents=20000, today=date(2025, 7, 1))
    lines = [l for l in fec_lines(start=date(2026, 1, 1), end=date(2026, 12, 31)) if l.journal_code == "AN"]
    assert [(l.account, l.debit, l.credit) for l in lines] == [("411000", 0, 20000), ("890000", 20000, 0)]


def test_fec_with_vat_has_three_lines_per_invoice(cast_a):
    from django_tenants.utils import tenant_context

    from bilans.billing.exports import fec_lines
    from bilans.billing.services import funder_create
    from bilans.models import Bilan
    from tests.billing.conftest import set_identity, set_seller_address

    set_identity(cast_a.organisation, vat_exempt=False)
    with tenant_context(cast_a.organisation):
        set_seller_address(cast_a.admin)
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary)
        company = funder_create(actor=cast_a.admin, kind="employer", name="ACME", siren="552100554")
        issue_invoice(cast_a, bilan, company, cents=100000, today=date(2026, 5, 5))
        lines = fec_lines(start=date(2026, 1, 1), end=date(2026, 12, 31))
        assert [(l.account, l.debit, l.credit) for l in lines] == [("411000", 120000, 0), ("706000", 0, 100000), ("445710", 0, 20000)]


def test_accounting_csv(in_a, bilan, employer):
    from bilans.billing.exports import accounting_csv
    from bilans.billing.services import credit_note_create

    invoice = issue_invoice(in_a, bilan, employer, cents=123456, today=date(2026, 2, 3))
    credit_note_create(actor=in_a.admin, invoice=invoice, reason="Geste commercial", amount_cents=456, today=date(2026, 2, 4))
    content = accounting_csv(start=date(2026, 1, 1), end=date(2026, 12, 31)).decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["Date", "Numéro de pièce", "Type", "Client"]
    assert rows[1][:5] == ["03/02/2026", "FA-2026-00001", "Facture", "Boulangerie Martin SARL", "552100554"]
    assert rows[1][9] == "1234,56" and rows[2][9] == "-4,56"
