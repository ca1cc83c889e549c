"""Credits pages and API: administrators, consultants, staff console, manual payment mode."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from django_tenants.utils import schema_context

from organisations.accounts.models import AuditEvent
from plans.models import CreditAccount, LedgerEntry, Order
from plans.services import account_get, credits_charge
from tests.conftest import client_for
from tests.plans.helpers import bilan_with_forfait


@pytest.fixture
def charged(cast_a, bilans_a):
    mine, other = bilans_a
    org = cast_a.organisation
    bilan_with_forfait(org, mine.pk, "standard")
    bilan_with_forfait(org, other.pk, "essentiel")
    credits_charge(organisation=org, bilan_id=mine.pk, action_code="document_synthesis", actor=cast_a.consultant, idempotency_key="v1")
    credits_charge(organisation=org, bilan_id=mine.pk, action_code="interview_video_hour", actor=cast_a.consultant, idempotency_key="v2", quantity=2)
    credits_charge(organisation=org, bilan_id=other.pk, action_code="assessment_skills", actor=cast_a.other_consultant, idempotency_key="v3")
    return mine, other


def test_administrator_sees_balance_chart_budgets_and_packs(cast_a, charged):
    response = cast_a.client(cast_a.admin).get("/credits/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="wallet-balance"' in html and "<svg" in html and 'role="img"' in html
    assert cast_a.beneficiary.full_name in html and cast_a.other_beneficiary.full_name in html
    assert "Document de synthèse" in html  # consumption by action
    assert "100 crédits" in html and "Commander 100 crédits" in html  # manual mode without Stripe keys


def test_consultant_sees_only_their_bilans_budget_and_forecast(cast_a, charged):
    mine, other = charged
    client = cast_a.client(cast_a.consultant)
    html = client.get("/credits/").content.decode()
    assert cast_a.beneficiary.full_name in html and cast_a.other_beneficiary.full_name not in html
    assert 'id="wallet-balance"' not in html
    detail = client.get(f"/credits/bilans/{mine.pk}/")
    assert detail.status_code == 200
    assert detail.context["forecast"]["remaining"] == 250 - 20 - 60
    assert client.get(f"/credits/bilans/{other.pk}/").status_code == 404
    assert client.get("/credits/historique/").status_code == 403


def test_beneficiary_has_no_access(cast_a, charged):
    assert cast_a.client(cast_a.beneficiary_user).get("/credits/").status_code == 403


def test_history_filters_and_csv_export(cast_a, charged):
    mine, _ = charged
    client = cast_a.client(cast_a.admin)
    response = client.get("/credits/historique/", {"type": "charge", "bilan": str(mine.pk)})
    assert response.status_code == 200
    assert [row["entry"].action_code for row in response.context["rows"]] == ["interview_video_hour", "document_synthesis"]
    export = client.get("/credits/historique/", {"type": "charge", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert sorted(int(r["credits"]) for r in rows) == [-60, -20, -20]
    assert {r["acteur"] for r in rows} == {cast_a.consultant.email, cast_a.other_consultant.email}


def test_api_balance_and_bilan_forecast(cast_a, charged):
    mine, other = charged
    admin = cast_a.client(cast_a.admin)
    body = admin.get("/api/v1/credits/").json()
    assert body["wallet"]["balance"] == account_get(cast_a.organisation, "wallet").balance
    entries = admin.get("/api/v1/credits/entries/", {"type": "charge"}).json()
    assert entries["count"] == 3
    consultant = cast_a.client(cast_a.consultant)
    forecast = consultant.post(
        f"/api/v1/credits/bilans/{mine.pk}/", {"planned_action_codes": ["ai_career_path_analysis", "document_action_plan"]}, content_type="application/json"
    ).json()
    assert (forecast["remaining"], forecast["planned_cost"], forecast["shortfall"]) == (170, 45, 0)
    assert consultant.get(f"/api/v1/credits/bilans/{other.pk}/").status_code == 404
    assert consultant.get("/api/v1/credits/").status_code == 403


def test_manual_mode_order_marked_paid_by_staff_grants_credits(cast_a, staff_user):
    org = cast_a.organisation
    response = cast_a.client(cast_a.admin).post("/credits/commander/", {"pack": "pack-250"})
    order = Order.objects.get(organisation=org)
    assert response.status_code == 302 and response["Location"] == f"/credits/commandes/{order.pk}/"  # IBAN and reference
    assert order.payment_mode == "manual" and order.status == "pending"
    before = account_get(org, "wallet").balance
    assert cast_a.client(cast_a.admin).post(f"/console/credits/commandes/{order.pk}/payee/").status_code in (403, 404)
    staff = client_for(None, staff_user)
    assert staff.get("/console/credits/").status_code == 200
    assert staff.post(f"/console/credits/commandes/{order.pk}/payee/").status_code == 302
    assert staff.post(f"/console/credits/commandes/{order.pk}/payee/").status_code == 302  # twice: refused, credited once
    assert account_get(org, "wallet").balance == before + 250
    entry = LedgerEntry.objects.get(order=order)
    assert entry.kind == "purchase" and entry.actor_email == staff_user.email
    assert AuditEvent.objects.filter(action="order.paid", object_id=str(order.pk)).exists()


def test_staff_adjustment_needs_a_reason_and_is_audited(cast_a, staff_user):
    org = cast_a.organisation
    staff = client_for(None, staff_user)
    url = f"/console/credits/organisations/{org.pk}/"
    assert staff.get(url).status_code == 200
    before = account_get(org, "wallet").balance
    refused = staff.post(url, {"credits": "40", "reason": ""})
    assert refused.status_code == 400 and account_get(org, "wallet").balance == before
    assert staff.post(url, {"credits": "40", "reason": "Geste commercial après incident"}).status_code == 302
    assert account_get(org, "wallet").balance == before + 40
    entry = LedgerEntry.objects.get(organisation=org, kind="adjustment")
    assert entry.reason == "Geste commercial après incident" and entry.actor_email == staff_user.email
    event = AuditEvent.objects.get(action="credits.adjusted")
    assert event.actor_id == staff_user.pk and event.details["credits"] == 40 and event.details["reason"]
    assert staff.post(url, {"credits": str(-(before + 1000)), "reason": "Trop"}).status_code == 400


def test_console_is_for_staff_only(cast_a):
    assert client_for(None).get("/console/credits/").status_code == 302  # to the login page


def test_transfer_between_bilans_is_for_enterprise(cast_a, charged):
    from plans.models import Plan
    from tenants.models import Organisation

    mine, other = charged
    client = cast_a.client(cast_a.admin)
    client.post("/credits/transfert/", {"source": str(other.pk), "target": str(mine.pk), "credits": "30"})
    assert CreditAccount.objects.get(bilan_id=mine.pk).balance == 170  # refused on Starter
    Organisation.objects.filter(pk=cast_a.organisation.pk).update(plan=Plan.objects.get(code="enterprise"))
    client.post("/credits/transfert/", {"source": str(other.pk), "target": str(mine.pk), "credits": "30"})
    assert CreditAccount.objects.get(bilan_id=mine.pk).balance == 200
    assert CreditAccount.objects.get(bilan_id=other.pk).balance == 100 - 20 - 30
    # a target that is not one of the organisation's bilans: refused, nothing moves
    response = client.post("/credits/transfert/", {"source": str(other.pk), "target": str(uuid.uuid4()), "credits": "10"}, follow=True)
    assert "Choisissez deux bilans de votre organisme." in response.content.decode()
    assert CreditAccount.objects.get(bilan_id=other.pk).balance == 100 - 20 - 30


def test_staff_ledger_never_shows_a_beneficiary(cast_a, charged, staff_user):
    """CT-08: platform staff see an organisation's credits (amounts, actions, bilan identifiers),
    never who the beneficiaries are, even for a charge the beneficiary triggered (submitting a
    questionnaire)."""
    mine, _ = charged
    entry = credits_charge(
        organisation=cast_a.organisation, bilan_id=mine.pk, action_code="assessment_interests", actor=cast_a.beneficiary_user, idempotency_key="by-beneficiary"
    )
    assert entry.actor_email == "" and entry.actor_id == cast_a.beneficiary_user.pk
    html = client_for(None, staff_user).get(f"/console/credits/organisations/{cast_a.organisation.pk}/").content.decode()
    assert "Document de synthèse" in html  # the action, in words
    for person in (cast_a.beneficiary, cast_a.other_beneficiary):
        assert person.last_name not in html and person.email not in html
    assert cast_a.beneficiary_user.email not in html
