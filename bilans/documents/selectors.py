"""Reads of the documents app (permission checks included)."""
from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import formats, timezone

from bilans.documents.models import Document, DocumentSettings, DocumentTemplate, DocumentVersion, SealedRecord, SignatureEnvelope, SignatureRequest
from bilans.documents.templating import default_template
from config.errors import NotFound
from organisations.permissions import documents_visible_to, ensure_can_manage_documents, ensure_can_view_document

PHASE_ORDER = {"preliminary": 0, "investigation": 1, "conclusions": 2, "follow_up": 3}


def current_organisation():
    """The Organisation of the current schema (inside ``schema_context`` the connection only
    holds a FakeTenant without the organisation's fields)."""
    from tenants.models import Organisation

    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Organisation):
        return tenant
    return Organisation.objects.filter(schema_name=connection.schema_name).first()


def document_settings() -> DocumentSettings:
    settings_row, _ = DocumentSettings.objects.get_or_create(singleton=True)
    return settings_row


def template_html(doc_type: str) -> str:
    row = DocumentTemplate.objects.filter(doc_type=doc_type).first()
    return row.html if row else default_template(doc_type)


def document_get(*, user, document_id) -> Document:
    """One document after the permission check. A beneficiary gets 404 for anything that is not
    published (they must not learn a draft exists)."""
    try:
        document = Document.objects.select_related("bilan", "bilan__beneficiary", "bilan__consultant", "validated_version", "validated_by").get(
            pk=document_id
        )
    except (Document.DoesNotExist, ValueError, ValidationError):
        raise NotFound("Document introuvable.", code="document_not_found") from None
    ensure_can_view_document(user, document)
    return document


def document_list(*, user, bilan=None, status: str = "") -> QuerySet[Document]:
    qs = documents_visible_to(user).select_related("bilan", "bilan__beneficiary")
    if bilan is not None:
        qs = qs.filter(bilan=bilan)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at")


def review_queue(*, user) -> QuerySet[Document]:
    """Drafts waiting for the consultant, by due date then phase of the bilan, then age."""
    from ai.generation.doctypes import TYPES

    phase_of_type = Case(
        *[When(doc_type=code, then=Value(PHASE_ORDER.get(spec.phase, 9))) for code, spec in TYPES.items()],
        default=Value(9),
        output_field=IntegerField(),
    )
    return (
        documents_visible_to(user)
        .filter(status__in=[Document.Status.REVIEW, Document.Status.FAILED, Document.Status.QUEUED, Document.Status.GENERATING])
        .select_related("bilan", "bilan__beneficiary")
        .annotate(phase_rank=phase_of_type)
        .order_by("due_on", "phase_rank", "created_at")
    )


def versions_of(document: Document) -> QuerySet[DocumentVersion]:
    return document.versions.select_related("author").order_by("number")


def version_get(document: Document, number) -> DocumentVersion:
    """A version by its number; anything that is not a plain (ASCII) number is a 404, never a
    500 (``"²".isdigit()`` is true but ``int("²")`` fails)."""
    text = str(number).strip()
    version = document.versions.filter(number=int(text)).first() if re.fullmatch(r"[0-9]{1,9}", text) else None
    if version is None:
        raise NotFound("Version introuvable.", code="version_not_found")
    return version


def latest_version(document: Document) -> DocumentVersion | None:
    return document.versions.order_by("-number").first()


def signature_for(document: Document, user) -> SignatureRequest | None:
    return document.signatures.filter(signer=user).exclude(status=SignatureRequest.Status.CANCELLED).order_by("-created_at").first()


def signatures_of(document: Document) -> QuerySet[SignatureRequest]:
    return document.signatures.filter(status__in=[SignatureRequest.Status.SIGNED, SignatureRequest.Status.SEALED]).order_by("signed_at")


def envelope_of(document: Document) -> SignatureEnvelope | None:
    """The live signature process of a document (not cancelled), if any."""
    return SignatureEnvelope.objects.filter(document=document).exclude(status=SignatureEnvelope.Status.CANCELLED).first()


