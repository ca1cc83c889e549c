from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bilans.forms import AssignConsultantForm, BeneficiaryForm
from bilans.selectors import beneficiary_get, beneficiary_list
from bilans.services import beneficiary_assign_consultant, beneficiary_create
from config.errors import ApplicationError, InvalidInput
from organisations.accounts.models import Role
from organisations.permissions import can_manage_organisation, role_required
from organisations.services import invitation_create

staff_of_organisation = role_required(Role.ADMIN, Role.CONSULTANT)


@staff_of_organisation
def beneficiary_index(request):
    search = request.GET.get("q", "").strip()
    page = Paginator(beneficiary_list(user=request.user, search=search), 25).get_page(request.GET.get("page"))
    template = "bilans/_beneficiary_rows.html" if request.htmx else "bilans/beneficiary_list.html"
    return render(request, template, {"page_obj": page, "search": search})


@staff_of_organisation
def beneficiary_new(request):
    is_admin = can_manage_organisation(request.user)
    form = BeneficiaryForm(request.POST or None, show_consultant=is_admin)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                beneficiary = beneficiary_create(
                    actor=request.user,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    phone=data["phone"],
                    consultant=data.get("consultant"),
                )
                if data["invite"]:
                    invitation_create(
                        inviter=request.user,
                        email=beneficiary.email,
                        role=Role.BENEFICIARY,
                        first_name=beneficiary.first_name,
                        last_name=beneficiary.last_name,
                        beneficiary=beneficiary,
                    )
        except ApplicationError as error:
            form.add_error("email" if "email" in error.code or error.code == "beneficiary_exists" else None, error.message)
        else:
            messages.success(request, f"Le dossier de {beneficiary.full_name} est ouvert.")
            return redirect("bilans:beneficiary", pk=beneficiary.pk)
    return render(request, "bilans/beneficiary_new.html", {"form": form}, status=400 if form.errors else 200)


def _beneficiary_page(request, beneficiary, *, profile_form=None, open_form=None, status: int = 200):
    """The beneficiary's file page; a bound form with errors (profile, opening a bilan) is shown
    in place, with its errors, and the page answers ``status``."""
    from bilans.forms import OpenBilanForm, ProfileForm, SensitiveDataForm

    assign_form = AssignConsultantForm(initial={"consultant": beneficiary.consultant_id}) if can_manage_organisation(request.user) else None
    sensitive = can_view_sensitive_data(request.user, beneficiary)
    return render(request, "bilans/beneficiary_detail.html", {
        "beneficiary": beneficiary,
        "assign_form": assign_form,
        "bilans": beneficiary.bilans.select_related("consultant").all(),
        "profile_form": profile_form or ProfileForm(initial={f: getattr(beneficiary, f) for f in ProfileForm.base_fields}),
        "open_form": open_form or OpenBilanForm(),
        "can_see_sensitive": sensitive,
        "sensitive_form": SensitiveDataForm(initial={
            "disability_info": beneficiary.disability_info, "accommodations": beneficiary.accommodations,
            "explicit_consent": beneficiary.sensitive_consent_at is not None,
        }) if sensitive else None,
    }, status=status)


@role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
def beneficiary_detail(request, pk):
    beneficiary = beneficiary_get(user=request.user, beneficiary_id=pk)
    if request.user.role == Role.BENEFICIARY:
        return redirect("bilans:my_file")
    return _beneficiary_page(request, beneficiary)


@role_required(Role.ADMIN)
@require_POST
def beneficiary_assign(request, pk):
    beneficiary = beneficiary_get(user=request.user, beneficiary_id=pk)
    form = AssignConsultantForm(request.POST)
    if form.is_valid():
        beneficiary_assign_consultant(beneficiary=beneficiary, consultant=form.cleaned_data["consultant"], actor=request.user)
        messages.success(request, f"Dossier attribué à {form.cleaned_data['consultant']}.")
    else:
        messages.error(request, "Choisissez un consultant dans la liste.")
    return redirect("bilans:beneficiary", pk=pk)


@role_required(Role.BENEFICIARY)
def my_file(request):
    from bilans.forms import SensitiveDataForm

    file = getattr(request.user, "beneficiary_file", None)
    form = None
    if file is not None:
        form = SensitiveDataForm(initial={"disability_info": file.disability_info, "accommodations": file.accommodations,
                                          "explicit_consent": file.sensitive_consent_at is not None})
        form.fields["explicit_consent"].label = "J'accepte que ces informations de santé soient enregistrées pour adapter mon accompagnement"
    return render(request, "bilans/my_file.html", {"file": file, "sensitive_form": form})


