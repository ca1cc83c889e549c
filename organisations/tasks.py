import dramatiq
from django.template.loader import render_to_string

from organisations.models import Invitation
from organisations.profile.emails import organisation_mail_send
from tenants.selectors import current_organisation, organisation_url


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_invitation_email(invitation_id: int, token: str) -> None:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return
    organisation = current_organisation()
    context = {
        "invitation": invitation,
        "organisation": organisation,
        "accept_url": organisation_url(organisation, f"/invitations/{token}/"),
    }
    organisation_mail_send(
        organisation=organisation,
        subject=f"Invitation à rejoindre {organisation.name}",
        text=render_to_string("organisations/email/invitation.txt", context),
        to=[invitation.email],
    )


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_password_setup_email(user_id: int) -> None:
    """For an administrator created by platform staff: a link to choose a password."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    from organisations.accounts.models import User

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.has_usable_password():
        return
    organisation = current_organisation()
    key = default_token_generator.make_token(user)
    context = {
        "user": user,
        "organisation": organisation,
        "setup_url": organisation_url(organisation, f"/accounts/password/reset/key/{user_pk_to_url_str(user)}-{key}/"),
    }
    organisation_mail_send(
        organisation=organisation,
        subject=f"Votre espace {organisation.name} est prêt",
        text=render_to_string("organisations/email/password_setup.txt", context),
        to=[user.email],
    )


@dramatiq.actor(max_retries=5, min_backoff=10_000)
def send_notification_email(notification_id: int) -> None:
    from organisations.models import Notification

    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None or not notification.recipient.is_active:
        return
    organisation = current_organisation()
    organisation_mail_send(
        organisation=organisation,
        subject=notification.title,
        text=render_to_string(
            "organisations/email/notification.txt",
            {"notification": notification, "organisation": organisation, "url": organisation_url(organisation, notification.url or "/notifications/")},
        ),
        to=[notification.recipient.email],
    )
