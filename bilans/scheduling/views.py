from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from bilans.forms import DATETIME_WIDGET
from bilans.models import Beneficiary, Session
from bilans.scheduling import services
from bilans.scheduling.ics import feed_ics
from bilans.scheduling.models import Appointment, AvailabilityRule
from bilans.scheduling.selectors import appointment_list, appointments_for_feed, free_slots
from config.errors import ApplicationError
from organisations.accounts.models import Role
from organisations.permissions import beneficiaries_visible_to, role_required
from tenants.selectors import current_organisation, organisation_url

member_required = role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)
staff_required = role_required(Role.ADMIN, Role.CONSULTANT)


class BookForm(forms.Form):
    beneficiary = forms.ModelChoiceField(label="Bénéficiaire", queryset=Beneficiary.objects.none())
    starts_at = forms.DateTimeField(label="Date et heure", widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M"])
    duration_minutes = forms.IntegerField(label="Durée (minutes)", min_value=15, max_value=480, initial=60)
    modality = forms.ChoiceField(label="Modalité", choices=Appointment.Modality.choices)
    location = forms.CharField(label="Lieu (présentiel)", max_length=300, required=False)
    interview_type = forms.ChoiceField(
        label="Entretien", choices=[("", "— Séance libre —"), *Session.InterviewType.choices], required=False,
        help_text="Sans choix, un bénéficiaire dont le bilan est terminé et le suivi à 6 mois arrivé reçoit l'entretien de suivi.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["beneficiary"].queryset = beneficiaries_visible_to(user).filter(consultant__isnull=False)


class CalendarOwnerForm(forms.Form):
    """An administrator chooses whose availability they manage; a consultant manages their own."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and user.role == Role.ADMIN:
            from organisations.selectors import consultant_list

            self.fields = {"consultant": forms.ModelChoiceField(label="Consultant", queryset=consultant_list()), **self.fields}

    def owner(self, user):
        return self.cleaned_data.pop("consultant", None) or user


class RuleForm(CalendarOwnerForm):
    weekday = forms.TypedChoiceField(label="Jour", coerce=int, choices=AvailabilityRule._meta.get_field("weekday").choices)
    start_time = forms.TimeField(label="De", widget=forms.TimeInput(attrs={"type": "time"}), initial=time(9))
    end_time = forms.TimeField(label="À", widget=forms.TimeInput(attrs={"type": "time"}), initial=time(12))


class ExceptionForm(CalendarOwnerForm):
    starts_at = forms.DateTimeField(label="Indisponible du", widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label="au", widget=DATETIME_WIDGET, input_formats=["%Y-%m-%dT%H:%M"])


class SettingsForm(forms.Form):
    min_booking_notice_hours = forms.IntegerField(label="Délai minimum de réservation (heures)", min_value=0, max_value=720)
    min_change_notice_hours = forms.IntegerField(label="Délai minimum pour déplacer ou annuler (heures)", min_value=0, max_value=720)
    max_booking_days_ahead = forms.IntegerField(label="Réservation possible jusqu'à (jours)", min_value=1, max_value=365)
    default_duration_minutes = forms.IntegerField(label="Durée d'un entretien (minutes)", min_value=15, max_value=480)


def _run(request, fn, success):
    try:
        result = fn()
    except ApplicationError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, success)
    return result


@member_required
def appointments(request):
    user = request.user
    context = {"appointments": appointment_list(user=user, upcoming_only=True), "feed_url": request.session.pop("calendar_feed_url", None)}
    if user.role == Role.BENEFICIARY:
        file = getattr(user, "beneficiary_file", None)
        if file is not None and file.consultant_id:
            today = timezone.localdate()
            try:
                start = date.fromisoformat(request.GET.get("semaine", ""))
            except ValueError:
                start = today
            if not today - timedelta(days=14) <= start <= today + services.MAX_SCHEDULING_HORIZON:
                start = today  # out of the bookable range (e.g. year 9999): back to this week
            slots = free_slots(consultant=file.consultant, start=start, days=14)
            days = {}
            for slot in slots:
                days.setdefault(timezone.localdate(slot), []).append(slot)
            context.update(beneficiary=file, slot_days=sorted(days.items()), week=start,
                           next_week=start + timedelta(days=14), prev_week=max(timezone.localdate(), start - timedelta(days=14)))
    else:
        context.update(
            book_form=BookForm(user=user),
            rules=(AvailabilityRule.objects.filter(consultant=user) if user.role == Role.CONSULTANT
                   else AvailabilityRule.objects.select_related("consultant").order_by("consultant__last_name", "consultant_id", "weekday", "start_time")),
            rule_form=RuleForm(user=user), exception_form=ExceptionForm(user=user), settings_row=services.scheduling_settings(),
        )
        if user.role == Role.ADMIN:
            row = context["settings_row"]
            context["settings_form"] = SettingsForm(initial={f: getattr(row, f) for f in SettingsForm.base_fields})
    return render(request, "bilans/appointments.html", context)


@member_required
@require_POST
def appointment_book(request):
    user = request.user
    if user.role == Role.BENEFICIARY:
        file = getattr(user, "beneficiary_file", None)
        if file is None:
            raise Http404
        try:
            starts_at = datetime.fromisoformat(request.POST.get("starts_at", ""))
        except ValueError:
            messages.error(request, "Choisissez un créneau dans la liste.")
            return redirect("/rendez-vous/")
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        modality = request.POST.get("modality") or Appointment.Modality.VIDEO
        _run(request, lambda: services.appointment_book(actor=user, beneficiary=file, starts_at=starts_at, modality=modality), "Rendez-vous réservé. Un e-mail de confirmation vous est envoyé.")
        return redirect("/rendez-vous/")
    form = BookForm(request.POST, user=user)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: services.appointment_book(actor=user, beneficiary=d["beneficiary"], starts_at=d["starts_at"], duration_minutes=d["duration_minutes"],
                                                       modality=d["modality"], location=d["location"], interview_type=d["interview_type"]), "Rendez-vous réservé.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("/rendez-vous/")


@member_required
@require_POST
def appointment_change(request, pk, action):
    appointment = get_object_or_404(Appointment.objects.select_related("beneficiary"), pk=pk)
    if action == "annuler":
        _run(request, lambda: services.appointment_cancel(actor=request.user, appointment=appointment), "Rendez-vous annulé.")
    elif action == "deplacer":
        try:
            starts_at = datetime.fromisoformat(request.POST.get("starts_at", ""))
        except ValueError:
            messages.error(request, "Indiquez la nouvelle date et heure.")
            return redirect("/rendez-vous/")
        if timezone.is_naive(starts_at):
            starts_at = timezone.make_aware(starts_at)
        _run(request, lambda: services.appointment_move(actor=request.user, appointment=appointment, starts_at=starts_at), "Rendez-vous déplacé.")
    else:
        raise Http404
    return redirect("/rendez-vous/")


@staff_required
@require_POST
def availability_add(request):
    form = RuleForm(request.POST, user=request.user)
    if form.is_valid():
        consultant = form.owner(request.user)
        _run(request, lambda: services.availability_rule_add(actor=request.user, consultant=consultant, **form.cleaned_data), "Disponibilité ajoutée.")
    else:
        messages.error(request, "Vérifiez le jour et les heures.")
    return redirect("/rendez-vous/")


@staff_required
@require_POST
def availability_delete(request, pk):
    rule = get_object_or_404(AvailabilityRule, pk=pk)
    _run(request, lambda: services.availability_rule_delete(actor=request.user, rule=rule), "Disponibilité retirée.")
    return redirect("/rendez-vous/")


@staff_required
@require_POST
def availability_exception(request):
    form = ExceptionForm(request.POST, user=request.user)
    if form.is_valid():
        consultant = form.owner(request.user)
        _run(request, lambda: services.availability_exception_add(actor=request.user, consultant=consultant, **form.cleaned_data), "Absence enregistrée.")
    else:
        messages.error(request, "Vérifiez les dates de l'absence.")
    return redirect("/rendez-vous/")


@member_required
@require_POST
def feed_manage(request, action):
    if action == "creer":
        token = services.calendar_feed_create(user=request.user)
        request.session["calendar_feed_url"] = organisation_url(request.tenant, f"/calendrier/{token}.ics")
        messages.success(request, "Votre lien d'agenda privé est prêt. Copiez-le dans Google Agenda ou Outlook ; l'ancien lien ne fonctionne plus.")
    elif action == "revoquer":
        services.calendar_feed_revoke(user=request.user)
        messages.success(request, "Votre lien d'agenda est désactivé.")
    else:
        raise Http404
    return redirect("/rendez-vous/")


def calendar_feed(request, token):
    """Public by design (calendar apps cannot log in): the unguessable token is the key."""
    user = services.calendar_feed_user(token)
    if user is None:
        raise Http404
    organisation = current_organisation()
    body = feed_ics(appointments_for_feed(user), organisation_name=organisation.name if organisation else "Bilans Pro",
                    host=request.get_host().split(":")[0], for_consultant=user.role != Role.BENEFICIARY)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@role_required(Role.ADMIN)
@require_POST
def scheduling_settings_edit(request):
    form = SettingsForm(request.POST)
    if form.is_valid():
        _run(request, lambda: services.scheduling_settings_update(actor=request.user, **form.cleaned_data), "Règles de réservation enregistrées.")
    else:
        messages.error(request, "Vérifiez les délais saisis.")
    return redirect("/rendez-vous/")
