"""Messaging: only the beneficiary and their consultant, encrypted attachments, limits, read
status, e-mail without the text."""
import pytest
from django.core import mail
from django.db import connection
from django_tenants.utils import tenant_context

from bilans.messaging.models import Attachment, Message
from bilans.messaging.services import attachment_read, message_send, thread_mark_read, thread_start, unread_count
from config.errors import Forbidden, InvalidInput
from organisations.permissions import can_view_thread

pytestmark = pytest.mark.django_db
SECRET = "Je pense quitter mon poste à cause de mon manager"


@pytest.fixture
def thread(in_a):
    return thread_start(actor=in_a.beneficiary_user, beneficiary=in_a.beneficiary, subject="Question sur la prochaine séance")


def test_only_the_two_participants_read_a_thread(in_a, thread):
    assert can_view_thread(in_a.beneficiary_user, thread) and can_view_thread(in_a.consultant, thread)
    for outsider in (in_a.admin, in_a.other_consultant):
        assert not can_view_thread(outsider, thread)
        with pytest.raises(Forbidden):
            message_send(actor=outsider, thread=thread, body="Bonjour")
    with pytest.raises(Forbidden):
        thread_start(actor=in_a.other_consultant, beneficiary=in_a.beneficiary, subject="x")


def test_message_is_encrypted_and_the_email_never_contains_it(in_a, thread, worker):
    mail.outbox.clear()
    message_send(actor=in_a.beneficiary_user, thread=thread, body=SECRET)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message")
        assert all(SECRET not in row[0] for row in cursor.fetchall())
    assert Message.objects.get(thread=thread).body == SECRET
    notification = in_a.consultant.notifications.get(kind="message")
    assert SECRET not in notification.title + notification.body
    # the e-mail job (sent on commit) only says there is a message
    from organisations.tasks import send_notification_email

    send_notification_email.fn(notification.pk)
    assert mail.outbox and all(SECRET not in m.body and SECRET not in m.subject for m in mail.outbox)


def test_read_status_and_unread_count(in_a, thread, clock):
    message = message_send(actor=in_a.beneficiary_user, thread=thread, body="Bonjour")
    assert unread_count(in_a.consultant) == 1 and unread_count(in_a.beneficiary_user) == 0
    thread_mark_read(actor=in_a.beneficiary_user, thread=thread)  # own messages stay unread for the other
    assert unread_count(in_a.consultant) == 1
    thread_mark_read(actor=in_a.consultant, thread=thread, now=clock.now)
    message.refresh_from_db()
    assert message.read_at == clock.now and unread_count(in_a.consultant) == 0


def test_attachments_encrypted_with_limits(in_a, thread, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.MESSAGE_ATTACHMENT_MAX_BYTES = 2048
    pdf = b"%PDF-1.7 mon CV"
    message = message_send(actor=in_a.beneficiary_user, thread=thread, body="", attachments=[("CV Marie.pdf", pdf)])
    attachment = Attachment.objects.get(message=message)
    assert (tmp_path / attachment.file.name).read_bytes() != pdf
    assert attachment_read(actor=in_a.consultant, attachment=attachment) == pdf
    with pytest.raises(Forbidden):
        attachment_read(actor=in_a.admin, attachment=attachment)
    with pytest.raises(InvalidInput) as error:
        message_send(actor=in_a.beneficiary_user, thread=thread, body="x", attachments=[("script.sh", b"#!/bin/sh")])
    assert error.value.code == "file_type_not_allowed"
    with pytest.raises(InvalidInput) as error:
        message_send(actor=in_a.beneficiary_user, thread=thread, body="x", attachments=[("gros.pdf", b"%PDF" + b"0" * 4096)])
    assert error.value.code == "file_too_large"
    with pytest.raises(InvalidInput) as error:
        message_send(actor=in_a.beneficiary_user, thread=thread, body="x", attachments=[("a.txt", b"a")] * 6)
    assert error.value.code == "too_many_attachments"
    with pytest.raises(InvalidInput):
        message_send(actor=in_a.beneficiary_user, thread=thread, body="  ")


def test_thread_pages_and_download_permissions(in_a, thread, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.files.uploadedfile import SimpleUploadedFile

    beneficiary = in_a.client(in_a.beneficiary_user)
    response = beneficiary.post(f"/messages/{thread.pk}/", {"body": "Voici mon CV", "files": [SimpleUploadedFile("cv.pdf", b"%PDF-1 cv")]})
    assert response.status_code == 302
    with tenant_context(in_a.organisation):
        attachment = Attachment.objects.get()
    consultant = in_a.client(in_a.consultant)
    page = consultant.get(f"/messages/{thread.pk}/").content.decode()
    assert "Voici mon CV" in page and "cv.pdf" in page
    assert consultant.get(f"/messages/pieces-jointes/{attachment.pk}/").content == b"%PDF-1 cv"
    assert in_a.client(in_a.other_consultant).get(f"/messages/{thread.pk}/").status_code == 403
    assert in_a.client(in_a.other_consultant).get(f"/messages/pieces-jointes/{attachment.pk}/").status_code == 403
    assert in_a.client(in_a.admin).get(f"/messages/{thread.pk}/").status_code == 403
    bad = beneficiary.post(f"/messages/{thread.pk}/", {"body": "x", "files": [SimpleUploadedFile("x.exe", b"MZ")]})
    assert bad.status_code == 400 and "type de fichier" in bad.content.decode()
    assert "Nouvelle conversation" in beneficiary.get("/messages/").content.decode()


def test_attachments_are_destroyed_when_the_bilan_ends_messages_stay(in_a, thread, bilan, settings, tmp_path, clock):
    """CT-09: files exchanged during the bilan are destroyed at its end, with an audit entry
    without content; the text of the messages stays."""
    from bilans.models import Bilan
    from bilans.services import retention_purge
    from organisations.accounts.models import AuditEvent

    settings.MEDIA_ROOT = tmp_path
    message = message_send(actor=in_a.beneficiary_user, thread=thread, body="Mon CV", attachments=[("cv.pdf", b"%PDF cv")], now=clock.now)
    attachment = Attachment.objects.get(message=message)
    path = tmp_path / attachment.file.name
    assert retention_purge(now=clock.advance(days=1)) == 0  # bilan in progress
    from datetime import timedelta

    from django.utils import timezone

    end = timezone.now()  # after the message (created_at is the real time)
    Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=end)
    assert retention_purge(now=end + timedelta(hours=1)) == 1
    attachment.refresh_from_db()
    assert attachment.destroyed_at and not path.exists()
    assert Message.objects.get(pk=message.pk).body == "Mon CV"
    event = AuditEvent.objects.get(action="attachment.destroyed")
    assert "cv" not in str(event.details).lower()
    with pytest.raises(Exception) as error:
        attachment_read(actor=in_a.consultant, attachment=attachment)
    assert getattr(error.value, "code", "") == "attachment_destroyed"
    assert retention_purge(now=end + timedelta(hours=2)) == 0
