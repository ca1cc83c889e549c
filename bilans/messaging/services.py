"""Threads between a beneficiary and their consultant. Messages and attachments are encrypted
at rest; the e-mail notification never contains the text."""
from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from bilans import clock
from bilans.messaging.models import Attachment, Message, Thread
from bilans.models import Beneficiary
from config.crypto import encrypted_file_read, encrypted_file_save
from config.errors import Conflict, Forbidden, InvalidInput
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record
from organisations.permissions import ensure_can_view_thread, has_role

MAX_ATTACHMENTS_PER_MESSAGE = 5
MAX_MESSAGE_LENGTH = 10_000


@transaction.atomic
def thread_start(*, actor: User, beneficiary: Beneficiary, subject: str) -> Thread:
    """Open a conversation between a beneficiary and their assigned consultant; either may."""
    if has_role(actor, Role.BENEFICIARY):
        if beneficiary.user_id != actor.pk:
            raise Forbidden("Vous ne pouvez écrire qu'en votre nom.", code="thread_forbidden")
    elif has_role(actor, Role.CONSULTANT):
        if beneficiary.consultant_id != actor.pk:
            raise Forbidden("Vous ne pouvez écrire qu'aux bénéficiaires qui vous sont attribués.", code="thread_forbidden")
    else:
        raise Forbidden("La messagerie relie un bénéficiaire et son consultant.", code="thread_forbidden")
    if beneficiary.consultant_id is None:
        raise Conflict("Aucun consultant n'est encore attribué.", code="no_consultant")
    subject = (subject or "").strip()
    if not subject:
        raise InvalidInput("Indiquez l'objet de la conversation.", code="subject_required")
    thread = Thread.objects.create(beneficiary=beneficiary, consultant_id=beneficiary.consultant_id, subject=subject[:200])
    audit_event_record(action="thread.started", actor=actor, target=thread)
    return thread


def _recipient(thread: Thread, author: User) -> User | None:
    return thread.beneficiary.user if author.pk == thread.consultant_id else thread.consultant


@transaction.atomic
def message_send(*, actor: User, thread: Thread, body: str, attachments: list[tuple[str, bytes]] | None = None, now: datetime | None = None) -> Message:
    """Post a message (and up to 5 files). The recipient gets an in-app notification and an
    e-mail that only says there is a new message."""
    from bilans.services import validate_upload
    from organisations.services import notification_create

    ensure_can_view_thread(actor, thread)
    body = (body or "").strip()
    attachments = attachments or []
    if not body and not attachments:
        raise InvalidInput("Écrivez un message ou joignez un fichier.", code="message_empty")
    if len(body) > MAX_MESSAGE_LENGTH:
        raise InvalidInput(f"Le message dépasse {MAX_MESSAGE_LENGTH} caractères : découpez-le en plusieurs messages.", code="message_too_long")
    if len(attachments) > MAX_ATTACHMENTS_PER_MESSAGE:
        raise InvalidInput(f"Joignez au plus {MAX_ATTACHMENTS_PER_MESSAGE} fichiers par message.", code="too_many_attachments")
    checked = [(validate_upload(filename=name, data=data, max_bytes=settings.MESSAGE_ATTACHMENT_MAX_BYTES), data) for name, data in attachments]
    moment = clock.now(now)
    message = Message.objects.create(thread=thread, author=actor, body=body)
    for (name, content_type), data in checked:
        attachment = Attachment(message=message, filename=name, content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest())
        encrypted_file_save(attachment.file, name, data)
        attachment.save()
    Thread.objects.filter(pk=thread.pk).update(last_message_at=moment)
    from bilans.models import Bilan

    bilan_id = Bilan.objects.filter(beneficiary_id=thread.beneficiary_id).order_by("-created_at").values_list("pk", flat=True).first()
    audit_event_record(
        action="message.sent", actor=actor, target=message,
        details={"thread_id": str(thread.pk), "attachments": len(checked), **({"bilan_id": str(bilan_id)} if bilan_id else {})},
    )
    recipient = _recipient(thread, actor)
    if recipient is not None and recipient.is_active:
        notification_create(
            recipient=recipient, kind="message", title="Vous avez reçu un nouveau message", url=f"/messages/{thread.pk}/", email=True
        )
    return message


@transaction.atomic
def thread_mark_read(*, actor: User, thread: Thread, now: datetime | None = None) -> int:
    """Read status: the messages of the other participant become read."""
    ensure_can_view_thread(actor, thread)
    return Message.objects.filter(thread=thread, read_at__isnull=True).exclude(author=actor).update(read_at=clock.now(now))


def attachment_read(*, actor: User, attachment: Attachment) -> bytes:
    """Decrypted content, for the two participants only; each download is logged."""
    from config.errors import NotFound

    ensure_can_view_thread(actor, attachment.message.thread)
    if attachment.destroyed_at is not None or not attachment.file:
        raise NotFound("Ce fichier a été détruit à la fin du bilan, comme la loi le prévoit.", code="attachment_destroyed")
    audit_event_record(action="attachment.downloaded", actor=actor, target=attachment, details={"thread_id": str(attachment.message.thread_id)})
    return encrypted_file_read(attachment.file)


def threads_visible_to(user):
    if has_role(user, Role.CONSULTANT):
        return Thread.objects.filter(consultant=user)
    if has_role(user, Role.BENEFICIARY):
        return Thread.objects.filter(beneficiary__user=user)
    return Thread.objects.none()


def unread_count(user) -> int:
    return Message.objects.filter(thread__in=threads_visible_to(user), read_at__isnull=True).filter(~Q(author=user)).count()


def attachments_purge(*, now: datetime | None = None) -> int:
    """CT-09: files exchanged in the messages are working documents of the bilan. Once the
    beneficiary has no bilan in progress and their last bilan has ended, the attachments sent
    up to that end are destroyed (the messages' text stays: it is the trace of the
    accompaniment). Registered as a retention handler of bilans.services.retention_purge."""
    from django.db.models import Max

    from bilans.models import Bilan

    moment = clock.now(now)
    open_people = Bilan.objects.filter(status__in=Bilan.OPEN_STATUSES).values("beneficiary_id")
    ended = (
        Bilan.objects.filter(ended_at__isnull=False, ended_at__lte=moment)
        .exclude(beneficiary_id__in=open_people)
        .values("beneficiary_id")
        .annotate(last_end=Max("ended_at"))
    )
    destroyed = 0
    for row in ended:
        due = Attachment.objects.filter(
            message__thread__beneficiary_id=row["beneficiary_id"], destroyed_at__isnull=True, message__created_at__lte=row["last_end"]
        ).values_list("pk", flat=True)
        for attachment_id in list(due):
            with transaction.atomic():
                attachment = Attachment.objects.select_for_update(skip_locked=True).filter(pk=attachment_id, destroyed_at__isnull=True).first()
                if attachment is None:
                    continue
                if attachment.file.name:
                    attachment.file.storage.delete(attachment.file.name)
                attachment.file = ""
                attachment.destroyed_at, attachment.destruction_reason = moment, "fin du bilan (R6313-7)"
                attachment.save(update_fields=["file", "destroyed_at", "destruction_reason"])
                audit_event_record(
                    action="attachment.destroyed", target=attachment,
                    details={"thread_id": str(attachment.message.thread_id), "size": attachment.size, "reason": attachment.destruction_reason},
                )
                destroyed += 1
    return destroyed
