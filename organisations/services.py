from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from config.dramatiq import enqueue_on_commit
from config.errors import Conflict, Forbidden, InvalidInput, NotFound
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record, user_create
from organisations.middleware import user_has_totp
from organisations.models import ApiToken, Invitation
from organisations.permissions import ensure_can_view_beneficiary, ensure_role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    inviter: User,
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    beneficiary=None,
) -> Invitation:
    """Invite someone into the organisation: a link valid INVITATION_VALIDITY_DAYS days, single
    use. The email leaves after commit, from a background job; the clear token is never stored."""
    if role in (Role.ADMIN, Role.CONSULTANT):
        ensure_role(inviter, Role.ADMIN, message="Seul un administrateur peut inviter un membre de l'équipe.")
    elif role == Role.BENEFICIARY:
        ensure_role(inviter, Role.ADMIN, Role.CONSULTANT)
        if beneficiary is not None:
            ensure_can_view_beneficiary(inviter, beneficiary)
            if beneficiary.user_id:
                raise Conflict("Ce bénéficiaire a déjà un compte.", code="beneficiary_has_account")
    else:
        raise InvalidInput("Rôle inconnu.", code="invalid_role")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput("Adresse e-mail invalide.", code="invalid_email") from None
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict("Cette personne a déjà un compte dans votre organisation.", code="email_taken")

    now = timezone.now()
    # A new invitation to the same address replaces the pending ones.
    Invitation.objects.filter(email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        beneficiary=beneficiary,
        token_hash=_hash(token),
        invited_by=inviter,
        expires_at=now + timedelta(days=settings.INVITATION_VALIDITY_DAYS),
    )
    audit_event_record(action="invitation.created", actor=inviter, target=invitation, target_label=email, details={"role": role})

    from organisations.tasks import send_invitation_email

    enqueue_on_commit(send_invitation_email, invitation.pk, token)
    return invitation


def invitation_for_token(token: str) -> Invitation:
    """The pending invitation behind a link, or a clear error."""
    invitation = Invitation.objects.filter(token_hash=_hash(token or "")).first()
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound("Ce lien d'invitation n'est pas valide. Demandez une nouvelle invitation.", code="invitation_invalid")
    if invitation.accepted_at is not None:
        raise Conflict("Cette invitation a déjà été utilisée. Connectez-vous avec votre compte.", code="invitation_used")
    if invitation.expires_at <= timezone.now():
        raise Conflict(
            "Ce lien d'invitation a expiré. Demandez à votre organisation de vous en envoyer un nouveau.",
            code="invitation_expired",
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, password: str, first_name: str = "", last_name: str = "") -> User:
    invitation = invitation_for_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:  # accepted concurrently
        raise Conflict("Cette invitation a déjà été utilisée.", code="invitation_used")
    first_name = first_name.strip() or invitation.first_name
    last_name = last_name.strip() or invitation.last_name
    try:
        password_validation.validate_password(password, User(email=invitation.email, first_name=first_name, last_name=last_name))
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
    user = user_create(
        email=invitation.email,
        role=invitation.role,
        password=password,
        first_name=first_name,
        last_name=last_name,
        email_verified=True,  # the invitation link proved the address
    )
    if invitation.beneficiary_id:
        from bilans.services import beneficiary_link_account

        beneficiary_link_account(beneficiary=invitation.beneficiary, user=user)
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit_event_record(action="invitation.accepted", actor=user, target=invitation, target_label=invitation.email)
    return user


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User) -> Invitation:
    ensure_role(actor, Role.ADMIN)
    if invitation.is_pending:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_event_record(action="invitation.revoked", actor=actor, target=invitation, target_label=invitation.email)
    return invitation


@transaction.atomic
def member_set_active(*, member: User, active: bool, actor: User) -> User:
    ensure_role(actor, Role.ADMIN)
    if member.pk == actor.pk:
        raise Conflict("Vous ne pouvez pas désactiver votre propre compte.", code="cannot_deactivate_self")
    if member.is_active != active:
        member.is_active = active
        member.save(update_fields=["is_active"])
        audit_event_record(action="member.activated" if active else "member.deactivated", actor=actor, target=member, target_label=member.email)
    return member


def notification_create(*, recipient: User, kind: str, title: str, body: str = "", url: str = "", email: bool = False) -> "Notification":
    """One in-app notification, and optionally an email with the same title (never with a
    beneficiary's content: the email only says there is something to see)."""
    from organisations.models import Notification

    notification = Notification.objects.create(recipient=recipient, kind=kind, title=title[:200], body=body, url=url)
    if email:
        from organisations.tasks import send_notification_email

        enqueue_on_commit(send_notification_email, notification.pk)
    return notification


def notification_mark_read(*, recipient: User, notification_ids: list[int] | None = None) -> int:
    from organisations.models import Notification

    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


API_TOKEN_VALIDITY_DAYS = (30, 90, 365)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # shown once; only its hash is stored


@transaction.atomic
def api_token_create(*, user: User, name: str, scope: str, validity_days: int) -> IssuedToken:
    """Issue a personal API token. Administrators must have enrolled two-factor authentication
    first (a token must not be a way around it)."""
    ensure_role(user, Role.ADMIN, Role.CONSULTANT)
    if user.role == Role.ADMIN and not user_has_totp(user):
        raise Forbidden("Activez la double authentification avant de créer un jeton d'API.", code="mfa_required")
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("Donnez au jeton un nom de 1 à 80 caractères (par exemple le logiciel qui l'utilise).", code="token_name_invalid")
    if scope not in ApiToken.Scope.values:
        raise InvalidInput("Choisissez les droits du jeton.", code="token_scope_invalid")
    if validity_days not in API_TOKEN_VALIDITY_DAYS:
        raise InvalidInput("Choisissez une durée de validité proposée.", code="token_validity_invalid")
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:8], key_hash=ApiToken.digest(key), scope=scope,
        expires_at=timezone.now() + timedelta(days=validity_days),
    )
    audit_event_record(
        action="api_token.created", actor=user, target=user, target_label=user.email,
        details={"token": token.prefix, "scope": scope, "validity_days": validity_days},
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (effective at once)."""
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise NotFound("Jeton introuvable ou déjà révoqué.", code="token_not_found")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_event_record(action="api_token.revoked", actor=user, target=user, target_label=user.email, details={"token": token.prefix})
