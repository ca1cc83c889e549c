"""CT-09 (R6313-7): at the end of the bilan, the retention job destroys the questionnaire content
(answers, results, reviews, 360° feedback, career analyses and projects) and keeps only the
evidence: that each questionnaire was given and taken, when, and the time spent, which counts
in the bilan's hours (CT-02). Pages then say the content was destroyed instead of failing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from bilans.assessments import selectors, services
from bilans.assessments.models import (
    Assessment,
    CareerAnalysis,
    CareerOption,
    ContentDestruction,
    FeedbackCampaign,
    FeedbackInvitation,
    FeedbackResponse,
    Result,
    SkillReview,
)
from bilans.selectors import bilan_hours
from bilans.services import bilan_transition, retention_purge
from organisations.accounts.models import AuditEvent
from tests.assessments.test_flows import _skills_result, full_riasec_answers
from tests.assessments.test_guided_work_hours import answer_values_for

DESTROYED = "détruit à la fin du bilan (R6313-7)"
DESTRUCTION_ACTIONS = ("assessment.destroyed", "feedback360.destroyed", "career_analysis.destroyed", "career_option.destroyed")


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def _guided_work_line(html: str) -> str:
    return re.search(r"<dt>Travail personnel guidé</dt><dd>.*?</dd>", html).group(0)


def _bilan_with_content(cast, bilan):
    """Every kind of questionnaire content on the bilan: three submitted questionnaires (values
    with 90 minutes of guided work, skills reviewed by the consultant, RIASEC), one left
    unfinished, a 360° campaign with three answers, a complete analysis and a project."""
    consultant, user = cast.consultant, cast.beneficiary_user
    values = answer_values_for(cast, bilan, minutes=90)
    skills, codes = _skills_result(cast, bilan)
    services.skill_review_save(result=skills, actor=consultant, skill_code=codes[0], mastery="beginner", comment="Vu en entretien")
    riasec = services.assessment_assign(bilan=bilan, instrument_code="riasec", actor=consultant)
    services.assessment_save(assessment=riasec, actor=user, answers=full_riasec_answers())
    riasec = services.assessment_submit(assessment=riasec, actor=user)
    unfinished = services.assessment_assign(bilan=bilan, instrument_code="big_five", actor=consultant)
    services.assessment_save(assessment=unfinished, actor=user, answers={"B01": 4, "B02": 2})
    campaign, links = services.feedback_campaign_create(
        bilan=bilan, actor=consultant, competences=[{"code": codes[0], "label": "Compétence évaluée"}],
        emails=[f"collegue{n}@exemple.test" for n in range(3)],
    )
    for score, (_email, token) in zip((2, 4, 5), links, strict=True):
        services.feedback_response_submit(token=token, ratings={str(codes[0]): score})
    analysis = services.career_analysis_run(bilan=bilan, actor=consultant, constraints={})
    option = services.career_option_add(bilan=bilan, actor=consultant, code_rome="M1805", kind="main")
    services.career_option_update(option=option, actor=consultant, advantages="Projet très personnel", feasibility=4)
    return {"values": values, "skills": skills, "riasec": riasec, "unfinished": unfinished, "campaign": campaign, "analysis": analysis,
            "codes": codes}


def test_end_of_bilan_destroys_questionnaire_content_but_keeps_hours_and_evidence(rome, cast_a, bilan_a):
    """CT-09: once the bilan has ended, retention_purge destroys every beneficiary content of the
    questionnaires (answers, scores, reviews, 360° answers, analyses, projects); the hours do not
    change, each destruction has one audit entry without content, pages say "détruit à la fin du
    bilan (R6313-7)", and a second run destroys nothing."""
    consultant_client = cast_a.client(cast_a.consultant)
    beneficiary_client = cast_a.client(cast_a.beneficiary_user)
    with in_schema(cast_a):
        content = _bilan_with_content(cast_a, bilan_a)
        hours_before = bilan_hours(bilan_a).as_dict()
        guided_seconds = {r.pk: r.guided_work_seconds for r in Result.objects.filter(bilan=bilan_a)}
        assert hours_before["questionnaire_minutes"] >= 90
        # still running: nothing is destroyed
        assert services.assessments_retention_purge(now=timezone.now()) == 0
        end = timezone.now() - timedelta(days=2)
        bilan_transition(actor=cast_a.consultant, bilan=bilan_a, to_status="abandoned", reason="Déménagement", now=end)
        assert services.assessments_retention_purge(now=end - timedelta(minutes=1)) == 0  # before the end
    page_before = _guided_work_line(consultant_client.get(f"/bilans/{bilan_a.pk}/").content.decode())

    with in_schema(cast_a):
        # 4 questionnaires, 1 campaign, 1 analysis, 1 project (other retention handlers: nothing)
        assert retention_purge(now=end + timedelta(hours=1)) == 7
        for result in Result.objects.filter(bilan=bilan_a):
            assert (result.answers, result.scores) == ({}, {})
            assert result.destroyed_at is not None and result.destruction_reason == "fin du bilan (R6313-7)"
            assert result.guided_work_seconds == guided_seconds[result.pk]  # the time spent stays
        for assessment in Assessment.objects.filter(bilan=bilan_a):
            assert assessment.answers == {} and assessment.destroyed_at is not None
        submitted = Assessment.objects.filter(bilan=bilan_a, status="submitted")
        assert submitted.count() == 3 and all(a.submitted_at for a in submitted)  # taken, and when
        assert not SkillReview.objects.filter(result__bilan=bilan_a).exists()
        campaign = FeedbackCampaign.objects.get(pk=content["campaign"].pk)
        assert campaign.competences == [] and campaign.destroyed_at is not None
        assert not FeedbackResponse.objects.filter(campaign=campaign).exists()
        assert not FeedbackInvitation.objects.filter(campaign=campaign).exists()
        analysis = CareerAnalysis.objects.get(pk=content["analysis"].pk)
        assert (analysis.top, analysis.profile, analysis.constraints) == ([], {}, {}) and analysis.destroyed_at is not None
        assert not CareerOption.objects.filter(bilan=bilan_a).exists()
        assert selectors.validated_skills(bilan_a) == {}
        # hours reports do not change (CT-02)
        assert bilan_hours(bilan_a).as_dict() == hours_before
        evidence = ContentDestruction.objects.get(bilan=bilan_a)
        assert evidence.counts == {"assessments": 4, "feedback_campaigns": 1, "career_analyses": 1, "career_options": 1}
        # one audit entry per destruction, without content
        events = AuditEvent.objects.filter(action__in=DESTRUCTION_ACTIONS)
        assert events.count() == 7
        assert set(events.filter(action="assessment.destroyed").values_list("object_id", flat=True)) == {
            str(a.pk) for a in Assessment.objects.filter(bilan=bilan_a)
        }
        for event in events:
            assert event.details["reason"] == "fin du bilan (R6313-7)"
            text = str(event.details)
            assert "Vu en entretien" not in text and "Projet très personnel" not in text and "M1805" not in text
            assert "expert" not in text and "ratings" not in text and "scores" not in text
    assert _guided_work_line(consultant_client.get(f"/bilans/{bilan_a.pk}/").content.decode()) == page_before

    # pages: 200 with the destroyed message, never a crash
    pages = [
        (beneficiary_client, "/mes-questionnaires/"),
        (beneficiary_client, f"/resultats/{content['values'].pk}/"),
        (beneficiary_client, f"/resultats/{content['skills'].pk}/"),
        (beneficiary_client, f"/questionnaires/{content['unfinished'].pk}/"),
        (beneficiary_client, f"/bilans/{bilan_a.pk}/retours-360/"),
        (beneficiary_client, "/mes-projets/"),
        (consultant_client, f"/bilans/{bilan_a.pk}/questionnaires/"),
        (consultant_client, f"/resultats/{content['riasec'].pk}/"),
        (consultant_client, f"/resultats/{content['skills'].pk}/"),
        (consultant_client, f"/bilans/{bilan_a.pk}/retours-360/"),
        (consultant_client, f"/bilans/{bilan_a.pk}/pistes/"),
        (consultant_client, f"/bilans/{bilan_a.pk}/pistes/M1805/"),
        (consultant_client, f"/bilans/{bilan_a.pk}/projets/"),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert DESTROYED in html, url
        assert "Projet très personnel" not in html and "Vu en entretien" not in html, url
    skills_page = consultant_client.get(f"/resultats/{content['skills'].pk}/").content.decode()
    assert "<select" not in skills_page and "<polygon" not in skills_page
    riasec_page = consultant_client.get(f"/resultats/{content['riasec'].pk}/").content.decode()
    assert "Votre code de Holland" not in riasec_page and 'role="img"' not in riasec_page
    values_page = beneficiary_client.get(f"/resultats/{content['values'].pk}/").content.decode()
    assert "90 min de travail personnel guidé" in values_page  # the time spent is still shown
    api = consultant_client.get(f"/api/v1/bilans/{bilan_a.pk}/matching/")
    assert api.status_code == 200 and api.json()["results"] == [] and api.json()["destroyed_at"]
    result_api = consultant_client.get(f"/api/v1/results/{content['values'].pk}/").json()
    assert result_api["scores"] == {} and result_api["guided_work_seconds"] == 90 * 60 and result_api["destroyed_at"]

    # nothing can be added back nor answered
    answered = beneficiary_client.post(f"/questionnaires/{content['unfinished'].pk}/", {"section": "1", "action": "save", "B01": "5"})
    assert answered.status_code == 200 and DESTROYED in answered.content.decode()
    review = consultant_client.post(f"/resultats/{content['skills'].pk}/relecture/", {f"review_mastery__{content['codes'][0]}": "expert"}, follow=True)
    assert review.status_code == 200 and "Ce résultat a été détruit à la fin du bilan (R6313-7)." in review.content.decode()
    refused = consultant_client.post(f"/api/v1/bilans/{bilan_a.pk}/assessments/", {"instrument": "values"})
    assert refused.status_code == 409 and refused.json()["code"] == "assessments_destroyed"
    with in_schema(cast_a):
        assert Assessment.objects.get(pk=content["unfinished"].pk).answers == {}
        assert not SkillReview.objects.filter(result__bilan=bilan_a).exists()

    # a second run destroys nothing
    with in_schema(cast_a):
        assert retention_purge(now=end + timedelta(hours=2)) == 0
        assert AuditEvent.objects.filter(action__in=DESTRUCTION_ACTIONS).count() == 7
        assert ContentDestruction.objects.get(bilan=bilan_a).counts["assessments"] == 4
        assert bilan_hours(bilan_a).as_dict() == hours_before


def test_a_finished_bilan_is_purged_like_retention_purge_and_open_bilans_are_not(cast_a, bilan_a):
    """CT-09: the same statuses and ``ended_at`` rule as the bilans retention job: a finished
    bilan's content goes once its end has passed; another beneficiary's open bilan keeps its own."""
    from bilans.models import Bilan

    with in_schema(cast_a):
        ended = answer_values_for(cast_a, bilan_a, minutes=20)
        other_bilan = Bilan.objects.create(beneficiary=cast_a.other_beneficiary, consultant=cast_a.other_consultant)
        other = services.assessment_assign(bilan=other_bilan, instrument_code="values", actor=cast_a.other_consultant)
        Assessment.objects.filter(pk=other.pk).update(answers={"V01": 5})
        end = timezone.now() - timedelta(hours=3)
        Bilan.objects.filter(pk=bilan_a.pk).update(status="finished", ended_at=end)
        assert services.assessments_retention_purge(now=end - timedelta(seconds=1)) == 0
        assert services.assessments_retention_purge(now=end) == 1
        assert Result.objects.get(pk=ended.pk).scores == {}
        assert Assessment.objects.get(pk=other.pk).answers == {"V01": 5}
        assert not ContentDestruction.objects.filter(bilan=other_bilan).exists()
        assert services.assessments_retention_purge(now=end + timedelta(days=1)) == 0


def test_the_database_allows_only_the_destruction_update_of_a_result(cast_a, bilan_a):
    """CT-09 without weakening immutability: a result may be emptied once, at its destruction,
    with its time and dates unchanged; any other update or a delete is refused by the database."""
    with in_schema(cast_a):
        result = answer_values_for(cast_a, bilan_a, minutes=5)
        moment = timezone.now()
        for forbidden in (
            {"scores": {}},  # changing content without destroying it
            {"answers": {}, "scores": {}, "destroyed_at": moment, "guided_work_seconds": 0},  # losing the hours
            {"answers": {"V01": 1}, "scores": {}, "destroyed_at": moment},  # keeping content
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                Result.objects.filter(pk=result.pk).update(**forbidden)
        Result.objects.filter(pk=result.pk).update(answers={}, scores={}, destroyed_at=moment, destruction_reason="fin du bilan (R6313-7)")
        with pytest.raises(DatabaseError), transaction.atomic():  # once only
            Result.objects.filter(pk=result.pk).update(destroyed_at=moment + timedelta(days=1))
        with pytest.raises(DatabaseError), transaction.atomic():
            Result.objects.filter(pk=result.pk).delete()
        assert Result.objects.get(pk=result.pk).guided_work_seconds == 5 * 60