def envelope_requests(envelope: SignatureEnvelope | None) -> list[SignatureRequest]:
    if envelope is None:
        return []
    return list(envelope.requests.exclude(status=SignatureRequest.Status.CANCELLED).select_related("signer").order_by("position"))


def party_request(document: Document, party: str) -> SignatureRequest | None:
    envelope = envelope_of(document)
    if envelope is None:
        return None
    return envelope.requests.filter(party=party).exclude(status=SignatureRequest.Status.CANCELLED).first()


def signature_by_hash(sha256: str) -> SignatureEnvelope | None:
    """The sealed signature process whose final PDF has this SHA-256."""
    if not sha256:
        return None
    return SignatureEnvelope.objects.select_related("document").filter(sha256_after=sha256, status=SignatureEnvelope.Status.SEALED).first()


def sealed_record_by_hash(sha256: str) -> SealedRecord | None:
    return SealedRecord.objects.filter(sha256=sha256).first() if sha256 else None


def sealed_record_latest(bilan, kind: str) -> SealedRecord | None:
    return SealedRecord.objects.filter(bilan=bilan, kind=kind).order_by("-created_at").first()


# --- data of a bilan for the generator ------------------------------------------------------------
def _fmt_date(value) -> str:
    if not value:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        value = timezone.localtime(value)
    return formats.date_format(value, "j F Y")


def _related(obj, name: str) -> list:
    manager = getattr(obj, name, None)
    if manager is None or not hasattr(manager, "all"):
        return []
    try:
        return list(manager.all())
    except Exception:  # a relation of another app that is not migrated in this schema yet
        return []


def activity_declaration_sentence(organisation) -> str:
    """CT-18 (R6351-6): the mention on conventions, quotes, orders and invoices."""
    number = getattr(organisation, "activity_declaration_number", "") if organisation else ""
    region = getattr(organisation, "activity_declaration_region", "") if organisation else ""
    if not number:
        return ""
    sentence = f"Déclaration d'activité enregistrée sous le numéro {number}"
    if region:
        sentence += f" auprès du préfet de région de {region}"
    return sentence + "."


def bilan_data(bilan) -> tuple[dict, dict]:
    """(data, entities): what the generator may use about a bilan, and the identifying values to
    hide from an external provider. Optional parts (sessions, objectives, assessments, career
    options) are read when the apps that own them provide them."""
    organisation = current_organisation()
    beneficiary = bilan.beneficiary
    consultant = bilan.consultant or beneficiary.consultant
    data: dict = {
        "organisation": {
            "name": getattr(organisation, "name", ""),
            "activity_declaration": activity_declaration_sentence(organisation),
            "qualiopi": getattr(organisation, "qualiopi_certificate_number", ""),
        },
        "beneficiary": {
            "first_name": beneficiary.first_name,
            "last_name": beneficiary.last_name,
            "job_title": getattr(beneficiary, "job_title", "") or "",
            "employer": getattr(beneficiary, "employer_name", "") or "",
            "situation": beneficiary.get_situation_display() if getattr(beneficiary, "situation", "") else "",
            "career_summary": getattr(beneficiary, "career_summary", "") or "",
            "education_summary": getattr(beneficiary, "education_summary", "") or "",
        },
        "consultant": {"name": consultant.get_full_name() if consultant else ""},
        "bilan": {
            "status_label": bilan.get_status_display(),
            "forfait": bilan.forfait_code,
            "started_on": _fmt_date(getattr(bilan, "planned_start", None) or getattr(bilan, "started_at", None)),
            "ended_on": _fmt_date(getattr(bilan, "planned_end", None) or getattr(bilan, "ended_at", None)),
        },
        "today": _fmt_date(timezone.localdate()),
    }
    minutes = (getattr(bilan, "planned_accompaniment_minutes", 0) or 0) + (getattr(bilan, "planned_guided_work_minutes", 0) or 0)
    if minutes:
        data["bilan"]["hours_planned"] = round(minutes / 60, 1) if minutes % 60 else minutes // 60
    funding = _related(bilan, "funding_sources")
    if funding:
        data["bilan"]["funding"] = ", ".join(f.get_kind_display() for f in funding)
        total = sum(int(getattr(f, "amount_cents", 0) or 0) for f in funding)
        if total:
            data["bilan"]["price"] = f"{total / 100:,.2f} €".replace(",", " ").replace(".", ",")
    data["objectives"] = [o.text for o in _related(bilan, "objectives") if getattr(o, "text", "")]
    sessions = []
    for s in _related(bilan, "sessions"):
        if getattr(s, "attendance", "") == "cancelled":
            continue
        sessions.append(
            {
                "date": _fmt_date(getattr(s, "starts_at", None)),
                "title": s.get_interview_type_display() if getattr(s, "interview_type", "") else s.get_kind_display() if hasattr(s, "get_kind_display") else "Séance",
                "duration_minutes": getattr(s, "duration_minutes", 0) or 0,
            }
        )
    data["sessions"] = sessions
    data.update(_assessment_data(bilan))
    entities = {
        "names": [beneficiary.full_name, beneficiary.first_name, beneficiary.last_name]
        + ([consultant.get_full_name(), consultant.first_name, consultant.last_name] if consultant else [])
        + [getattr(beneficiary, "employer_contact_name", "") or ""],
        "emails": [beneficiary.email] + ([consultant.email] if consultant else []) + [getattr(beneficiary, "employer_contact_email", "") or ""],
        "phones": [beneficiary.phone],
        "addresses": [getattr(beneficiary, "address", "") or ""],
        "employers": [getattr(beneficiary, "employer_name", "") or ""],
    }
    return data, entities


