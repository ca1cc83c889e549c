"""A worked example in organisation alpha: bilans in several states with sessions, objectives
and surveys, invoices to several funders."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from tests.billing.conftest import set_identity, set_seller_address

PARIS = ZoneInfo("Europe/Paris")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def in_a(cast_a):
    set_identity(cast_a.organisation)
    with tenant_context(cast_a.organisation):
        set_seller_address(cast_a.admin)
        yield cast_a


def isolate(cast) -> None:
    """Inside the test transaction (rolled back), move rows committed by earlier transactional
    tests of a reused test database out of every period, and deactivate their consultants, so
    that organisation-wide figures only see this worked example."""
    from bilans.models import Bilan, SatisfactionSurvey, Session
    from organisations.accounts.models import User

    far = at(2099, 1, 1)
    Bilan.objects.update(created_at=far, started_at=far, ended_at=far)
    Session.objects.update(starts_at=far)
    SatisfactionSurvey.objects.filter(answered_at__isnull=False).update(answered_at=far)
    User.objects.filter(role="consultant").exclude(pk__in=[cast.consultant.pk, cast.other_consultant.pk]).update(is_active=False)


@pytest.fixture
def worked_example(in_a):
    """2026: four bilans (two finished, one abandoned, one running), 26 h of attended sessions,
    three answered surveys (5, 4, 2), invoices to the CPF, an employer and a beneficiary."""
    from bilans.billing.services import cpf_declaration_record, funder_cdc, funder_create, funder_for_beneficiary, invoice_create, invoice_issue, credit_note_create
    from bilans.models import Bilan, Objective, SatisfactionSurvey, Session
    from tests.bilans.factories import BeneficiaryFactory

    isolate(in_a)
    people = [in_a.beneficiary, in_a.other_beneficiary, BeneficiaryFactory(situation="jobseeker"), BeneficiaryFactory()]
    people[0].situation = "employee"
    people[0].save()
    specs = [
        ("finished", at(2026, 2, 2, 9), at(2026, 4, 30, 17), ""),
        ("finished", at(2026, 3, 2, 9), at(2026, 6, 15, 17), ""),
        ("abandoned", at(2026, 5, 4, 9), at(2026, 6, 1, 12), "Raisons personnelles"),
        ("investigation", at(2026, 9, 7, 9), None, ""),
    ]
    bilans = []
    for person, (status, started, ended, reason) in zip(people, specs):
        bilans.append(
            Bilan.objects.create(
                beneficiary=person, consultant=in_a.consultant, status=status, started_at=started, ended_at=ended, abandon_reason=reason,
                information_delivered_at=started,
            )
        )
    hours = [10, 8, 2, 6]
    for bilan, h, (_, started, _, _) in zip(bilans, hours, specs):
        Session.objects.create(bilan=bilan, kind="accompaniment", starts_at=started, duration_minutes=h * 60, attendance="attended")
        Session.objects.create(bilan=bilan, kind="accompaniment", starts_at=started.replace(hour=14), duration_minutes=60, attendance="absent")
        Objective.objects.create(bilan=bilan, text="Objectif", achieved=True if bilan.status == "finished" else None)
    for bilan, score in zip(bilans[:2], (5, 4)):
        SatisfactionSurvey.objects.create(bilan=bilan, kind="immediate", scheduled_for=bilan.ended_at, answered_at=bilan.ended_at, score=score)
    SatisfactionSurvey.objects.create(bilan=bilans[2], kind="immediate", scheduled_for=bilans[2].ended_at, answered_at=bilans[2].ended_at, score=2)

    cdc = funder_cdc(actor=in_a.admin)
    employer = funder_create(actor=in_a.admin, kind="employer", name="ACME", siren="552100554")
    cpf_declaration_record(actor=in_a.admin, bilan=bilans[0], previous_bilan_within_five_years=False)
    line = lambda cents: [{"label": "Bilan de compétences", "unit_price_cents": cents}]  # noqa: E731
    invoice_issue(actor=in_a.admin, invoice=invoice_create(actor=in_a.admin, bilan=bilans[0], funder=cdc, lines=line(160000)), today=date(2026, 5, 2))
    inv = invoice_issue(actor=in_a.admin, invoice=invoice_create(actor=in_a.admin, bilan=bilans[1], funder=employer, lines=line(200000)), today=date(2026, 6, 20))
    credit_note_create(actor=in_a.admin, invoice=inv, reason="Remise", amount_cents=20000, today=date(2026, 7, 1))
    person = funder_for_beneficiary(actor=in_a.admin, beneficiary=people[3])
    invoice_issue(actor=in_a.admin, invoice=invoice_create(actor=in_a.admin, bilan=bilans[3], funder=person, lines=line(90000)), today=date(2026, 9, 7))
    invoice_issue(actor=in_a.admin, invoice=invoice_create(actor=in_a.admin, bilan=bilans[3], funder=person, lines=line(11111)), today=date(2027, 1, 7))
    return {"bilans": bilans, "people": people}
