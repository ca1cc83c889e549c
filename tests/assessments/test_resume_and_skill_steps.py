"""Questionnaires resume where the beneficiary left; the skills self-assessment is one competence
per screen (large radio buttons), saved at each step, resumable, with a review before submitting."""
from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from bilans.assessments import scoring, services
from bilans.assessments.instruments import DEFINITIONS
from bilans.assessments.models import Assessment

pytestmark = pytest.mark.django_db


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def test_resume_opens_the_first_page_not_finished(cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="riasec", actor=cast_a.consultant)
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/questionnaires/{assessment.pk}/"
    assert "(page 1 sur 6)" in me.get(url).content.decode()
    sections = DEFINITIONS["riasec"]["sections"]
    for number in (1, 2):  # two pages answered, then "come back later"
        answers = {item["id"]: "3" for item in sections[number - 1]["items"]}
        action = "next" if number == 1 else "save"
        assert me.post(url, {"section": str(number), "action": action, **answers}).status_code == 302
    resumed = me.get(url).content.decode()
    assert "(page 3 sur 6)" in resumed
    assert "Reprendre le questionnaire" in me.get("/mes-questionnaires/").content.decode()
    # a page left half answered is where one resumes
    half = {item["id"]: "3" for item in sections[2]["items"][:4]}
    me.post(url, {"section": "3", "action": "save", **half})
    assert "(page 3 sur 6)" in me.get(url).content.decode()
    # a page asked for explicitly is still served
    assert "(page 1 sur 6)" in me.get(f"{url}?page=1").content.decode()
    # everything answered: the last page, to submit
    with in_schema(cast_a):
        services.assessment_save(
            assessment=assessment, actor=cast_a.beneficiary_user, answers={item["id"]: 3 for item in scoring.iter_items(DEFINITIONS["riasec"])}
        )
    assert "Terminer et voir mon résultat" in me.get(url).content.decode()


def _skills(rome, cast, bilan):
    from ai.selectors import occupation_skills

    with in_schema(cast):
        assessment = services.assessment_assign(bilan=bilan, instrument_code="skills", actor=cast.consultant)
        services.skills_occupation_add(assessment=assessment, actor=cast.beneficiary_user, code_rome="D1102", current=True)
        codes = [skill.code_ogr for skill, _ in occupation_skills("D1102")]
    return assessment, codes


def _step(html: str) -> tuple[int, int]:
    found = re.search(r"Compétence (\d+) sur (\d+)", html)
    assert found, "not a competence screen"
    return int(found.group(1)), int(found.group(2))


def test_one_competence_per_screen_with_accessible_radio_buttons(rome, cast_a, bilan_a):
    assessment, codes = _skills(rome, cast_a, bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    html = me.get(f"/questionnaires/{assessment.pk}/").content.decode()
    assert _step(html) == (1, len(codes))
    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5 and "<select" not in html
    assert '<label class="choice-card"><input type="radio" name="mastery__%d" value="expert">' % codes[0] in html
    assert "(facultatif)" in html  # only the level of mastery is required


def test_each_step_is_saved_and_the_form_resumes_at_the_first_competence_not_rated(rome, cast_a, bilan_a):
    assessment, codes = _skills(rome, cast_a, bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/questionnaires/{assessment.pk}/"
    first = me.post(url, {"position": "1", "action": "next", f"mastery__{codes[0]}": "advanced", f"appetite__{codes[0]}": "likes"})
    assert first["Location"] == f"{url}?competence=2"
    second = me.post(url, {"position": "2", "action": "skip", f"mastery__{codes[1]}": ""})
    assert second["Location"] == f"{url}?competence=3"
    third = me.post(url, {"position": "3", "action": "later", f"mastery__{codes[2]}": "beginner"})
    assert third["Location"] == "/mes-questionnaires/"
    with in_schema(cast_a):
        ratings = Assessment.objects.get(pk=assessment.pk).answers["ratings"]
    assert ratings == {str(codes[0]): {"mastery": "advanced", "appetite": "likes"}, str(codes[2]): {"mastery": "beginner"}}
    # back later: the first competence not rated (the one skipped)
    assert _step(me.get(url).content.decode()) == (2, len(codes))
    # a rated competence shows its saved answers
    assert f'name="mastery__{codes[0]}" value="advanced" checked' in me.get(f"{url}?competence=1").content.decode()


def test_a_step_without_a_level_or_with_a_wrong_value_is_refused_in_french(rome, cast_a, bilan_a):
    assessment, codes = _skills(rome, cast_a, bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/questionnaires/{assessment.pk}/"
    missing = me.post(url, {"position": "1", "action": "next", f"mastery__{codes[0]}": "", f"frequency__{codes[0]}": "often"})
    html = missing.content.decode()
    assert missing.status_code == 400 and "Choisissez votre niveau de maîtrise" in html
    assert _step(html) == (1, len(codes)) and f'name="frequency__{codes[0]}" value="often" checked' in html  # nothing lost
    wrong = me.post(url, {"position": "1", "action": "next", f"mastery__{codes[0]}": "génie"})
    assert wrong.status_code == 400 and "Choisissez une des réponses proposées." in wrong.content.decode()


def test_review_then_submit_keeps_the_same_result(rome, cast_a, bilan_a):
    assessment, codes = _skills(rome, cast_a, bilan_a)
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/questionnaires/{assessment.pk}/"
    last = len(codes)
    me.post(url, {"position": "1", "action": "next", f"mastery__{codes[0]}": "expert", f"potential__{codes[0]}": "high"})
    done = me.post(url, {"position": str(last), "action": "next", f"mastery__{codes[-1]}": "intermediate"})
    assert done["Location"] == f"{url}?etape=recapitulatif"
    review = me.get(done["Location"]).content.decode()
    assert f"Vous avez évalué 2 compétences sur {last}" in review and "Expert" in review and "non évaluée" in review
    assert f'href="{url}?competence=1"' in review
    submitted = me.post(url, {"action": "submit"})
    assert submitted.status_code == 302 and submitted["Location"].startswith("/resultats/")
    with in_schema(cast_a):
        result = Assessment.objects.get(pk=assessment.pk).result
    assert result.answers["ratings"] == {str(codes[0]): {"mastery": "expert", "potential": "high"}, str(codes[-1]): {"mastery": "intermediate"}}
    assert result.scores == scoring.score(DEFINITIONS["skills"], result.answers)


def test_submitting_with_nothing_rated_asks_for_one_competence(rome, cast_a, bilan_a):
    assessment, codes = _skills(rome, cast_a, bilan_a)
    refused = cast_a.client(cast_a.beneficiary_user).post(f"/questionnaires/{assessment.pk}/", {"action": "submit"})
    assert refused.status_code == 400 and "Évaluez au moins une compétence avant de terminer." in refused.content.decode()


def test_metiers_step_first_when_none_chosen(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="skills", actor=cast_a.consultant)
    html = cast_a.client(cast_a.beneficiary_user).get(f"/questionnaires/{assessment.pk}/").content.decode()
    assert "Étape 1 : vos métiers" in html and "Compétence 1 sur" not in html
