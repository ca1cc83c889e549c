"""The review page of a skills result shows what career matching uses: for each competence, the
consultant's latest review across all the bilan's skills results (with the result it was made
on) and the rating matching retains, from the same selector (``merged_skills``)."""
from __future__ import annotations

import re

from django_tenants.utils import schema_context

from bilans.assessments import selectors
from bilans.assessments.models import SkillReview
from tests.assessments.test_flows import _skills_result
from tests.assessments.test_skill_review import review_post, selected


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def _form_as_shown(rows) -> dict:
    """What the review form posts when the consultant saves it without touching anything."""
    data = {}
    for row in rows:
        for d in row["dimensions"]:
            data[f"review_{d['name']}__{row['code']}"] = d["review"]
        data[f"review_comment__{row['code']}"] = row["review"].comment if row["review"] else ""
    return data


def _matching_masteries(cast, bilan) -> dict[int, str]:
    results = cast.client(cast.consultant).get(f"/api/v1/bilans/{bilan.pk}/matching/", {"limit": 50}).json()["results"]
    m1805 = next(r for r in results if r["code_rome"] == "M1805")
    return {code: level for level in ("held", "partial") for code in m1805["gap"][level]}


def test_review_page_shows_the_latest_review_across_results_as_matching_uses_it(rome, cast_a, bilan_a):
    consultant = cast_a.client(cast_a.consultant)
    with in_schema(cast_a):
        first, skills = _skills_result(cast_a, bilan_a)
    assert consultant.post(
        f"/resultats/{first.pk}/relecture/",
        review_post(skills[0], mastery="beginner", appetite="dislikes", comment="Vu en entretien"),
    ).status_code == 302
    with in_schema(cast_a):  # the beneficiary submits the questionnaire again
        second, _ = _skills_result(cast_a, bilan_a, levels={skills[1]: "intermediate"})
        rows = {row["code"]: row for row in selectors.skills_rows(second)}
        merged = selectors.merged_skills(bilan_a)
        validated = selectors.validated_skills(bilan_a)
        # the review made on the first result is the one in force on the second result's page
        assert rows[skills[0]]["review"].result_id == first.pk and rows[skills[0]]["review_elsewhere"] is True
        assert rows[skills[0]]["review_result"] == first and rows[skills[0]]["review"].comment == "Vu en entretien"
        assert rows[skills[1]]["review"] is None and rows[skills[1]]["review_elsewhere"] is False
        # every row says what matching retains, exactly
        for code, row in rows.items():
            assert (row["used"]["mastery"], row["used"]["appetite"]) == (validated[code].mastery, validated[code].appetite)
            assert row["used"]["source"] == ("review" if merged[code].reviewed else "self")
        assert rows[skills[0]]["used"]["mastery"] == "beginner" and rows[skills[0]]["used"]["source"] == "review"
        assert rows[skills[1]]["used"]["mastery"] == "intermediate" and rows[skills[1]]["used"]["source"] == "self"

    page = consultant.get(f"/resultats/{second.pk}/").content.decode()
    assert selected(page, f"review_mastery__{skills[0]}") == "beginner"
    assert selected(page, f"review_appetite__{skills[0]}") == "dislikes"
    assert f'id="rcomment-{skills[0]}" name="review_comment__{skills[0]}" value="Vu en entretien"' in page
    origin = re.search(rf'<span[^>]*id="origin-{skills[0]}">(.*?)</span>', page, re.S).group(1)
    assert "faite sur" in origin and f'<a href="/resultats/{first.pk}/">l’autoévaluation du' in origin
    used = re.search(rf'<span[^>]*id="used-{skills[0]}">(.*?)</span>', page, re.S).group(1)
    assert "Retenu pour les pistes métiers : Débutant" in used and "relecture du consultant" in used
    used_self = re.search(rf'<span[^>]*id="used-{skills[1]}">(.*?)</span>', page, re.S).group(1)
    assert "Intermédiaire" in used_self and "autoévaluation" in used_self
    assert selected(page, f"review_mastery__{skills[1]}") is None
    # what matching ranks on is what the page says: the reviewed beginner level is only partly held
    masteries = _matching_masteries(cast_a, bilan_a)
    assert masteries[skills[0]] == "partial" and masteries[skills[1]] == "partial" and masteries[skills[2]] == "held"

    # saving the form as shown copies nothing onto the second result; a change is saved there
    with in_schema(cast_a):
        unchanged = _form_as_shown(selectors.skills_rows(second))
    response = consultant.post(f"/resultats/{second.pk}/relecture/", unchanged, follow=True)
    assert "Relecture enregistrée (0 compétence)." in response.content.decode()
    with in_schema(cast_a):
        assert not SkillReview.objects.filter(result=second).exists()
    changed = unchanged | review_post(skills[0], mastery="advanced")
    assert consultant.post(f"/resultats/{second.pk}/relecture/", changed).status_code == 302
    with in_schema(cast_a):
        assert list(SkillReview.objects.filter(result=second).values_list("skill_code", "mastery")) == [(skills[0], "advanced")]
        # the first result's page now shows the newer review, made on the second result
        first_rows = {row["code"]: row for row in selectors.skills_rows(first)}
        assert first_rows[skills[0]]["review"].result_id == second.pk and first_rows[skills[0]]["review_elsewhere"] is True
        assert first_rows[skills[0]]["used"]["mastery"] == selectors.validated_skills(bilan_a)[skills[0]].mastery == "advanced"
    first_page = consultant.get(f"/resultats/{first.pk}/").content.decode()
    assert selected(first_page, f"review_mastery__{skills[0]}") == "advanced"
    assert f'<a href="/resultats/{second.pk}/">' in first_page
    assert _matching_masteries(cast_a, bilan_a)[skills[0]] == "held"


def test_a_review_on_the_same_result_is_labelled_as_such(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        result, skills = _skills_result(cast_a, bilan_a)
    consultant = cast_a.client(cast_a.consultant)
    assert consultant.post(f"/resultats/{result.pk}/relecture/", review_post(skills[0], mastery="advanced")).status_code == 302
    page = consultant.get(f"/resultats/{result.pk}/").content.decode()
    origin = re.search(rf'<span[^>]*id="origin-{skills[0]}">(.*?)</span>', page, re.S).group(1)
    assert "faite sur ce résultat" in origin
    assert f'id="origin-{skills[1]}"' not in page
    mine = cast_a.client(cast_a.beneficiary_user).get(f"/resultats/{result.pk}/").content.decode()
    assert "Retenu pour les pistes métiers : Avancé" in mine and "<select" not in mine
