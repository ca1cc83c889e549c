from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from config.crypto import EncryptedTextField


class Thread(models.Model):
    """A conversation between a beneficiary and their consultant. Nobody else reads it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    beneficiary = models.ForeignKey("bilans.Beneficiary", on_delete=models.CASCADE, related_name="threads")
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultant_threads")
    subject = models.CharField("objet", max_length=200)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_message_at", "-created_at"]


class Message(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = EncryptedTextField("message")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField("lu par le destinataire le", null=True, blank=True)

    class Meta:
        ordering = ["created_at"]


def attachment_upload_to(instance, filename: str) -> str:
    from django.db import connection

    return f"{connection.schema_name}/messages/{uuid.uuid4().hex}.bin"


class Attachment(models.Model):
    """A file attached to a message, stored encrypted (config.crypto)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_upload_to, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # CT-09: attachments exchanged during a bilan are working documents, destroyed at its end.
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destruction_reason = models.CharField(max_length=200, blank=True)
