"""Online payment of a self-funded beneficiary's invoice: Stripe Checkout opened from the
beneficiary's space, payment recorded by the signed webhook in the right organisation's schema,
once. Against the local server speaking Stripe's API (tests/plans/fake_stripe.py) with the real
``stripe`` library, and webhooks signed as Stripe signs them."""
from __future__ import annotations

import time

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from tests.billing.conftest import issue_invoice, set_identity, set_seller_address
from tests.plans.fake_stripe import FakeStripe, event, sign

WEBHOOK_SECRET = "whsec_test_billing"


@pytest.fixture
def fake_stripe(settings):
    server = FakeStripe()
    settings.STRIPE_SECRET_KEY = "sk_test_local"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = server.url
    yield server
    server.close()


@pytest.fixture
def self_funded(in_a, bilan):
    """An issued invoice of 1 800 € addressed to the beneficiary (financement personnel)."""
    from bilans.billing.services import funder_for_beneficiary

    funder = funder_for_beneficiary(actor=in_a.admin, beneficiary=in_a.beneficiary)
    return issue_invoice(in_a, bilan, funder, cents=180000)


def post_webhook(payload: str, signature: str | None = None):
    client = Client(HTTP_HOST="localhost")
    signature = signature if signature is not None else sign(payload, WEBHOOK_SECRET)
    return client.post("/stripe/webhook/", data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)


def metadata_of(call: dict) -> dict:
    return {k[len("metadata["):-1]: v for k, v in call["params"].items() if k.startswith("metadata[")}


def completed(session_id: str, metadata: dict, *, amount: int, payment_intent: str = "pi_invoice_1", currency: str = "eur") -> str:
    return event(
        "checkout.session.completed",
        {
            "id": session_id, "object": "checkout.session", "mode": "payment", "payment_status": "paid", "amount_total": amount,
            "currency": currency, "payment_intent": payment_intent, "client_reference_id": metadata.get("online_payment_id"),
            "metadata": metadata,
        },
    )


def balance(organisation, invoice):
    from bilans.billing.selectors import invoices_with_balance

    with tenant_context(organisation):
        return invoices_with_balance().get(pk=invoice.pk)


def pay_online(cast, invoice) -> tuple[str, dict]:
    """The beneficiary clicks « Payer en ligne »: (Checkout session id, its metadata)."""
    from bilans.billing.models import OnlinePayment

    response = cast.client(cast.beneficiary_user).post(f"/mon-bilan/factures/{invoice.pk}/payer/")
    assert response.status_code == 302 and response["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_"), response
    with tenant_context(cast.organisation):
        online = OnlinePayment.objects.filter(invoice_id=invoice.pk).latest("created_at")
    return online.stripe_session_id, {"online_payment_id": str(online.pk)}


