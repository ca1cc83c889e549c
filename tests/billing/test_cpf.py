"""CPF specifics: participation forfaitaire (CPF-05), cap (CPF-04), 5-year rule (CPF-03), EDOF
deadlines (CPF-06)."""
from __future__ import annotations

from datetime import date

import pytest

from config.errors import InvalidInput


def test_participation_forfaitaire_is_dated_data():
    """CPF-05: 100 € from 2 May 2024, 102,23 € in 2025, 103,20 € in 2026; not due when exempt."""
    from bilans.billing.cpf import participation_forfaitaire_cents

    assert participation_forfaitaire_cents(on=date(2024, 5, 1)) == 0
    assert participation_forfaitaire_cents(on=date(2024, 5, 2)) == 10000
    assert participation_forfaitaire_cents(on=date(2025, 6, 1)) == 10223
    assert participation_forfaitaire_cents(on=date(2026, 11, 21)) == 10320
    for exemption in ("jobseeker", "employer_top_up", "c2p", "atmp"):
        assert participation_forfaitaire_cents(on=date(2026, 11, 21), exemption=exemption) == 0


def test_cpf_split_caps_rights_at_1600_euros():
    """CPF-04: at most 1 600 € of CPF rights per bilan, the rest is paid by someone else."""
    from bilans.billing.cpf import cpf_split

    assert cpf_split(price_cents=200000, rights_cents=300000) == (160000, 40000)
    assert cpf_split(price_cents=150000, rights_cents=300000) == (150000, 0)
    assert cpf_split(price_cents=200000, rights_cents=50000) == (50000, 150000)


def test_cpf_invoice_needs_the_five_year_declaration(in_a, bilan):
    """CPF-03: no CPF invoice without the beneficiary's declaration; refused when a bilan was
    funded in the previous five years. CPF-05: the participation is recorded with its amount."""
    from bilans.billing.services import cpf_declaration_record, funder_cdc, invoice_create

    cdc = funder_cdc(actor=in_a.admin)
    line = [{"label": "Bilan de compétences", "unit_price_cents": 150000}]
    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=line)
    assert error.value.code == "cpf_five_year_declaration_missing"
    cpf_declaration_record(actor=in_a.admin, bilan=bilan, previous_bilan_within_five_years=True, confirmed_on=date(2026, 11, 2))
    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=line)
    assert error.value.code == "cpf_five_year_rule"
    cpf_file = cpf_declaration_record(
        actor=in_a.admin, bilan=bilan, previous_bilan_within_five_years=False, edof_number="EDOF-123", confirmed_on=date(2026, 11, 2)
    )
    assert cpf_file.participation_cents == 10320
    invoice = invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=line)
    assert invoice.total_ttc_cents == 150000


def test_cpf_cap_across_invoices_and_quote_split(in_a, bilan, employer, opco):
    """CPF-04: the CPF part of a bilan never exceeds 1 600 €; a 2 000 € quote is split between
    the CPF (1 600 €) and the employer's OPCO by subrogation (400 €), giving two invoices."""
    from bilans.billing.services import (
        cpf_declaration_record,
        funder_cdc,
        invoice_create,
        invoice_issue,
        quote_accept,
        quote_create,
        quote_issue,
    )

    cdc = funder_cdc(actor=in_a.admin)
    cpf_declaration_record(actor=in_a.admin, bilan=bilan, previous_bilan_within_five_years=False, edof_number="EDOF-9")
    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=[{"label": "Bilan", "unit_price_cents": 160001}])
    assert error.value.code == "cpf_cap_exceeded"
    with pytest.raises(InvalidInput):
        quote_create(
            actor=in_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan", "unit_price_cents": 200000}],
            shares=[{"funder": cdc, "amount_cents": 180000}, {"funder": opco, "amount_cents": 20000}],
        )
    quote = quote_create(
        actor=in_a.admin, bilan=bilan, funder=employer, lines=[{"label": "Bilan de compétences 24 h", "unit_price_cents": 200000}],
        shares=[
            {"funder": cdc, "amount_cents": 160000},
            {"funder": opco, "amount_cents": 40000, "subrogation": True, "on_behalf_of": employer},
        ],
    )
    quote = quote_issue(actor=in_a.admin, quote=quote, today=date(2026, 11, 2))
    assert quote.number == "DE-2026-00001" and quote.valid_until == date(2026, 12, 2)
    assert any(m["text"].startswith("Déclaration d'activité enregistrée") for m in quote.mentions)  # CT-18 on quotes too
    invoices = quote_accept(actor=in_a.admin, quote=quote)
    assert sorted((i.funder.kind, i.total_ttc_cents, i.subrogation) for i in invoices) == [("cpf", 160000, False), ("opco", 40000, True)]
    issued = [invoice_issue(actor=in_a.admin, invoice=i, today=date(2026, 11, 30)) for i in invoices]
    cpf_invoice = next(i for i in issued if i.funder.kind == "cpf")
    assert any("compte personnel de formation – dossier EDOF n° EDOF-9" in m["text"] for m in cpf_invoice.mentions)
    with pytest.raises(InvalidInput):
        invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=[{"label": "Supplément", "unit_price_cents": 100}])