# =================================================================================================
# Bilans (consultant and administrator)
# =================================================================================================
from decimal import Decimal  # noqa: E402

from django.http import Http404, HttpResponse  # noqa: E402
from django.shortcuts import get_object_or_404  # noqa: E402

from bilans import forms as bforms  # noqa: E402
from bilans import selectors, services  # noqa: E402
from bilans.documents.selectors import document_list  # noqa: E402
from bilans.next_actions import next_actions  # noqa: E402
from bilans.models import ANNOUNCED_MIN_ACCOMPANIMENT_MINUTES, Bilan, BilanFile, Consent, Convention, Session, Task  # noqa: E402
from organisations.accounts.context import client_ip  # noqa: E402
from organisations.permissions import can_manage_bilan, can_view_sensitive_data, ensure_can_manage_bilan  # noqa: E402


def _cents(value) -> int:
    return int((Decimal(value or 0) * 100).quantize(Decimal("1")))


def _run(request, fn, success: str | None = None):
    """Call a service; a refused action becomes an error message on the page (never a 500)."""
    try:
        result = fn()
    except ApplicationError as error:
        messages.error(request, error.message)
        return None
    if success:
        messages.success(request, success)
    return result


def _forfaits():
    from plans.models import ForfaitType

    return list(ForfaitType.objects.filter(is_active=True).order_by("credits").values_list("code", "name", "credits"))


def _bilan_for_staff(request, pk) -> Bilan:
    bilan = selectors.bilan_get(user=request.user, bilan_id=pk)
    ensure_can_manage_bilan(request.user, bilan)
    return bilan


def _back(bilan, anchor=""):
    return redirect(f"/bilans/{bilan.pk}/{'#' + anchor if anchor else ''}")


def _form_errors(request, form):
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        messages.error(request, f"{label + ' : ' if label else ''}{' '.join(errors)}")


@staff_of_organisation
def bilan_index(request):
    status = request.GET.get("statut", "")
    search = request.GET.get("q", "").strip()
    page = Paginator(selectors.bilan_list(user=request.user, status=status, search=search), 25).get_page(request.GET.get("page"))
    template = "bilans/_bilan_rows.html" if request.htmx else "bilans/bilan_list.html"
    return render(request, template, {
        "page_obj": page, "status": status, "search": search, "statuses": Bilan.Status.choices,
        "counts": selectors.bilan_status_counts(user=request.user),
    })


@staff_of_organisation
@require_POST
def bilan_open(request, beneficiary_pk):
    beneficiary = beneficiary_get(user=request.user, beneficiary_id=beneficiary_pk)
    form = bforms.OpenBilanForm(request.POST)
    try:
        bilan = services.bilan_create(actor=request.user, beneficiary=beneficiary)
    except ApplicationError as error:
        # The refusal (CT-12 own employer, plan limit, a bilan already open…) is the form's error.
        form.is_valid()
        form.add_error(None, error.message)
        return _beneficiary_page(request, beneficiary, open_form=form, status=error.status)
    messages.success(request, "Bilan ouvert : commencez par l'entretien préliminaire.")
    return _back(bilan)


