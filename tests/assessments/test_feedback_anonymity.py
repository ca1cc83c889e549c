"""360° feedback: results are published by complete groups of three answers, so that no page
shows one person's answers, not even by difference between two publications."""
from __future__ import annotations

import re

from django_tenants.utils import schema_context

from bilans.assessments import selectors, services
from bilans.assessments.models import FeedbackResponse
from tests.conftest import client_for

COMPETENCES = [{"code": 100, "label": "Coder"}, {"code": 200, "label": "Animer une équipe"}]


def _campaign(cast_a, bilan_a, invited: int):
    """Invitations made by the consultant: approved and sent at once (links returned)."""
    with schema_context(cast_a.organisation.schema_name):
        return services.feedback_campaign_create(
            bilan=bilan_a, actor=cast_a.consultant, competences=COMPETENCES,
            emails=[f"collegue{n}@exemple.test" for n in range(invited)],
        )


def _results_section(client, bilan) -> str:
    html = client.get(f"/bilans/{bilan.pk}/retours-360/").content.decode()
    return re.search(r'<section class="card">.*?</section>', html, re.S).group(0)


def test_a_fourth_and_fifth_answer_change_nothing_until_a_group_of_three_is_complete(cast_a, bilan_a):
    campaign, links = _campaign(cast_a, bilan_a, invited=7)
    anonymous = client_for(cast_a.organisation)
    beneficiary = cast_a.client(cast_a.beneficiary_user)
    consultant = cast_a.client(cast_a.consultant)
    answers = [{"c100": "4", "c200": "5"}, {"c100": "2", "c200": "3"}, {"c100": "3", "c200": "4"},
               {"c100": "5", "c200": "1"}, {"c100": "1"}, {"c100": "3", "c200": "2"}, {"c100": "5", "c200": "5"}]
    for (_email, token), posted in zip(links[:3], answers[:3], strict=True):
        assert anonymous.post(f"/retour-360/{token}/", posted).status_code == 200
    after_three = _results_section(beneficiary, bilan_a)
    assert "3 réponses prises en compte" in after_three
    assert "<td data-label=\"Moyenne\" class=\"num\">3,0</td>" in after_three and ">4,0</td>" in after_three
    with schema_context(cast_a.organisation.schema_name):
        results_three = selectors.feedback_results(campaign)
    # the 4th answer: every page shows exactly what it showed after three (new = 4·m4 − 3·m3 impossible)
    assert anonymous.post(f"/retour-360/{links[3][1]}/", answers[3]).status_code == 200
    assert _results_section(beneficiary, bilan_a) == after_three
    with schema_context(cast_a.organisation.schema_name):
        assert selectors.feedback_results(campaign) == results_three
    assert "4 réponses" not in _results_section(consultant, bilan_a)
    # the 5th: still nothing new
    assert anonymous.post(f"/retour-360/{links[4][1]}/", answers[4]).status_code == 200
    assert _results_section(beneficiary, bilan_a) == after_three
    # the 6th completes the second group: all six answers count for "Coder"
    assert anonymous.post(f"/retour-360/{links[5][1]}/", answers[5]).status_code == 200
    after_six = _results_section(beneficiary, bilan_a)
    assert "6 réponses prises en compte" in after_six
    coder = re.search(r"<td data-label=\"Compétence\">Coder</td>(.*?)</tr>", after_six, re.S).group(1)
    assert ">3,0</td>" in coder and ">6</td>" in coder  # (4 + 2 + 3 + 5 + 1 + 3) / 6
    # "Animer une équipe" has five ratings among the six answers: only the first three count
    team = re.search(r"<td data-label=\"Compétence\">Animer une équipe</td>(.*?)</tr>", after_six, re.S).group(1)
    assert ">4,0</td>" in team and ">3</td>" in team  # (5 + 3 + 4) / 3
    # the 7th answer waits for its group as well
    assert anonymous.post(f"/retour-360/{links[6][1]}/", answers[6]).status_code == 200
    assert _results_section(beneficiary, bilan_a) == after_six
    with schema_context(cast_a.organisation.schema_name):
        assert sorted(FeedbackResponse.objects.filter(campaign=campaign).values_list("group", flat=True)) == [0, 0, 0, 1, 1, 1, 2]


def test_no_count_below_the_threshold_is_shown(cast_a, bilan_a):
    _campaign_, links = _campaign(cast_a, bilan_a, invited=3)
    anonymous = client_for(cast_a.organisation)
    for _email, token in links[:2]:
        assert anonymous.post(f"/retour-360/{token}/", {"c100": "4", "c200": "2"}).status_code == 200
    page = _results_section(cast_a.client(cast_a.consultant), bilan_a)
    assert "dès que 3 personnes auront répondu" in page
    assert "2 réponses" not in page and "réponses prises en compte" not in page
    assert anonymous.post(f"/retour-360/{links[2][1]}/", {"c100": "5"}).status_code == 200
    page = _results_section(cast_a.client(cast_a.consultant), bilan_a)
    team = re.search(r"<td data-label=\"Compétence\">Animer une équipe</td>(.*?)</tr>", page, re.S).group(1)
    assert "Trop peu de réponses" in team and ">2<" not in team  # rated by two people: neither mean nor count
