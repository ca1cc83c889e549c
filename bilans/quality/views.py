"""Qualiopi and BPF pages (administrators), and the public page of result indicators."""
from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from bilans.quality import bpf as bpf_module
from bilans.quality import selectors, services
from bilans.quality.bundle import build_audit_bundle
from bilans.quality.forms import (
    ActionCompleteForm,
    ActionForm,
    ComplaintCloseForm,
    ComplaintForm,
    EvidenceForm,
    PartnerForm,
    PeriodForm,
    QualificationForm,
    TrainingForm,
    WatchForm,
)
from bilans.quality.indicators import BY_NUMBER
from bilans.quality.models import Complaint, Evidence, ImprovementAction, Partner, StaffQualification, StaffTraining, WatchEntry
from config.errors import ApplicationError, InvalidInput, NotFound
from organisations.accounts.models import Role
from organisations.permissions import role_required

quality_admin = role_required(Role.ADMIN)


def _default_period() -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=365), today


def _period(request) -> tuple[date, date]:
    if "du" not in request.GET and "au" not in request.GET:
        return _default_period()
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise InvalidInput("Période invalide : indiquez deux dates, la fin après le début.", code="period_invalid")
    return form.cleaned_data["du"], form.cleaned_data["au"]


@quality_admin
def dashboard(request):
    start, end = _period(request)
    statuses = selectors.coverage(start=start, end=end)
    context = {
        "statuses": statuses,
        "summary": selectors.coverage_summary(statuses),
        "start": start,
        "end": end,
        "period_form": PeriodForm(initial={"du": start, "au": end}),
        "publication": selectors.latest_publication(),
    }
    return render(request, "quality/dashboard.html", context)


