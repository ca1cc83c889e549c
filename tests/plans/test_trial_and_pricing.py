"""A new space's trial runs one whole bilan; the public pricing page tells the truth (trial,
packs and their price per credit, what a credit buys, plans that can be chosen at signup)."""
from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from plans.migrations._seed import trial_credits_needed
from plans.models import CreditRules, ForfaitType, Plan, TariffItem
from plans.services import account_get, credits_charge, forfait_allocate
from tests.conftest import PASSWORD
from tests.tenants.test_signup import signup_post

SIGNUP = {
    "kind": "independent_consultant",
    "name": "Cabinet Essai",
    "first_name": "Inès",
    "last_name": "Durand",
    "password": PASSWORD,
    "accept_terms": "on",
}


def _signup(public_client, slug: str, formule: str = ""):
    from tenants.models import Organisation

    data = {**SIGNUP, "slug": slug, "email": f"{slug}@essai.test"}
    if formule:
        data["formule"] = formule
    response = signup_post(public_client, data)
    assert response.status_code == 302, response.content.decode()[:500]
    return Organisation.objects.get(slug=slug)


def test_trial_credits_pay_for_the_cheapest_forfait_and_its_course(org):
    """The trial grant is computed from the data: the cheapest forfait, at least its course."""
    cheapest = ForfaitType.objects.filter(is_active=True, is_custom=False).order_by("credits").first()
    assert CreditRules.objects.get(pk=1).trial_credits >= trial_credits_needed(ForfaitType, TariffItem) >= cheapest.credits


def test_a_freshly_signed_up_organisation_can_run_one_whole_bilan(public_client, org):
    organisation = _signup(public_client, f"essai-{uuid.uuid4().hex[:6]}")
    wallet = account_get(organisation, "wallet")
    assert wallet.balance == CreditRules.objects.get(pk=1).trial_credits
    cheapest = ForfaitType.objects.filter(is_active=True, is_custom=False).order_by("credits").first()
    with schema_context(organisation.schema_name):
        from organisations.accounts.models import User

        admin = User.objects.get()
    bilan_id = uuid.uuid4()
    forfait_allocate(organisation=organisation, bilan_id=bilan_id, forfait_code=cheapest.code, actor=admin, idempotency_key="trial-forfait")
    # one questionnaire, a synthèse draft and its validation, charged on the bilan's budget
    for key, code in (("q", "assessment_interests"), ("s", "document_synthesis"), ("v", "consultant_minor_change")):
        assert code in cheapest.features
        credits_charge(organisation=organisation, bilan_id=bilan_id, action_code=code, actor=admin, idempotency_key=key)
    from plans.selectors import budget_for

    prices = dict(TariffItem.objects.values_list("code", "credits"))
    spent = prices["assessment_interests"] + prices["document_synthesis"] + prices["consultant_minor_change"]
    assert budget_for(organisation, bilan_id).balance == cheapest.credits - spent


def test_signup_preselects_the_plan_chosen_on_the_pricing_page(public_client, org):
    form = public_client.get("/inscription/", {"formule": "professional"}).content.decode()
    assert 'name="formule" value="professional"' in form and "Formule choisie : <strong>Professional</strong>" in form
    organisation = _signup(public_client, f"pro-{uuid.uuid4().hex[:6]}", formule="professional")
    assert organisation.plan.code == "professional"
    assert organisation.subscription.status == "trialing" and organisation.subscription.plan.code == "professional"
    # a plan on quote is not self-service: the trial stays on Starter
    on_quote = _signup(public_client, f"ent-{uuid.uuid4().hex[:6]}", formule="enterprise")
    assert on_quote.plan.code == "starter"


def test_pricing_page_shows_trial_packs_barème_and_plans_as_gated(public_client, org):
    html = public_client.get("/tarifs/").content.decode()
    rules = CreditRules.objects.get(pk=1)
    trial = html.split('id="essai"', 1)[1].split("</section>", 1)[0]
    assert f"{rules.trial_credits} crédits offerts" in trial and "crédits inclus par mois" not in trial
    # packs with their price and price per credit
    assert "250 crédits" in html and "175,00\u00a0€" in html and "0,70\u00a0€" in html
    # the barème in words, never codes
    assert "Document de synthèse" in html and "Modification mineure" in html
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S))
    assert "document_synthesis" not in text and not re.search(r"\b[a-z]+_[a-z]+(?:_[a-z]+)*\b", text)
    # plans: chosen at signup, Enterprise on quote only
    assert 'href="/inscription/?formule=starter"' in html and 'href="/inscription/?formule=professional"' in html
    assert "formule=enterprise" not in html and "Sur devis" in html and "Nous contacter" in html
    enterprise = html.split('id="plan-enterprise"', 1)[1].split("</article>", 1)[0]
    assert "essai" not in enterprise.lower()
    # features listed as the code gates them
    professional = html.split('id="plan-professional"', 1)[1].split("</article>", 1)[0]
    assert "Personnalisation à vos couleurs" in professional and "Transferts de crédits entre bilans" not in professional
    assert "Transferts de crédits entre bilans" in enterprise and "Bilans actifs illimités" in enterprise
    assert "Jusqu&#x27;à 10 bilans actifs" in html.split('id="plan-starter"', 1)[1].split("</article>", 1)[0]


def test_plan_capabilities_are_what_the_code_checks(cast_a):
    from config.errors import Forbidden
    from plans.selectors import plan_allows
    from plans.services import credits_transfer
    from tenants.models import Organisation

    organisation = cast_a.organisation
    for code, branding, transfers in (("starter", False, False), ("professional", True, False), ("enterprise", True, True)):
        Organisation.objects.filter(pk=organisation.pk).update(plan=Plan.objects.get(code=code))
        assert (plan_allows(organisation, "branding"), plan_allows(organisation, "credit_transfers")) == (branding, transfers)
    Organisation.objects.filter(pk=organisation.pk).update(plan=Plan.objects.get(code="professional"))
    with pytest.raises(Forbidden):
        credits_transfer(
            organisation=organisation, from_bilan_id=uuid.uuid4(), to_bilan_id=uuid.uuid4(), amount=5, actor=cast_a.admin,
            idempotency_key="t1", allowed_bilan_ids=lambda _: True,
        )


def test_credits_page_during_the_trial_says_what_was_given(cast_a, org):
    from plans.models import Subscription

    Subscription.objects.filter(organisation=cast_a.organisation).update(status="trialing")
    html = cast_a.client(cast_a.admin).get("/credits/").content.decode()
    trial = CreditRules.objects.get(pk=1).trial_credits
    assert f"Essai : {trial} crédits offerts" in html
    # Enterprise is sold on quote: a request for a quote, not a self-service subscription
    assert "Demander un devis" in html and "Souscrire Enterprise" not in html and "Souscrire Professional" in html
