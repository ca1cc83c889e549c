"""Stripe: Checkout, portal, webhook (signature, once per event, out of order), auto top-up —
against a local server speaking Stripe's API with the real ``stripe`` library."""
from __future__ import annotations

import time

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from plans.models import CreditAccount, LedgerEntry, Order, StripeEvent, Subscription
from plans.selectors import ledger_balances_check
from plans.services import account_get, subscription_get
from tests.conftest import client_for
from tests.plans.conftest import WEBHOOK_SECRET
from tests.plans.fake_stripe import event, sign


def post_webhook(payload: str, signature: str | None = None):
    client = Client(HTTP_HOST="localhost")
    headers = {"HTTP_STRIPE_SIGNATURE": signature if signature is not None else sign(payload, WEBHOOK_SECRET)}
    return client.post("/stripe/webhook/", data=payload, content_type="application/json", **headers)


def wallet_balance(org) -> int:
    return account_get(org, CreditAccount.Kind.WALLET).balance


def test_pack_checkout_then_webhook_grants_credits_once(cast_a, fake_stripe):
    org = cast_a.organisation
    admin = cast_a.client(cast_a.admin)
    response = admin.post("/credits/commander/", {"pack": "pack-100"})
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    order = Order.objects.get(organisation=org, kind="pack")
    assert order.payment_mode == "stripe" and order.status == "pending" and order.amount_cents == 8000
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    assert call["params"]["mode"] == "payment" and call["params"]["metadata[order_id]"] == str(order.pk)
    assert call["params"]["line_items[0][price_data][unit_amount]"] == "8000"
    assert call["params"]["customer"].startswith("cus_test_")

    before = wallet_balance(org)
    payload = event(
        "checkout.session.completed",
        {"id": "cs_test_x", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
         "payment_intent": "pi_123", "client_reference_id": str(order.pk), "metadata": {"order_id": str(order.pk)}},
    )
    assert post_webhook(payload).status_code == 200
    assert wallet_balance(org) == before + 100
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_marked_by == "stripe" and order.stripe_payment_intent_id == "pi_123"

    # replayed (same event) and a second event for the same payment: nothing more
    assert post_webhook(payload).status_code == 200
    again = event("payment_intent.succeeded", {"id": "pi_123", "object": "payment_intent", "metadata": {"order_id": str(order.pk)}})
    assert post_webhook(again).status_code == 200
    assert wallet_balance(org) == before + 100
    assert LedgerEntry.objects.filter(organisation=org, kind="purchase", order=order).count() == 1
    assert StripeEvent.objects.count() == 2
    assert ledger_balances_check(org) == []


def test_forged_or_missing_signature_is_refused_and_changes_nothing(cast_a, fake_stripe):
    org = cast_a.organisation
    order = Order.objects.create(organisation=org, kind="pack", pack=_pack(), credits=50, amount_cents=4500, payment_mode="stripe")
    payload = event(
        "checkout.session.completed",
        {"object": "checkout.session", "mode": "payment", "payment_status": "paid", "metadata": {"order_id": str(order.pk)}},
    )
    before = wallet_balance(org)
    for signature in (sign(payload, "whsec_wrong"), "", "t=123,v1=deadbeef", sign(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)):
        response = post_webhook(payload, signature)
        assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    tampered = payload.replace('"paid"', '"paid" ')
    assert post_webhook(tampered, sign(payload, WEBHOOK_SECRET)).status_code == 400
    assert StripeEvent.objects.count() == 0
    assert wallet_balance(org) == before
    order.refresh_from_db()
    assert order.status == "pending"


def _pack():
    from plans.models import TopUpPack

    return TopUpPack.objects.get(code="pack-50")


def test_subscription_follows_stripe_and_ignores_out_of_order_events(cast_a, fake_stripe):
    org = cast_a.organisation
    admin = cast_a.client(cast_a.admin)
    response = admin.post("/credits/commander/", {"plan": "professional"})
    assert response.status_code == 302
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    assert call["params"]["mode"] == "subscription" and call["params"]["subscription_data[metadata][plan_code]"] == "professional"
    subscription = subscription_get(org)
    customer = subscription.stripe_customer_id
    assert customer.startswith("cus_test_")
    now = int(time.time())

    def sub_event(status: str, created: int, event_id: str) -> str:
        return event(
            "customer.subscription.updated",
            {"id": "sub_1", "object": "subscription", "customer": customer, "status": status, "cancel_at_period_end": False,
             "metadata": {"plan_code": "professional", "organisation_id": str(org.pk)},
             "items": {"data": [{"current_period_start": now, "current_period_end": now + 30 * 86400}]}},
            event_id=event_id, created=created,
        )

    # the invoice arrives first (out of order): the customer links it to the organisation
    invoice = event(
        "invoice.paid",
        {"id": "in_1", "object": "invoice", "customer": customer,
         "parent": {"subscription_details": {"subscription": "sub_1", "metadata": {"plan_code": "professional"}}},
         "lines": {"data": [{"period": {"start": now, "end": now + 30 * 86400}, "metadata": {}}]}},
        created=now,
    )
    before = wallet_balance(org)
    assert post_webhook(invoice).status_code == 200
    assert wallet_balance(org) == before + 1500
    assert post_webhook(sub_event("active", now + 10, "evt_new")).status_code == 200
    assert post_webhook(sub_event("past_due", now - 10, "evt_old")).status_code == 200  # older, delivered late
    subscription.refresh_from_db()
    org.refresh_from_db()
    assert subscription.status == "active" and subscription.plan.code == "professional" and org.plan.code == "professional"
    assert subscription.stripe_subscription_id == "sub_1"
    assert StripeEvent.objects.get(event_id="evt_old").outcome == "stale event ignored"
    from organisations.accounts.models import AuditEvent

    assert post_webhook(sub_event("past_due", now + 20, "evt_newer")).status_code == 200  # a change: audited
    synced = AuditEvent.objects.filter(action="subscription.synced_from_stripe", object_id=str(subscription.pk)).latest("occurred_at")
    assert synced.details["from"]["status"] == "active" and synced.details["to"]["status"] == "past_due"
    assert post_webhook(invoice).status_code == 200  # replay: no second allowance
    assert wallet_balance(org) == before + 1500

    deleted = event(
        "customer.subscription.deleted",
        {"id": "sub_1", "object": "subscription", "customer": customer, "status": "canceled", "metadata": {}},
        created=now + 20,
    )
    assert post_webhook(deleted).status_code == 200
    subscription.refresh_from_db()
    assert subscription.status == "canceled"