def test_beneficiary_pays_online_and_the_webhook_records_the_payment_once(in_a, self_funded, fake_stripe):
    from bilans.billing.models import OnlinePayment, Payment
    from organisations.accounts.models import AuditEvent
    from plans.models import StripeEvent

    org = in_a.organisation
    home = in_a.client(in_a.beneficiary_user).get("/mon-bilan/").content.decode()
    assert 'href="/mon-bilan/factures/"' in home  # reachable from the beneficiary's menu
    page = in_a.client(in_a.beneficiary_user).get("/mon-bilan/factures/")
    assert page.status_code == 200
    html = page.content.decode()
    assert self_funded.number in html and "Payer en ligne" in html and "1\u202f800,00\u00a0€" in html

    session_id, _ = pay_online(in_a, self_funded)
    (call,) = fake_stripe.calls("/v1/checkout/sessions")
    params = call["params"]
    assert params["mode"] == "payment"
    assert params["line_items[0][price_data][currency]"] == "eur"
    assert params["line_items[0][price_data][unit_amount]"] == "180000"
    assert call["idempotency_key"].startswith("invoice-checkout-")
    metadata = metadata_of(call)
    assert metadata["purpose"] == "invoice_payment"
    assert metadata["organisation_id"] == str(org.pk) and metadata["organisation_schema"] == org.schema_name
    assert metadata["invoice_id"] == str(self_funded.pk)
    assert params["payment_intent_data[metadata][invoice_id]"] == str(self_funded.pk)

    payload = completed(session_id, metadata, amount=180000)
    response = post_webhook(payload)
    assert response.status_code == 200 and response.json()["outcome"] == "invoice paid online"
    paid = balance(org, self_funded)
    assert (paid.paid_cents, paid.outstanding_cents) == (180000, 0)

    # The same event replayed, then the payment intent's own event: nothing more.
    assert post_webhook(payload).status_code == 200
    intent = event(
        "payment_intent.succeeded",
        {"id": "pi_invoice_1", "object": "payment_intent", "amount": 180000, "amount_received": 180000, "currency": "eur", "metadata": metadata},
    )
    assert post_webhook(intent).json()["outcome"] == "invoice payment already recorded"
    with tenant_context(org):
        (payment,) = Payment.objects.filter(invoice_id=self_funded.pk)
        assert (payment.method, payment.reference, payment.amount_cents, payment.recorded_by_id) == ("stripe", "pi_invoice_1", 180000, None)
        online = OnlinePayment.objects.get(invoice_id=self_funded.pk)
        assert online.status == "paid" and online.payment_id == payment.pk
        assert AuditEvent.objects.filter(action="billing.payment_recorded", object_id=str(payment.pk)).count() == 1
        assert AuditEvent.objects.filter(action="billing.online_payment_started").count() == 1
    assert StripeEvent.objects.count() == 2

    # Settled: no more button.
    html = in_a.client(in_a.beneficiary_user).get("/mon-bilan/factures/").content.decode()
    assert "Payer en ligne" not in html and "Réglée" in html


def test_forged_signature_is_refused_and_records_nothing(in_a, self_funded, fake_stripe):
    from bilans.billing.models import Payment
    from plans.models import StripeEvent

    session_id, _ = pay_online(in_a, self_funded)
    metadata = metadata_of(fake_stripe.calls("/v1/checkout/sessions")[0])
    payload = completed(session_id, metadata, amount=180000)
    for signature in (sign(payload, "whsec_wrong"), "", "t=1,v1=00", sign(payload, WEBHOOK_SECRET, timestamp=int(time.time()) - 3600)):
        response = post_webhook(payload, signature)
        assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert StripeEvent.objects.count() == 0
    with tenant_context(in_a.organisation):
        assert not Payment.objects.filter(invoice_id=self_funded.pk).exists()


