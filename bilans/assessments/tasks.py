import dramatiq
from django.core.mail import send_mail
from django.template.loader import render_to_string

from tenants.selectors import current_organisation, organisation_url


@dramatiq.actor(max_retries=3)
def send_feedback_invitation(email: str, token: str, beneficiary_first_name: str) -> None:
    """The 360° invitation email: a single-use link, no account needed."""
    organisation = current_organisation()
    context = {
        "organisation": organisation,
        "first_name": beneficiary_first_name,
        "url": organisation_url(organisation, f"/retour-360/{token}/") if organisation else f"/retour-360/{token}/",
    }
    send_mail(
        subject=f"{beneficiary_first_name} vous demande un retour sur ses compétences",
        message=render_to_string("assessments/email/feedback_invitation.txt", context),
        from_email=None,
        recipient_list=[email],
    )
