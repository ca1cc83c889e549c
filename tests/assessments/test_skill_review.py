"""The consultant reviews and adjusts each rating of the ROME skills self-assessment on its five
dimensions; the beneficiary's own answers and the consultant's are both kept and shown."""
from __future__ import annotations

import re

from django_tenants.utils import schema_context

from bilans.assessments import selectors
from bilans.assessments.models import SkillReview
from organisations.accounts.models import AuditEvent
from tests.assessments.test_flows import _skills_result


def in_schema(cast):
    return schema_context(cast.organisation.schema_name)


def selected(html: str, name: str) -> str | None:
    """The value of the selected option of the <select name=...>, or None."""
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    option = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return option.group(1) if option else None


def review_post(code: int, **values) -> dict:
    return {f"review_{name}__{code}": value for name, value in values.items()}


def test_consultant_adjusts_the_five_dimensions_and_both_views_are_shown(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        result, skills = _skills_result(cast_a, bilan_a)
    first, second = skills[0], skills[1]
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(
        f"/resultats/{result.pk}/relecture/",
        review_post(first, mastery="intermediate", frequency="rarely", context="training", appetite="dislikes", potential="high", comment="Vu en entretien")
        | review_post(second, mastery="advanced"),  # the other dimensions: as the beneficiary said
        follow=True,
    )
    assert response.status_code == 200
    assert "Relecture enregistrée (2 compétences)." in response.content.decode()
    with in_schema(cast_a):
        review = SkillReview.objects.get(result=result, skill_code=first)
        assert (review.mastery, review.frequency, review.context, review.appetite, review.potential) == (
            "intermediate", "rarely", "training", "dislikes", "high",
        )
        other = SkillReview.objects.get(result=result, skill_code=second)
        assert (other.mastery, other.frequency, other.context, other.appetite, other.potential) == ("advanced", "", "", "", "")
        rows = {row["code"]: row for row in selectors.skills_rows(result)}
        # the beneficiary's own answers are untouched
        assert rows[first]["self"] == {"mastery": "expert", "frequency": "often", "context": "work", "appetite": "likes"}
        dims = {d["name"]: d for d in rows[first]["dimensions"]}
        assert (dims["frequency"]["self_label"], dims["frequency"]["review_label"]) == ("Souvent", "Rarement")
        assert (dims["context"]["self_label"], dims["context"]["review_label"]) == ("Au travail", "En formation")
        assert AuditEvent.objects.filter(action="assessment.skill_reviewed", object_id=str(result.pk)).count() == 2

    page = consultant.get(f"/resultats/{result.pk}/").content.decode()
    for name, value in (("mastery", "intermediate"), ("frequency", "rarely"), ("context", "training"), ("appetite", "dislikes"), ("potential", "high")):
        assert selected(page, f"review_{name}__{first}") == value
    assert selected(page, f"review_frequency__{second}") is None  # "Comme le bénéficiaire"
    assert "Autoévaluation du bénéficiaire" in page and "Souvent" in page and "Au travail" in page and 'value="Vu en entretien"' in page

    mine = cast_a.client(cast_a.beneficiary_user).get(f"/resultats/{result.pk}/").content.decode()
    assert "<select" not in mine
    for label in ("Expert", "Intermédiaire", "Souvent", "Rarement", "Au travail", "En formation", "J&#x27;aime", "Je n&#x27;aime pas", "Fort", "Vu en entretien"):
        assert label in mine, label
    assert "Comme vous" in mine and "bénéficiaire" not in mine  # second competence: only mastery adjusted; worded for the beneficiary


def test_beneficiary_cannot_post_the_review_and_invalid_values_save_nothing(rome, cast_a, bilan_a):
    with in_schema(cast_a):
        result, skills = _skills_result(cast_a, bilan_a)
    first, second = skills[0], skills[1]
    refused = cast_a.client(cast_a.beneficiary_user).post(f"/resultats/{result.pk}/relecture/", review_post(first, mastery="beginner"))
    assert refused.status_code == 403
    assert cast_a.client(cast_a.other_consultant).post(f"/resultats/{result.pk}/relecture/", review_post(first, mastery="beginner")).status_code == 403
    # one invalid dimension: the whole review is refused with a French message, nothing is saved
    response = cast_a.client(cast_a.consultant).post(
        f"/resultats/{result.pk}/relecture/",
        review_post(first, mastery="beginner") | review_post(second, mastery="advanced", frequency="daily"),
        follow=True,
    )
    assert response.status_code == 200 and "Choisissez une des réponses proposées." in response.content.decode()
    with in_schema(cast_a):
        assert not SkillReview.objects.filter(result=result).exists()
