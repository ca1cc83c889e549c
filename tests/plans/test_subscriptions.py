"""Subscriptions: trial at creation, renewals, carry-over, manual payment mode, auto top-up."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from config.errors import Forbidden, PaymentRequired
from plans.models import CreditAccount, CreditLot, CreditRules, LedgerEntry, Order, Subscription
from plans.selectors import ledger_balances_check
from plans.services import account_get, credits_expire_due
from tests.plans.conftest import fund, new_budget


def test_new_organisation_starts_a_14_day_starter_trial_with_a_credit_grant(db):
    from plans.migrations._seed import seed_plans
    from tenants.services import organisation_create

    seed_plans()
    created = organisation_create(
        name="Essai Conseil", slug="essai-conseil", kind="independent_consultant", admin_email="fondatrice@essai.test", admin_password=None
    )
    organisation = created.organisation
    subscription = Subscription.objects.get(organisation=organisation)
    assert subscription.status == "trialing" and subscription.plan.code == "starter" and organisation.plan.code == "starter"
    assert 13 <= (subscription.trial_ends_at - timezone.now()).days <= 14
    wallet = account_get(organisation, "wallet")
    assert wallet.balance == CreditRules.objects.get().trial_credits == 100  # the cheapest forfait (Essentiel): one whole bilan
    lot = CreditLot.objects.get(account=wallet)
    assert lot.source == "trial" and lot.expires_at == subscription.trial_ends_at
    entry = LedgerEntry.objects.get(organisation=organisation)
    assert entry.kind == "grant" and entry.debit_account.kind == "granted"


@pytest.fixture
def org(db, org_a):
    from plans.migrations._seed import seed_plans

    seed_plans()
    return org_a


def _subscription(org, **fields) -> Subscription:
    from plans.services import subscription_get

    subscription = subscription_get(org)
    Subscription.objects.filter(pk=subscription.pk).update(**fields)
    subscription.refresh_from_db()
    return subscription


def test_manual_renewal_grants_allowance_bonus_and_carries_over_unused_credits(org):
    from plans.models import Plan
    from plans.services import subscription_renew, subscriptions_process_due

    CreditRules.objects.update(carry_over_percent=50, renewal_bonus_percent=10)
    now = timezone.now()
    starter = Plan.objects.get(code="starter")
    subscription = _subscription(org, status="active", plan=starter)
    wallet = account_get(org, "wallet")
    before = wallet.balance
    # the first period: 300 credits, no bonus yet
    subscription_renew(subscription=subscription, period_start=now - timedelta(days=30), period_end=now + timedelta(hours=1), key="p1")
    assert account_get(org, "wallet").balance == before + 300
    new_budget(org, "essentiel", fund_first=False)  # 100 of them are used (first-expiring first)
    first = CreditLot.objects.get(account=wallet, period_key="p1")
    assert first.remaining == 200
    # the period ends; the expiry job happens to run before the renewal job
    Subscription.objects.filter(pk=subscription.pk).update(current_period_end=now - timedelta(minutes=1))
    CreditLot.objects.filter(pk=first.pk).update(expires_at=now - timedelta(minutes=1))
    assert credits_expire_due() >= 200
    assert subscriptions_process_due() >= 1
    first.refresh_from_db()
    assert (first.period_key, first.remaining, first.expired) == ("settled:p1", 0, 200)
    lots = CreditLot.objects.filter(account=wallet)
    assert lots.get(source="carry_over").amount == 100  # 50 % of the 200 unused
    assert lots.get(source="bonus").amount == 30  # 10 % of 300, from the second period
    assert lots.filter(source="allowance").exclude(pk=first.pk).get().amount == 300
    subscription.refresh_from_db()
    assert subscription.current_period_end > now and subscription.status == "active"
    assert subscriptions_process_due() == 0  # nothing twice
    assert ledger_balances_check(org) == []


def test_trial_past_its_end_waits_for_payment(org):
    from plans.services import subscriptions_process_due

    subscription = _subscription(org, status="trialing", trial_ends_at=timezone.now() - timedelta(minutes=1), stripe_subscription_id="")
    subscriptions_process_due()
    subscription.refresh_from_db()
    assert subscription.status == "past_due"


def test_subscription_paid_manually_activates_the_plan_with_its_credits(org, staff_user, cast_a):
    from plans.services import order_create, order_mark_paid

    with schema_context(org.schema_name):
        order = order_create(organisation=org, actor=cast_a.admin, plan_code="professional")
    assert order.payment_mode == "manual"
    before = account_get(org, "wallet").balance
    order_mark_paid(order=order, actor=staff_user, via="manual")
    subscription = Subscription.objects.get(organisation=org)
    org.refresh_from_db()
    assert subscription.status == "active" and subscription.plan.code == "professional" and org.plan.code == "professional"
    assert account_get(org, "wallet").balance == before + 1500
    with pytest.raises(Forbidden):
        order_mark_paid(order=Order.objects.create(organisation=org, kind="pack", pack=_pack(), credits=50, amount_cents=4500, payment_mode="manual"), actor=cast_a.admin)


def _pack():
    from plans.models import TopUpPack

    return TopUpPack.objects.get(code="pack-50")


def test_automatic_top_up_in_manual_mode_creates_one_order_and_tells_the_administrators(org, cast_a):
    from organisations.models import Notification
    from plans.services import forfait_allocate, subscription_settings_update

    with schema_context(org.schema_name):
        subscription_settings_update(organisation=org, actor=cast_a.admin, auto_topup_enabled=True, auto_topup_threshold=10_000_000, pack_code="pack-100")
    fund(org, 200)
    for n in range(2):
        forfait_allocate(organisation=org, bilan_id=uuid.uuid4(), forfait_code="essentiel", actor=None, idempotency_key=f"auto{n}")
    orders = Order.objects.filter(organisation=org, kind="auto_topup")
    assert orders.count() == 1 and orders.get().status == "pending" and orders.get().payment_mode == "manual"
    with schema_context(org.schema_name):
        assert Notification.objects.filter(recipient=cast_a.admin, kind="credits_auto_topup").count() == 1


def test_pack_purchase_extends_the_validity_of_existing_credits_when_configured(org, staff_user, cast_a):
    from plans.services import order_create, order_mark_paid

    CreditRules.objects.update(topup_validity_extension_days=30)
    expiry = timezone.now() + timedelta(days=5)
    entry = fund(org, 10, expires_at=expiry)
    with schema_context(org.schema_name):
        order = order_create(organisation=org, actor=cast_a.admin, pack_code="pack-50")
    order_mark_paid(order=order, actor=staff_user, via="manual")
    lot = CreditLot.objects.get(entry=entry)
    assert (lot.expires_at - expiry).days == 30


def test_refund_gives_a_charge_back_once(org, staff_user):
    from plans.services import credits_charge, credits_refund

    bilan_id = new_budget(org)
    charge = credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="r1")
    refund = credits_refund(organisation=org, charge=charge, actor=staff_user, reason="Document illisible, régénéré")
    assert refund.amount == 20 and CreditAccount.objects.get(bilan_id=bilan_id).balance == 100
    assert credits_refund(organisation=org, charge=charge, actor=staff_user, reason="encore").pk == refund.pk
    assert CreditAccount.objects.get(bilan_id=bilan_id).balance == 100
    assert ledger_balances_check(org) == []