def test_edof_deadlines_are_three_working_days(in_a, bilan):
    """CPF-06: entry and exit are declared on EDOF within 3 working days (weekends and public
    holidays excluded): reminders with their deadline until declared."""
    from bilans.billing.cpf import add_working_days
    from bilans.billing.selectors import edof_reminders
    from bilans.billing.services import cpf_edof_record

    assert add_working_days(date(2026, 11, 6), 3) == date(2026, 11, 12)  # Fri → Mon, Tue, (Wed 11/11 holiday), Thu
    assert add_working_days(date(2026, 12, 24), 3) == date(2026, 12, 30)
    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="entry", on=date(2026, 11, 6))
    reminders = edof_reminders(today=date(2026, 11, 12))
    assert [(r.event, r.due_on, r.overdue) for r in reminders] == [("entry", date(2026, 11, 12), False)]
    assert edof_reminders(today=date(2026, 11, 13))[0].overdue
    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="entry", on=date(2026, 11, 6), declared=True)
    assert edof_reminders(today=date(2026, 11, 13)) == []
    with pytest.raises(InvalidInput):
        cpf_edof_record(actor=in_a.admin, bilan=bilan, event="exit", on=date(2026, 11, 1))
    with pytest.raises(InvalidInput):
        cpf_edof_record(actor=in_a.admin, bilan=bilan, event="service_done", on=date(2026, 12, 18), completion_percent=80)
    cpf_file = cpf_edof_record(
        actor=in_a.admin, bilan=bilan, event="service_done", on=date(2026, 12, 18), completion_percent=80, partial_reason="abandon",
        undelivered_minutes=240,
    )
    assert (cpf_file.completion_percent, cpf_file.partial_reason, cpf_file.undelivered_minutes) == (80, "abandon", 240)


def test_edof_reminders_notify_administrators_once_a_day(in_a, bilan):
    """CPF-06: a pending EDOF declaration becomes a notification for the administrators."""
    from bilans.billing.services import cpf_edof_record
    from bilans.billing.tasks import edof_reminders_notify
    from organisations.models import Notification

    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="exit", on=date(2026, 11, 16))
    assert edof_reminders_notify(today=date(2026, 11, 19)) >= 1
    assert edof_reminders_notify(today=date(2026, 11, 19)) == 0
    notification = Notification.objects.get(recipient=in_a.admin, kind="edof_reminder")
    assert notification.title == "EDOF : déclarer la sortie d'un bénéficiaire avant le 19/11/2026"
    assert edof_reminders_notify(today=date(2026, 11, 20)) >= 1  # late: one more
    assert Notification.objects.filter(recipient=in_a.admin, kind="edof_reminder", title__startswith="En retard").count() == 1


def test_cpf_bills_only_accompaniment_hours(in_a, bilan):
    """CPF-02: hours billed to the CPF cannot exceed the planned individual accompaniment
    (18 h here; the 6 h of guided personal work are excluded)."""
    from bilans.billing.services import cpf_declaration_record, funder_cdc, invoice_create

    cdc = funder_cdc(actor=in_a.admin)
    cpf_declaration_record(actor=in_a.admin, bilan=bilan, previous_bilan_within_five_years=False)
    with pytest.raises(InvalidInput) as error:
        invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=[{"label": "Heures", "unit": "HUR", "quantity": 24, "unit_price_cents": 6000}])
    assert error.value.code == "cpf_hours_exceed_accompaniment"
    invoice = invoice_create(actor=in_a.admin, bilan=bilan, funder=cdc, lines=[{"label": "Heures d'accompagnement", "unit": "HUR", "quantity": 18, "unit_price_cents": 8000}])
    assert invoice.total_ttc_cents == 144000
