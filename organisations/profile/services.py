"""Writes of the organisation's profile (legal identity and bank details), branding, public page
and the requests its visitors send. The identity stays where billing reads it: the Organisation
row (public schema: SIRET, declaration, Qualiopi, VAT exemption, colour) and BillingSettings
(tenant schema: address, legal form, bank details); the logo is the documents' one."""
from __future__ import annotations

import io
import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import Forbidden, InvalidInput
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record
from organisations.permissions import can_manage_organisation, ensure_can_manage_organisation_profile
from organisations.profile import selectors, validators

logger = logging.getLogger(__name__)

ORGANISATION_FIELDS = (
    "siret", "activity_declaration_number", "activity_declaration_region", "vat_exempt", "vat_exemption_mention",
    "qualiopi_certificate_number", "qualiopi_certified_on", "qualiopi_certifier", "qualiopi_expires_on",
    "legal_representative", "legal_representative_title",
)
BILLING_FIELDS = ("legal_form", "share_capital", "address_line", "postcode", "city", "vat_number", "iban", "bic")
PROFILE_FIELDS = ORGANISATION_FIELDS + BILLING_FIELDS
TEXT_LIMITS = {
    "activity_declaration_region": 80, "vat_exemption_mention": 200, "qualiopi_certificate_number": 64, "qualiopi_certifier": 120,
    "legal_representative": 150, "legal_representative_title": 80, "legal_form": 80, "share_capital": 40, "address_line": 200,
    "city": 100, "vat_number": 20,
}
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4000


def _clean_profile(fields: dict) -> tuple[dict, dict[str, str]]:
    """Normalised values and the French error of each invalid field."""
    data, errors = {}, {}
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise InvalidInput("Champ inconnu.", code="profile_unknown_field")
        if name in ("vat_exempt",):
            data[name] = bool(value)
        elif name in ("qualiopi_certified_on", "qualiopi_expires_on"):
            if value not in (None, "") and not isinstance(value, date):
                try:
                    value = date.fromisoformat(str(value))
                except ValueError:
                    errors[name] = "Date invalide : utilisez le format JJ/MM/AAAA."
                    continue
            data[name] = value or None
        else:
            data[name] = " ".join(str(value or "").split())
            limit = TEXT_LIMITS.get(name)
            if limit and len(data[name]) > limit:
                errors[name] = f"{limit} caractères au plus."
    checks = {
        "siret": lambda v: validators.siret_error(v),
        "activity_declaration_number": lambda v: validators.activity_declaration_error(v),
        "postcode": lambda v: validators.postcode_error(v),
        "iban": lambda v: validators.iban_error(v),
        "bic": lambda v: validators.bic_error(v),
    }
    for name in ("siret", "activity_declaration_number"):
        if name in data:
            data[name] = validators.digits_only(data[name])
    if "postcode" in data:
        data["postcode"] = data["postcode"].replace(" ", "")
    if "iban" in data:
        data["iban"] = validators.iban_normalise(data["iban"])
    if "bic" in data:
        data["bic"] = data["bic"].replace(" ", "").upper()
    for name, check in checks.items():
        if data.get(name) and name not in errors:
            message = check(data[name])
            if message:
                errors[name] = message
    region = data.get("activity_declaration_region")
    if region and region not in validators.FRENCH_REGIONS:
        errors["activity_declaration_region"] = "Choisissez la région de la DREETS qui a enregistré votre déclaration."
    if data.get("vat_exempt") and "vat_exemption_mention" in data and not data["vat_exemption_mention"]:
        errors["vat_exemption_mention"] = "Indiquez la mention imprimée sur vos factures (ex. « Exonération de TVA – art. 261-4-4° a du CGI »)."
    if bool(data.get("iban")) != bool(data.get("bic")) and "iban" in data and "bic" in data and not errors.get("iban") and not errors.get("bic"):
        missing = "bic" if data.get("iban") else "iban"
        errors[missing] = "Renseignez l'IBAN et le BIC ensemble (ils figurent tous deux sur votre RIB)."
    certified, expires = data.get("qualiopi_certified_on"), data.get("qualiopi_expires_on")
    if certified and certified > timezone.localdate():
        errors["qualiopi_certified_on"] = "La date du certificat ne peut pas être dans le futur."
    if certified and expires and expires <= certified:
        errors["qualiopi_expires_on"] = "La date d'expiration suit la date du certificat."
    return data, errors


