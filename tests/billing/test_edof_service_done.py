"""CPF-06: after the exit, the "service fait" declaration (completion rate) is reminded with the
same 3-working-day deadline as the entry and the exit."""
from __future__ import annotations

from datetime import date

from django.db import connection


def test_service_done_reminder_after_the_declared_exit(in_a, bilan):
    """CPF-06: exit on Monday 16 November 2026, declared: "service fait" due Thursday 19; shown on
    the billing overview, notified to the administrators, gone once declared."""
    from bilans.billing.selectors import edof_reminders
    from bilans.billing.services import cpf_edof_record
    from bilans.billing.tasks import edof_reminders_notify
    from organisations.models import Notification

    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="entry", on=date(2026, 10, 1), declared=True)
    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="exit", on=date(2026, 11, 16))
    assert [r.event for r in edof_reminders(today=date(2026, 11, 17))] == ["exit"]
    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="exit", on=date(2026, 11, 16), declared=True)
    reminders = edof_reminders(today=date(2026, 11, 17))
    assert [(r.event, r.due_on, r.overdue) for r in reminders] == [("service_done", date(2026, 11, 19), False)]
    assert edof_reminders(today=date(2026, 11, 20))[0].overdue
    page = in_a.client(in_a.admin).get("/facturation/").content.decode()
    assert "Déclarer le service fait sur EDOF" in page
    connection.set_tenant(in_a.organisation)
    assert edof_reminders_notify(today=date(2026, 11, 17)) >= 1
    assert Notification.objects.filter(
        recipient=in_a.admin, kind="edof_reminder", title="EDOF : déclarer le service fait d'un bénéficiaire avant le 19/11/2026"
    ).exists()
    cpf_edof_record(actor=in_a.admin, bilan=bilan, event="service_done", on=date(2026, 11, 18), completion_percent=100)
    assert edof_reminders(today=date(2026, 11, 20)) == []