@role_required(Role.ADMIN, Role.CONSULTANT)
def bilan_detail(request, pk):
    bilan = selectors.bilan_get(user=request.user, bilan_id=pk)
    manage = can_manage_bilan(request.user, bilan)
    hours = selectors.bilan_hours(bilan)
    progress = selectors.bilan_progress(bilan)
    timeline = list(selectors.bilan_timeline(bilan, limit=100))
    for event in timeline:
        event.label = selectors.TIMELINE_LABELS.get(event.action, event.action)
        if event.action == "bilan.status_changed" and event.details.get("to") in Bilan.Status.values:
            event.label += " : " + Bilan.Status(event.details["to"]).label
            if event.details["to"] == Bilan.Status.CLOSED and event.details.get("from") == Bilan.Status.FINISHED and bilan.close_reason:
                event.label += f" (sans entretien de suivi — motif : {bilan.close_reason})"
    transitions = [(s, Bilan.Status(s).label, services.bilan_transition_blockers(bilan, s)) for s in services.TRANSITIONS[bilan.status]]
    cpf_source = selectors.cpf_funding_source(bilan)
    context = {
        "bilan": bilan,
        "manage": manage,
        "hours": hours,
        "hours_d": {k: selectors.minutes(v) for k, v in hours.as_dict().items() if k.endswith("minutes")},
        "progress": progress,
        "timeline": timeline,
        "transitions": transitions,
        "sessions": bilan.sessions.all(),
        "objectives": bilan.objectives.all(),
        "consent": bilan.consents.filter(withdrawn_at__isnull=True).first(),
        "conventions": bilan.conventions.all(),
        "funding": bilan.funding_sources.all(),
        "sharing": bilan.sharing_consents.all(),
        "sharing_recipients": selectors.sharing_recipients(bilan),
        "accesses": selectors.third_party_accesses(bilan),
        "files": bilan.files.select_related("retention_recorded_by").all(),
        "retention_methods": bforms.RetentionForm.base_fields["method"].choices,
        "tasks": bilan.tasks.all(),
        "surveys": bilan.surveys.all(),
        "session_form": bforms.SessionForm(),
        "plan_form": bforms.PlanForm(initial={
            "planned_start": bilan.planned_start, "planned_end": bilan.planned_end,
            "accompaniment_hours": Decimal(bilan.planned_accompaniment_minutes) / 60, "guided_work_hours": Decimal(bilan.planned_guided_work_minutes) / 60,
        }),
        "funding_form": bforms.FundingForm(),
        "cpf_funded": cpf_source is not None,
        "cpf_working_time": selectors.cpf_working_time_status(bilan, cpf_source=cpf_source),
        "cpf_working_time_form": bforms.CpfWorkingTimeForm(initial={
            "during_working_time": cpf_source.during_working_time, "absence_requested_on": cpf_source.absence_requested_on,
            "employer_answer": cpf_source.employer_answer, "employer_answered_on": cpf_source.employer_answered_on,
        }) if cpf_source else None,
        "objective_form": bforms.ObjectiveForm(),
        "consent_form": bforms.ConsentForm(),
        "convention_form": bforms.ConventionForm(initial={"period_start": bilan.planned_start, "period_end": bilan.planned_end, "employer_name": bilan.beneficiary.employer_name}),
        "task_form": bforms.TaskForm(),
        "sharing_form": bforms.SharingConsentForm(),
        "file_form": bforms.FileForm(),
        "attendance_choices": [("attended", "Réalisée"), ("absent", "Absence"), ("cancelled", "Annulée")],
        "forfaits": _forfaits() if manage and not bilan.forfait_code and bilan.is_open else [],
    }
    return render(request, "bilans/bilan_detail.html", context)


@role_required(Role.ADMIN)
def bilan_settings_edit(request):
    """CT-03: the organisation's minimum of accompagnement effectif (administrators)."""
    current = selectors.bilan_settings()
    form = bforms.BilanSettingsForm(request.POST or None, initial={"min_accompaniment_hours": Decimal(current.min_accompaniment_minutes) / 60})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            minutes = int((form.cleaned_data["min_accompaniment_hours"] * 60).quantize(Decimal("1")))
            try:
                services.bilan_settings_update(actor=request.user, min_accompaniment_minutes=minutes)
            except ApplicationError as error:
                form.add_error("min_accompaniment_hours" if error.code == "invalid_setting" else None, error.message)
            else:
                messages.success(request, "Réglages des bilans enregistrés.")
                return redirect("bilans:settings")
        status = 400
    return render(request, "bilans/settings.html", {
        "form": form, "settings_row": current, "current_minimum": selectors.minutes(current.min_accompaniment_minutes), "announced_minimum": selectors.minutes(ANNOUNCED_MIN_ACCOMPANIMENT_MINUTES),
    }, status=status)