@transaction.atomic
def organisation_profile_update(*, actor: User, **fields) -> dict:
    """Save the legal identity and bank details (administrators). Every field is checked first:
    one invalid field changes nothing and the error names it (``extra.errors``)."""
    ensure_can_manage_organisation_profile(actor)
    data, errors = _clean_profile(fields)
    if errors:
        raise InvalidInput(
            "Certaines informations sont à corriger : rien n'a été enregistré.", code="profile_invalid", extra={"errors": errors}
        )
    from bilans.billing.services import billing_settings_update
    from tenants.models import Organisation

    organisation = selectors.current_organisation()
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    changed = []
    for name in ORGANISATION_FIELDS:
        if name in data and getattr(organisation, name) != data[name]:
            setattr(organisation, name, data[name])
            changed.append(name)
    if changed:
        organisation.save(update_fields=[*changed, "updated_at"])  # save(): the routing cache is evicted (tenants.signals)
    billing = selectors.billing_settings()
    billing_changes = {name: data[name] for name in BILLING_FIELDS if name in data and getattr(billing, name) != data[name]}
    if billing_changes:
        billing_settings_update(actor=actor, **billing_changes)
    changed += sorted(billing_changes)
    audit_event_record(action="organisation.profile_updated", actor=actor, target=organisation, target_label=organisation.name, details={"fields": changed})
    return {"changed": changed}