def test_forged_metadata_cannot_pay_another_organisations_invoice(in_a, self_funded, cast_b, fake_stripe):
    """Signed events whose metadata point at the wrong organisation, invoice or amount record
    nothing; the mismatch is audited in the organisation concerned."""
    from bilans.billing.models import OnlinePayment, Payment
    from bilans.billing.services import funder_for_beneficiary, online_payment_start
    from bilans.models import Bilan
    from organisations.accounts.models import AuditEvent

    org_a, org_b = in_a.organisation, cast_b.organisation
    a_session, _ = pay_online(in_a, self_funded)
    a_meta = metadata_of(fake_stripe.calls("/v1/checkout/sessions")[0])

    set_identity(org_b)
    with tenant_context(org_b):
        set_seller_address(cast_b.admin)
        bilan_b = Bilan.objects.create(beneficiary=cast_b.beneficiary, consultant=cast_b.consultant)
        invoice_b = issue_invoice(cast_b, bilan_b, funder_for_beneficiary(actor=cast_b.admin, beneficiary=cast_b.beneficiary), cents=90000)
        online_payment_start(actor=cast_b.beneficiary_user, invoice=invoice_b, success_url="https://x.test/ok", cancel_url="https://x.test/ko")
        b_online = OnlinePayment.objects.get(invoice_id=invoice_b.pk)
    b_meta = metadata_of(fake_stripe.calls("/v1/checkout/sessions")[1])
    assert b_meta["organisation_schema"] == org_b.schema_name

    forged = [
        # alpha's organisation id with beta's schema
        ({**b_meta, "organisation_id": a_meta["organisation_id"]}, b_online.stripe_session_id, 90000, "organisation mismatch"),
        # beta's invoice and checkout claimed as alpha's
        ({**a_meta, "invoice_id": b_meta["invoice_id"], "online_payment_id": b_meta["online_payment_id"]}, b_online.stripe_session_id, 90000,
         "rejected: unknown_checkout"),
        # alpha's own checkout relabelled with beta's invoice
        ({**a_meta, "invoice_id": b_meta["invoice_id"]}, a_session, 180000, "rejected: invoice_mismatch"),
        # beta's checkout, but a smaller amount than the one opened
        (b_meta, b_online.stripe_session_id, 100, "rejected: amount_mismatch"),
        # beta's metadata on alpha's session
        (b_meta, a_session, 90000, "rejected: session_mismatch"),
    ]
    for index, (metadata, session_id, amount, outcome) in enumerate(forged):
        response = post_webhook(completed(session_id, metadata, amount=amount, payment_intent=f"pi_forged_{index}"))
        assert response.status_code == 200 and outcome in response.json()["outcome"], (index, response.json())

    with tenant_context(org_a):
        assert not Payment.objects.filter(invoice_id=self_funded.pk).exists()
        reasons = set(AuditEvent.objects.filter(action="billing.online_payment_rejected").values_list("details__reason", flat=True))
        assert reasons == {"unknown_checkout", "invoice_mismatch"}
    with tenant_context(org_b):
        assert not Payment.objects.exists()
        reasons = set(AuditEvent.objects.filter(action="billing.online_payment_rejected").values_list("details__reason", flat=True))
        assert reasons == {"amount_mismatch", "session_mismatch"}
    assert balance(org_b, invoice_b).outstanding_cents == 90000

    # The genuine events still go through afterwards, each in its own organisation.
    assert post_webhook(completed(b_online.stripe_session_id, b_meta, amount=90000, payment_intent="pi_b")).json()["outcome"] == "invoice paid online"
    assert post_webhook(completed(a_session, a_meta, amount=180000, payment_intent="pi_a")).json()["outcome"] == "invoice paid online"
    assert balance(org_b, invoice_b).outstanding_cents == 0
    assert balance(org_a, self_funded).outstanding_cents == 0


def test_without_stripe_no_online_payment_and_manual_payment_stays(in_a, self_funded, employer, bilan, settings):
    from bilans.billing.models import OnlinePayment

    settings.STRIPE_SECRET_KEY = ""
    company_invoice = issue_invoice(in_a, bilan, employer, cents=50000)
    beneficiary = in_a.client(in_a.beneficiary_user)
    html = beneficiary.get("/mon-bilan/factures/").content.decode()
    assert self_funded.number in html and "Payer en ligne" not in html
    assert company_invoice.number not in html  # invoiced to the employer: not the beneficiary's business
    response = beneficiary.post(f"/mon-bilan/factures/{self_funded.pk}/payer/", follow=True)
    assert "réglez par virement ou par chèque" in response.content.decode()
    with tenant_context(in_a.organisation):
        assert not OnlinePayment.objects.exists()
    admin = in_a.client(in_a.admin)
    assert admin.post(f"/facturation/documents/{self_funded.pk}/paiement/", {"amount": "1800", "received_on": "2026-11-21", "method": "cheque"}).status_code == 302
    assert balance(in_a.organisation, self_funded).outstanding_cents == 0


