"""« Mon suivi » is scoped by the permission module (organisations.permissions): a consultant sees
the bilans they lead or whose beneficiary is assigned to them, and the appointments visible to
them; never another consultant's; an administrator sees the organisation's."""
from __future__ import annotations

from datetime import timedelta

from bilans.models import Bilan
from bilans.quality.dashboards import consultant_dashboard
from bilans.scheduling.models import Appointment
from bilans.services import beneficiary_assign_consultant
from organisations.permissions import bilans_visible_to
from tests.bilans.factories import BeneficiaryFactory
from tests.quality.conftest import at

NOW = at(2026, 11, 21, 12)
LONG_AGO = at(2020, 1, 6, 9)  # idle for far more than two weeks, whatever today's date


def _person(in_a, last_name: str, consultant):
    person = BeneficiaryFactory(first_name="Test", last_name=last_name)
    beneficiary_assign_consultant(beneficiary=person, consultant=consultant, actor=in_a.admin)
    return person


def _idle_bilan(person, consultant) -> Bilan:
    bilan = Bilan.objects.create(beneficiary=person, consultant=consultant, status="investigation")
    Bilan.objects.filter(pk=bilan.pk).update(created_at=LONG_AGO, started_at=LONG_AGO)
    return bilan


def test_my_follow_up_shows_what_the_permission_module_lets_the_user_see(in_a):
    led = _idle_bilan(_person(in_a, "Scopemene", in_a.other_consultant), in_a.consultant)
    assigned_person = _person(in_a, "Scopeassigne", in_a.consultant)
    assigned = _idle_bilan(assigned_person, in_a.other_consultant)
    foreign_person = _person(in_a, "Scopeetranger", in_a.other_consultant)
    foreign = _idle_bilan(foreign_person, in_a.other_consultant)
    start = NOW + timedelta(days=3)
    mine = Appointment.objects.create(consultant=in_a.consultant, beneficiary=assigned_person, starts_at=start, ends_at=start + timedelta(hours=1), modality="phone")
    other = Appointment.objects.create(
        consultant=in_a.other_consultant, beneficiary=foreign_person, starts_at=start, ends_at=start + timedelta(hours=1), modality="phone"
    )

    board = consultant_dashboard(user=in_a.consultant, now=NOW)
    at_risk = {row["bilan"].pk for row in board["at_risk"]}
    assert at_risk == {led.pk, assigned.pk} == set(bilans_visible_to(in_a.consultant).values_list("pk", flat=True))
    assert board["open_count"] == 2
    assert [a.pk for a in board["appointments"]] == [mine.pk]

    other_board = consultant_dashboard(user=in_a.other_consultant, now=NOW)  # leads two, and Scopemene is assigned to them
    assert {row["bilan"].pk for row in other_board["at_risk"]} == {led.pk, assigned.pk, foreign.pk}
    assert [a.pk for a in other_board["appointments"]] == [other.pk]

    admin_board = consultant_dashboard(user=in_a.admin, now=NOW)
    assert {led.pk, assigned.pk, foreign.pk} <= {row["bilan"].pk for row in admin_board["at_risk"]}
    assert {mine.pk, other.pk} <= {a.pk for a in admin_board["appointments"]}

    page = in_a.client(in_a.consultant).get("/pilotage/consultant/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Scopemene" in html and "Scopeassigne" in html and "Scopeetranger" not in html