# --- branding -------------------------------------------------------------------------------------
def logo_check(data: bytes) -> str:
    """The content type of an acceptable logo, read from the image itself (never from the name or
    the browser's claim): PNG or JPEG, at most 512 Ko and 4000 px a side. SVG is refused (it can
    carry scripts)."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_LOGO_BYTES:
        raise InvalidInput("Le logo dépasse 512 Ko : enregistrez-le en plus petit (400 px de large suffisent).", code="logo_too_large")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            width, height = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise InvalidInput("Ce fichier n'est pas une image PNG ou JPEG lisible.", code="logo_invalid_type") from None
    if kind not in LOGO_TYPES:
        raise InvalidInput("Le logo doit être une image PNG ou JPEG.", code="logo_invalid_type")
    if width > MAX_LOGO_PIXELS or height > MAX_LOGO_PIXELS:
        raise InvalidInput("Le logo dépasse 4000 pixels de côté : réduisez-le.", code="logo_too_large")
    return LOGO_TYPES[kind]


@transaction.atomic
def organisation_branding_update(
    *, actor: User, brand_colour: str | None = None, logo: bytes | None = None, remove_logo: bool = False
) -> None:
    """The brand colour (plans that include « Personnalisation à vos couleurs ») and the logo.
    A colour on which white text would read below 4.5:1 is refused, with a darker suggestion."""
    from bilans.documents.models import DocumentSettings

    ensure_can_manage_organisation_profile(actor)
    organisation = selectors.current_organisation()
    details: dict = {}
    if brand_colour is not None:
        colour = brand_colour.strip().lower()
        if colour and not selectors.branding_allowed(organisation):
            raise Forbidden(
                "La personnalisation à vos couleurs est comprise dans la formule Professional. Changez de formule pour choisir votre couleur.",
                code="branding_not_in_plan",
            )
        if colour:
            message = validators.brand_colour_error(colour)
            if message:
                raise InvalidInput(message, code="brand_colour_unreadable" if colour.startswith("#") and len(colour) == 7 else "brand_colour_invalid", extra={"errors": {"brand_colour": message}})
        if colour != organisation.brand_colour:
            organisation.brand_colour = colour
            organisation.save(update_fields=["brand_colour", "updated_at"])
            details["brand_colour"] = colour or "défaut"
    if remove_logo or logo:
        row = selectors.document_settings()
        row = DocumentSettings.objects.select_for_update().get(pk=row.pk)
        if remove_logo:
            row.logo, row.logo_content_type = b"", ""
            details["logo"] = "retiré"
        else:
            row.logo_content_type = logo_check(logo)
            row.logo = logo
            details["logo"] = "remplacé"
        row.save(update_fields=["logo", "logo_content_type", "updated_at"])
    if details:
        audit_event_record(action="organisation.branding_updated", actor=actor, target=organisation, target_label=organisation.name, details=details)


# --- public page ----------------------------------------------------------------------------------
PUBLIC_PAGE_FIELDS = (
    "is_published", "requests_open", "presentation", "objectives", "prerequisites", "duration", "access", "prices", "funding",
    "methods", "evaluation", "accessibility", "disability_contact_name", "disability_contact_email", "disability_contact_phone",
    "contact_email", "contact_phone",
)


@transaction.atomic
def public_page_update(*, actor: User, **fields):
    """The presentation page's content and switches (administrators). Publishing needs what
    Qualiopi indicator 1 asks for: durations, prices, access, accessibility and a contact."""
    from organisations.models import PublicPage

    ensure_can_manage_organisation_profile(actor)
    page = PublicPage.objects.select_for_update().get(pk=selectors.public_page().pk)
    errors = {}
    for name, value in fields.items():
        if name not in PUBLIC_PAGE_FIELDS:
            raise InvalidInput("Champ inconnu.", code="public_page_unknown_field")
        if name in ("is_published", "requests_open"):
            setattr(page, name, bool(value))
            continue
        value = str(value or "").strip()
        if name.endswith("_email") and value:
            try:
                validate_email(value)
            except ValidationError:
                errors[name] = "Adresse e-mail invalide."
        setattr(page, name, value)
    if page.is_published:
        required = {
            "duration": "Indiquez la durée du bilan.", "prices": "Indiquez vos tarifs.", "access": "Indiquez les délais et modalités d'accès.",
            "accessibility": "Indiquez comment vous accueillez les personnes en situation de handicap.",
            "contact_email": "Indiquez un e-mail de contact.",
        }
        for name, message in required.items():
            if not getattr(page, name) and name not in errors:
                errors[name] = message + " La page publiée doit le dire (Qualiopi, indicateur 1)."
    if errors:
        raise InvalidInput("Certaines informations sont à corriger : rien n'a été enregistré.", code="public_page_invalid", extra={"errors": errors})
    page.save()
    audit_event_record(
        action="organisation.public_page_updated", actor=actor, target=page,
        details={"fields": sorted(fields), "published": page.is_published, "requests_open": page.requests_open},
    )
    return page


CONSENT_TEXT = (
    "J'accepte que {organisation} me recontacte par e-mail ou par téléphone au sujet de ma demande de bilan de compétences. "
    "Mes coordonnées servent uniquement à traiter cette demande."
)


def consent_text(organisation) -> str:
    return CONSENT_TEXT.format(organisation=organisation.name)


@transaction.atomic
def contact_request_submit(
    *, first_name: str, last_name: str, email: str, phone: str = "", message: str = "", funding: str = "", consent: bool = False
):
    """A visitor asks for an appointment on the public page: the prospect's file is opened (or
    found by e-mail, without telling the visitor), the request and the consent to be contacted
    are recorded, and every administrator is notified (in the app and by e-mail)."""
    from bilans.models import Beneficiary
    from organisations.models import ContactRequest
    from organisations.services import notification_create

    page = selectors.public_page()
    if not (page.is_published and page.requests_open):
        raise Forbidden("Cet organisme ne reçoit pas de demandes en ligne pour le moment.", code="public_requests_closed")
    errors = {}
    first_name, last_name = " ".join(first_name.split())[:150], " ".join(last_name.split())[:150]
    email, phone = (email or "").strip().lower(), " ".join((phone or "").split())[:30]
    if not first_name:
        errors["first_name"] = "Indiquez votre prénom."
    if not last_name:
        errors["last_name"] = "Indiquez votre nom."
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = "Indiquez une adresse e-mail valide (ex. prenom.nom@exemple.fr)."
    if not consent:
        errors["consent"] = "Cochez cette case pour que nous puissions vous recontacter."
    if len(message) > 2000:
        errors["message"] = "2000 caractères au plus."
    if errors:
        raise InvalidInput("Certaines informations sont à corriger.", code="contact_request_invalid", extra={"errors": errors})
    organisation = selectors.current_organisation()
    beneficiary = Beneficiary.objects.filter(email__iexact=email).first()
    created = beneficiary is None
    if created:
        try:
            with transaction.atomic():
                beneficiary = Beneficiary.objects.create(first_name=first_name, last_name=last_name, email=email, phone=phone)
        except IntegrityError:  # the same address sent twice at once
            beneficiary = Beneficiary.objects.get(email__iexact=email)
            created = False
        else:
            audit_event_record(action="beneficiary.created", target=beneficiary, details={"source": "public_request"})
    request = ContactRequest.objects.create(
        beneficiary=beneficiary, message=message.strip(), funding=funding[:40], consent_text=consent_text(organisation), consent_at=timezone.now()
    )
    audit_event_record(
        action="contact_request.received", target=request, details={"new_beneficiary": created, "beneficiary_id": str(beneficiary.pk)}
    )
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        notification_create(
            recipient=admin, kind="contact_request", title="Nouvelle demande de rendez-vous depuis votre page",
            body="Une personne demande un premier entretien. Ouvrez la demande pour la recontacter.", url="/organisation/demandes/", email=True,
        )
    return request


@transaction.atomic
def contact_request_mark_handled(*, actor: User, request):
    from organisations.models import ContactRequest

    if not can_manage_organisation(actor):
        raise Forbidden("Seuls les administrateurs traitent les demandes.", code="contact_request_forbidden")
    request = ContactRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ContactRequest.Status.HANDLED:
        request.status, request.handled_by, request.handled_at = ContactRequest.Status.HANDLED, actor, timezone.now()
        request.save(update_fields=["status", "handled_by", "handled_at"])
        audit_event_record(action="contact_request.handled", actor=actor, target=request)
    return request
