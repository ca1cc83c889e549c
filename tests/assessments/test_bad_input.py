"""Bad identifiers posted to the assessments pages answer 400/404 with a French page, never a
500, and change nothing."""
from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from bilans.assessments import selectors, services


@pytest.fixture
def option(rome, cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        return services.career_option_add(bilan=bilan_a, actor=cast_a.consultant, code_rome="M1805", kind="main")


def _projects(cast_a, bilan_a):
    with schema_context(cast_a.organisation.schema_name):
        return [(o.pk, o.kind, o.advantages) for o in selectors.career_options(bilan_a)]


@pytest.mark.parametrize("action", ["remove", "update"])
@pytest.mark.parametrize(
    ("posted", "status", "message"),
    [
        ("abc", 400, "Identifiant de projet invalide."),
        ("", 400, "Identifiant de projet invalide."),
        ("1' OR 1=1", 400, "Identifiant de projet invalide."),
        (str(uuid.uuid4()), 404, "Projet introuvable."),
    ],
)
def test_projects_with_a_bad_option_identifier_answer_400_or_404_and_change_nothing(cast_a, bilan_a, option, action, posted, status, message):
    before = _projects(cast_a, bilan_a)
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(
        f"/bilans/{bilan_a.pk}/projets/", {"action": action, "option": posted, "advantages": "Écrasé ?", "kind": "alternative"}
    )
    assert response.status_code == status
    assert message in response.content.decode()
    assert _projects(cast_a, bilan_a) == before


def test_projects_option_of_another_bilan_is_not_found(cast_a, bilan_a, option):
    from bilans.models import Beneficiary, Bilan

    with schema_context(cast_a.organisation.schema_name):
        someone = Beneficiary.objects.create(first_name="Autre", last_name="Personne", email="autre@exemple.test", consultant=cast_a.consultant)
        other = Bilan.objects.create(beneficiary=someone, consultant=cast_a.consultant)
    response = cast_a.client(cast_a.consultant).post(f"/bilans/{other.pk}/projets/", {"action": "remove", "option": str(option.pk)})
    assert response.status_code == 404
    assert [pk for pk, *_ in _projects(cast_a, bilan_a)] == [option.pk]


def test_projects_remove_with_a_valid_identifier_still_works(cast_a, bilan_a, option):
    response = cast_a.client(cast_a.consultant).post(f"/bilans/{bilan_a.pk}/projets/", {"action": "remove", "option": f" {option.pk} "})
    assert response.status_code == 302
    assert _projects(cast_a, bilan_a) == []
