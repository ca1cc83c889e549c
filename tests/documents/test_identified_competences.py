"""The synthèse lists as « compétences identifiées » only the competences the beneficiary masters
(advanced or expert), by the consultant's reviewed level when there is one."""
from __future__ import annotations

from html import unescape

import pytest
from django_tenants.utils import tenant_context

from bilans.documents.selectors import bilan_data
from tests.ai.conftest import _rome_session, rome  # noqa: F401 (fixtures)
from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db


def test_synthesis_lists_only_mastered_competences_with_the_consultant_review(rome, cast_a):  # noqa: F811
    from ai.selectors import skills_by_codes
    from tests.assessments.test_flows import _skills_result

    from ai.selectors import occupation_skills

    bilan = bilan_for(cast_a)
    every = [skill.code_ogr for skill, _ in occupation_skills("M1805")]
    codes = every[:5]
    expert, beginner, downgraded, upgraded, intermediate = codes
    levels = {code: "intermediate" for code in every}  # the other skills of the métier: intermediate
    levels.update({expert: "expert", downgraded: "expert", beginner: "beginner", upgraded: "beginner"})
    with tenant_context(cast_a.organisation):
        result, _ = _skills_result(cast_a, bilan, levels=levels)
        labels = {code: skill.label for code, skill in skills_by_codes(codes).items()}
    response = cast_a.client(cast_a.consultant).post(
        f"/resultats/{result.pk}/relecture/",
        {f"review_mastery__{downgraded}": "beginner", f"review_mastery__{upgraded}": "advanced"},
    )
    assert response.status_code == 302
    with tenant_context(cast_a.organisation):
        competences = bilan_data(bilan)[0]["competences"]
    assert labels[expert] in competences and labels[upgraded] in competences
    for code in (beginner, downgraded, intermediate):
        assert labels[code] not in competences, labels[code]

    document = drafted(cast_a, bilan, "synthesis")
    with tenant_context(cast_a.organisation):
        html = document.versions.get().content_html
    section = unescape(html.split("Compétences et aptitudes identifiées", 1)[1].split("<h2", 1)[0])
    assert labels[expert] in section and labels[upgraded] in section
    for code in (beginner, downgraded, intermediate):
        assert labels[code] not in section, labels[code]
