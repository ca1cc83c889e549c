"""Threshold alerts on a bilan's budget reach the bilan's consultant as well as the
organisation's administrators: in the app and by email, once per crossing."""
from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils.html import escape
from django_tenants.utils import schema_context

from plans.services import credits_charge
from tests.plans.helpers import bilan_with_forfait

TITLE_75 = "Budget d'un bilan : 75 % des crédits utilisés"


def _threshold_notes(cast, user, bilan_id=None) -> list:
    """The user's threshold notifications (about one bilan's budget when ``bilan_id`` is given:
    the organisation's founding administrator outlives transactional tests)."""
    from organisations.models import Notification

    with schema_context(cast.organisation.schema_name):
        notes = Notification.objects.filter(recipient=user, kind="credits_threshold").order_by("id")
        if bilan_id is not None:
            notes = notes.filter(url=f"/credits/bilans/{bilan_id}/")
        return list(notes)


def _admins(cast) -> list:
    from organisations.accounts.models import User

    with schema_context(cast.organisation.schema_name):
        return list(User.objects.filter(role="admin", is_active=True))


@pytest.mark.django_db(transaction=True)  # the email worker runs in its own thread: data must be committed
def test_budget_threshold_notifies_the_consultant_and_each_admin_once(cast_a, bilans_a, worker, mailoutbox):
    mine, _ = bilans_a
    org = cast_a.organisation
    bilan_with_forfait(org, mine.pk, "essentiel")  # 100 credits

    def charge(key: str, code: str, quantity: int = 1):
        credits_charge(
            organisation=org, bilan_id=mine.pk, action_code=code, actor=cast_a.consultant, idempotency_key=key, quantity=quantity
        )

    charge("a", "document_synthesis", 3)  # 60 %: nothing
    assert _threshold_notes(cast_a, cast_a.consultant) == []
    charge("b", "assessment_interests")  # 75 %
    worker.broker.join("default")
    worker.join()

    admins = _admins(cast_a)
    assert cast_a.admin in admins
    assert [n.title for n in _threshold_notes(cast_a, cast_a.consultant)] == [TITLE_75]
    for admin in admins:
        assert [n.title for n in _threshold_notes(cast_a, admin, mine.pk)] == [TITLE_75]
    assert _threshold_notes(cast_a, cast_a.other_consultant) == []  # not their bilan
    mails = [m for m in mailoutbox if m.subject.startswith("Budget d'un bilan")]
    assert sorted(address for m in mails for address in m.to) == sorted([cast_a.consultant.email] + [a.email for a in admins])

    # the consultant sees it in the app, with a link to the bilan's budget
    page = cast_a.client(cast_a.consultant).get("/notifications/").content.decode()
    assert page.count(escape(TITLE_75)) == 1 and f"/credits/bilans/{mine.pk}/" in page

    charge("c", "document_simple")  # 80 %: same band, nothing new
    worker.broker.join("default")
    worker.join()
    assert len(_threshold_notes(cast_a, cast_a.consultant)) == 1
    assert all(len(_threshold_notes(cast_a, admin, mine.pk)) == 1 for admin in admins)
    assert len([m for m in mailoutbox if m.subject.startswith("Budget d'un bilan")]) == 1 + len(admins)
    connection.set_schema_to_public()


def test_bilan_without_own_consultant_alerts_the_beneficiarys_consultant(cast_a):
    from bilans.models import Bilan

    org = cast_a.organisation
    with schema_context(org.schema_name):
        bilan = Bilan.objects.create(beneficiary=cast_a.other_beneficiary, consultant=None)
    bilan_with_forfait(org, bilan.pk, "essentiel")
    credits_charge(organisation=org, bilan_id=bilan.pk, action_code="document_synthesis", actor=None, idempotency_key="x", quantity=4)  # 80 %
    assert [n.title for n in _threshold_notes(cast_a, cast_a.other_consultant)] == [TITLE_75]
    assert _threshold_notes(cast_a, cast_a.consultant) == []


def test_wallet_threshold_still_notifies_administrators_only(cast_a, org):
    from plans.models import CreditLot
    from plans.services import account_get, credits_grant, forfait_allocate

    before = account_get(org, "wallet").balance  # the trial grant
    credits_grant(organisation=org, amount=1000, source=CreditLot.Source.PURCHASE, idempotency_key="w", expires_at=None, reason="Test")
    forfait_allocate(organisation=org, bilan_id=uuid.uuid4(), forfait_code="entreprise", actor=None, idempotency_key="w-alloc")
    assert 1000 * 100 / (before + 1000) >= 90
    assert [n.title for n in _threshold_notes(cast_a, cast_a.admin)] == ["Crédits de l'organisation : 90 % utilisés"]
    assert _threshold_notes(cast_a, cast_a.consultant) == []
