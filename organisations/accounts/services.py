from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.utils import IntegrityError

from config.errors import Conflict, InvalidInput
from organisations.accounts.context import current_ip
from organisations.accounts.models import AuditEvent, Role, User


def audit_event_record(
    *,
    action: str,
    actor: User | None = None,
    target: models.Model | None = None,
    target_label: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event in the current schema. Never put a beneficiary's content in
    ``details``: the audit log keeps facts, not content."""
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "",
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_label=target_label,
        ip_address=current_ip.get(),
        details=details or {},
    )


@transaction.atomic
def audit_labels_scrub(*, labels: list[str], replacement: str, actor_ids: list[int] = ()) -> int:
    """RG-04 erasure: the audit log keeps the fact, not the person. Replace the given labels
    (emails, names) in the actor and object label columns, and blank the IP address of the
    given actors' events. The database allows this narrow update only inside this transaction
    (migration accounts 0003); the log stays append-only otherwise. Returns the rows changed."""
    from django.db import connection

    labels = sorted({label for label in labels if label})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL app.audit_label_scrub = 'on'")
    try:
        changed = AuditEvent.objects.filter(actor_label__in=labels).update(actor_label=replacement) if labels else 0
        changed += AuditEvent.objects.filter(object_label__in=labels).update(object_label=replacement) if labels else 0
        if actor_ids:
            changed += AuditEvent.objects.filter(actor_id__in=list(actor_ids)).exclude(ip_address=None).update(ip_address=None)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL app.audit_label_scrub = 'off'")
    return changed


@transaction.atomic
def user_create(
    *,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email_verified: bool = False,
    created_by: User | None = None,
) -> User:
    """Create a member of the current schema (or a staff user in the public schema)."""
    if role not in Role.values:
        raise InvalidInput("Rôle inconnu.", code="invalid_role")
    email = (email or "").strip().lower()
    if not email:
        raise InvalidInput("L'adresse e-mail est obligatoire.", code="email_required")
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("Un compte existe déjà avec cette adresse e-mail.", code="email_taken")
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, role=role, first_name=first_name.strip(), last_name=last_name.strip()
            )
    except IntegrityError as exc:  # a concurrent creation with the same address
        raise Conflict("Un compte existe déjà avec cette adresse e-mail.", code="email_taken") from exc
    if password is None:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=email, primary=True, verified=email_verified)
    audit_event_record(
        action="user.created", actor=created_by, target=user, target_label=user.email, details={"role": role}
    )
    return user
