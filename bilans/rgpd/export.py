"""RG-04 (art. 15 and 20): a beneficiary's data as a ZIP: ``donnees.json`` with every record
the organisation holds about them (one list per kind of record) and their documents."""
from __future__ import annotations

import io
import json
import re
import zipfile

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from bilans.rgpd.collect import related_querysets

SKIPPED_FIELDS = {"password", "token_hash", "content_sha256", "pdf_sha256"}
# Never in a beneficiary's export, although linked to them:
# - each colleague's 360° answers (only aggregates above the threshold may be shown, never one
#   person's answers) and the time an invitation was used (it would re-identify an answer);
# - the AI's processing trace and the data snapshot and failures of a document, which are
#   organisation internals, not the person's record.
EXCLUDED_MODELS = {"assessments.feedbackresponse", "documents.generationrecord"}
# An export an administrator produces on the person's request never holds more than the
# administrator may read otherwise: message threads are between the beneficiary and their
# consultant only (organisations.permissions.can_view_thread refuses administrators). The person
# gets them in the export from their own space.
NOT_FOR_ADMINISTRATORS_APPS = {"messaging"}
EXCLUDED_FIELDS = {
    "documents.document": {"data_snapshot", "failure_code", "failure_reason"},
    "assessments.feedbackinvitation": {"used_at"},
}


def _visible_to_beneficiary(label: str, model, queryset):
    """A document reaches the beneficiary only once validated and published: drafts, earlier
    versions and anything hanging on an unpublished document stay out of the export too."""
    from bilans.documents.models import Document

    published = Document.objects.filter(status=Document.Status.PUBLISHED)
    if model is Document:
        return queryset.filter(pk__in=published.values("pk"))
    if label == "documents.documentversion":
        return queryset.filter(pk__in=published.values("validated_version"))
    if any(f.is_relation and f.related_model is Document for f in model._meta.concrete_fields):
        return queryset.filter(document__in=published)
    return queryset


def _row(obj) -> dict:
    data = {"id": str(obj.pk)}
    excluded = SKIPPED_FIELDS | EXCLUDED_FIELDS.get(obj._meta.label_lower, set())
    for field in obj._meta.concrete_fields:
        if field.name in excluded or isinstance(field, (models.BinaryField, models.FileField)):
            continue
        value = field.value_from_object(obj)
        data[field.name] = str(value) if isinstance(value, (bytes, memoryview)) else value
    return data


def _file_bytes(field_file) -> bytes | None:
    from config.crypto import decrypt_bytes

    try:
        field_file.open("rb")
        raw = field_file.read()
    except (FileNotFoundError, ValueError, OSError):
        return None
    finally:
        try:
            field_file.close()
        except Exception:  # noqa: BLE001 - closing a file that failed to open
            pass
    try:
        return decrypt_bytes(raw)
    except Exception:  # noqa: BLE001 - stored in clear
        return raw


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:80] or "document"


def beneficiary_export(*, beneficiary, for_administrator: bool = False) -> bytes:
    """The ZIP of RG-04. ``for_administrator``: produced by an administrator on the person's
    recorded request, without what an administrator cannot read (message threads)."""
    from bilans.documents.storage import open_bytes

    records: dict[str, list] = {}
    files: dict[str, bytes] = {}
    for _, model, queryset in related_querysets(beneficiary):
        label = model._meta.label_lower
        if label in EXCLUDED_MODELS or (for_administrator and model._meta.app_label in NOT_FOR_ADMINISTRATORS_APPS):
            continue
        for obj in _visible_to_beneficiary(label, model, queryset):
            records.setdefault(label, []).append(_row(obj))
            for field in obj._meta.concrete_fields:
                if isinstance(field, models.FileField):
                    field_file = getattr(obj, field.name)
                    if field_file:
                        if getattr(obj, "destroyed_at", None):
                            continue
                        content = _file_bytes(field_file)
                        if content is not None:
                            name = getattr(obj, "filename", "") or field_file.name.rsplit("/", 1)[-1]
                            files[f"documents/{model._meta.model_name}-{str(obj.pk)[:8]}-{_safe(name)}"] = content
                elif isinstance(field, models.BinaryField) and field.name in ("pdf", "signed_pdf"):
                    stored = getattr(obj, field.name)
                    if not stored:
                        continue
                    content = bytes(stored) if label.startswith("billing.") else open_bytes(stored)
                    title = getattr(obj, "number", "") or getattr(obj, "title", "") or model._meta.model_name
                    files[f"documents/{_safe(title)}-{field.name}-{str(obj.pk)[:8]}.pdf"] = content
    user = beneficiary.user
    payload = {
        "export": {"generated_at": timezone.now().isoformat(), "basis": "RGPD art. 15 (accès) et 20 (portabilité)"},
        "account": {"email": user.email, "first_name": user.first_name, "last_name": user.last_name, "date_joined": user.date_joined,
                    "last_login": user.last_login} if user else None,
        "records": records,
        "documents": sorted(files),
    }
    readme = (
        "Vos données personnelles détenues par l'organisme (RGPD, articles 15 et 20).\n"
        "donnees.json : vos informations, vos bilans, séances, consentements, rendez-vous, messages, questionnaires et factures.\n"
        "documents/ : les documents de votre dossier (synthèse publiée, fichiers déposés, factures).\n"
    )
    if for_administrator:
        payload["export"]["produced_by"] = "administrateur, sur demande enregistrée de la personne"
        readme += (
            "Cet export a été produit par un administrateur de l'organisme : vos échanges avec votre consultant n'y figurent pas.\n"
            "Vous les obtenez en téléchargeant vos données depuis votre espace (Mes données).\n"
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("donnees.json", json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        archive.writestr("LISEZMOI.txt", readme)
        for path, content in sorted(files.items()):
            archive.writestr(path, content)
    return buffer.getvalue()
