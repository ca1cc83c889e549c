"""Periodic billing jobs: EDOF declaration reminders (CPF-06)."""
from __future__ import annotations

from datetime import timedelta

import dramatiq
from django.utils import timezone

from config.scheduler import periodic


def edof_reminders_notify(*, today=None) -> int:
    """Notify the administrators of EDOF entries, exits and "service fait" to declare (deadline:
    3 working days after the entry or the exit): once when pending, once more when late.
    Returns the number created."""
    from bilans.billing.selectors import edof_reminders
    from organisations.accounts.models import Role, User
    from organisations.models import Notification
    from organisations.services import notification_create

    today = today or timezone.localdate()
    created = 0
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True))
    for reminder in edof_reminders(today=today):
        late = "En retard – " if reminder.overdue else ""
        if reminder.event == "service_done":
            title = f"{late}EDOF : déclarer le service fait d'un bénéficiaire avant le {reminder.due_on:%d/%m/%Y}"
        else:
            what = "l'entrée" if reminder.event == "entry" else "la sortie"
            title = f"{late}EDOF : déclarer {what} d'un bénéficiaire avant le {reminder.due_on:%d/%m/%Y}"
        url = f"/facturation/bilan/{reminder.cpf_file.bilan_id}/"
        for admin in admins:
            if Notification.objects.filter(recipient=admin, kind="edof_reminder", url=url, title=title).exists():
                continue
            notification_create(recipient=admin, kind="edof_reminder", title=title, url=url, email=reminder.overdue or reminder.due_on <= today)
            created += 1
    return created


@periodic(every=timedelta(hours=6))
@dramatiq.actor(max_retries=3)
def send_edof_reminders():
    edof_reminders_notify()