@staff_of_organisation
@require_POST
def bilan_transition_view(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.TransitionForm(request.POST)
    if form.is_valid():
        to = form.cleaned_data["to_status"]
        _run(request, lambda: services.bilan_transition(actor=request.user, bilan=bilan, to_status=to, reason=form.cleaned_data["reason"]),
             f"Étape suivante : {Bilan.Status(to).label}.")
    return _back(bilan)


@staff_of_organisation
@require_POST
def bilan_information(request, pk):
    bilan = _bilan_for_staff(request, pk)
    _run(request, lambda: services.information_document_deliver(actor=request.user, bilan=bilan), "Remise du document d'information enregistrée.")
    return _back(bilan, "consentement")


@staff_of_organisation
@require_POST
def bilan_consent(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.ConsentForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.consent_record(actor=request.user, bilan=bilan, method=form.cleaned_data["method"]), "Consentement enregistré.")
    else:
        _form_errors(request, form)
    return _back(bilan, "consentement")


@staff_of_organisation
@require_POST
def bilan_objective(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.ObjectiveForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.objective_add(actor=request.user, bilan=bilan, text=form.cleaned_data["text"]), "Objectif ajouté.")
    else:
        _form_errors(request, form)
    return _back(bilan, "objectifs")


@staff_of_organisation
@require_POST
def bilan_session(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.SessionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        from bilans.scheduling.services import bilan_session_schedule

        _run(request, lambda: bilan_session_schedule(
            actor=request.user, bilan=bilan, starts_at=d["starts_at"], duration_minutes=d["duration_minutes"], kind=d["kind"],
            interview_type=d["interview_type"], modality=d["modality"], instructions=d["instructions"]), "Séance prévue.")
    else:
        _form_errors(request, form)
    return _back(bilan, "seances")


@staff_of_organisation
@require_POST
def bilan_session_attendance(request, pk, session_pk):
    bilan = _bilan_for_staff(request, pk)
    session = get_object_or_404(Session, pk=session_pk, bilan=bilan)
    _run(request, lambda: services.session_record_attendance(actor=request.user, session=session, attendance=request.POST.get("attendance", "")), "Présence enregistrée.")
    return _back(bilan, "seances")


@staff_of_organisation
@require_POST
def bilan_plan(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.PlanForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: services.bilan_set_plan(
            actor=request.user, bilan=bilan, planned_start=d["planned_start"], planned_end=d["planned_end"],
            accompaniment_minutes=int(d["accompaniment_hours"] * 60), guided_work_minutes=int(d["guided_work_hours"] * 60)), "Calendrier mis à jour.")
    else:
        _form_errors(request, form)
    return _back(bilan, "heures")


@staff_of_organisation
@require_POST
def bilan_funding(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.FundingForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: services.funding_set(actor=request.user, bilan=bilan, kind=d["kind"], amount_cents=_cents(d["amount"]), funder_name=d["funder_name"]),
             "Financement enregistré.")
    else:
        _form_errors(request, form)
    return _back(bilan, "financement")


@staff_of_organisation
@require_POST
def bilan_cpf_working_time(request, pk):
    """CT-19: a CPF bilan during working time (request of absence, employer's answer). Bad input
    answers a French 400 page and saves nothing."""
    bilan = _bilan_for_staff(request, pk)
    form = bforms.CpfWorkingTimeForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(
            " ".join(f"{form.fields[f].label if f in form.fields else ''} : {' '.join(e)}" for f, e in form.errors.items()),
            code="invalid_cpf_working_time",
        )
    services.funding_cpf_working_time_set(actor=request.user, bilan=bilan, **form.cleaned_data)
    messages.success(request, "Temps de travail (CPF) enregistré.")
    return _back(bilan, "financement")


@staff_of_organisation
@require_POST
def bilan_synthesis(request, pk):
    bilan = _bilan_for_staff(request, pk)
    _run(request, lambda: services.bilan_record_synthesis_delivery(actor=request.user, bilan=bilan), "Remise de la synthèse enregistrée.")
    return _back(bilan)


@staff_of_organisation
@require_POST
def bilan_convention(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.ConventionForm(request.POST)
    if form.is_valid():
        d = dict(form.cleaned_data)
        kind = d.pop("kind")
        d["price_cents"] = _cents(d.pop("price"))
        d["deposit_cents"] = _cents(d.pop("deposit"))
        _run(request, lambda: services.convention_create(actor=request.user, bilan=bilan, kind=kind, **d), "Convention préparée : vérifiez-la puis envoyez-la.")
    else:
        _form_errors(request, form)
    return _back(bilan, "convention")


@staff_of_organisation
@require_POST
def bilan_convention_action(request, pk, convention_pk, action):
    bilan = _bilan_for_staff(request, pk)
    convention = get_object_or_404(Convention, pk=convention_pk, bilan=bilan)
    if action == "envoyer":
        _run(request, lambda: services.convention_send(actor=request.user, convention=convention), "Convention envoyée : le bénéficiaire a 10 jours pour la signer.")
    elif action in ("signature-employeur", "signature-organisme"):
        party = "employer" if action == "signature-employeur" else "organisation"
        _run(request, lambda: services.convention_sign(actor=request.user, convention=convention, party=party, signatory=request.POST.get("signatory", "")),
             "Signature enregistrée.")
    else:
        raise Http404
    return _back(bilan, "convention")


@staff_of_organisation
@require_POST
def bilan_task(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.TaskForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.task_create(actor=request.user, bilan=bilan, **form.cleaned_data), "Tâche ajoutée à l'espace du bénéficiaire.")
    else:
        _form_errors(request, form)
    return _back(bilan, "taches")


@staff_of_organisation
@require_POST
def bilan_sharing(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.SharingConsentForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.sharing_consent_record(actor=request.user, bilan=bilan, **form.cleaned_data), "Accord de partage enregistré.")
    else:
        _form_errors(request, form)
    return _back(bilan, "partage")


@staff_of_organisation
@require_POST
def bilan_file_upload(request, pk):
    bilan = _bilan_for_staff(request, pk)
    form = bforms.FileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["upload"]
        if upload.size > 50 * 1024 * 1024:
            messages.error(request, "Le fichier est trop volumineux.")
        else:
            _run(request, lambda: services.bilan_file_add(actor=request.user, bilan=bilan, title=form.cleaned_data["title"], filename=upload.name,
                                                           data=upload.read(), kind=form.cleaned_data["kind"]), "Document ajouté (chiffré).")
    else:
        _form_errors(request, form)
    return _back(bilan, "documents")


@staff_of_organisation
@require_POST
def bilan_file_action(request, pk, file_pk, action):
    bilan = _bilan_for_staff(request, pk)
    record = get_object_or_404(BilanFile, pk=file_pk, bilan=bilan)
    if action == "partager":
        _run(request, lambda: services.bilan_file_share(actor=request.user, record=record), "Document mis à disposition du bénéficiaire.")
    elif action == "conserver":
        form = bforms.RetentionForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            _run(request, lambda: services.bilan_file_agree_retention(
                actor=request.user, record=record, keep_until=d["keep_until"], method=d["method"], follow_up_need=d["follow_up_need"],
                agreement_reference=d["agreement_reference"], agreement_date=d["agreement_date"]), "Accord écrit de conservation enregistré.")
        else:
            _form_errors(request, form)
    else:
        raise Http404
    return _back(bilan, "documents")


def _file_response(record: BilanFile) -> HttpResponse:
    from config.crypto import encrypted_file_read

    if record.destroyed_at or not record.file:
        raise Http404
    response = HttpResponse(encrypted_file_read(record.file), content_type=record.content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{record.filename or "document"}"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
def bilan_file_download(request, file_pk):
    record = get_object_or_404(BilanFile.objects.select_related("bilan__beneficiary"), pk=file_pk)
    from organisations.permissions import is_bilan_beneficiary

    if is_bilan_beneficiary(request.user, record.bilan):
        if record.shared_with_beneficiary_at is None:
            raise Http404
    else:
        ensure_can_manage_bilan(request.user, record.bilan)
    from organisations.accounts.services import audit_event_record

    audit_event_record(action="bilan_file.downloaded", actor=request.user, target=record, details={"bilan_id": str(record.bilan_id)})
    return _file_response(record)


# --- beneficiary file: profile and sensitive data -----------------------------------------------
@staff_of_organisation
@require_POST
def beneficiary_profile(request, pk):
    beneficiary = beneficiary_get(user=request.user, beneficiary_id=pk)
    form = bforms.ProfileForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.beneficiary_update_profile(actor=request.user, beneficiary=beneficiary, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error("employer_siren" if error.code == "invalid_siren" else None, error.message)
            status = error.status
        else:
            messages.success(request, "Dossier mis à jour.")
            return redirect("bilans:beneficiary", pk=pk)
    beneficiary.refresh_from_db()
    return _beneficiary_page(request, beneficiary, profile_form=form, status=status)


@role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
@require_POST
def beneficiary_sensitive(request, pk):
    beneficiary = beneficiary_get(user=request.user, beneficiary_id=pk)
    form = bforms.SensitiveDataForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.beneficiary_record_sensitive_data(actor=request.user, beneficiary=beneficiary, **form.cleaned_data),
             "Informations d'accessibilité enregistrées (chiffrées).")
    return redirect("bilans:my_file" if request.user.role == Role.BENEFICIARY else "bilans:beneficiary", **({} if request.user.role == Role.BENEFICIARY else {"pk": pk}))


# =================================================================================================
# Beneficiary space
# =================================================================================================
def _my_bilan(request) -> Bilan | None:
    file = getattr(request.user, "beneficiary_file", None)
    if file is None:
        return None
    return Bilan.objects.filter(beneficiary=file).select_related("beneficiary", "consultant").order_by("-created_at").first()


@role_required(Role.BENEFICIARY)
def my_bilan(request):
    from bilans.messaging.services import unread_count
    from bilans.scheduling.selectors import appointment_list

    bilan = _my_bilan(request)
    from django.utils import timezone

    context = {"bilan": bilan, "unread_messages": unread_count(request.user), "now": timezone.now(),
               "appointments": appointment_list(user=request.user, upcoming_only=True)[:5],
               "next_actions": next_actions(user=request.user)}
    if bilan is not None:
        context.update(
            # the beneficiary's view of the phases: no consultant's to-do (their next actions are above)
            progress={key: value for key, value in selectors.bilan_progress(bilan).items() if key != "next_steps"},
            hours=selectors.bilan_hours(bilan),
            consent=bilan.consents.filter(withdrawn_at__isnull=True).first(),
            to_confirm=bilan.sessions.filter(attendance=Session.Attendance.ATTENDED, beneficiary_confirmed_at__isnull=True),
            tasks=bilan.tasks.filter(done_at__isnull=True),
            done_tasks=bilan.tasks.filter(done_at__isnull=False)[:10],
            documents=bilan.files.filter(shared_with_beneficiary_at__isnull=False, destroyed_at__isnull=True),
            published_documents=document_list(user=request.user, bilan=bilan).filter(destroyed_at__isnull=True),
            conventions=bilan.conventions.exclude(status=Convention.Status.DRAFT),
            open_survey=bilan.surveys.filter(sent_at__isnull=False, answered_at__isnull=True).first(),
            objectives=bilan.objectives.all(),
            sharing=bilan.sharing_consents.filter(withdrawn_at__isnull=True),
            sharing_form=bforms.SharingConsentForm(),
            accesses=selectors.third_party_accesses(bilan),
        )
    return render(request, "bilans/my_bilan.html", context)


def _mine(request) -> Bilan:
    bilan = _my_bilan(request)
    if bilan is None:
        raise Http404
    return bilan


# What the beneficiary reads when a shared service refuses (the services' messages address the consultant).
BENEFICIARY_MESSAGES = {
    "information_not_delivered": "Ouvrez d'abord le document d'information, puis donnez votre accord en bas de la page.",
}


def _run_for_beneficiary(request, fn, success: str):
    try:
        result = fn()
    except ApplicationError as error:
        messages.error(request, BENEFICIARY_MESSAGES.get(error.code, error.message))
        return None
    messages.success(request, success)
    return result


@role_required(Role.BENEFICIARY)
def my_information(request):
    """CT-04: the information document, in the beneficiary's space, with the consent form under it.
    Opening it counts as its delivery."""
    bilan = _my_bilan(request)
    if bilan is not None:
        services.information_document_read(actor=request.user, bilan=bilan)
    consent = bilan.consents.filter(kind=Consent.Kind.PARTICIPATION, withdrawn_at__isnull=True).first() if bilan else None
    version = Consent._meta.get_field("information_document_version").default
    own = document_list(user=request.user, bilan=bilan).filter(doc_type="information", destroyed_at__isnull=True).first() if bilan else None
    return render(request, "bilans/my_information.html", {"bilan": bilan, "consent": consent, "version": version, "own_document": own})


@role_required(Role.BENEFICIARY)
@require_POST
def my_consent(request):
    bilan = _mine(request)
    if request.POST.get("accept") != "1":
        messages.error(request, "Cochez la case pour confirmer que vous donnez votre accord.")
        return redirect("/mon-bilan/information/#accord")
    if _run_for_beneficiary(request, lambda: services.consent_record(actor=request.user, bilan=bilan, method=Consent.Method.ONLINE),
                            "Merci, votre accord est enregistré. Votre consultant vous recontactera pour le premier entretien."):
        return redirect("home")
    return redirect("/mon-bilan/information/#accord")


@role_required(Role.BENEFICIARY)
@require_POST
def my_consent_withdraw(request):
    """CT-04: the beneficiary may withdraw; it is never a fault."""
    bilan = _mine(request)
    withdrawn = _run(request, lambda: services.consent_withdraw(actor=request.user, bilan=bilan))
    if withdrawn:  # the service notifies the consultant, only when something was withdrawn
        messages.success(request, "Votre consentement est retiré. Votre consultant en est informé.")
    elif withdrawn == 0:
        messages.info(request, "Aucun consentement n'était en cours : il n'y avait rien à retirer.")
    return redirect("/mon-bilan/")


@role_required(Role.BENEFICIARY)
@require_POST
def my_session_confirm(request, session_pk):
    bilan = _mine(request)
    session = get_object_or_404(Session, pk=session_pk, bilan=bilan)
    _run(request, lambda: services.session_confirm_attendance(actor=request.user, session=session, ip=client_ip(request)), "Présence confirmée. Merci !")
    return redirect("/mon-bilan/#emargement")


@role_required(Role.BENEFICIARY)
@require_POST
def my_convention(request, convention_pk, action):
    bilan = _mine(request)
    convention = get_object_or_404(Convention, pk=convention_pk, bilan=bilan)
    if action == "signer":
        if request.POST.get("accept") != "1":
            messages.error(request, "Cochez la case « J'ai lu et j'accepte » pour signer.")
        else:
            _run(request, lambda: services.convention_sign(actor=request.user, convention=convention, party="beneficiary", ip=client_ip(request)), "Votre signature est enregistrée.")
    elif action == "refuser":
        _run(request, lambda: services.convention_refuse(actor=request.user, convention=convention), "Votre refus est enregistré. Il ne peut vous être reproché.")
    elif action == "retracter":
        _run(request, lambda: services.contract_withdraw(actor=request.user, convention=convention), "Votre rétractation est enregistrée.")
    else:
        raise Http404
    return redirect("/mon-bilan/#convention")


@role_required(Role.BENEFICIARY)
@require_POST
def my_task_done(request, task_pk):
    bilan = _mine(request)
    task = get_object_or_404(Task, pk=task_pk, bilan=bilan)
    try:
        spent = int(request.POST.get("time_spent_minutes") or 0) or None
    except ValueError:
        spent = None
    _run(request, lambda: services.task_complete(actor=request.user, task=task, time_spent_minutes=spent), "Tâche terminée. Bravo !")
    return redirect("/mon-bilan/#taches")


@role_required(Role.BENEFICIARY)
def my_survey(request):
    bilan = _mine(request)
    survey = bilan.surveys.filter(sent_at__isnull=False, answered_at__isnull=True).order_by("scheduled_for").first()
    form = bforms.SurveyForm(request.POST or None)
    if request.method == "POST" and survey is not None and form.is_valid():
        if _run(request, lambda: services.survey_answer(actor=request.user, survey=survey, **form.cleaned_data), "Merci pour votre réponse !"):
            return redirect("bilans:my_bilan")
    return render(request, "bilans/my_survey.html", {"survey": survey, "form": form, "answered": bilan.surveys.filter(answered_at__isnull=False)},
                  status=400 if form.errors else 200)


@staff_of_organisation
@require_POST
def bilan_objective_assess(request, pk, objective_pk):
    from bilans.models import Objective

    bilan = _bilan_for_staff(request, pk)
    objective = get_object_or_404(Objective, pk=objective_pk, bilan=bilan)
    achieved = request.POST.get("achieved") == "oui"
    _run(request, lambda: services.objective_assess(actor=request.user, objective=objective, achieved=achieved), "Évaluation de l'objectif enregistrée.")
    return _back(bilan, "objectifs")


@role_required(Role.BENEFICIARY)
@require_POST
def my_sharing(request):
    """CT-07: the beneficiary agrees, online, to share results or synthèse with one recipient."""
    bilan = _mine(request)
    data = request.POST
    _run(request, lambda: services.sharing_consent_record(
        actor=request.user, bilan=bilan, recipient_kind=data.get("recipient_kind", ""), recipient_name=data.get("recipient_name", ""),
        recipient_email=data.get("recipient_email", ""), scope=data.get("scope", "")), "Votre accord est enregistré. Vous pouvez le retirer à tout moment.")
    return redirect("/mon-bilan/#partage")


@role_required(Role.BENEFICIARY)
@require_POST
def my_sharing_withdraw(request, consent_pk):
    from bilans.models import SharingConsent

    bilan = _mine(request)
    consent = get_object_or_404(SharingConsent, pk=consent_pk, bilan=bilan)
    _run(request, lambda: services.sharing_consent_withdraw(actor=request.user, consent=consent), "Votre accord est retiré.")
    return redirect("/mon-bilan/#partage")


@staff_of_organisation
@require_POST
def bilan_forfait(request, pk):
    bilan = _bilan_for_staff(request, pk)
    code = request.POST.get("forfait_code", "")
    _run(request, lambda: services.bilan_assign_forfait(bilan=bilan, forfait_code=code, actor=request.user), "Forfait attribué : ses crédits sont réservés pour ce bilan.")
    return _back(bilan)


# =================================================================================================
# Third parties' secure links (CT-07 sharing, CT-08 access log)
# =================================================================================================
@staff_of_organisation
@require_POST
def bilan_third_party_access(request, pk):
    """Send a recipient the beneficiary agreed to share with a secure link (default deny)."""
    bilan = _bilan_for_staff(request, pk)
    form = bforms.ThirdPartyAccessForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["recipient_email"]
        _run(request, lambda: services.third_party_access_grant(actor=request.user, bilan=bilan, recipient_email=email),
             f"Lien sécurisé envoyé à {email} : valable {services.THIRD_PARTY_ACCESS_DAYS} jours, il suit l'accord du bénéficiaire.")
    else:
        _form_errors(request, form)
    return _back(bilan, "partage")


@staff_of_organisation
@require_POST
def bilan_third_party_access_revoke(request, pk, access_pk):
    from bilans.models import ThirdPartyAccess

    bilan = _bilan_for_staff(request, pk)
    access = get_object_or_404(ThirdPartyAccess, pk=access_pk, bilan=bilan)
    _run(request, lambda: services.third_party_access_revoke(actor=request.user, access=access), "Lien désactivé : il ne donne plus accès au bilan.")
    return _back(bilan, "partage")


@role_required(Role.BENEFICIARY)
@require_POST
def my_third_party_access_revoke(request, access_pk):
    from bilans.models import ThirdPartyAccess

    bilan = _mine(request)
    access = get_object_or_404(ThirdPartyAccess, pk=access_pk, bilan=bilan)
    _run(request, lambda: services.third_party_access_revoke(actor=request.user, access=access), "Lien désactivé : ce destinataire n'a plus accès à votre bilan.")
    return redirect("/mon-bilan/#partage")


@role_required(Role.BENEFICIARY)
@require_POST
def my_file_retention(request, file_pk):
    """CT-09 (b): the beneficiary agrees online to keep a document made available to them."""
    bilan = _mine(request)
    record = get_object_or_404(BilanFile, pk=file_pk, bilan=bilan, shared_with_beneficiary_at__isnull=False)
    form = bforms.MyRetentionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: services.bilan_file_agree_retention(
            actor=request.user, record=record, keep_until=d["keep_until"], follow_up_need=d["follow_up_need"]),
            "Votre accord est enregistré : ce document sera conservé jusqu'à la date choisie, puis détruit.")
    else:
        _form_errors(request, form)
    return redirect("/mon-bilan/#documents")


def _third_party_headers(response: HttpResponse) -> HttpResponse:
    """A private page behind a secret link: never indexed, cached, nor leaked in a Referer."""
    response["X-Robots-Tag"] = "noindex, nofollow, noarchive"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


THIRD_PARTY_GONE = (services.THIRD_PARTY_LINK_REVOKED, services.THIRD_PARTY_LINK_EXPIRED)


def _third_party_refusal(request, error: ApplicationError) -> HttpResponse:
    status = 410 if error.code in THIRD_PARTY_GONE else error.status
    return _third_party_headers(render(request, "partage/closed.html", {"message": error.message, "code": error.code}, status=status))


@require_GET
def third_party_page(request, token):
    """CT-07: a third party's page, without an account, on the organisation's address: the
    status and dates of the bilan, and the documents the beneficiary agrees to share with them
    now. Unknown link: 404; revoked, replaced or expired: 410. Each opening is logged (CT-08)."""
    try:
        access = services.third_party_access_open(token=token)
    except ApplicationError as error:
        return _third_party_refusal(request, error)
    page = selectors.third_party_access_page(access)
    return _third_party_headers(render(request, "partage/access.html", {"page": page, "token": token}))


@require_GET
def third_party_download(request, token, slug):
    scope = {v: k for k, v in selectors.SHARING_SCOPE_SLUGS.items()}.get(slug, "")
    try:
        document, data = services.third_party_access_download(token=token, scope=scope)
    except ApplicationError as error:
        return _third_party_refusal(request, error)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{slug}.pdf"'
    return _third_party_headers(response)