@quality_admin
def indicator_detail(request, number: int):
    indicator = BY_NUMBER.get(number)
    if indicator is None or not indicator.applies_to_bc:
        raise NotFound("Cet indicateur ne s'applique pas aux bilans de compétences.", code="indicator_not_applicable")
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_attach(actor=request.user, indicator=number, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Preuve ajoutée.")
            return redirect("quality:indicator", number)
    start, end = _default_period()
    status = next(s for s in selectors.coverage(start=start, end=end) if s.indicator.number == number)
    context = {"indicator": indicator, "status": status, "evidences": Evidence.objects.filter(indicator=number), "form": form}
    return render(request, "quality/indicator.html", context, status=422 if form.errors else 200)


@quality_admin
def evidence_download(request, pk):
    """The file attached as evidence of an indicator (administrators of this organisation only;
    another organisation's evidence does not exist in this schema: 404)."""
    evidence = Evidence.objects.filter(pk=pk).exclude(file="").first()
    if evidence is None:
        raise NotFound("Preuve introuvable.", code="evidence_not_found")
    from organisations.accounts.services import audit_event_record

    content = selectors.evidence_content(evidence)
    audit_event_record(action="quality.evidence_downloaded", actor=request.user, target=evidence, details={"indicator": evidence.indicator})
    response = HttpResponse(content, content_type=evidence.content_type or "application/octet-stream")
    filename = (evidence.filename or "preuve").replace('"', "").replace("\r", "").replace("\n", "")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@quality_admin
def complaints(request):
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.complaint_record(actor=request.user, **form.cleaned_data)
        messages.success(request, "Réclamation enregistrée.")
        return redirect("quality:complaints")
    context = {"form": form, "complaints": Complaint.objects.all(), "close_form": ComplaintCloseForm(initial={"closed_on": timezone.localdate()})}
    return render(request, "quality/complaints.html", context, status=422 if form.errors else 200)


@quality_admin
@require_POST
def complaint_close_view(request, pk):
    complaint = Complaint.objects.filter(pk=pk).first()
    if complaint is None:
        raise NotFound("Réclamation introuvable.", code="complaint_not_found")
    form = ComplaintCloseForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_close(actor=request.user, complaint=complaint, **form.cleaned_data)
            messages.success(request, "Réclamation close.")
        except ApplicationError as error:
            messages.error(request, error.message)
    else:
        messages.error(request, "Indiquez la réponse apportée et la date de clôture.")
    return redirect("quality:complaints")


REGISTERS = {
    "action": (ActionForm, ImprovementAction, "Actions d'amélioration (indicateur 32)", "quality:actions"),
    "watch": (WatchForm, WatchEntry, "Veille (indicateurs 23 à 25)", "quality:watch"),
    "partner": (PartnerForm, Partner, "Partenaires handicap et sous-traitants (indicateurs 26 et 27)", "quality:partners"),
}


@quality_admin
def register_view(request, register: str):
    form_class, model, title, url_name = REGISTERS[register]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.register_add(actor=request.user, model=register, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Entrée ajoutée au registre.")
            return redirect(url_name)
    rows = model.objects.all()
    context = {"form": form, "rows": rows, "title": title, "register": register}
    if register == "action":
        context["complete_form"] = ActionCompleteForm(initial={"done_on": timezone.localdate()})
    return render(request, "quality/register.html", context, status=422 if form.errors else 200)


@quality_admin
@require_POST
def action_complete_view(request, pk):
    action = ImprovementAction.objects.filter(pk=pk).first()
    if action is None:
        raise NotFound("Action introuvable.", code="action_not_found")
    form = ActionCompleteForm(request.POST)
    if form.is_valid():
        try:
            services.improvement_action_complete(actor=request.user, action=action, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Action marquée comme réalisée.")
    else:
        messages.error(request, "Indiquez la date de réalisation et l'effet constaté.")
    return redirect("quality:actions")


@quality_admin
def staff(request):
    kind = request.POST.get("registre")
    qualification_form = QualificationForm(request.POST if kind == "qualification" else None, prefix="q")
    training_form = TrainingForm(request.POST if kind == "training" else None, prefix="t")
    form = {"qualification": qualification_form, "training": training_form}.get(kind)
    if request.method == "POST" and form is not None and form.is_valid():
        services.register_add(actor=request.user, model=kind, **form.cleaned_data)
        messages.success(request, "Registre de l'équipe mis à jour.")
        return redirect("quality:staff")
    context = {
        "qualification_form": qualification_form,
        "training_form": training_form,
        "qualifications": StaffQualification.objects.select_related("user"),
        "trainings": StaffTraining.objects.select_related("user"),
    }
    return render(request, "quality/staff.html", context, status=422 if form is not None and form.errors else 200)


@quality_admin
def results_admin(request):
    start, end = _period(request)
    if request.method == "POST":
        services.results_publish(actor=request.user, start=start, end=end)
        messages.success(request, "Indicateurs de résultats publiés sur votre page publique.")
        return redirect("quality:results_admin")
    context = {"figures": selectors.result_figures(start=start, end=end), "start": start, "end": end, "publication": selectors.latest_publication(),
               "period_form": PeriodForm(initial={"du": start, "au": end})}
    return render(request, "quality/results_admin.html", context)


@quality_admin
def audit_bundle(request):
    start, end = _period(request)
    organisation = connection.tenant
    data = build_audit_bundle(start=start, end=end, organisation_name=organisation.name)
    from organisations.accounts.services import audit_event_record

    audit_event_record(action="quality.audit_bundle_downloaded", actor=request.user, details={"from": start.isoformat(), "to": end.isoformat()})
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="dossier-audit-qualiopi-{start:%Y%m%d}-{end:%Y%m%d}.zip"'
    return response


def _bpf_year(value) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Indiquez l'année de clôture de l'exercice.", code="year_invalid") from None
    if not 2000 <= year <= 2100:
        raise InvalidInput("Année d'exercice invalide.", code="year_invalid")
    return year


@quality_admin
def bpf(request):
    year = _bpf_year(request.GET.get("annee", timezone.localdate().year))
    report = bpf_module.bpf_report(year=year)
    years = list(range(timezone.localdate().year, timezone.localdate().year - 6, -1))
    return render(request, "quality/bpf.html", {"report": report, "years": years})


@quality_admin
def bpf_csv_view(request, year: int):
    report = bpf_module.bpf_report(year=_bpf_year(year))
    response = HttpResponse(bpf_module.bpf_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bpf-{year}.csv"'
    return response


@quality_admin
def bpf_pdf_view(request, year: int):
    report = bpf_module.bpf_report(year=_bpf_year(year))
    response = HttpResponse(bpf_module.bpf_pdf(report, organisation=connection.tenant), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bpf-{year}.pdf"'
    return response


def public_results(request):
    """Indicator 2: the published result indicators, dated, for anyone (no login)."""
    return render(request, "quality/public_results.html", {"publication": selectors.latest_publication()})


# --- dashboards ---------------------------------------------------------------------------------
@quality_admin
def admin_dashboard_view(request):
    from bilans.quality.dashboards import admin_dashboard
    from organisations.accounts.models import User

    start, end = _period(request)
    consultant_id = request.GET.get("consultant") or None
    consultants = User.objects.filter(role=Role.CONSULTANT).order_by("last_name", "first_name")
    if consultant_id is not None:
        try:
            consultant_id = int(consultant_id)
        except ValueError:
            raise InvalidInput("Consultant inconnu.", code="consultant_invalid") from None
    context = admin_dashboard(start=start, end=end, consultant_id=consultant_id)
    context.update(start=start, end=end, consultants=consultants, consultant_id=consultant_id, period_form=PeriodForm(initial={"du": start, "au": end}))
    return render(request, "quality/admin_dashboard.html", context)


@role_required(Role.CONSULTANT, Role.ADMIN)
def consultant_dashboard_view(request):
    from bilans.quality.dashboards import consultant_dashboard

    return render(request, "quality/consultant_dashboard.html", consultant_dashboard(user=request.user))
