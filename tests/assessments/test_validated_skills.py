"""Career matching uses the validated skills across every skills result of the bilan: the
consultant's latest review where there is one, the beneficiary's latest rating otherwise; the
matching page says how many competences the consultant has not reviewed yet."""
from __future__ import annotations

from django_tenants.utils import schema_context

from bilans.assessments import selectors
from tests.assessments.test_flows import _skills_result


def _review(cast_a, result, code, mastery):
    response = cast_a.client(cast_a.consultant).post(
        f"/resultats/{result.pk}/relecture/", {f"review_mastery__{code}": mastery, f"review_appetite__{code}": "likes"}
    )
    assert response.status_code == 302


def _m1805(cast_a, bilan_a) -> dict:
    results = cast_a.client(cast_a.consultant).get(f"/api/v1/bilans/{bilan_a.pk}/matching/", {"limit": 50}).json()["results"]
    return next(r for r in results if r["code_rome"] == "M1805")


def test_a_new_skills_submission_keeps_the_consultants_reviews_in_matching(rome, cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        first, skills = _skills_result(cast_a, bilan_a)
    _review(cast_a, first, skills[0], "beginner")
    before = _m1805(cast_a, bilan_a)
    assert skills[0] in before["gap"]["partial"] and before["breakdown"]["competences"] < 100
    # the beneficiary submits the questionnaire again, rating everything "expert" (skills[1]: intermediate)
    with schema_context(cast_a.organisation.schema_name):
        second, _ = _skills_result(cast_a, bilan_a, levels={skills[1]: "intermediate"})
        assert selectors.latest_result(bilan_a, "skills") == second
        validated = selectors.validated_skills(bilan_a)
    assert validated[skills[0]].mastery == "beginner"  # the consultant's review on the first result
    assert validated[skills[1]].mastery == "intermediate"  # the beneficiary's latest rating
    assert validated[skills[2]].mastery == "expert"
    after = _m1805(cast_a, bilan_a)
    assert skills[0] in after["gap"]["partial"] and skills[1] in after["gap"]["partial"]
    assert after["breakdown"]["competences"] < before["breakdown"]["competences"]
    # a later review on the newer result wins over the older one
    _review(cast_a, second, skills[0], "advanced")
    with schema_context(cast_a.organisation.schema_name):
        assert selectors.validated_skills(bilan_a)[skills[0]].mastery == "advanced"
        assert selectors.unreviewed_skills(bilan_a) == sorted(skills[1:])
    assert skills[0] in _m1805(cast_a, bilan_a)["gap"]["held"]


def test_matching_page_counts_the_competences_not_yet_reviewed(rome, cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        result, skills = _skills_result(cast_a, bilan_a)
    consultant = cast_a.client(cast_a.consultant)
    total = len(skills)
    page = consultant.get(f"/bilans/{bilan_a.pk}/pistes/").content.decode()
    assert f"{total} compétences sur {total} pas encore revues par le consultant" in page
    assert f'<a href="/resultats/{result.pk}/">Relire l’autoévaluation</a>' in page
    _review(cast_a, result, skills[0], "expert")
    page = consultant.get(f"/bilans/{bilan_a.pk}/pistes/").content.decode()
    assert f"{total - 1} compétences sur {total} pas encore revues par le consultant" in page
    response = consultant.post(
        f"/resultats/{result.pk}/relecture/", {f"review_mastery__{code}": "expert" for code in skills}
    )
    assert response.status_code == 302
    page = consultant.get(f"/bilans/{bilan_a.pk}/pistes/").content.decode()
    assert "Toutes les compétences utilisées ont été revues par le consultant." in page and "pas encore revue" not in page