def test_invoices_are_private_to_their_beneficiary(in_a, self_funded, employer, bilan, fake_stripe):
    from bilans.billing.models import OnlinePayment

    company_invoice = issue_invoice(in_a, bilan, employer, cents=50000)
    beneficiary = in_a.client(in_a.beneficiary_user)
    # the employer's invoice cannot be paid nor downloaded by the beneficiary
    assert beneficiary.post(f"/mon-bilan/factures/{company_invoice.pk}/payer/").status_code == 404
    assert beneficiary.get(f"/mon-bilan/factures/{company_invoice.pk}/facture.pdf").status_code == 404
    pdf = beneficiary.get(f"/mon-bilan/factures/{self_funded.pk}/facture.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # staff of the organisation are not the payer; anonymous visitors go to the login page
    assert in_a.client(in_a.consultant).get("/mon-bilan/factures/").status_code == 403
    assert in_a.client().post(f"/mon-bilan/factures/{self_funded.pk}/payer/").status_code == 302
    assert fake_stripe.calls("/v1/checkout/sessions") == []
    with tenant_context(in_a.organisation):
        assert not OnlinePayment.objects.exists()


def test_no_online_payment_during_the_withdrawal_period(in_a, bilan, self_funded, fake_stripe):
    """CT-17 (L6353-6): a self-funded person pays nothing before the end of the 10-day
    withdrawal period of their contract: no « Payer en ligne » button and no Checkout session."""
    from datetime import date, timedelta

    from django.utils import timezone

    from bilans.models import Convention

    Convention.objects.create(
        bilan=bilan, kind="contract", status="signed", objective="Objectif", content="Contenu", means="Moyens", duration_hours=24,
        period_start=date(2026, 11, 1), period_end=date(2027, 2, 1), delivery_terms="-", results_terms="-", price_cents=180000,
        payment_terms="-", beneficiary_signed_at=timezone.now(), withdrawal_ends_at=timezone.now() + timedelta(days=5),
    )
    beneficiary = in_a.client(in_a.beneficiary_user)
    assert "Payer en ligne" not in beneficiary.get("/mon-bilan/factures/").content.decode()
    response = beneficiary.post(f"/mon-bilan/factures/{self_funded.pk}/payer/", follow=True)
    assert "délai de rétractation" in response.content.decode()
    assert fake_stripe.calls("/v1/checkout/sessions") == []


def test_a_second_click_closes_the_earlier_checkout_page(in_a, self_funded, fake_stripe):
    """Clicking « Payer en ligne » twice must not let the invoice be paid twice: the earlier,
    unpaid Checkout session is expired at Stripe, and a late event for it records nothing."""
    from bilans.billing.models import OnlinePayment

    first, first_meta = pay_online(in_a, self_funded)
    second, second_meta = pay_online(in_a, self_funded)
    assert [c["path"] for c in fake_stripe.requests if c["path"].endswith("/expire")] == [f"/v1/checkout/sessions/{first}/expire"]
    with tenant_context(in_a.organisation):
        assert OnlinePayment.objects.get(stripe_session_id=first).status == "expired"
        assert OnlinePayment.objects.get(stripe_session_id=second).status == "pending"

    metadata = {**metadata_of(fake_stripe.calls("/v1/checkout/sessions")[0]), **first_meta}
    assert post_webhook(completed(first, metadata, amount=180000, payment_intent="pi_late")).status_code == 200
    assert balance(in_a.organisation, self_funded).outstanding_cents == 180000
    metadata = {**metadata_of(fake_stripe.calls("/v1/checkout/sessions")[1]), **second_meta}
    assert post_webhook(completed(second, metadata, amount=180000, payment_intent="pi_second")).status_code == 200
    assert balance(in_a.organisation, self_funded).outstanding_cents == 0


def test_a_checkout_page_stripe_will_not_close_stays_pending_for_its_webhook(in_a, self_funded, fake_stripe):
    from bilans.billing.models import OnlinePayment

    first, _ = pay_online(in_a, self_funded)
    fake_stripe.completed_sessions.add(first)  # paid at Stripe, webhook not arrived yet
    pay_online(in_a, self_funded)
    with tenant_context(in_a.organisation):
        assert OnlinePayment.objects.get(stripe_session_id=first).status == "pending"
