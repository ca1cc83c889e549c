"""What the beneficiary should do next, in plain French, one button each: the single source of the
"À faire" list of the beneficiary's home page and of "Mon bilan". A read-only selector."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format

from ai.generation.doctypes import TYPES
from bilans import clock
from bilans.assessments.models import Assessment
from bilans.documents.models import Document, SignatureRequest
from bilans.documents.services import signature_parties
from bilans.messaging.services import unread_count
from bilans.models import Bilan, Consent, Convention, Session
from bilans.scheduling.models import Appointment

INFORMATION_URL = "/mon-bilan/information/"

# Order of the list: what blocks the bilan first, then what has a date, then the rest.
KIND_ORDER = ("consent", "sign", "attendance", "appointment", "questionnaire", "read", "survey", "task", "message")


@dataclass(frozen=True)
class NextAction:
    kind: str  # one of KIND_ORDER (never shown)
    text: str  # what to do, one sentence
    button: str  # the button's label
    url: str
    detail: str = ""  # a short precision (date, duration)


@dataclass
class NextActions:
    items: list[NextAction] = field(default_factory=list)
    # when nothing waits: what happens next and who acts (never "Rien à faire")
    waiting: str = ""

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def _when(moment: datetime) -> str:
    """« mardi 9 décembre 2026 à 14:00 », in Europe/Paris."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'l j F Y')} à {date_format(local, 'H:i')}"


def current_bilan(user) -> Bilan | None:
    """The beneficiary's latest bilan (the one their space is about), or None."""
    file = getattr(user, "beneficiary_file", None)
    if file is None:
        return None
    return Bilan.objects.filter(beneficiary=file).select_related("beneficiary", "consultant").order_by("-created_at").first()


def _waiting_text(bilan: Bilan | None) -> str:
    S = Bilan.Status
    if bilan is None:
        return "Votre consultant prépare l'ouverture de votre bilan. Il vous recontactera pour fixer votre premier rendez-vous."
    if bilan.status == S.PROSPECT:
        return "Votre consultant vous recontactera pour organiser le premier entretien de votre bilan."
    if bilan.status in (S.PRELIMINARY, S.INVESTIGATION, S.CONCLUSIONS):
        return ("Vous êtes à jour. Votre consultant vous recontactera pour la suite : vos prochains rendez-vous, "
                "questionnaires et documents apparaîtront ici.")
    if bilan.status == S.FINISHED:
        return ("Votre bilan est terminé. Votre consultant vous recontactera pour l'entretien de suivi, "
                "environ 6 mois après la fin du bilan. Votre synthèse reste disponible dans « Mes documents ».")
    return "Votre bilan est clos. Vos documents restent disponibles dans « Mes documents » tant qu'ils sont conservés."


