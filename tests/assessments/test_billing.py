"""Credits and forfaits (the plans ledger): an instrument outside the bilan's forfait is refused
with the forfait that would allow it; each result and each complete analysis is charged once."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from bilans.assessments import billing, scoring, services
from bilans.assessments.instruments import DEFINITIONS
from config.errors import Conflict, Forbidden
from tests.plans.helpers import bilan_with_forfait


@pytest.fixture
def essentiel_bilan(cast_a):
    from bilans.models import Bilan

    with schema_context(cast_a.organisation.schema_name):
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
    bilan_with_forfait(cast_a.organisation, bilan.pk, "essentiel")
    return bilan


def charges(organisation, bilan):
    from plans.models import LedgerEntry

    return list(
        LedgerEntry.objects.filter(organisation=organisation, bilan_id=bilan.pk, kind="charge").values_list("action_code", "amount", "idempotency_key")
    )


def test_each_result_is_charged_once_with_its_tariff(rome, cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)
        answers = {item["id"]: 3 for item in scoring.iter_items(DEFINITIONS["riasec"])}
        services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers=answers)
        result = services.assessment_submit(assessment=assessment, actor=cast_a.beneficiary_user)
        billing.charge(bilan=bilan_a, action_code="assessment_interests", actor=cast_a.beneficiary_user, key_id=result.pk)  # a retry
        free = services.assessment_assign(bilan=bilan_a, instrument_code="values", actor=cast_a.consultant)
        values = {item["id"]: 3 for item in DEFINITIONS["values"]["sections"][0]["items"]}
        values["V_RANK"] = list(DEFINITIONS["values"]["dimensions"])
        services.assessment_save(assessment=free, actor=cast_a.beneficiary_user, answers=values)
        services.assessment_submit(assessment=free, actor=cast_a.beneficiary_user)
        analysis = services.career_analysis_run(bilan=bilan_a, actor=cast_a.consultant, constraints={})
    assert sorted(charges(cast_a.organisation, bilan_a)) == sorted(
        [("assessment_interests", 15, f"assessment:{result.pk}"), ("assessment_complete_analysis", 25, f"assessment:{analysis.pk}")]
    )


def test_instrument_outside_the_forfait_is_refused_with_the_forfait_that_allows_it(cast_a, essentiel_bilan):
    with schema_context(cast_a.organisation.schema_name):
        services.assessment_assign(bilan=essentiel_bilan, instrument_code="riasec", actor=cast_a.consultant)
        with pytest.raises(Forbidden) as refused:
            services.assessment_assign(bilan=essentiel_bilan, instrument_code="big_five", actor=cast_a.consultant)
        assert refused.value.code == "feature_not_in_forfait" and refused.value.extra["required_forfait"] == "standard"
        with pytest.raises(Forbidden):
            services.career_analysis_run(bilan=essentiel_bilan, actor=cast_a.consultant, constraints={})
    response = cast_a.client(cast_a.consultant).post(f"/api/v1/bilans/{essentiel_bilan.pk}/assessments/", {"instrument": "big_five"})
    assert response.status_code == 403
    assert response.json()["required_forfait"] == "standard" and "Standard" in response.json()["detail"]
    page = cast_a.client(cast_a.consultant).post(f"/bilans/{essentiel_bilan.pk}/questionnaires/proposer/", {"instrument": "big_five"}, follow=True)
    html = page.content.decode()
    assert "disponible à partir du forfait Standard" in html
    assert html.count("Hors forfait de ce bilan") == 1 and html.count("Inclus dans le forfait") == 4  # Big Five is outside
    assert charges(cast_a.organisation, essentiel_bilan) == []


def test_number_of_projects_follows_the_forfait(rome, cast_a, essentiel_bilan):
    with schema_context(cast_a.organisation.schema_name):
        assert services.max_projects(essentiel_bilan) == 1
        services.career_option_add(bilan=essentiel_bilan, actor=cast_a.consultant, code_rome="M1805", kind="main")
        with pytest.raises(Conflict) as refused:
            services.career_option_add(bilan=essentiel_bilan, actor=cast_a.consultant, code_rome="M1855")
        assert refused.value.code == "too_many_projects"


def test_submission_without_enough_credits_is_refused_and_nothing_is_lost(cast_a, essentiel_bilan):
    from bilans.assessments.models import Assessment, Result
    from config.errors import PaymentRequired
    from plans.services import credits_charge

    organisation = cast_a.organisation
    credits_charge(organisation=organisation, bilan_id=essentiel_bilan.pk, action_code="interview_in_person_hour", actor=None, idempotency_key="test:drain", quantity=2)
    credits_charge(organisation=organisation, bilan_id=essentiel_bilan.pk, action_code="assessment_interests", actor=None, idempotency_key="test:drain2")
    with schema_context(organisation.schema_name):
        assessment = services.assessment_assign(bilan=essentiel_bilan, instrument_code="riasec", actor=cast_a.consultant)
        answers = {item["id"]: 4 for item in scoring.iter_items(DEFINITIONS["riasec"])}
        services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers=answers)
        with pytest.raises(PaymentRequired) as refused:
            services.assessment_submit(assessment=assessment, actor=cast_a.beneficiary_user)
        assert refused.value.code == "insufficient_credits"
        assessment.refresh_from_db()
        assert assessment.status == Assessment.Status.IN_PROGRESS and assessment.answers == answers
        assert not Result.objects.filter(assessment=assessment).exists()
    response = cast_a.client(cast_a.beneficiary_user).post(f"/questionnaires/{assessment.pk}/", {"section": "6", "action": "submit"}, follow=True)
    html = response.content.decode()
    assert "Crédits insuffisants" in html and "Complétez-les" not in html
