"""Staff console: plans, top-up packs and forfait types are data edited by the platform team
(through the services, validated, audited); a new price applies to new orders only."""
from __future__ import annotations

import uuid

import pytest

from organisations.accounts.models import AuditEvent, User
from plans.models import ForfaitType, Order, Plan, TopUpPack
from plans.services import forfait_allocate
from tests.conftest import PASSWORD, client_for
from tests.organisations.factories import totp_enable
from tests.plans.conftest import fund, new_budget


@pytest.fixture
def staff(org, staff_user):
    return client_for(None, staff_user)


def plan_post(plan: Plan, **overrides) -> dict:
    data = {
        "name": plan.name,
        "monthly_price": f"{plan.monthly_price_cents // 100},{plan.monthly_price_cents % 100:02d}",
        "monthly_credits": str(plan.monthly_credits),
        "features": "\n".join(plan.features),
        "capabilities": list(plan.capabilities),
        "support_level": plan.support_level,
        "is_public": "on",
    }
    if plan.price_is_minimum:
        data["price_is_minimum"] = "on"
    if plan.max_active_bilans is None:
        data["unlimited_bilans"] = "on"
    else:
        data["max_active_bilans"] = str(plan.max_active_bilans)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_catalogue_lists_plans_packs_and_forfaits(staff):
    page = staff.get("/console/credits/offre/")
    assert page.status_code == 200
    html = page.content.decode()
    for expected in ("Starter", "Professional", "Enterprise", "Essentiel", "Premium", "Entreprise", "/console/credits/offre/packs/pack-250/"):
        assert expected in html
    assert "à partir de 499,00\u00a0€" in html  # Enterprise is quote-only
    assert "0,70\u00a0€" in html  # unit price of the 250-credit pack


def test_staff_changes_a_plan_price_for_new_orders_only(cast_a, staff, staff_user, public_client):
    starter = Plan.objects.get(code="starter")
    admin = cast_a.client(cast_a.admin)
    admin.post("/credits/commander/", {"plan": "starter"})
    old_order = Order.objects.get(organisation=cast_a.organisation, kind="subscription")
    assert old_order.amount_cents == 4900

    url = "/console/credits/offre/formules/starter/"
    form = staff.get(url)
    assert form.status_code == 200 and 'value="49,00"' in form.content.decode()
    response = staff.post(url, plan_post(starter, monthly_price="59,90", max_active_bilans="12", monthly_credits="350"))
    assert response.status_code == 302 and response["Location"] == "/console/credits/offre/"

    starter.refresh_from_db()
    assert (starter.monthly_price_cents, starter.max_active_bilans, starter.monthly_credits) == (5990, 12, 350)
    old_order.refresh_from_db()
    assert old_order.amount_cents == 4900  # an order already placed keeps its amount
    admin.post("/credits/commander/", {"plan": "starter"})
    new_order = Order.objects.filter(organisation=cast_a.organisation, kind="subscription").exclude(pk=old_order.pk).get()
    assert (new_order.amount_cents, new_order.credits) == (5990, 350)

    pricing = public_client.get("/tarifs/").content.decode()
    assert "<strong>59,90 €</strong>" in pricing and "<strong>49 €</strong>" not in pricing

    event = AuditEvent.objects.get(action="plan.updated", object_id=str(starter.pk))
    assert event.actor_id == staff_user.pk
    assert event.details["changes"]["monthly_price_cents"] == [4900, 5990]


