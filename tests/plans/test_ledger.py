"""The credit ledger: charges, idempotency, rollback, constraints, expiry order, alerts, forecast."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from config.errors import Forbidden, InvalidInput, PaymentRequired
from plans.models import CreditAccount, CreditAlert, CreditLot, LedgerEntry
from plans.selectors import ledger_balances_check
from plans.services import credits_charge, credits_expire_due, credits_forecast, forfait_allocate, forfait_ensure_feature
from tests.plans.conftest import fund, new_budget


def budget(org, bilan_id) -> CreditAccount:
    return CreditAccount.objects.get(organisation=org, kind="budget", bilan_id=bilan_id)


def test_charge_moves_tariff_credits_from_budget_to_consumed(org):
    bilan_id = new_budget(org, "essentiel")
    entry = credits_charge(
        organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="k1"
    )
    assert entry.amount == 20 and entry.kind == "charge" and entry.debit_account.kind == "budget"
    assert entry.credit_account.kind == "consumed"
    assert budget(org, bilan_id).balance == 80
    interview = credits_charge(
        organisation=org, bilan_id=bilan_id, action_code="interview_video_hour", actor=None, idempotency_key="k2", quantity=2
    )
    assert interview.amount == 60 and interview.unit_credits == 30
    assert budget(org, bilan_id).balance == 20
    assert ledger_balances_check(org) == []


def test_charge_stores_actor_id_and_email(org, cast_a):
    bilan_id = new_budget(org)
    entry = credits_charge(
        organisation=org, bilan_id=bilan_id, action_code="document_simple", actor=cast_a.consultant, idempotency_key="actor"
    )
    assert (entry.actor_id, entry.actor_email) == (cast_a.consultant.pk, cast_a.consultant.email)


def test_same_idempotency_key_charges_once(org):
    bilan_id = new_budget(org)
    first = credits_charge(organisation=org, bilan_id=bilan_id, action_code="assessment_skills", actor=None, idempotency_key="same")
    again = credits_charge(organisation=org, bilan_id=bilan_id, action_code="assessment_skills", actor=None, idempotency_key="same")
    assert again.pk == first.pk
    assert budget(org, bilan_id).balance == 80
    assert LedgerEntry.objects.filter(organisation=org, idempotency_key="same").count() == 1


def test_insufficient_budget_answers_402_and_changes_nothing(org):
    bilan_id = new_budget(org)  # 100 credits
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="interview_in_person_hour", actor=None, idempotency_key="a", quantity=2)
    before = LedgerEntry.objects.count()
    with pytest.raises(PaymentRequired) as error:
        credits_charge(organisation=org, bilan_id=bilan_id, action_code="assessment_complete_analysis", actor=None, idempotency_key="b")
    assert error.value.code == "insufficient_credits" and error.value.status == 402
    assert error.value.extra == {"required": 25, "available": 20}
    assert LedgerEntry.objects.count() == before
    assert budget(org, bilan_id).balance == 20


def test_charge_without_forfait_is_refused(org):
    with pytest.raises(PaymentRequired) as error:
        credits_charge(organisation=org, bilan_id=uuid.uuid4(), action_code="document_simple", actor=None, idempotency_key="x")
    assert error.value.code == "insufficient_credits"


def test_unknown_action_is_invalid(org):
    bilan_id = new_budget(org)
    with pytest.raises(InvalidInput) as error:
        credits_charge(organisation=org, bilan_id=bilan_id, action_code="free_lunch", actor=None, idempotency_key="x")
    assert error.value.code == "unknown_action"


def test_zero_credit_action_is_recorded(org):
    bilan_id = new_budget(org)
    entry = credits_charge(
        organisation=org, bilan_id=bilan_id, action_code="consultant_validation_unchanged", actor=None, idempotency_key="zero"
    )
    assert entry.amount == 0 and budget(org, bilan_id).balance == 100


def test_failure_inside_the_paid_action_rolls_the_charge_back(org):
    bilan_id = new_budget(org)

    class ActionFailed(Exception):
        pass

    with pytest.raises(ActionFailed):
        with transaction.atomic():
            credits_charge(organisation=org, bilan_id=bilan_id, action_code="ai_career_suggestions", actor=None, idempotency_key="gen-1")
            raise ActionFailed("the AI provider failed after the charge")
    assert budget(org, bilan_id).balance == 100
    assert not LedgerEntry.objects.filter(organisation=org, idempotency_key="gen-1").exists()
    assert CreditLot.objects.get(account=budget(org, bilan_id)).remaining == 100
    # the same key may be used again once the action succeeds
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="ai_career_suggestions", actor=None, idempotency_key="gen-1")
    assert budget(org, bilan_id).balance == 75


def test_key_reused_for_another_bilan_is_a_conflict(org):
    from config.errors import Conflict

    first, second = new_budget(org), new_budget(org)
    credits_charge(organisation=org, bilan_id=first, action_code="document_simple", actor=None, idempotency_key="shared")
    with pytest.raises(Conflict):
        credits_charge(organisation=org, bilan_id=second, action_code="document_simple", actor=None, idempotency_key="shared")


# --- database constraints ------------------------------------------------------------------------
def test_entries_are_immutable_in_the_database(org):
    bilan_id = new_budget(org)
    entry = credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_simple", actor=None, idempotency_key="imm")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()


def test_balance_cannot_be_written_directly_nor_go_negative(org):
    bilan_id = new_budget(org)
    account = budget(org, bilan_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(pk=account.pk).update(balance=1_000_000)
    consumed = CreditAccount.objects.get(organisation=org, kind="consumed")
    with pytest.raises(IntegrityError), transaction.atomic():  # bypassing the service: the CHECK refuses the overdraft
        LedgerEntry.objects.create(
            organisation=org, kind="charge", debit_account=account, credit_account=consumed, amount=101, idempotency_key="raw"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            organisation=org, kind="charge", debit_account=account, credit_account=consumed, amount=1, idempotency_key=f"alloc:{bilan_id}"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            organisation=org, kind="adjustment", debit_account=consumed, credit_account=account, amount=1, idempotency_key="noreason"
        )
    assert budget(org, bilan_id).balance == 100


# --- forfaits --------------------------------------------------------------------------------------
def test_allocation_moves_wallet_to_budget_with_forfait_validity(org, wallet):
    from plans.services import account_get

    fund(org, 250)
    before = account_get(org, "wallet").balance
    bilan_id = uuid.uuid4()
    entry = forfait_allocate(organisation=org, bilan_id=bilan_id, forfait_code="standard", actor=None, idempotency_key="std")
    assert entry.amount == 250 and entry.kind == "allocation"
    assert account_get(org, "wallet").balance == before - 250
    account = budget(org, bilan_id)
    assert account.balance == 250 and account.forfait_code == "standard"
    assert 180 <= (account.valid_until - timezone.now()).days <= 185
    assert forfait_allocate(organisation=org, bilan_id=bilan_id, forfait_code="standard", actor=None, idempotency_key="std").pk == entry.pk
    assert ledger_balances_check(org) == []


def test_allocation_refused_when_wallet_is_short(org):
    from plans.services import account_get

    wallet = account_get(org, "wallet")
    bilan_id = uuid.uuid4()
    with pytest.raises(PaymentRequired) as error:
        forfait_allocate(
            organisation=org, bilan_id=bilan_id, forfait_code="entreprise", actor=None, idempotency_key="big", credits=wallet.balance + 1000
        )
    assert error.value.code == "insufficient_credits"
    assert not CreditAccount.objects.filter(organisation=org, bilan_id=bilan_id).exists()


def test_custom_credits_only_for_entreprise(org):
    fund(org, 1500)
    with pytest.raises(InvalidInput):
        forfait_allocate(organisation=org, bilan_id=uuid.uuid4(), forfait_code="premium", actor=None, idempotency_key="c1", credits=600)
    with pytest.raises(InvalidInput):
        forfait_allocate(
            organisation=org, bilan_id=uuid.uuid4(), forfait_code="entreprise", actor=None, idempotency_key="c2", validity_months=30
        )
    bilan_id = uuid.uuid4()
    forfait_allocate(
        organisation=org, bilan_id=bilan_id, forfait_code="entreprise", actor=None, idempotency_key="c3", credits=1200, validity_months=24
    )
    assert budget(org, bilan_id).balance == 1200


def test_feature_outside_the_forfait_names_the_cheapest_forfait(org):
    bilan_id = new_budget(org, "essentiel")
    forfait_ensure_feature(organisation=org, bilan_id=bilan_id, feature="document_synthesis")
    with pytest.raises(Forbidden) as error:
        forfait_ensure_feature(organisation=org, bilan_id=bilan_id, feature="projects_alternative")
    assert error.value.code == "feature_not_in_forfait" and error.value.status == 403
    assert error.value.extra == {"required_forfait": "standard"}
    with pytest.raises(Forbidden) as error:
        forfait_ensure_feature(organisation=org, bilan_id=bilan_id, feature="dedicated_consultant")
    assert error.value.extra == {"required_forfait": "premium"}
    with pytest.raises(Forbidden) as error:
        forfait_ensure_feature(organisation=org, bilan_id=uuid.uuid4(), feature="document_simple")
    assert error.value.extra == {"required_forfait": "essentiel"}
    premium = new_budget(org, "premium")
    for feature in ("projects_multiple", "dedicated_consultant", "documents_personalised", "ai_career_path_analysis"):
        forfait_ensure_feature(organisation=org, bilan_id=premium, feature=feature)


# --- expiry ----------------------------------------------------------------------------------------
def test_credits_are_consumed_first_expiring_first_and_expire_by_the_job(org):
    from plans.services import account_get

    now = timezone.now()
    bilan_id = uuid.uuid4()
    # three grants into the wallet, out of order of expiry
    late = fund(org, 100, expires_at=now + timedelta(days=300))
    soon = fund(org, 100, expires_at=now + timedelta(days=10))
    never = fund(org, 100, expires_at=None)
    wallet = account_get(org, "wallet")
    other_lots_before = sum(
        lot.remaining for lot in CreditLot.objects.filter(account=wallet).exclude(entry__in=[late, soon, never])
    )
    forfait_allocate(organisation=org, bilan_id=bilan_id, forfait_code="essentiel", actor=None, idempotency_key="fefo")
    lots = {lot.entry_id: lot for lot in CreditLot.objects.filter(account=wallet, entry__in=[late, soon, never])}
    if other_lots_before == 0:
        assert lots[soon.pk].remaining == 0  # the first-expiring lot paid
        assert lots[late.pk].remaining == 100 and lots[never.pk].remaining == 100

    # the expiry job: only what is past its date leaves, through expiry entries
    CreditLot.objects.filter(pk=lots[late.pk].pk).update(expires_at=now - timedelta(minutes=1))
    wallet_before = account_get(org, "wallet").balance
    expired = credits_expire_due()
    assert expired >= 100
    entry = LedgerEntry.objects.get(organisation=org, kind="expiry", lot_movements__lot=lots[late.pk])
    assert entry.amount == 100 and entry.credit_account.kind == "expired"
    assert account_get(org, "wallet").balance == wallet_before - expired
    assert credits_expire_due() == 0  # nothing twice
    assert ledger_balances_check(org) == []


def test_budget_lots_expire_before_a_charge(org):
    bilan_id = new_budget(org)
    CreditLot.objects.filter(account=budget(org, bilan_id)).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(PaymentRequired):
        credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_simple", actor=None, idempotency_key="late")
    assert budget(org, bilan_id).balance == 100  # the refused charge rolled back the inline expiry too
    assert credits_expire_due() >= 100
    assert budget(org, bilan_id).balance == 0


def test_charge_uses_the_budget_lot_that_expires_first(org):
    from plans.services import credits_transfer

    bilan_id = new_budget(org)
    account = budget(org, bilan_id)
    first_lot = CreditLot.objects.get(account=account)
    fund(org, 100)
    forfait_allocate(organisation=org, bilan_id=bilan_id, forfait_code="essentiel", actor=None, idempotency_key="second")
    second_lot = CreditLot.objects.filter(account=account).exclude(pk=first_lot.pk).get()
    CreditLot.objects.filter(pk=second_lot.pk).update(expires_at=first_lot.expires_at - timedelta(days=5))
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="f1")
    first_lot.refresh_from_db(), second_lot.refresh_from_db()
    assert (first_lot.remaining, second_lot.remaining) == (100, 80)


# --- threshold alerts ------------------------------------------------------------------------------
def test_threshold_alerts_once_per_crossing(org, cast_a, mailoutbox):
    from organisations.models import Notification

    def notifications():
        with schema_context(org.schema_name):
            return list(Notification.objects.filter(recipient=cast_a.admin, kind="credits_threshold").order_by("id"))

    bilan_id = new_budget(org)  # 100 credits
    charge = lambda key, code, qty=1: credits_charge(  # noqa: E731
        organisation=org, bilan_id=bilan_id, action_code=code, actor=None, idempotency_key=key, quantity=qty
    )
    charge("a", "document_synthesis", 3)  # 60 % used: nothing
    assert notifications() == []
    charge("b", "assessment_interests")  # 75 %
    assert [n.title for n in notifications()] == ["Budget d'un bilan : 75 % des crédits utilisés"]
    charge("c", "document_simple")  # 80 %: same crossing, nothing new
    charge("d", "document_simple")  # 85 %
    assert len(notifications()) == 1
    charge("e", "document_simple")  # 90 %
    assert len(notifications()) == 2
    charge("f", "document_simple")  # 95 %
    charge("g", "document_simple")  # 100 %
    titles = [n.title for n in notifications()]
    assert len(titles) == 3 and "100 %" in titles[-1]
    charge("h", "consultant_validation_unchanged")  # still 100 %, free: nothing
    assert len(notifications()) == 3
    account = budget(org, bilan_id)
    assert sorted(CreditAlert.objects.filter(account=account).values_list("threshold", flat=True)) == [75, 90, 100]
    # an email per crossing, after commit (the test transaction never commits: on_commit is run by hand)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAlert.objects.create(account=account, cycle=account.alert_cycle, threshold=75, balance=0)


def test_a_refund_does_not_restart_the_alerts(org, cast_a, staff_user):
    """A refund corrects a charge: the 75 % crossing already notified is not notified again;
    the next alert is the 90 % one, counted on the forfait's credits."""
    from organisations.models import Notification
    from plans.services import credits_refund

    bilan_id = new_budget(org)  # 100 credits
    charge = lambda key, code, qty=1: credits_charge(  # noqa: E731
        organisation=org, bilan_id=bilan_id, action_code=code, actor=None, idempotency_key=key, quantity=qty
    )
    charge("s", "document_synthesis", 3)  # 60 used
    simple = charge("d1", "document_simple")  # 65
    charge("i1", "assessment_interests")  # 80: the 75 % alert
    credits_refund(organisation=org, charge=simple, actor=staff_user, reason="Document raté")  # 75 used, 25 left
    charge("i2", "assessment_interests")  # 90 used
    charge("d2", "document_simple")  # 95 used
    with schema_context(org.schema_name):
        titles = list(Notification.objects.filter(recipient=cast_a.admin, kind="credits_threshold").order_by("id").values_list("title", flat=True))
    assert titles == ["Budget d'un bilan : 75 % des crédits utilisés", "Budget d'un bilan : 90 % des crédits utilisés"]