def _assessment_data(bilan) -> dict:
    """Assessment results (latest per instrument, as chart-ready scores), validated skills and
    career options from ``bilans.assessments`` when it is installed. Never blocks a document."""
    try:
        from bilans.assessments.models import CareerOption, Result
    except ImportError:
        return {}
    import logging

    data: dict = {}
    try:
        seen: set[str] = set()
        assessments = []
        results = Result.objects.filter(bilan=bilan, destroyed_at__isnull=True).select_related("assessment__instrument").order_by("-created_at")
        for result in results:
            if result.instrument_code in seen:
                continue
            seen.add(result.instrument_code)
            definition = result.assessment.instrument.definition if result.assessment_id else {}
            labels = definition.get("dimensions") or {}
            dimensions = (result.scores or {}).get("dimensions") or {}
            scores = [
                {"label": str(labels.get(code, code)), "value": round(float(d.get("score")), 1), "max": 100}
                for code, d in dimensions.items()
                if isinstance(d, dict) and d.get("score") is not None
            ]
            entry = {"name": definition.get("title") or result.instrument_code, "scores": scores}
            if (result.scores or {}).get("holland_code"):
                entry["summary"] = f"Code de Holland : {result.scores['holland_code']}."
            assessments.append(entry)
        if assessments:
            data["assessments"] = assessments
        try:
            from ai.selectors import skills_by_codes
            from bilans.assessments.selectors import validated_skills

            from ai.matching import HELD_LEVELS

            # identified competences: those mastered (advanced/expert), by the consultant's
            # reviewed level where there is one, never a beginner's or intermediate's rating
            ratings = {code: rating for code, rating in validated_skills(bilan).items() if rating.mastery in HELD_LEVELS}
            if ratings:
                skills = skills_by_codes(ratings.keys())
                data["competences"] = sorted({skills[c].label for c in ratings if c in skills})[:20]
        except Exception:
            logging.getLogger(__name__).warning("validated skills unavailable for documents", exc_info=True)
        options = []
        for option in CareerOption.objects.filter(bilan=bilan).order_by("-kind", "scenario", "created_at")[:10]:
            match = option.match or {}
            options.append(
                {
                    "title": option.label, "code_rome": option.code_rome, "score": match.get("score"),
                    "rationale": option.advantages or "",
                }
            )
        if options:
            data["career_options"] = options
    except Exception:  # never let another app's data block a document
        logging.getLogger(__name__).exception("assessment data unavailable for documents")
    return data
