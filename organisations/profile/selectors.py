"""Reads of the organisation's profile, branding, setup checklist and public page."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection

from plans.selectors import plan_allows


def current_organisation():
    """The Organisation row of the current schema (a real row even under schema_context)."""
    from tenants.models import Organisation

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organisation):
        return tenant
    return Organisation.objects.filter(schema_name=connection.schema_name).first()


def branding_allowed(organisation) -> bool:
    """Branding colours are sold with the plans that have the "branding" capability (editable by
    staff, listed on the pricing page from the same data)."""
    return organisation is not None and plan_allows(organisation, "branding")


def billing_settings():
    from bilans.billing.services import settings_get

    return settings_get()


def document_settings():
    from bilans.documents.selectors import document_settings as get

    return get()


def logo_version(settings_row=None) -> str:
    """A short fingerprint of the current logo, part of its URL so that a new logo is not hidden
    by a cached old one (empty: no logo)."""
    row = settings_row or document_settings()
    logo = bytes(row.logo or b"")
    return hashlib.sha256(logo).hexdigest()[:12] if logo else ""


def logo_path(settings_row=None) -> str:
    version = logo_version(settings_row)
    return f"/organisation/logo/{version}/" if version else ""


def brand_colour(organisation) -> str:
    """The colour to apply (pages, e-mails, PDFs): the organisation's own when its plan includes
    branding, else the platform's."""
    return organisation.brand_colour_in_use if organisation is not None else ""


def public_page():
    from organisations.models import PublicPage

    return PublicPage.objects.get_or_create(singleton=True, defaults=PUBLIC_PAGE_DEFAULTS)[0]


def contact_request_list(*, status: str = ""):
    from organisations.models import ContactRequest

    qs = ContactRequest.objects.select_related("beneficiary", "handled_by")
    return qs.filter(status=status) if status else qs


def active_consultant_count() -> int:
    from organisations.accounts.models import Role, User

    return User.objects.filter(role=Role.CONSULTANT, is_active=True).count()


@dataclass
class ChecklistItem:
    key: str
    label: str
    detail: str
    url: str
    done: bool
    optional: bool = False


def setup_checklist(organisation=None) -> list[ChecklistItem]:
    """What the organisation must still do before it can invoice (and the optional branding).
    The identity items follow exactly what billing checks before issuing a document."""
    from bilans.billing.services import identity_missing

    organisation = organisation or current_organisation()
    billing = billing_settings()
    missing = identity_missing(organisation, billing)
    nda_labels = {"le numéro de déclaration d'activité", "la région de la déclaration d'activité"}
    identity_missing_items = [item for item in missing if item not in nda_labels]
    nda_missing = [item for item in missing if item in nda_labels]
    qualiopi_missing = not (organisation.qualiopi_certificate_number and organisation.qualiopi_certified_on and organisation.qualiopi_certifier)
    items = [
        ChecklistItem(
            "identity", "Identité légale de l'organisme",
            "Manque : " + ", ".join(identity_missing_items) + "." if identity_missing_items else "SIRET et adresse renseignés.",
            "/organisation/profil/#identite", not identity_missing_items,
        ),
        ChecklistItem(
            "nda", "Déclaration d'activité",
            "Manque : " + ", ".join(nda_missing) + "." if nda_missing else "Numéro et région renseignés.",
            "/organisation/profil/#declaration", not nda_missing,
        ),
        ChecklistItem(
            "bank", "Coordonnées bancaires",
            "IBAN et BIC pour être payé par virement." if not (billing.iban and billing.bic) else "IBAN et BIC renseignés.",
            "/organisation/profil/#banque", bool(billing.iban and billing.bic),
        ),
        ChecklistItem(
            "qualiopi", "Certificat Qualiopi",
            "Numéro, date et organisme certificateur." if qualiopi_missing else "Certificat renseigné.",
            "/organisation/profil/#qualiopi", not qualiopi_missing,
        ),
        ChecklistItem(
            "consultant", "Premier consultant",
            "Invitez un consultant pour mener les bilans." if not active_consultant_count() else "Au moins un consultant actif.",
            "/organisation/membres/", bool(active_consultant_count()),
        ),
    ]
    if branding_allowed(organisation):
        has_branding = bool(organisation.brand_colour or logo_version())
        items.append(
            ChecklistItem(
                "branding", "Logo et couleur", "Vos pages, e-mails et PDF à vos couleurs.",
                "/organisation/image/", has_branding, optional=True,
            )
        )
    return items


def setup_pending(items: list[ChecklistItem]) -> bool:
    return any(not item.done and not item.optional for item in items)


PUBLIC_PAGE_DEFAULTS = {
    "objectives": (
        "Analyser vos compétences professionnelles et personnelles, vos aptitudes et vos motivations, "
        "afin de définir un projet professionnel et, le cas échéant, un projet de formation (article L6313-4 du Code du travail)."
    ),
    "prerequisites": "Aucun prérequis : le bilan est ouvert à toute personne active, salariée, indépendante ou en recherche d'emploi.",
    "duration": (
        "24 heures au plus, dont un temps d'accompagnement individuel et un temps de travail personnel, "
        "réparties sur 6 à 12 semaines selon votre rythme, en trois phases : préliminaire, investigation, conclusions."
    ),
    "access": (
        "Un premier entretien gratuit et sans engagement, proposé dans les 15 jours suivant votre demande. "
        "Le bilan peut commencer dès l'accord de financement."
    ),
    "funding": (
        "Compte personnel de formation (CPF), plan de développement des compétences de votre employeur, OPCO, "
        "France Travail pour les demandeurs d'emploi, ou financement personnel."
    ),
    "methods": "Entretiens individuels (en présentiel ou en visio), questionnaires d'intérêts et de personnalité, enquêtes métiers, travail personnel guidé.",
    "evaluation": "Un document de synthèse vous est remis en fin de bilan ; un questionnaire de satisfaction à chaud puis un entretien de suivi à 6 mois.",
    "accessibility": (
        "Nos accompagnements sont accessibles aux personnes en situation de handicap. Contactez notre référent handicap "
        "pour étudier ensemble les aménagements utiles (lieu, horaires, supports, visio)."
    ),
}


DEFAULT_PDF_COLOUR = "#1f5fae"


def pdf_branding(organisation=None) -> dict:
    """What PDF headers print: the colour in use (or the platform's) and the logo as a data URI."""
    import base64

    organisation = organisation or current_organisation()
    row = document_settings()
    logo = ""
    if row.logo and row.logo_content_type in ("image/png", "image/jpeg"):
        logo = f"data:{row.logo_content_type};base64,{base64.b64encode(bytes(row.logo)).decode()}"
    return {
        "name": getattr(organisation, "name", ""),
        "colour": (organisation.brand_colour_in_use if organisation is not None else "") or DEFAULT_PDF_COLOUR,
        "logo": logo,
    }
