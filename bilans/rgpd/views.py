"""RGPD pages: record of processing (RG-05), consent log, export (RG-04, art. 15/20) and
erasure (art. 17) of a beneficiary's data."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from bilans.models import Beneficiary
from bilans.quality.sources import model
from bilans.rgpd.erasure import beneficiary_erase, erasure_plan
from bilans.rgpd.export import beneficiary_export
from bilans.rgpd.forms import ExportRequestForm
from config.errors import NotFound
from organisations.accounts.models import Role
from organisations.accounts.services import audit_event_record
from organisations.permissions import ensure_can_export_beneficiary_data, role_required

admin_only = role_required(Role.ADMIN)


def _beneficiary(pk) -> Beneficiary:
    try:
        return Beneficiary.objects.select_related("user").get(pk=pk)
    except (Beneficiary.DoesNotExist, ValidationError):
        raise NotFound("Bénéficiaire introuvable.", code="beneficiary_not_found") from None


PROCESSING = (
    ("Conduite des bilans de compétences", "Entretiens, séances, questionnaires, documents de travail, synthèse",
     "Obligation légale et contrat (L6313-4 du Code du travail)", "Bénéficiaires, consultants",
     "Documents de travail détruits au terme du bilan ; synthèse 3 ans au plus avec accord écrit ou remise au CEP (R6313-7)"),
    ("Données de santé et handicap", "Situation de handicap, aménagements nécessaires",
     "Consentement explicite (RGPD art. 9.2.a)", "Consultant assigné, administrateurs", "Durée du bilan"),
    ("Consentements et partage des résultats", "Consentement au bilan, accords de partage par destinataire",
     "Obligation légale (L6313-4)", "Bénéficiaires", "5 ans après le bilan (preuve)"),
    ("Rendez-vous et messagerie", "Créneaux, visioconférence, messages et pièces jointes", "Contrat", "Bénéficiaire et son consultant",
     "Durée du bilan"),
    ("Facturation et comptabilité", "Devis, factures, avoirs, paiements, FEC", "Obligation légale (Code de commerce, CGI)",
     "Financeurs (CPF, OPCO, employeurs, France Travail), expert-comptable", "10 ans (L123-22 du Code de commerce)"),
    ("Financement CPF (EDOF)", "Dossier EDOF, déclarations d'entrée, de sortie et de service fait", "Obligation légale (D6323-6, R6333-6)",
     "Caisse des Dépôts", "10 ans"),
    ("Qualité (Qualiopi) et BPF", "Indicateurs anonymisés, questionnaires de satisfaction, réclamations",
     "Obligation légale (L6316-1, R6352-22)", "Certificateur (dossier anonymisé), DREETS (chiffres agrégés)", "Durée de la certification"),
    ("Journal d'audit et sécurité", "Actions réalisées, adresses IP", "Intérêt légitime (sécurité, secret professionnel)",
     "Administrateurs", "Durée de vie de l'organisme"),
)


@admin_only
def register(request):
    from django.db.models import Q

    organisation = connection.tenant
    search = request.GET.get("q", "").strip()[:100]
    found = []
    if search:
        found = Beneficiary.objects.filter(Q(last_name__icontains=search) | Q(first_name__icontains=search) | Q(email__iexact=search))[:30]
    return render(request, "rgpd/register.html", {"processing": PROCESSING, "organisation_row": organisation, "search": search, "found": found})


@admin_only
def consent_log(request):
    Consent = model("bilans", "Consent")
    Sharing = model("bilans", "SharingConsent")
    consents = Consent.objects.select_related("bilan__beneficiary", "recorded_by").order_by("-given_at")[:500] if Consent else []
    sharing = Sharing.objects.select_related("bilan__beneficiary", "recorded_by").order_by("-given_at")[:500] if Sharing else []
    Beneficiary_ = model("bilans", "Beneficiary")
    sensitive = []
    if Beneficiary_ is not None and any(f.name == "sensitive_consent_at" for f in Beneficiary_._meta.concrete_fields):
        sensitive = Beneficiary_.objects.filter(sensitive_consent_at__isnull=False).order_by("-sensitive_consent_at")[:500]
    return render(request, "rgpd/consents.html", {"consents": consents, "sharing": sharing, "sensitive": sensitive})


def _rights_page(request, beneficiary, form=None, status=200):
    plan, _ = erasure_plan(beneficiary=beneficiary)
    context = {"beneficiary": beneficiary, "plan": plan, "export_form": form or ExportRequestForm()}
    return render(request, "rgpd/beneficiary.html", context, status=status)


@admin_only
def beneficiary_rights(request, pk):
    return _rights_page(request, _beneficiary(pk))


def _export_response(request, beneficiary, *, for_administrator: bool = False, details: dict | None = None) -> HttpResponse:
    data = beneficiary_export(beneficiary=beneficiary, for_administrator=for_administrator)
    audit_event_record(action="rgpd.export", actor=request.user, target=beneficiary, details=details or {})
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees.zip"'
    response["Cache-Control"] = "no-store"
    return response


@role_required(Role.ADMIN, Role.BENEFICIARY)
def export_view(request, pk):
    """The person downloads their own data; an administrator produces it only on the person's
    recorded request (POST with its reference, kept in the audit log), without message threads."""
    beneficiary = _beneficiary(pk)
    ensure_can_export_beneficiary_data(request.user, beneficiary)
    if beneficiary.user_id is not None and beneficiary.user_id == request.user.pk:
        return _export_response(request, beneficiary)
    if request.method != "POST":
        return redirect("rgpd:beneficiary", pk=beneficiary.pk)
    form = ExportRequestForm(request.POST)
    if not form.is_valid():
        return _rights_page(request, beneficiary, form, status=400)
    details = {
        "on_request": True,
        "request_reference": form.cleaned_data["reference"],
        "request_received_on": form.cleaned_data["received_on"].isoformat(),
        "request_channel": form.cleaned_data["channel"],
    }
    return _export_response(request, beneficiary, for_administrator=True, details=details)


@admin_only
@require_POST
def erase_view(request, pk):
    beneficiary = _beneficiary(pk)
    plan = beneficiary_erase(actor=request.user, beneficiary=beneficiary)
    return render(request, "rgpd/erased.html", {"plan": plan})


@role_required(Role.BENEFICIARY)
def my_data(request):
    beneficiary = getattr(request.user, "beneficiary_file", None)
    return render(request, "rgpd/my_data.html", {"beneficiary": beneficiary})


@role_required(Role.BENEFICIARY)
def my_export(request):
    beneficiary = getattr(request.user, "beneficiary_file", None)
    if beneficiary is None:
        raise NotFound("Aucun dossier n'est rattaché à votre compte.", code="beneficiary_not_found")
    ensure_can_export_beneficiary_data(request.user, beneficiary)
    return _export_response(request, beneficiary)