def next_actions(*, user, now: datetime | None = None) -> NextActions:
    """Everything waiting for the beneficiary ``user``, most urgent first. Each kind disappears
    as soon as it is done (consent given, document opened, questionnaire finished...)."""
    moment = clock.now(now)
    bilan = current_bilan(user)
    items: list[NextAction] = []
    if bilan is not None:
        is_open = bilan.status not in (Bilan.Status.CLOSED, Bilan.Status.ABANDONED)
        consent_given = bilan.consents.filter(kind=Consent.Kind.PARTICIPATION, withdrawn_at__isnull=True).exists()
        if bilan.status == Bilan.Status.PROSPECT and not consent_given:
            items.append(NextAction(
                "consent",
                "Lisez le document d'information sur le bilan, puis donnez votre accord pour commencer.",
                "Lire et donner mon accord", INFORMATION_URL,
            ))
        for convention in bilan.conventions.filter(status=Convention.Status.SENT, beneficiary_signed_at__isnull=True):
            detail = f"À signer avant le {_when(convention.expires_at)}" if convention.expires_at else ""
            items.append(NextAction("sign", f"Lisez et signez votre {convention.get_kind_display().lower()}.", "Lire et signer", "/mon-bilan/#convention", detail))
        published = list(
            Document.objects.filter(bilan__beneficiary__user=user, status=Document.Status.PUBLISHED, destroyed_at__isnull=True).order_by("published_at")
        )
        signed_docs = set(
            SignatureRequest.objects.filter(
                document__in=published, party=SignatureRequest.Party.BENEFICIARY,
                status__in=[SignatureRequest.Status.SIGNED, SignatureRequest.Status.SEALED],
            ).values_list("document_id", flat=True)
        )
        pending_docs = set(
            SignatureRequest.objects.filter(
                document__in=published, party=SignatureRequest.Party.BENEFICIARY, status=SignatureRequest.Status.PENDING,
            ).values_list("document_id", flat=True)
        )
        to_sign = []
        for document in published:
            spec = TYPES.get(document.doc_type)
            if not spec or not spec.signable or document.pk in signed_docs or "beneficiary" not in signature_parties(document.doc_type):
                continue
            if document.pk in pending_docs or signature_parties(document.doc_type) == ("beneficiary",):
                to_sign.append(document.pk)
                items.append(NextAction("sign", f"Lisez et signez : {document.title}.", "Lire et signer", f"/documents/{document.pk}/"))
        for session in bilan.sessions.filter(attendance=Session.Attendance.ATTENDED, beneficiary_confirmed_at__isnull=True).order_by("starts_at"):
            items.append(NextAction(
                "attendance", f"Confirmez votre présence à la séance du {_when(session.starts_at)}.",
                "Confirmer ma présence", "/mon-bilan/#emargement", "Votre confirmation sert de feuille d'émargement.",
            ))
        if is_open:
            appointments = Appointment.objects.filter(
                beneficiary__user=user, status=Appointment.Status.BOOKED, ends_at__gte=moment,
            ).order_by("starts_at")[:3]
            for appointment in appointments:
                where = appointment.get_modality_display().lower()
                items.append(NextAction(
                    "appointment", f"Rendez-vous avec votre consultant le {_when(appointment.starts_at)}.",
                    "Voir le rendez-vous", "/rendez-vous/", f"Modalité : {where}",
                ))
            for assessment in Assessment.objects.filter(
                bilan=bilan, status=Assessment.Status.IN_PROGRESS, destroyed_at__isnull=True,
            ).select_related("instrument").order_by("created_at"):
                started = bool(assessment.answers)
                minutes = assessment.instrument.definition.get("minutes")
                items.append(NextAction(
                    "questionnaire",
                    f"{'Terminez le' if started else 'Répondez au'} questionnaire « {assessment.instrument.title} ».",
                    "Reprendre le questionnaire" if started else "Commencer le questionnaire",
                    f"/questionnaires/{assessment.pk}/",
                    f"Environ {minutes} minutes. Vos réponses sont enregistrées au fur et à mesure." if minutes else "",
                ))
        for document in published:
            if document.beneficiary_opened_at is None and document.pk not in to_sign:
                items.append(NextAction("read", f"Un nouveau document vous attend : {document.title}.", "Lire le document", f"/documents/{document.pk}/"))
        survey = bilan.surveys.filter(sent_at__isnull=False, answered_at__isnull=True).first()
        if survey is not None:
            items.append(NextAction("survey", "Donnez votre avis sur votre bilan (5 minutes).", "Donner mon avis", "/mon-bilan/satisfaction/"))
        if is_open:
            for task in bilan.tasks.filter(done_at__isnull=True).order_by("due_on", "created_at"):
                detail = f"Pour le {date_format(task.due_on, 'l j F Y')}" if task.due_on else ""
                items.append(NextAction("task", f"Travail demandé par votre consultant : {task.title}.", "Voir la consigne", "/mon-bilan/#taches", detail))
    unread = unread_count(user)
    if unread:
        items.append(NextAction(
            "message", f"Vous avez {unread} message{'s' if unread > 1 else ''} non lu{'s' if unread > 1 else ''} de votre consultant.",
            "Lire mes messages", "/messages/",
        ))
    items.sort(key=lambda item: KIND_ORDER.index(item.kind))
    return NextActions(items=items, waiting="" if items else _waiting_text(bilan))
