"""Work values inform the explanations of the career matching but do not change the ranking,
and the matching pages say so plainly."""
from __future__ import annotations

import re

from django_tenants.utils import schema_context

from bilans.assessments import services
from bilans.assessments.instruments import DEFINITIONS
from tests.assessments.test_flows import _skills_result


def _ranking(html: str) -> list[str]:
    return re.findall(r'<a href="/bilans/[^/]+/pistes/([A-Z]\d{4})/">', html)


def test_values_are_named_on_the_matching_pages_and_do_not_change_the_ranking(rome, cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        _skills_result(cast_a, bilan_a)
    consultant = cast_a.client(cast_a.consultant)
    before = consultant.get(f"/bilans/{bilan_a.pk}/pistes/").content.decode()
    assert "Pas encore de questionnaire de valeurs professionnelles" in before
    with schema_context(cast_a.organisation.schema_name):
        user = cast_a.beneficiary_user
        assessment = services.assessment_assign(bilan=bilan_a, instrument_code="values", actor=cast_a.consultant)
        answers = {item["id"]: 3 for item in DEFINITIONS["values"]["sections"][0]["items"]}
        answers["V_RANK"] = ["working_conditions", "independence", "achievement", "recognition", "relationships", "support"]
        services.assessment_save(assessment=assessment, actor=user, answers=answers)
        services.assessment_submit(assessment=assessment, actor=user)
    after = consultant.get(f"/bilans/{bilan_a.pk}/pistes/").content.decode()
    note = "Valeurs professionnelles classées en premier : Conditions de travail et Autonomie. Elles éclairent les explications mais ne changent pas le classement"
    assert note in after
    assert _ranking(after) == _ranking(before) and len(_ranking(after)) == 30
    detail = consultant.get(f"/bilans/{bilan_a.pk}/pistes/{_ranking(after)[0]}/").content.decode()
    assert note in detail