# --- forecast --------------------------------------------------------------------------------------
def test_forecast_worked_example(org):
    """Standard forfait (250 credits); 2 h of video interview (60) and a synthesis (20) already
    charged: 170 left. Planned: skills evaluation 20 + career-path analysis 30 + action plan 15 +
    1 h in person 40 + synthesis 20 = 125 → surplus 45. Adding 2 career suggestions (50) and a
    personality test (15): 190 → shortfall 20."""
    bilan_id = new_budget(org, "standard")
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="interview_video_hour", actor=None, idempotency_key="v", quantity=2)
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="s")
    planned = ["assessment_skills", "ai_career_path_analysis", "document_action_plan", "interview_in_person_hour", "document_synthesis"]
    forecast = credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=planned)
    assert (forecast["remaining"], forecast["planned_cost"], forecast["shortfall"], forecast["surplus"]) == (170, 125, 0, 45)
    more = credits_forecast(
        organisation=org,
        bilan_id=bilan_id,
        planned_action_codes=planned + ["ai_career_suggestions", "ai_career_suggestions", "assessment_personality"],
    )
    assert (more["remaining"], more["planned_cost"], more["shortfall"], more["surplus"]) == (170, 190, 20, 0)
    suggestions = next(line for line in more["lines"] if line["action_code"] == "ai_career_suggestions")
    assert suggestions == {"action_code": "ai_career_suggestions", "label": suggestions["label"], "count": 2, "unit_credits": 25, "credits": 50}
    with pytest.raises(InvalidInput):
        credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=["nope"])


def test_default_planned_steps_are_the_forfait_course_minus_charges(org):
    from plans.selectors import planned_actions_remaining

    bilan_id = new_budget(org, "essentiel")
    assert len(planned_actions_remaining(organisation=org, bilan_id=bilan_id)) == 7
    credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_simple", actor=None, idempotency_key="ds")
    remaining = planned_actions_remaining(organisation=org, bilan_id=bilan_id)
    assert remaining.count("document_simple") == 1 and len(remaining) == 6
    forecast = credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=remaining)
    assert forecast["planned_cost"] == 80 and forecast["remaining"] == 95
