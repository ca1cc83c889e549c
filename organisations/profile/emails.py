"""The organisation's e-mails in HTML beside their plain text: its colour and logo in the header
(templates/organisations/email/base.html). The text version stays the reference."""
from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

DEFAULT_COLOUR = "#1f5fae"


def branded_html(*, organisation, subject: str, text: str) -> str:
    from organisations.profile import selectors
    from tenants.selectors import organisation_url

    logo = selectors.logo_path()
    declaration = ""
    if organisation.activity_declaration_number:
        declaration = f"Déclaration d'activité n° {organisation.activity_declaration_number}"
    return render_to_string(
        "organisations/email/base.html",
        {
            "subject": subject,
            "organisation_name": organisation.name,
            "brand_colour": organisation.brand_colour_in_use or DEFAULT_COLOUR,
            "logo_url": organisation_url(organisation, logo) if logo else "",
            "declaration": declaration,
            "body_text": text,
        },
    )


def organisation_mail_send(*, organisation, subject: str, text: str, to: list[str]) -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    message.attach_alternative(branded_html(organisation=organisation, subject=subject, text=text), "text/html")
    message.send()