def test_customer_portal_redirects_to_stripe(cast_a, fake_stripe):
    response = cast_a.client(cast_a.admin).post("/credits/portail-de-paiement/")
    assert response.status_code == 302 and response["Location"].startswith("https://billing.stripe.test/p/session/")
    (call,) = fake_stripe.calls("/v1/billing_portal/sessions")
    assert call["params"]["customer"].startswith("cus_test_") and call["params"]["return_url"].endswith("/credits/")


def test_automatic_top_up_charges_the_saved_card_off_session(cast_a, fake_stripe):
    from plans.services import forfait_allocate, subscription_settings_update
    from plans.tasks import auto_topup_pay
    from tests.plans.conftest import fund

    org = cast_a.organisation
    subscription = subscription_get(org)
    Subscription.objects.filter(pk=subscription.pk).update(stripe_customer_id="cus_saved")
    with schema_context(org.schema_name):  # as in the administrator's request (audit in the organisation's log)
        subscription_settings_update(organisation=org, actor=cast_a.admin, auto_topup_enabled=True, auto_topup_threshold=1_000_000, pack_code="pack-250")
    fund(org, 100)
    import uuid

    forfait_allocate(organisation=org, bilan_id=uuid.uuid4(), forfait_code="essentiel", actor=None, idempotency_key="auto")
    order = Order.objects.get(organisation=org, kind="auto_topup")
    assert order.status == "pending" and order.payment_mode == "stripe" and order.credits == 250
    before = wallet_balance(org)
    auto_topup_pay(str(order.pk))  # the job (sent on commit) run here directly
    (call,) = fake_stripe.calls("/v1/payment_intents")
    assert call["params"]["off_session"] == "true" and call["params"]["confirm"] == "true"
    assert call["params"]["payment_method"] == "pm_card_visa" and call["idempotency_key"] == f"auto-topup-{order.pk}"
    order.refresh_from_db()
    assert order.status == "paid" and wallet_balance(org) == before + 250


def test_stripe_unreachable_gives_a_french_message_and_fails_the_order(cast_a, settings):
    """Stripe down (nothing listens at the API address): the administrator gets a clear French
    message instead of a server error; the order is marked failed; the portal likewise."""
    import socket

    with socket.socket() as probe:  # a local port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{port}"
    admin = cast_a.client(cast_a.admin)
    response = admin.post("/credits/commander/", {"pack": "pack-50"}, follow=True)
    assert response.status_code == 200
    assert "Le paiement en ligne est momentanément indisponible" in response.content.decode()
    order = Order.objects.get(organisation=cast_a.organisation, kind="pack")
    assert order.status == "failed"
    portal = admin.post("/credits/portail-de-paiement/", follow=True)
    assert portal.status_code == 200 and "momentanément indisponible" in portal.content.decode()


def test_an_abandoned_checkout_ends_the_order(cast_a, fake_stripe):
    """checkout.session.expired (the administrator left the payment page) fails the pending
    order, once, with a French reason for the administrators; a replay changes nothing."""
    admin = cast_a.client(cast_a.admin)
    admin.post("/credits/commander/", {"pack": "pack-50"})
    order = Order.objects.get(organisation=cast_a.organisation, kind="pack")
    payload = event(
        "checkout.session.expired",
        {"id": "cs_test_gone", "object": "checkout.session", "mode": "payment", "payment_status": "unpaid",
         "client_reference_id": str(order.pk), "metadata": {"order_id": str(order.pk)}},
    )
    assert post_webhook(payload).status_code == 200
    order.refresh_from_db()
    assert order.status == "failed"
    assert post_webhook(payload).status_code == 200
    with schema_context(cast_a.organisation.schema_name):
        from organisations.models import Notification

        assert Notification.objects.filter(recipient=cast_a.admin, kind="credits_payment_failed").count() == 1
