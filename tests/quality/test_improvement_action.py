"""Indicator 32: an improvement action can be completed (date and effect observed) from the
register page."""
from __future__ import annotations

from datetime import date

from django.db import connection


def test_admin_completes_an_improvement_action_from_the_register(in_a):
    """Qualiopi indicator 32 (Q-03: majeure-only): decided → done with its effect, audited."""
    from bilans.quality.services import register_add

    action = register_add(actor=in_a.admin, model="action", title="Rappel SMS la veille", origin="other", decided_on=date(2026, 6, 5))
    client = in_a.client(in_a.admin)
    page = client.get("/qualite/ameliorations/").content.decode()
    url = f"/qualite/ameliorations/{action.pk}/realisee/"
    assert url in page and "Marquer comme réalisée" in page
    refused = client.post(url, {"done_on": "2026-06-01", "result": "Moins d'absences"}, follow=True).content.decode()
    assert "avant d&#x27;avoir été décidée" in refused or "avant d'avoir été décidée" in refused
    response = client.post(url, {"done_on": "2026-07-01", "result": "Absences divisées par deux"}, follow=True)
    page = response.content.decode()
    assert "Action marquée comme réalisée" in page
    assert "réalisée le 1 juillet 2026" in page and "Absences divisées par deux" in page
    again = client.post(url, {"done_on": "2026-07-02", "result": "Autre"}, follow=True).content.decode()
    assert "déjà réalisée" in again
    assert in_a.client(in_a.consultant).post(url, {"done_on": "2026-07-01", "result": "x"}).status_code == 403
    connection.set_tenant(in_a.organisation)
    from bilans.quality.models import ImprovementAction
    from organisations.accounts.models import AuditEvent

    action = ImprovementAction.objects.get(pk=action.pk)
    assert (action.done_on, action.result) == (date(2026, 7, 1), "Absences divisées par deux")
    assert AuditEvent.objects.filter(action="quality.action_completed", object_id=str(action.pk)).count() == 1