def test_plan_bilan_limit_can_be_unlimited_and_quote_only(staff, public_client):
    professional = Plan.objects.get(code="professional")
    response = staff.post(
        "/console/credits/offre/formules/professional/",
        plan_post(professional, unlimited_bilans="on", max_active_bilans=None, price_is_minimum="on", monthly_price="199"),
    )
    assert response.status_code == 302
    professional.refresh_from_db()
    assert professional.max_active_bilans is None and professional.price_is_minimum and professional.monthly_price_cents == 19900
    pricing = public_client.get("/tarifs/").content.decode()
    assert "<strong>Sur devis</strong>" in pricing and "à partir de 199 € HT par mois" in pricing
    assert "Choisir Professional" not in pricing  # a plan on quote is not self-service: no trial offered for it
    assert "Bilans actifs illimités" in pricing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"monthly_price": "-5"}, "Le prix mensuel ne peut pas être négatif."),
        ({"monthly_price": "quarante"}, "Indiquez un montant en euros"),
        ({"max_active_bilans": "0"}, "Le nombre de bilans actifs doit être d&#x27;au moins 1"),
        ({"max_active_bilans": None}, "Indiquez un nombre de bilans actifs ou cochez"),
        ({"monthly_credits": "-1"}, "Les crédits mensuels ne peuvent pas être négatifs."),
    ],
)
def test_invalid_plan_values_are_refused_in_french(staff, overrides, message):
    starter = Plan.objects.get(code="starter")
    response = staff.post("/console/credits/offre/formules/starter/", plan_post(starter, **overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    fresh = Plan.objects.get(code="starter")
    assert (fresh.monthly_price_cents, fresh.max_active_bilans, fresh.monthly_credits) == (4900, 10, 300)
    assert not AuditEvent.objects.filter(action="plan.updated").exists()


def test_staff_edits_a_pack_and_unit_prices_must_decrease_with_size(cast_a, staff):
    admin = cast_a.client(cast_a.admin)
    admin.post("/credits/commander/", {"pack": "pack-100"})
    old_order = Order.objects.get(organisation=cast_a.organisation, kind="pack")
    url = "/console/credits/offre/packs/pack-100/"
    assert staff.get(url).status_code == 200

    # 100 credits at 95 € (0,95 €/credit) would cost more per credit than the 50-credit pack (0,90 €)
    refused = staff.post(url, {"credits": "100", "price": "95", "is_active": "on"})
    assert refused.status_code == 400 and "plus le pack est grand, moins le crédit coûte" in refused.content.decode()
    # 100 credits at 65 € (0,65 €/credit) would be cheaper per credit than the 250-credit pack (0,70 €)
    assert staff.post(url, {"credits": "100", "price": "65", "is_active": "on"}).status_code == 400
    for bad in ({"credits": "0", "price": "80"}, {"credits": "100", "price": "0"}, {"credits": "100", "price": "-10"}):
        assert staff.post(url, {**bad, "is_active": "on"}).status_code == 400
    assert TopUpPack.objects.get(code="pack-100").price_cents == 8000

    assert staff.post(url, {"credits": "100", "price": "79,50", "is_active": "on"}).status_code == 302
    assert TopUpPack.objects.get(code="pack-100").price_cents == 7950
    old_order.refresh_from_db()
    assert old_order.amount_cents == 8000  # the pending order keeps its amount
    admin.post("/credits/commander/", {"pack": "pack-100"})
    assert Order.objects.filter(organisation=cast_a.organisation, kind="pack").exclude(pk=old_order.pk).get().amount_cents == 7950
    assert "79,50\u00a0€" in admin.get("/credits/").content.decode()
    event = AuditEvent.objects.get(action="pack.updated")
    assert event.details["changes"] == {"price_cents": [8000, 7950]}


def test_staff_edits_a_forfait_type(org, staff):
    url = "/console/credits/offre/forfaits/essentiel/"
    page = staff.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nombre de projets professionnels" in html and "Test de personnalité" in html and "Évaluations" in html
    essentiel = ForfaitType.objects.get(code="essentiel")
    features = [code for code in essentiel.features if code != "interview_in_person_hour"] + ["assessment_personality"]
    response = staff.post(
        url,
        {
            "name": "Essentiel",
            "credits": "120",
            "validity_months": "4",
            "projects": "projects_alternative",
            "features": features,
            "description": "120 crédits\nValable 4 mois\n1 projet principal et 1 projet alternatif",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    essentiel.refresh_from_db()
    assert (essentiel.credits, essentiel.validity_months, essentiel.max_validity_months) == (120, 4, 4)
    assert "assessment_personality" in essentiel.features and "projects_alternative" in essentiel.features
    assert "interview_in_person_hour" not in essentiel.features
    assert essentiel.description[0] == "120 crédits"
    assert AuditEvent.objects.filter(action="forfait_type.updated", object_id=str(essentiel.pk)).exists()

    # the next allocation uses the new credits
    bilan_id = uuid.uuid4()
    fund(org, 120)
    entry = forfait_allocate(organisation=org, bilan_id=bilan_id, forfait_code="essentiel", actor=None, idempotency_key=f"a:{bilan_id}")
    assert entry.amount == 120


def test_staff_edit_a_forfait_course_and_the_forecast_follows(org, staff):
    """The forfait's typical course (planned steps) is data the staff edit; a bilan's credit
    forecast then counts the new course at the current barème."""
    from plans.selectors import credits_forecast, planned_actions_remaining

    url = "/console/credits/offre/forfaits/essentiel/"
    essentiel = ForfaitType.objects.get(code="essentiel")
    html = staff.get(url).content.decode()
    assert "Parcours type" in html and 'name="planned-document_synthesis"' in html
    assert f'name="planned-document_simple" value="{essentiel.planned_actions.count("document_simple")}"' in html
    base = {
        "name": "Essentiel", "credits": "100", "validity_months": "3", "projects": "1", "features": essentiel.features,
        "description": "100 crédits", "is_active": "on",
    }
    refused = staff.post(url, {**base, "planned-document_synthesis": "-1"})
    assert refused.status_code == 400
    response = staff.post(url, {**base, "planned-document_synthesis": "1", "planned-interview_video_hour": "2"})
    assert response.status_code == 302
    essentiel.refresh_from_db()
    assert sorted(essentiel.planned_actions) == ["document_synthesis", "interview_video_hour", "interview_video_hour"]
    event = AuditEvent.objects.filter(action="forfait_type.updated", object_id=str(essentiel.pk)).latest("occurred_at")
    assert "planned_actions" in event.details["changes"]

    bilan_id = new_budget(org, "essentiel")
    planned = planned_actions_remaining(organisation=org, bilan_id=bilan_id)
    assert credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=planned)["planned_cost"] == 20 + 2 * 30
    # a post without any count (an older form) keeps the course
    staff.post(url, base)
    essentiel.refresh_from_db()
    assert len(essentiel.planned_actions) == 3


def test_invalid_forfait_values_are_refused(org, staff):
    url = "/console/credits/offre/forfaits/entreprise/"
    base = {"name": "Entreprise", "credits": "1000", "validity_months": "12", "max_validity_months": "24", "is_custom": "on", "projects": "projects_multiple", "is_active": "on"}
    for bad in ({"credits": "0"}, {"validity_months": "0"}, {"max_validity_months": "6"}, {"features": ["no_such_feature"]}):
        response = staff.post(url, {**base, **bad})
        assert response.status_code == 400, bad
    assert ForfaitType.objects.get(code="entreprise").credits == 1000
    refused = staff.post(url, {**base, "max_validity_months": "6"}).content.decode()
    assert "La validité maximale doit être comprise entre la validité du forfait et 60 mois." in refused


def test_catalogue_pages_are_for_staff_only(cast_a, org):
    pages = (
        "/console/credits/offre/",
        "/console/credits/offre/formules/starter/",
        "/console/credits/offre/packs/pack-50/",
        "/console/credits/offre/forfaits/essentiel/",
    )
    # an organisation administrator: the console does not exist on the organisation's subdomain
    admin = cast_a.client(cast_a.admin)
    for url in pages:
        assert admin.get(url).status_code == 404
    assert admin.post("/console/credits/offre/formules/starter/", {"monthly_price": "1"}).status_code == 404
    # a non-staff account on the platform domain
    member = User.objects.create_user(email=f"membre-{uuid.uuid4().hex[:6]}@plateforme.test", password=PASSWORD, role="admin")
    totp_enable(member)
    platform_member = client_for(None, member)
    for url in pages:
        assert platform_member.get(url).status_code == 403
    assert platform_member.post("/console/credits/offre/formules/starter/", plan_post(Plan.objects.get(code="starter"), monthly_price="1")).status_code == 403
    assert Plan.objects.get(code="starter").monthly_price_cents == 4900
    assert client_for(None).get("/console/credits/offre/").status_code == 302  # anonymous: to the login page


def test_staff_change_the_tariff_for_the_next_charges_only(org, staff, staff_user):
    """The barème is data: a new price applies to the next charge, a written charge keeps its
    amount, the change is audited with old and new values, and a bad value changes nothing."""
    from plans.models import TariffItem
    from plans.services import credits_charge
    from tests.plans.conftest import new_budget

    bilan_id = new_budget(org, "essentiel")
    before = credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="t1")
    assert before.amount == 20
    page = staff.get("/console/credits/regles/")
    assert page.status_code == 200
    form = {f"rules-{k}": v for k, v in {"trial_days": 14, "trial_credits": 50, "pack_validity_days": 365,
                                         "topup_validity_extension_days": 0, "renewal_bonus_percent": 0, "carry_over_percent": 0}.items()}
    refused = staff.post("/console/credits/regles/", {**form, "tariff-document_synthesis": "beaucoup"})
    assert refused.status_code == 400 and "Valeur invalide" in refused.content.decode()
    assert TariffItem.objects.get(code="document_synthesis").credits == 20

    saved = staff.post("/console/credits/regles/", {**form, "tariff-document_synthesis": "25", "plan-starter": "120"})
    assert saved.status_code == 302
    after = credits_charge(organisation=org, bilan_id=bilan_id, action_code="document_synthesis", actor=None, idempotency_key="t2")
    assert after.amount == 25
    before.refresh_from_db()
    assert before.amount == 20
    assert Plan.objects.get(code="starter").monthly_credits == 120
    event = AuditEvent.objects.filter(action="credits.rules_updated").latest("occurred_at")
    assert event.details["tariff"] == {"document_synthesis": [20, 25]}
    assert event.details["monthly_credits"]["starter"][1] == 120


def test_huge_or_odd_numbers_are_refused_without_a_server_error(org, staff):
    """Bad input gets a French error and loses nothing, never a 500 (values beyond the columns)."""
    starter = Plan.objects.get(code="starter")
    response = staff.post("/console/credits/offre/formules/starter/", plan_post(starter, monthly_credits="99999999999"))
    assert response.status_code == 400
    starter.refresh_from_db()
    assert starter.monthly_credits != 99999999999
    form = {f"rules-{k}": v for k, v in {"trial_days": 14, "trial_credits": 50, "pack_validity_days": 365,
                                         "topup_validity_extension_days": 0, "renewal_bonus_percent": 0, "carry_over_percent": 0}.items()}
    for odd in ("99999999999", "²"):
        refused = staff.post("/console/credits/regles/", {**form, "tariff-document_synthesis": odd})
        assert refused.status_code == 400, odd
    refused = staff.post("/console/credits/offre/forfaits/essentiel/", {"name": "Essentiel", "credits": "99999999999", "validity_months": "3", "projects": "1"})
    assert refused.status_code == 400
