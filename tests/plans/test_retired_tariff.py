"""Two lines of the barème that nothing ever charged are retired (plans migration 0005):
« Recherche documentaire ciblée (IA) » (no such feature) and « Mise à jour du plan d'action (IA) »
(an update of the action plan by the AI is a redraft, charged with the type's code
``document_action_plan`` like every draft). Existing ledger entries stay valid."""
from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django_tenants.utils import tenant_context

from config.errors import InvalidInput
from plans.models import ForfaitType, LedgerEntry, TariffItem
from plans.selectors import consumption_by_action, credits_forecast, ledger_balances_check, planned_actions_remaining
from plans.services import credits_charge
from tests.plans.conftest import new_budget

RETIRED = ("ai_documentary_research", "ai_action_plan_update")
migration = importlib.import_module("plans.migrations.0005_retire_uncharged_ai_tariff")


def test_retired_codes_are_out_of_the_tariff_the_forfaits_and_the_credits_page(org, cast_a):
    assert not TariffItem.objects.filter(code__in=RETIRED).exists()
    for forfait in ForfaitType.objects.all():
        assert not set(RETIRED) & set(forfait.features or []), forfait.code
        assert not set(RETIRED) & set(forfait.planned_actions or []), forfait.code
    bilan_id = new_budget(org, "standard")
    for code in RETIRED:
        with pytest.raises(InvalidInput) as error:
            credits_charge(organisation=org, bilan_id=bilan_id, action_code=code, actor=None, idempotency_key=f"retired:{code}")
        assert error.value.code == "unknown_action"
    assert not LedgerEntry.objects.filter(action_code__in=RETIRED).exists()
    html = cast_a.client(cast_a.admin).get("/credits/").content.decode()
    assert "Plan d&#x27;action détaillé" in html or "Plan d'action détaillé" in html  # the barème is listed
    assert "Recherche documentaire" not in html and "Mise à jour du plan" not in html


def test_every_forfait_course_can_be_forecast(org):
    """The typical course of each forfait only names charged actions, so the forecast works."""
    prices = dict(TariffItem.objects.values_list("code", "credits"))
    for code in ("essentiel", "standard", "premium"):
        forfait = ForfaitType.objects.get(code=code)
        bilan_id = new_budget(org, code)
        planned = planned_actions_remaining(organisation=org, bilan_id=bilan_id)
        assert sorted(planned) == sorted(forfait.planned_actions)
        forecast = credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=planned)
        assert forecast["planned_cost"] == sum(prices[c] for c in planned) <= forfait.credits


def test_the_migration_keeps_existing_ledger_entries_and_cleans_the_forfaits(org):
    """Run on a database where the codes were still sold: a charge made under one of them stays
    in the ledger, unchanged, and the balances still add up."""
    migration.restore(django_apps, None)
    assert TariffItem.objects.filter(code__in=RETIRED).count() == 2
    standard = ForfaitType.objects.get(code="standard")
    course = list(standard.planned_actions)
    ForfaitType.objects.filter(pk=standard.pk).update(
        features=[*standard.features, *RETIRED], planned_actions=[*course, "ai_documentary_research", "ai_action_plan_update"]
    )
    bilan_id = new_budget(org, "standard")
    legacy = credits_charge(organisation=org, bilan_id=bilan_id, action_code="ai_documentary_research", actor=None, idempotency_key="legacy")
    assert legacy.amount == 10

    migration.retire(django_apps, None)

    assert not TariffItem.objects.filter(code__in=RETIRED).exists()
    standard.refresh_from_db()
    assert not set(RETIRED) & set(standard.features)
    assert standard.planned_actions == [*course, "document_action_plan"]
    kept = LedgerEntry.objects.get(pk=legacy.pk)
    assert (kept.action_code, kept.amount, kept.unit_credits, kept.bilan_id) == ("ai_documentary_research", 10, 10, bilan_id)
    assert ledger_balances_check(org) == []
    assert {"action_code": "ai_documentary_research", "label": "ai_documentary_research", "credits": 10, "count": 1} in consumption_by_action(org)
    planned = planned_actions_remaining(organisation=org, bilan_id=bilan_id)
    assert "ai_documentary_research" not in planned
    credits_forecast(organisation=org, bilan_id=bilan_id, planned_action_codes=planned)  # no unknown action


def test_an_ai_update_of_the_action_plan_is_charged_as_a_redraft(cast_a):
    """Regenerating an action plan in review is charged with ``document_action_plan`` once per
    successful draft (key ``document-draft:<document>:<generation>``), never under a retired code."""
    from bilans.documents.models import GenerationRecord
    from bilans.documents.services import document_generate, document_regenerate
    from tests.documents.factories import bilan_for, drafted, ledger

    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "action_plan")
    with tenant_context(cast_a.organisation):
        document_regenerate(actor=cast_a.consultant, document=document)
        document_generate(document_id=document.pk, actor_id=cast_a.consultant.pk)
        records = list(GenerationRecord.objects.filter(document=document, succeeded=True))
        assert document.versions.filter(source="ai").count() == 2
    charges = list(ledger(cast_a, bilan, "document_action_plan"))
    assert len(records) == 2 and len(charges) == 2
    assert {c.idempotency_key for c in charges} == {f"document-draft:{document.pk}:{r.pk}" for r in records}
    assert not ledger(cast_a, bilan).filter(action_code__in=RETIRED).exists()
