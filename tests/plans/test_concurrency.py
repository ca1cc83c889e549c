"""Concurrent charges on committed data: real PostgreSQL transactions in threads."""
from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import schema_context

from config.errors import PaymentRequired
from plans.models import CreditAccount, LedgerEntry
from plans.selectors import ledger_balances_check
from plans.services import credits_charge
from tests.plans.conftest import new_budget

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count: int, target) -> list:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:  # collected and asserted by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def funded_org(org_a):
    from plans.migrations._seed import seed_plans

    seed_plans()
    return org_a


def test_many_threads_never_overdraw_and_lose_nothing(funded_org):
    org = funded_org
    bilan_id = new_budget(org, "essentiel")  # 100 credits; 24 threads each want 15 (360)

    def charge(index: int):
        with transaction.atomic():
            return credits_charge(
                organisation=org, bilan_id=bilan_id, action_code="assessment_personality", actor=None, idempotency_key=f"t{index}"
            )

    results = run_threads(24, charge)
    charged = [r for r in results if isinstance(r, LedgerEntry)]
    refused = [r for r in results if isinstance(r, PaymentRequired)]
    assert len(charged) + len(refused) == 24, [r for r in results if not isinstance(r, (LedgerEntry, PaymentRequired))]
    assert len(charged) == 6  # 6 × 15 = 90 ≤ 100 < 7 × 15
    budget = CreditAccount.objects.get(organisation=org, bilan_id=bilan_id)
    assert budget.balance == 10
    consumed = sum(LedgerEntry.objects.filter(organisation=org, kind="charge", bilan_id=bilan_id).values_list("amount", flat=True))
    assert consumed == 90 == 100 - budget.balance  # sum of charges = budget consumed
    assert ledger_balances_check(org) == []


def test_the_same_key_from_many_threads_charges_once(funded_org):
    org = funded_org
    bilan_id = new_budget(org, "essentiel")

    def charge(index: int):
        return credits_charge(
            organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="one-document"
        )

    results = run_threads(12, charge)
    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert CreditAccount.objects.get(organisation=org, bilan_id=bilan_id).balance == 80
    assert LedgerEntry.objects.filter(organisation=org, idempotency_key="one-document").count() == 1


def test_charges_on_two_bilans_and_allocations_do_not_deadlock(funded_org):
    from plans.services import forfait_allocate
    from tests.plans.conftest import fund

    org = funded_org
    fund(org, 2000)
    bilans = [new_budget(org, "essentiel", fund_first=False) for _ in range(2)]

    def work(index: int):
        if index % 3 == 0:
            return forfait_allocate(
                organisation=org, bilan_id=uuid.uuid4(), forfait_code="essentiel", actor=None, idempotency_key=f"al{index}"
            )
        return credits_charge(
            organisation=org, bilan_id=bilans[index % 2], action_code="document_simple", actor=None, idempotency_key=f"c{index}"
        )

    results = run_threads(18, work)
    assert all(isinstance(r, LedgerEntry) for r in results), results
    assert ledger_balances_check(org) == []


def test_threshold_alert_sends_one_email_per_crossing(funded_org, worker, mailoutbox):
    from organisations.models import Notification
    from tests.organisations.factories import UserFactory

    org = funded_org
    with schema_context(org.schema_name):
        admin = UserFactory(role="admin", email=f"admin-{uuid.uuid4().hex[:6]}@exemple.test")
    bilan_id = new_budget(org, "essentiel")
    for key, code in (("a", "interview_in_person_hour"), ("b", "interview_in_person_hour"), ("c", "document_simple")):
        credits_charge(organisation=org, bilan_id=bilan_id, action_code=code, actor=None, idempotency_key=key)  # 40, 80, 85 %
    worker.broker.join("default")
    worker.join()
    with schema_context(org.schema_name):
        notes = list(Notification.objects.filter(recipient=admin, kind="credits_threshold", title__startswith="Budget"))
    assert len(notes) == 1 and "75 %" in notes[0].title
    mails = [m for m in mailoutbox if admin.email in m.to and m.subject.startswith("Budget")]
    assert len(mails) == 1 and "75 %" in mails[0].subject
    connection.set_schema_to_public()
