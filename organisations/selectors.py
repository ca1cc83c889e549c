from django.db.models import QuerySet
from django.utils import timezone

from organisations.accounts.models import AuditEvent, Role, User
from organisations.models import ApiToken, Invitation


def member_list(*, role: str = "") -> QuerySet[User]:
    qs = User.objects.order_by("role", "last_name", "first_name", "email")
    return qs.filter(role=role) if role else qs


def team_list() -> QuerySet[User]:
    return member_list().filter(role__in=[Role.ADMIN, Role.CONSULTANT])


def consultant_list() -> QuerySet[User]:
    return User.objects.filter(role=Role.CONSULTANT, is_active=True).order_by("last_name", "first_name")


def invitation_pending_list() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related("invited_by")


def audit_event_list(*, action: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.select_related("actor")
    return qs.filter(action__startswith=action) if action else qs


def notification_list(*, recipient: User, unread_only: bool = False):
    from organisations.models import Notification

    qs = Notification.objects.filter(recipient=recipient)
    return qs.filter(read_at__isnull=True) if unread_only else qs


def notification_unread_count(*, recipient: User) -> int:
    return notification_list(recipient=recipient, unread_only=True).count()


def api_token_list(*, user: User):
    """The user's own API tokens, newest first (never the key: it is not stored)."""
    now = timezone.now()
    return [
        {"token": token, "active": token.revoked_at is None and token.expires_at > now}
        for token in ApiToken.objects.filter(user=user).order_by("-created_at")[:50]
    ]
