"""A payment reminder whose e-mail cannot be sent: a French message, no 500, nothing recorded."""
from __future__ import annotations

from django.core import mail
from django.test import override_settings
from django_tenants.utils import tenant_context

from tests.billing.conftest import issue_invoice


def test_smtp_failure_shows_a_message_and_records_no_reminder(in_a, bilan, employer):
    invoice = issue_invoice(in_a, bilan, employer)
    client = in_a.client(in_a.admin)
    with override_settings(EMAIL_BACKEND="tests.billing.failing_mail.RefusingEmailBackend"):
        response = client.post(f"/facturation/documents/{invoice.pk}/relance/", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "relance n&#x27;a pas pu être envoyée" in page or "relance n'a pas pu être envoyée" in page
    assert "Relance envoyée" not in page
    with tenant_context(in_a.organisation):
        from organisations.accounts.models import AuditEvent

        assert invoice.reminders.count() == 0
        assert not AuditEvent.objects.filter(action="billing.invoice_reminded").exists()


def test_reminder_sent_when_the_server_accepts(in_a, bilan, employer):
    invoice = issue_invoice(in_a, bilan, employer)
    response = in_a.client(in_a.admin).post(f"/facturation/documents/{invoice.pk}/relance/", follow=True)
    assert "Relance envoyée au financeur" in response.content.decode()
    assert [m.to for m in mail.outbox if invoice.number in m.subject] == [["compta@martin.test"]]
    with tenant_context(in_a.organisation):
        assert invoice.reminders.count() == 1
