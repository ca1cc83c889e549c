"""Payments by bank transfer that close: the order page gives the platform's IBAN, a unique
reference and a pro-forma PDF; staff mark the order paid from the console; the wallet is
credited once and the organisation's administrators are told (in the app and by e-mail)."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from django.db import IntegrityError, transaction
from django_tenants.utils import schema_context

from config.errors import Conflict
from organisations.accounts.models import AuditEvent
from plans.models import LedgerEntry, Order
from plans.services import account_get, forfait_allocate, order_mark_paid
from tests.conftest import client_for


@pytest.fixture
def ordered(cast_a, settings):
    settings.PLATFORM_BANK_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.PLATFORM_BANK_BIC = "AGRIFRPPXXX"
    settings.PLATFORM_BANK_HOLDER = "Bilans Pro SAS"
    settings.PLATFORM_VAT_RATE_PERCENT = 20
    response = cast_a.client(cast_a.admin).post("/credits/commander/", {"pack": "pack-250"})
    order = Order.objects.get(organisation=cast_a.organisation)
    return order, response


def _notes(cast, kind: str) -> list:
    from organisations.models import Notification

    with schema_context(cast.organisation.schema_name):
        return list(Notification.objects.filter(kind=kind).select_related("recipient"))


def test_order_by_transfer_shows_iban_reference_amounts_and_a_pro_forma(cast_a, ordered):
    order, response = ordered
    assert order.payment_mode == "manual" and re.fullmatch(r"BP-[A-Z2-9]{4}-[A-Z2-9]{4}", order.reference)
    assert response.status_code == 302 and response["Location"] == f"/credits/commandes/{order.pk}/"
    page = cast_a.client(cast_a.admin).get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    for expected in ("FR76 3000 6000 0112 3456 7890 189", "AGRIFRPPXXX", "Bilans Pro SAS", order.reference):
        assert expected in html
    # 250 credits at 175 € excl. VAT, VAT 20 %, French formatting
    assert "175,00\u00a0€" in html and "35,00\u00a0€" in html and "210,00\u00a0€" in html
    pdf = cast_a.client(cast_a.admin).get(f"/credits/commandes/{order.pk}/pro-forma.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert order.reference in pdf["Content-Disposition"]
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    for expected in ("Facture pro forma", order.reference, "FR76 3000 6000 0112 3456 7890 189", "210,00 €", cast_a.organisation.name):
        assert expected in text
    # the credits page lists the order with its reference, linked to this page
    assert f'href="/credits/commandes/{order.pk}/"' in cast_a.client(cast_a.admin).get("/credits/").content.decode()


def test_order_page_is_for_the_organisations_administrators_only(cast_a, cast_b, ordered):
    order, _ = ordered
    assert cast_a.client(cast_a.consultant).get(f"/credits/commandes/{order.pk}/").status_code == 403
    assert cast_b.client(cast_b.admin).get(f"/credits/commandes/{order.pk}/").status_code == 404
    assert cast_b.client(cast_b.admin).get(f"/credits/commandes/{order.pk}/pro-forma.pdf").status_code == 404


def test_order_references_are_unique_in_the_database(cast_a, ordered):
    order, _ = ordered
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(
            organisation=cast_a.organisation, kind="pack", pack=order.pack, credits=50, amount_cents=4500, payment_mode="manual",
            reference=order.reference,
        )


def test_staff_mark_a_transfer_paid_from_the_console_once(cast_a, ordered, staff_user):
    order, _ = ordered
    org = cast_a.organisation
    before = account_get(org, "wallet").balance
    staff = client_for(None, staff_user)
    console = staff.get(f"/console/credits/organisations/{org.pk}/").content.decode()
    # the button posts to this order's URL (it used to lose the id and post to "/payee/")
    assert f'action="/console/credits/commandes/{order.pk}/payee/"' in console and order.reference in console
    assert order.reference in staff.get("/console/credits/", {"q": order.reference.lower()}).content.decode()

    response = staff.post(f"/console/credits/commandes/{order.pk}/payee/", follow=True)
    assert response.status_code == 200 and "Commande marquée payée" in response.content.decode()
    again = staff.post(f"/console/credits/commandes/{order.pk}/payee/", follow=True)
    assert "déjà marquée payée" in again.content.decode()
    assert account_get(org, "wallet").balance == before + 250
    assert LedgerEntry.objects.filter(order=order).count() == 1
    with pytest.raises(Conflict) as error:
        order_mark_paid(order=order, actor=staff_user, via="manual")
    assert error.value.code == "order_already_paid"
    assert AuditEvent.objects.filter(action="order.paid", object_id=str(order.pk)).count() == 1

    notes = _notes(cast_a, "credits_order_paid")
    assert cast_a.admin.pk in {n.recipient_id for n in notes}
    assert {n.recipient.role for n in notes} == {"admin"}
    assert notes[0].title == "Paiement reçu : 250 crédits ajoutés" and order.reference in notes[0].body
    page = cast_a.client(cast_a.admin).get(f"/credits/commandes/{order.pk}/").content.decode()
    assert "Payée" in page and "IBAN" not in page  # nothing left to pay


@pytest.mark.django_db(transaction=True)  # the e-mail worker runs in its own thread: data must be committed
def test_administrators_get_an_email_when_the_transfer_is_received(cast_a, staff_user, worker, mailoutbox):
    from plans.services import order_create

    with schema_context(cast_a.organisation.schema_name):
        order = order_create(organisation=cast_a.organisation, actor=cast_a.admin, pack_code="pack-50")
    order_mark_paid(order=order, actor=staff_user, via="manual")
    worker.broker.join("default")
    worker.join()
    mails = [m for m in mailoutbox if m.subject.startswith("Paiement reçu")]
    assert cast_a.admin.email in {address for m in mails for address in m.to}


def test_a_consultant_short_of_credits_is_told_to_ask_an_administrator(cast_a, bilans_a):
    mine, _ = bilans_a
    from config.errors import PaymentRequired

    wallet = account_get(cast_a.organisation, "wallet").balance
    assert wallet < 10_000
    from plans.models import ForfaitType

    ForfaitType.objects.filter(code="premium").update(credits=wallet + 1)
    with pytest.raises(PaymentRequired) as refused:
        forfait_allocate(organisation=cast_a.organisation, bilan_id=mine.pk, forfait_code="premium", actor=cast_a.consultant, idempotency_key="c1")
    assert "Demandez à un administrateur" in refused.value.message and "Achetez" not in refused.value.message
    with pytest.raises(PaymentRequired) as refused:
        forfait_allocate(organisation=cast_a.organisation, bilan_id=mine.pk, forfait_code="premium", actor=cast_a.admin, idempotency_key="c2")
    assert "Achetez un pack" in refused.value.message
    html = cast_a.client(cast_a.consultant).get("/credits/").content.decode()
    assert "demandez-leur" in html and "Commander" not in html
