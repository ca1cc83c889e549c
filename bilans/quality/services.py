"""Writes of the quality app: registers, attachments and the publication of result indicators."""
from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from bilans.quality.indicators import BY_NUMBER
from bilans.quality.models import (
    Complaint,
    Evidence,
    ImprovementAction,
    Partner,
    ResultPublication,
    StaffQualification,
    StaffTraining,
    WatchEntry,
)
from config.crypto import encrypted_file_save
from config.errors import Conflict, InvalidInput
from organisations.accounts.services import audit_event_record

MAX_EVIDENCE_BYTES = 20 * 1024 * 1024


@transaction.atomic
def evidence_attach(*, actor, indicator: int, title: str, dated: date, description: str = "", upload=None) -> Evidence:
    """Attach a document to an indicator; its file is encrypted at rest like every sensitive file
    (config.crypto, as message attachments and bilan documents)."""
    if indicator not in BY_NUMBER or not BY_NUMBER[indicator].applies_to_bc:
        raise InvalidInput("Cet indicateur ne s'applique pas aux bilans de compétences.", code="indicator_not_applicable")
    if not (title or "").strip():
        raise InvalidInput("Donnez un titre à la preuve.", code="evidence_title_required")
    evidence = Evidence(indicator=indicator, title=title.strip()[:200], description=description, dated=dated, created_by=actor)
    if upload is not None:
        if upload.size > MAX_EVIDENCE_BYTES:
            raise InvalidInput("Le fichier dépasse 20 Mo.", code="evidence_too_large")
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(MAX_EVIDENCE_BYTES + 1)
        if len(data) > MAX_EVIDENCE_BYTES:
            raise InvalidInput("Le fichier dépasse 20 Mo.", code="evidence_too_large")
        evidence.filename = upload.name[:200]
        evidence.content_type = (getattr(upload, "content_type", "") or "application/octet-stream")[:100]
        encrypted_file_save(evidence.file, upload.name, data)
        evidence.encrypted = True
    evidence.save()
    audit_event_record(
        action="quality.evidence_attached", actor=actor, target=evidence, details={"indicator": indicator, "encrypted": evidence.encrypted}
    )
    return evidence


def evidence_encrypt_legacy() -> int:
    """Encrypt at rest the evidence files attached before encryption existed: each is rewritten
    encrypted under a new name and the plain file deleted once the row points to the new one.
    Idempotent, one row at a time (a periodic job). Returns how many files were encrypted."""
    import logging

    encrypted = 0
    for evidence_id in list(Evidence.objects.filter(encrypted=False).exclude(file="").values_list("pk", flat=True)):
        with transaction.atomic():
            evidence = Evidence.objects.select_for_update(skip_locked=True).filter(pk=evidence_id, encrypted=False).first()
            if evidence is None or not evidence.file:
                continue
            plain_name = evidence.file.name
            try:
                with evidence.file.open("rb") as handle:
                    data = handle.read()
            except (FileNotFoundError, OSError):
                logging.getLogger(__name__).warning("Evidence %s: file %s missing, left as is", evidence.pk, plain_name)
                continue
            storage = evidence.file.storage
            encrypted_file_save(evidence.file, evidence.filename or plain_name.rsplit("/", 1)[-1], data)
            evidence.encrypted = True
            evidence.save(update_fields=["file", "encrypted"])
            audit_event_record(action="quality.evidence_encrypted", target=evidence, details={"indicator": evidence.indicator})
            transaction.on_commit(lambda name=plain_name, storage=storage: storage.delete(name))
            encrypted += 1
    return encrypted


@transaction.atomic
def complaint_record(*, actor, received_on: date, source: str, subject: str, bilan=None, answer_within_days: int = 15) -> Complaint:
    if source not in Complaint.Source.values:
        raise InvalidInput("Origine inconnue.", code="complaint_source_invalid")
    if not (subject or "").strip():
        raise InvalidInput("Décrivez l'objet de la réclamation.", code="complaint_subject_required")
    complaint = Complaint.objects.create(
        received_on=received_on, source=source, subject=subject.strip()[:300], bilan=bilan,
        answer_due_on=received_on + timedelta(days=answer_within_days), created_by=actor,
    )
    audit_event_record(action="quality.complaint_recorded", actor=actor, target=complaint, details={"source": source})
    return complaint


@transaction.atomic
def complaint_close(*, actor, complaint: Complaint, response: str, closed_on: date | None = None) -> Complaint:
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status == Complaint.Status.CLOSED:
        raise Conflict("Cette réclamation est déjà close.", code="complaint_closed")
    if not (response or "").strip():
        raise InvalidInput("Indiquez la réponse apportée.", code="complaint_response_required")
    complaint.response = response.strip()
    complaint.closed_on = closed_on or timezone.localdate()
    complaint.status = Complaint.Status.CLOSED
    complaint.save()
    audit_event_record(action="quality.complaint_closed", actor=actor, target=complaint)
    return complaint


@transaction.atomic
def register_add(*, actor, model: str, **fields):
    """Add a row to one of the simple registers: improvement actions, watch, qualifications,
    trainings, partners."""
    classes = {
        "action": ImprovementAction, "watch": WatchEntry, "qualification": StaffQualification, "training": StaffTraining,
        "partner": Partner,
    }
    if model not in classes:
        raise InvalidInput("Registre inconnu.", code="register_unknown")
    row = classes[model](**fields)
    if any(f.name == "created_by" for f in row._meta.fields):
        row.created_by = actor
    try:
        row.full_clean(exclude=["created_by"])
    except Exception as error:  # ValidationError: French messages of the fields
        raise InvalidInput("Vérifiez les champs du registre.", code="register_invalid") from error
    row.save()
    audit_event_record(action=f"quality.{model}_added", actor=actor, target=row)
    return row


@transaction.atomic
def improvement_action_complete(*, actor, action: ImprovementAction, done_on: date, result: str) -> ImprovementAction:
    """Indicator 32: record that an improvement action was carried out, when, and the effect
    observed (what the auditor checks: decided, done, measured)."""
    action = ImprovementAction.objects.select_for_update().get(pk=action.pk)
    if action.done_on is not None:
        raise Conflict("Cette action est déjà réalisée.", code="action_already_done")
    result = (result or "").strip()
    if not result:
        raise InvalidInput("Décrivez l'effet constaté de l'action.", code="action_result_required")
    if done_on is None:
        raise InvalidInput("Indiquez la date de réalisation.", code="action_done_on_required")
    if done_on < action.decided_on:
        raise InvalidInput("L'action ne peut être réalisée avant d'avoir été décidée.", code="action_done_before_decided")
    if done_on > timezone.localdate():
        raise InvalidInput("La date de réalisation ne peut être dans le futur.", code="action_done_in_future")
    action.done_on = done_on
    action.result = result
    action.save(update_fields=["done_on", "result"])
    audit_event_record(action="quality.action_completed", actor=actor, target=action, details={"done_on": done_on.isoformat()})
    return action


@transaction.atomic
def results_publish(*, actor, start: date, end: date, now=None) -> ResultPublication:
    """Indicator 2: compute the result indicators from real data and publish them, dated, on the
    organisation's public page."""
    from bilans.quality.selectors import result_figures

    if end < start:
        raise InvalidInput("La fin de la période précède son début.", code="period_invalid")
    publication = ResultPublication.objects.create(
        period_start=start, period_end=end, figures=result_figures(start=start, end=end), published_at=now or timezone.now(), published_by=actor
    )
    audit_event_record(action="quality.results_published", actor=actor, target=publication)
    return publication
