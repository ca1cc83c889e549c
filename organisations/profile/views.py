"""Pages of the organisation's profile, branding and public page (administrators), the public
presentation page with its request form (visitors), and the logo."""
from __future__ import annotations

import logging

from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from organisations.accounts.context import client_ip
from organisations.accounts.models import Role
from organisations.permissions import role_required
from organisations.profile import selectors, services
from organisations.profile.forms import FUNDING_CHOICES, BrandingForm, ContactRequestForm, ProfileForm, PublicPageForm
from organisations.profile.validators import contrast_with_white, iban_display, ratio_text

logger = logging.getLogger(__name__)
admin_required = role_required(Role.ADMIN)

RATE_LIMIT_REQUESTS = 5  # requests per address and per hour
RATE_LIMIT_WINDOW = 3600
MIN_SECONDS_TO_FILL = 3
FORM_SALT = "organisations.public_request"


def _apply_errors(form, error: ApplicationError) -> None:
    field_errors = error.extra.get("errors") or {}
    for name, message in field_errors.items():
        form.add_error(name if name in form.fields else None, message)
    if not field_errors:
        form.add_error(None, error.message)


# --- profile ---------------------------------------------------------------------------------------
@admin_required
def profile_edit(request):
    organisation = selectors.current_organisation()
    billing = selectors.billing_settings()
    initial = {name: getattr(organisation, name) for name in services.ORGANISATION_FIELDS}
    initial.update({name: getattr(billing, name) for name in services.BILLING_FIELDS})
    initial["iban"] = iban_display(billing.iban) if billing.iban else ""
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.organisation_profile_update(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Profil de l'organisme enregistré." if result["changed"] else "Aucune modification à enregistrer.")
            return redirect("organisations:profile")
    items = selectors.setup_checklist(organisation)
    return render(
        request, "organisations/profile/profile.html",
        {"form": form, "checklist": items, "setup_pending": selectors.setup_pending(items)},
        status=400 if form.errors else 200,
    )


@admin_required
def branding_edit(request):
    organisation = selectors.current_organisation()
    allowed = selectors.branding_allowed(organisation)
    form = BrandingForm(
        request.POST or None, request.FILES or None, colour_allowed=allowed, has_logo=bool(selectors.logo_version()),
        initial={"brand_colour": organisation.brand_colour or "#1f5fae"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        colour = None
        if allowed:
            colour = "" if data.get("use_default_colour") else (data.get("brand_colour") or "")
        logo = data.get("logo")
        try:
            services.organisation_branding_update(
                actor=request.user, brand_colour=colour, logo=logo.read() if logo else None, remove_logo=data.get("remove_logo", False)
            )
        except ApplicationError as error:
            if error.code.startswith("logo"):
                form.add_error("logo", error.message)
            elif error.code.startswith("brand_colour"):
                form.add_error("brand_colour", error.message)
            else:
                form.add_error(None, error.message)
        else:
            messages.success(request, "Image de marque enregistrée.")
            return redirect("organisations:branding")
    colour = selectors.brand_colour(organisation)
    return render(
        request, "organisations/profile/branding.html",
        {
            "form": form, "allowed": allowed, "logo_url": selectors.logo_path(), "current_colour": colour,
            "current_ratio": ratio_text(contrast_with_white(colour)) if colour else "",
        },
        status=400 if form.errors else 200,
    )


def logo(request, version: str):
    """The organisation's logo, for its pages, e-mails and PDFs. Served from the database with
    the type found when it was checked, never sniffed, never run (no SVG, a strict CSP)."""
    row = selectors.document_settings()
    if not row.logo or version != selectors.logo_version(row) or row.logo_content_type not in services.LOGO_TYPES.values():
        raise Http404("Logo introuvable.")
    response = HttpResponse(bytes(row.logo), content_type=row.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Disposition"] = 'inline; filename="logo"'
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


# --- public page settings and requests -------------------------------------------------------------
@admin_required
def public_page_edit(request):
    page = selectors.public_page()
    initial = {name: getattr(page, name) for name in services.PUBLIC_PAGE_FIELDS}
    form = PublicPageForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.public_page_update(actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Page de présentation enregistrée." + (" Elle est en ligne." if form.cleaned_data["is_published"] else " Elle n'est pas publiée."))
            return redirect("organisations:public_page")
    return render(request, "organisations/profile/public_page_settings.html", {"form": form, "page": page}, status=400 if form.errors else 200)


@admin_required
def contact_requests(request):
    labels = dict(FUNDING_CHOICES)
    items = list(selectors.contact_request_list()[:200])
    for item in items:
        item.funding_label = labels.get(item.funding) or "Ne sait pas encore"
    return render(request, "organisations/profile/contact_requests.html", {"requests": items})


@admin_required
@require_POST
def contact_request_handled(request, pk: int):
    from organisations.models import ContactRequest

    services.contact_request_mark_handled(actor=request.user, request=get_object_or_404(ContactRequest, pk=pk))
    messages.success(request, "Demande marquée comme traitée.")
    return redirect("organisations:contact_requests")


# --- the address of the organisation: public page or login -----------------------------------------
def root(request):
    """Signed-in members get their home; visitors get the presentation page when the
    organisation publishes one, else the login page as before."""
    from organisations.views import home

    if request.user.is_authenticated:
        return home(request)
    page = selectors.public_page()
    if not page.is_published:
        return home(request)  # redirects to the login page
    return _public_page(request, page, ContactRequestForm(consent_label=services.consent_text(selectors.current_organisation())))


def _public_page(request, page, form, *, status: int = 200):
    organisation = selectors.current_organisation()
    form.fields["shown"].initial = signing.TimestampSigner(salt=FORM_SALT).sign("shown")
    from bilans.quality.selectors import latest_publication

    return render(
        request, "organisations/profile/public_page.html",
        {"page": page, "form": form, "logo_url": selectors.logo_path(), "publication": latest_publication(), "org": organisation},
        status=status,
    )


def _rate_limited(request) -> bool:
    key = f"public-request:{client_ip(request) or 'inconnu'}"
    cache.add(key, 0, RATE_LIMIT_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_LIMIT_WINDOW)
        count = 1
    return count > RATE_LIMIT_REQUESTS


def _fast_or_stale(token: str) -> bool:
    signer = signing.TimestampSigner(salt=FORM_SALT)
    try:
        signer.unsign(token, max_age=24 * 3600)
    except signing.BadSignature:
        return True
    try:
        signer.unsign(token, max_age=MIN_SECONDS_TO_FILL)
    except signing.SignatureExpired:
        return False  # older than the minimum: a person had time to fill the form
    return True


def public_request(request):
    page = selectors.public_page()
    if not (page.is_published and page.requests_open):
        if request.method == "POST":
            return render(request, "organisations/profile/public_request_closed.html", status=403)
        return redirect("home")
    if request.method != "POST":
        return redirect("/#demande")
    if _rate_limited(request):
        return render(request, "organisations/profile/too_many_requests.html", status=429)
    organisation = selectors.current_organisation()
    form = ContactRequestForm(request.POST, consent_label=services.consent_text(organisation))
    if not form.is_valid():
        return _public_page(request, page, form, status=400)
    data = form.cleaned_data
    if data["website"]:
        logger.info("public request ignored: honeypot filled")
        return render(request, "organisations/profile/public_request_sent.html")  # bots are not told
    if _fast_or_stale(data["shown"]):
        form.add_error(None, "Votre demande n'a pas pu être vérifiée. Relisez vos informations puis envoyez-la de nouveau.")
        return _public_page(request, page, form, status=400)
    try:
        services.contact_request_submit(
            first_name=data["first_name"], last_name=data["last_name"], email=data["email"], phone=data["phone"],
            message=data["message"], funding=data["funding"], consent=data["consent"],
        )
    except ApplicationError as error:
        if error.status == 403:
            return render(request, "organisations/profile/public_request_closed.html", status=403)
        _apply_errors(form, error)
        return _public_page(request, page, form, status=400)
    return render(request, "organisations/profile/public_request_sent.html")
