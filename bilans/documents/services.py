"""Writes of the documents app. Each one checks permissions and writes an audit event (facts
only: never a document's content)."""
from __future__ import annotations

import hashlib
import hmac
import io
import logging
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ai.generation import GenerationError, generate
from ai.generation.doctypes import TYPES
from bilans.documents import credits, rendering, signing
from bilans.documents.content import CONTENT_HTML_MAX_CHARS, content_too_long_message, measure_change, sanitise_body, sanitise_template, structured_to_html, text_of
from bilans.documents.models import (
    Document,
    DocumentSettings,
    DocumentTemplate,
    DocumentVersion,
    GenerationRecord,
    RetentionMethod,
    SealedRecord,
    SignatureEnvelope,
    SignatureRequest,
)
from bilans.documents.selectors import bilan_data, document_settings
from bilans.documents.storage import open_bytes, seal_bytes, sha256
from bilans.documents.templating import unknown_variables
from config.dramatiq import enqueue_on_commit
from config.errors import ApplicationError, Conflict, Forbidden, InvalidInput, NotFound, PaymentRequired
from organisations.accounts.services import audit_event_record
from organisations.accounts.models import Role
from organisations.permissions import can_manage_document_settings, can_manage_documents, can_sign_document, ensure_can_manage_documents
from organisations.services import notification_create

logger = logging.getLogger(__name__)

SIGNATURE_CODE_TTL = timedelta(minutes=10)
SIGNATURE_MAX_ATTEMPTS = 5
SIGNATURE_MAX_CODES_PER_HOUR = 5
SIGNATURE_CONSENT_TEXT = (
    "J'ai lu le document et je l'approuve. Je reconnais que la saisie du code à usage unique reçu par e-mail "
    "vaut signature électronique de ma part."
)
MAX_LOGO_BYTES = 512 * 1024


def _url(document: Document) -> str:
    return f"/documents/{document.pk}/"


# --- generation -----------------------------------------------------------------------------
@transaction.atomic
def document_request(*, actor, bilan, doc_type: str, due_on=None) -> Document:
    """Queue the drafting of a document; the job runs after commit."""
    ensure_can_manage_documents(actor, bilan)
    spec = TYPES.get(doc_type)
    if spec is None:
        raise InvalidInput("Type de document inconnu.", code="invalid_document_type")
    active = Document.objects.filter(
        bilan=bilan, doc_type=doc_type, status__in=[Document.Status.QUEUED, Document.Status.GENERATING, Document.Status.REVIEW]
    )
    if active.exists():
        raise Conflict("Un document de ce type est déjà en cours pour ce bilan : terminez-le d'abord.", code="document_in_progress")
    credits.ensure_feature(bilan=bilan, action_code=spec.tariff_code)
    document = Document.objects.create(
        bilan=bilan, doc_type=doc_type, title=f"{spec.label} – {bilan.beneficiary.full_name}"[:200], created_by=actor, due_on=due_on
    )
    audit_event_record(action="document.requested", actor=actor, target=document, details={"doc_type": doc_type, "bilan_id": str(bilan.pk)})
    from bilans.documents.tasks import generate_document

    enqueue_on_commit(generate_document, str(document.pk), actor.pk)
    return document


@transaction.atomic
def document_retry(*, actor, document: Document) -> Document:
    ensure_can_manage_documents(actor, document.bilan)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.status != Document.Status.FAILED:
        raise Conflict("Seule une rédaction en échec peut être relancée.", code="document_not_failed")
    document.status, document.progress, document.failure_code, document.failure_reason = Document.Status.QUEUED, 0, "", ""
    document.save(update_fields=["status", "progress", "failure_code", "failure_reason", "updated_at"])
    audit_event_record(action="document.retried", actor=actor, target=document)
    from bilans.documents.tasks import generate_document

    enqueue_on_commit(generate_document, str(document.pk), actor.pk)
    return document


@transaction.atomic
def document_regenerate(*, actor, document: Document) -> Document:
    """Ask the AI for a new draft of a document in review (consultant or administrator): a new
    version is added once it is written, the previous versions stay in the history. The new
    draft is charged once, like any successful draft. Refused once the document is validated."""
    ensure_can_manage_documents(actor, document.bilan)
    document = Document.objects.select_for_update().select_related("bilan").get(pk=document.pk)
    if document.is_locked:
        raise Conflict("Ce document est validé : il ne peut plus être régénéré.", code="document_locked")
    if document.is_destroyed:
        raise Conflict("Ce document a été détruit à la fin du bilan.", code="document_destroyed")
    if document.status != Document.Status.REVIEW:
        raise Conflict("Seul un brouillon en relecture peut être régénéré.", code="document_not_in_review")
    credits.ensure_feature(bilan=document.bilan, action_code=TYPES[document.doc_type].tariff_code)
    previous = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
    document.status, document.progress, document.failure_code, document.failure_reason = Document.Status.QUEUED, 0, "", ""
    document.save(update_fields=["status", "progress", "failure_code", "failure_reason", "updated_at"])
    audit_event_record(action="document.regeneration_requested", actor=actor, target=document, details={"after_version": previous})
    from bilans.documents.tasks import generate_document

    enqueue_on_commit(generate_document, str(document.pk), actor.pk)
    return document


def _claim(document_id) -> Document | None:
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("bilan", "bilan__beneficiary").filter(pk=document_id).first()
        if document is None or document.status != Document.Status.QUEUED:
            return None  # already handled (a duplicate message) or deleted
        document.status, document.progress = Document.Status.GENERATING, 10
        document.save(update_fields=["status", "progress", "updated_at"])
        return document


def _fail(document: Document, *, code: str, reason: str, actor=None) -> None:
    """A failed drafting. A regeneration that fails goes back to review with its reason: the
    previous drafts remain and can still be edited and validated."""
    status = Document.Status.REVIEW if document.versions.exists() else Document.Status.FAILED
    progress = 100 if status == Document.Status.REVIEW else 0
    Document.objects.filter(pk=document.pk).update(status=status, failure_code=code, failure_reason=reason[:500], progress=progress)
    audit_event_record(action="document.generation_failed", actor=actor, target=document, details={"code": code})


def document_generate(*, document_id, actor_id=None) -> Document | None:
    """Body of the generation job: draft with the configured provider (the built-in one if the
    organisation forbids external AI), store version 1, charge the draft once, notify. Any
    failure leaves the document ``failed`` with a French reason and charges nothing."""
    from organisations.accounts.models import User

    document = _claim(document_id)
    if document is None:
        return None
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    spec = TYPES[document.doc_type]
    data, entities = bilan_data(document.bilan)
    allow_external = document_settings().allow_external_ai
    Document.objects.filter(pk=document.pk).update(progress=30)
    try:
        result = generate(document.doc_type, data, entities=entities, allow_external=allow_external)
    except GenerationError as exc:
        stats = exc.stats or {}
        with transaction.atomic():
            GenerationRecord.objects.create(
                document=document, succeeded=False, provider=stats.get("provider", ""), model=stats.get("model", ""),
                prompt_version=stats.get("prompt_version", ""), input_hash=stats.get("input_hash", ""),
                prompt_tokens=stats.get("prompt_tokens", 0), completion_tokens=stats.get("completion_tokens", 0),
                duration_ms=stats.get("duration_ms", 0), attempts=stats.get("attempts", 0), repaired=bool(stats.get("repaired")),
                error_code=exc.code, created_by=actor,
            )
            _fail(document, code=exc.code, reason=exc.message, actor=actor)
        return Document.objects.get(pk=document.pk)
    except Exception:
        logger.exception("document generation crashed")
        with transaction.atomic():
            _fail(document, code="internal_error", reason="Une erreur interne a interrompu la rédaction. Relancez-la.", actor=actor)
        return Document.objects.get(pk=document.pk)

    Document.objects.filter(pk=document.pk).update(progress=80)
    # The provider has been called (and its tokens used): the record is kept whatever happens to
    # the charge below, in its own transaction.
    with transaction.atomic():
        record = GenerationRecord.objects.create(
            document=document, succeeded=True, created_by=actor, **{k: v for k, v in result.record().items() if k != "repaired" and k != "pseudonymised"},
            repaired=result.repaired, pseudonymised=result.pseudonymised,
        )
    try:
        with transaction.atomic():
            charged = credits.charge(
                bilan=document.bilan, action_code=spec.tariff_code, actor=actor,
                idempotency_key=f"document-draft:{document.pk}:{record.pk}", reason=f"Brouillon : {spec.label}",
            )
            record.credits_charged = charged
            record.save(update_fields=["credits_charged"])
            document = Document.objects.select_for_update().get(pk=document.pk)
            latest = document.versions.order_by("-number").values_list("number", flat=True).first() or 0
            version = DocumentVersion.objects.create(
                document=document, number=latest + 1, source=DocumentVersion.Source.AI,
                content_html=structured_to_html(result.content), structured=result.content,
            )
            document.status, document.progress = Document.Status.REVIEW, 100
            document.failure_code = document.failure_reason = ""
            document.charts = result.content.get("charts") or []
            document.data_snapshot = data
            document.save(update_fields=["status", "progress", "failure_code", "failure_reason", "charts", "data_snapshot", "updated_at"])
            audit_event_record(
                action="document.drafted", actor=actor, target=document,
                details={"provider": result.provider, "model": result.model, "prompt_version": result.prompt_version,
                         "input_hash": result.input_hash, "credits": charged, "version": version.number},
            )
            recipient = document.bilan.consultant or document.bilan.beneficiary.consultant or actor
            if recipient is not None:
                notification_create(recipient=recipient, kind="document_ready", title=f"Brouillon prêt à relire : {spec.label}", url=_url(document))
    except PaymentRequired as exc:
        with transaction.atomic():
            GenerationRecord.objects.filter(pk=record.pk).update(succeeded=False, error_code=exc.code[:40], credits_charged=0)
            _fail(document, code=exc.code, reason=exc.message, actor=actor)
    return Document.objects.get(pk=document.pk)


# --- review ----------------------------------------------------------------------------------
@transaction.atomic
def document_save_version(*, actor, document: Document, content_html: str) -> DocumentVersion:
    """Every save is a new version (author, time), sanitised. Content longer than
    ``CONTENT_HTML_MAX_CHARS`` is refused before sanitising (``document_too_long``); the previous
    versions are untouched."""
    ensure_can_manage_documents(actor, document.bilan)
    document = Document.objects.select_for_update().get(pk=document.pk)
    if document.is_locked:
        raise Conflict("Ce document est validé : il ne peut plus être modifié.", code="document_locked")
    if document.is_destroyed:
        raise Conflict("Ce document a été détruit à la fin du bilan.", code="document_destroyed")
    if document.status != Document.Status.REVIEW:
        raise Conflict("Le brouillon n'est pas encore prêt.", code="document_not_ready")
    if len(content_html or "") > CONTENT_HTML_MAX_CHARS:  # before nh3: a huge nested input costs seconds
        raise InvalidInput(content_too_long_message(len(content_html)), code="document_too_long")
    clean = sanitise_body(content_html)
    if not text_of(clean).strip():
        raise InvalidInput("Le document ne peut pas être vide.", code="document_empty")
    latest = document.versions.order_by("-number").first()
    if latest is not None and latest.content_html == clean:
        return latest
    version = DocumentVersion.objects.create(
        document=document, number=(latest.number if latest else 0) + 1, source=DocumentVersion.Source.CONSULTANT, content_html=clean, author=actor
    )
    Document.objects.filter(pk=document.pk).update(updated_at=timezone.now())
    audit_event_record(action="document.version_saved", actor=actor, target=document, details={"version": version.number})
    return version


@transaction.atomic
def document_validate(*, actor, document: Document) -> Document:
    """Lock the latest version, measure the change against the AI draft, charge it (0/5/15),
    then render the PDF and publish it in a job."""
    ensure_can_manage_documents(actor, document.bilan)
    document = Document.objects.select_for_update().select_related("bilan", "bilan__beneficiary").get(pk=document.pk)
    if document.is_locked:
        raise Conflict("Ce document est déjà validé.", code="document_already_validated")
    if document.is_destroyed:
        raise Conflict("Ce document a été détruit à la fin du bilan.", code="document_destroyed")
    if document.status != Document.Status.REVIEW:
        raise Conflict("Le brouillon n'est pas encore prêt.", code="document_not_ready")
    versions = list(document.versions.order_by("number"))
    # measured against the latest AI draft (a regeneration replaces the reference)
    draft = next(v for v in reversed(versions) if v.source == DocumentVersion.Source.AI)
    final = versions[-1]
    level, ratio = measure_change(draft.content_html, final.content_html)
    charged = credits.charge(
        bilan=document.bilan, action_code=credits.VALIDATION_CODES[level], actor=actor,
        idempotency_key=f"document-validation:{document.pk}", reason=f"Validation ({level}) : {TYPES[document.doc_type].label}",
        default=credits.VALIDATION_CREDITS[level],
    )
    now = timezone.now()
    document.status = Document.Status.VALIDATED
    document.validated_version, document.validated_by, document.validated_at = final, actor, now
    document.change_level, document.change_ratio, document.validation_credits = level, ratio, charged
    document.failure_code = document.failure_reason = ""
    document.save()
    audit_event_record(
        action="document.validated", actor=actor, target=document,
        details={"version": final.number, "change_level": level, "change_ratio": ratio, "credits": charged},
    )
    from bilans.documents.tasks import publish_document

    enqueue_on_commit(publish_document, str(document.pk))
    return document


def document_publish(*, document_id) -> Document | None:
    """Body of the publication job: render the validated version to PDF (worker), store it
    encrypted, publish it to the beneficiary and notify them."""
    document = Document.objects.select_related("bilan", "bilan__beneficiary", "validated_version", "validated_by").filter(pk=document_id).first()
    if document is None or document.status != Document.Status.VALIDATED:
        return document
    try:
        pdf, pages, elapsed = rendering.render_pdf(document, document.validated_version)
    except Exception:
        logger.exception("PDF rendering failed")
        with transaction.atomic():
            _publication_failed(document, code="pdf_failed", reason="La mise en page du PDF a échoué. Relancez la publication.")
        return Document.objects.get(pk=document.pk)
    try:
        with transaction.atomic():
            document = Document.objects.select_for_update().select_related("bilan__beneficiary").get(pk=document.pk)
            if document.status != Document.Status.VALIDATED:
                return document
            document.pdf, document.pdf_sha256, document.pdf_pages, document.pdf_render_ms = seal_bytes(pdf), sha256(pdf), pages, elapsed
            document.status, document.published_at = Document.Status.PUBLISHED, timezone.now()
            document.failure_code = document.failure_reason = ""
            document.save()
            audit_event_record(action="document.published", target=document, details={"sha256": document.pdf_sha256, "pages": pages})
            _record_delivery(document)
            beneficiary_user = document.bilan.beneficiary.user
            if beneficiary_user is not None and beneficiary_user.is_active:
                notification_create(
                    recipient=beneficiary_user, kind="document_published", title=f"Nouveau document disponible : {TYPES[document.doc_type].label}",
                    url=_url(document), email=True,
                )
    except ApplicationError as exc:  # never leave the page waiting for a publication that rolled back
        logger.warning("publication of document %s failed: %s", document.pk, exc.code)
        with transaction.atomic():
            _publication_failed(
                document, code="publish_failed",
                reason=f"La publication n'a pas pu aboutir : {exc.message} Relancez la publication.",
            )
        return Document.objects.get(pk=document.pk)
    return document


def _publication_failed(document: Document, *, code: str, reason: str) -> None:
    """The validated document stays unpublished with a reason (the page offers a retry); the
    consultant who validated it is told (or the bilan's consultant if they can no longer act)."""
    Document.objects.filter(pk=document.pk).update(failure_code=code, failure_reason=reason[:500])
    audit_event_record(action="document.publish_failed", target=document, details={"code": code})
    for recipient in (document.validated_by, document.bilan.consultant):
        if recipient is not None and recipient.is_active and can_manage_documents(recipient, document.bilan):
            notification_create(
                recipient=recipient, kind="document_publish_failed",
                title=f"La publication a échoué : {TYPES[document.doc_type].label}", url=_url(document), email=True,
            )
            break


def _delivery_actors(document: Document) -> list:
    """Who records the delivery on the bilan: the validating consultant if they still manage the
    bilan, else the bilan's consultant, else an administrator of the organisation (the delivery
    happened whatever became of the validator's account)."""
    from organisations.accounts.models import User

    bilan = document.bilan
    candidates = [document.validated_by, bilan.consultant]
    candidates += list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("date_joined")[:5])
    return [user for user in candidates if user is not None and user.is_active and can_manage_documents(user, bilan)]


def _record_delivery(document: Document) -> None:
    """CT-06: publishing the synthèse (or the information document) is its delivery to the
    beneficiary; the bilan records it through its own service."""
    bilan = document.bilan
    try:
        if document.doc_type == "synthesis" and getattr(bilan, "synthesis_delivered_at", "unset") is None:
            from bilans.services import bilan_record_synthesis_delivery as deliver
        elif document.doc_type == "information" and getattr(bilan, "information_delivered_at", "unset") is None:
            from bilans.services import information_document_deliver as deliver
        else:
            return
    except ImportError:
        return
    actors = _delivery_actors(document)
    if not actors:
        raise Conflict(
            "personne dans l'organisme ne peut plus enregistrer la remise du document sur le bilan (aucun administrateur actif).",
            code="delivery_not_recorded",
        )
    deliver(actor=actors[0], bilan=bilan)


@transaction.atomic
def document_mark_opened(*, actor, document: Document) -> bool:
    """The beneficiary opened a published document of their bilan in their space: it leaves their
    "à lire" list. Only the first opening is recorded; returns True when it was the first."""
    if not can_sign_document(actor, document):  # the bilan's beneficiary, a published document
        return False
    updated = Document.objects.filter(pk=document.pk, beneficiary_opened_at__isnull=True).update(beneficiary_opened_at=timezone.now())
    if updated:
        audit_event_record(action="document.opened_by_beneficiary", actor=actor, target=document, details={"doc_type": document.doc_type})
    return bool(updated)


@transaction.atomic
def document_publish_retry(*, actor, document: Document) -> Document:
    ensure_can_manage_documents(actor, document.bilan)
    if document.status != Document.Status.VALIDATED:
        raise Conflict("Ce document n'attend pas de publication.", code="document_not_validated")
    from bilans.documents.tasks import publish_document

    Document.objects.filter(pk=document.pk).update(failure_code="", failure_reason="")
    document.failure_code = document.failure_reason = ""
    audit_event_record(action="document.publish_retried", actor=actor, target=document, details={})
    enqueue_on_commit(publish_document, str(document.pk))
    return document


def document_pdf(document: Document) -> bytes:
    if document.is_destroyed:
        raise NotFound("Ce document a été détruit à la fin du bilan (article R6313-7).", code="document_destroyed")
    return open_bytes(document.pdf)


# --- settings and templates -------------------------------------------------------------------
@transaction.atomic
def document_settings_update(*, actor, allow_external_ai: bool, footer_text: str = "", logo: bytes | None = None, logo_content_type: str = "", remove_logo: bool = False) -> DocumentSettings:
    if not can_manage_document_settings(actor):
        raise Forbidden("Seul un administrateur règle les documents.", code="documents_settings_forbidden")
    row = document_settings()
    row = DocumentSettings.objects.select_for_update().get(pk=row.pk)
    row.allow_external_ai, row.footer_text = bool(allow_external_ai), (footer_text or "").strip()[:300]
    if remove_logo:
        row.logo, row.logo_content_type = b"", ""
    elif logo:
        from organisations.profile.services import logo_check

        # the type read from the image itself (the logo is also served on the public page)
        row.logo, row.logo_content_type = logo, logo_check(logo)
    row.save()
    audit_event_record(action="documents.settings_updated", actor=actor, target=row, details={"allow_external_ai": row.allow_external_ai})
    return row


@transaction.atomic
def document_template_save(*, actor, doc_type: str, html: str) -> DocumentTemplate:
    if not can_manage_document_settings(actor):
        raise Forbidden("Seul un administrateur modifie les modèles.", code="documents_settings_forbidden")
    if doc_type not in TYPES:
        raise InvalidInput("Type de document inconnu.", code="invalid_document_type")
    unknown = unknown_variables(html)
    if unknown:
        raise InvalidInput("Variables inconnues : " + ", ".join(unknown) + ".", code="template_unknown_variable")
    clean = sanitise_template(html)
    if "{{ contenu }}" not in clean and "{{contenu}}" not in clean.replace(" ", ""):
        raise InvalidInput("Le modèle doit contenir la variable {{ contenu }}.", code="template_missing_content")
    template, _ = DocumentTemplate.objects.update_or_create(doc_type=doc_type, defaults={"html": clean, "updated_by": actor})
    audit_event_record(action="documents.template_saved", actor=actor, target=template, details={"doc_type": doc_type})
    return template


@transaction.atomic
def document_template_reset(*, actor, doc_type: str) -> None:
    if not can_manage_document_settings(actor):
        raise Forbidden("Seul un administrateur modifie les modèles.", code="documents_settings_forbidden")
    DocumentTemplate.objects.filter(doc_type=doc_type).delete()
    audit_event_record(action="documents.template_reset", actor=actor, details={"doc_type": doc_type})


# --- electronic signature (ES-04) ---------------------------------------------------------------
# Who signs which document: a tripartite convention (employer-funded bilan, CT-14) the
# beneficiary, the employer and the organisation; a self-funded person's contract (CT-17) the
# beneficiary and the organisation; any other signable document the beneficiary.
SIGNATURE_PARTIES = {
    "convention": ("beneficiary", "employer", "organisation"),
    "contract": ("beneficiary", "organisation"),
}
# The bilan's convention each signable document stands for (bilans.models.Convention.Kind).
CONVENTION_KINDS = {"convention": "tripartite", "contract": "contract"}
SIGNATURE_LINK_TTL = timedelta(days=10)  # the employee's 10 days to sign a convention (CT-15)


def signature_parties(doc_type: str) -> tuple[str, ...]:
    return SIGNATURE_PARTIES.get(doc_type, ("beneficiary",))


def _code_hash(request_id, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{request_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _ensure_signable(document: Document) -> None:
    if not TYPES[document.doc_type].signable:
        raise Conflict("Ce document ne se signe pas.", code="document_not_signable")
    if document.is_destroyed:
        raise Conflict("Ce document a été détruit à la fin du bilan.", code="document_destroyed")
    if document.status != Document.Status.PUBLISHED:
        raise Conflict("Seul un document publié peut être signé.", code="document_not_published")


def _live_envelope(document: Document, *, lock: bool = False) -> SignatureEnvelope | None:
    qs = SignatureEnvelope.objects.filter(document=document).exclude(status=SignatureEnvelope.Status.CANCELLED)
    return (qs.select_for_update() if lock else qs).first()


def _organisation_name() -> str:
    from bilans.documents.selectors import current_organisation

    return getattr(current_organisation(), "name", "") or ""


def _create_envelope(*, actor, document: Document, ordered: bool, employer_name: str = "", employer_email: str = "") -> SignatureEnvelope:
    parties = signature_parties(document.doc_type)
    beneficiary = document.bilan.beneficiary
    if beneficiary.user_id is None:
        raise Conflict("Le bénéficiaire n'a pas encore de compte : il ne peut pas signer en ligne.", code="beneficiary_without_account")
    envelope = SignatureEnvelope.objects.create(document=document, ordered=ordered, created_by=actor, sha256_before=document.pdf_sha256)
    for position, party in enumerate(parties, start=1):
        request = SignatureRequest(document=document, envelope=envelope, party=party, position=position)
        if party == SignatureRequest.Party.BENEFICIARY:
            user = beneficiary.user
            request.signer, request.signer_name, request.signer_email = user, user.get_full_name() or beneficiary.full_name, user.email
            request.signer_capacity = "Bénéficiaire du bilan"
        elif party == SignatureRequest.Party.EMPLOYER:
            request.signer_name, request.signer_email = employer_name, employer_email
            employer = getattr(beneficiary, "employer_name", "") or ""
            request.signer_capacity = f"Pour l'employeur {employer}".strip() if employer else "Pour l'employeur"
        else:
            request.signer_capacity = f"Pour l'organisme {_organisation_name()}".strip()
        request.save()
    audit_event_record(
        action="signature.started", actor=actor, target=document,
        details={"envelope_id": str(envelope.pk), "parties": list(parties), "ordered": ordered},
    )
    _invite_next(envelope)
    return envelope


def _turn_has_come(request: SignatureRequest) -> bool:
    envelope = request.envelope
    if envelope is None or not envelope.ordered:
        return True
    return not envelope.requests.filter(position__lt=request.position, status=SignatureRequest.Status.PENDING).exists()


def _invite_next(envelope: SignatureEnvelope) -> None:
    """Tell every party whose turn has come (all of them when unordered) that the document awaits
    their signature: the beneficiary and the organisation in the app, the employer by a
    single-use link sent by e-mail."""
    document = envelope.document
    label = TYPES[document.doc_type].label
    now = timezone.now()
    for request in envelope.requests.filter(status=SignatureRequest.Status.PENDING, invited_at__isnull=True).order_by("position"):
        if not _turn_has_come(request):
            continue
        request.invited_at = now
        if request.party == SignatureRequest.Party.EMPLOYER:
            token = secrets.token_urlsafe(32)
            request.token_hash, request.link_expires_at, request.link_used_at = _token_hash(token), now + SIGNATURE_LINK_TTL, None
            request.save(update_fields=["invited_at", "token_hash", "link_expires_at", "link_used_at"])
            audit_event_record(action="signature.link_sent", target=document, details={"signature_id": str(request.pk), "party": request.party})
            from bilans.documents.tasks import send_signature_link

            enqueue_on_commit(send_signature_link, str(request.pk), token)
            continue
        request.save(update_fields=["invited_at"])
        if request.party == SignatureRequest.Party.BENEFICIARY and request.signer is not None and request.signer_id != envelope.created_by_id:
            notification_create(recipient=request.signer, kind="document_to_sign", title=f"Document à signer : {label}", url=_url(document), email=True)
        elif request.party == SignatureRequest.Party.ORGANISATION:
            consultant = document.bilan.consultant or document.bilan.beneficiary.consultant
            if consultant is not None:
                notification_create(recipient=consultant, kind="document_to_sign", title=f"À signer pour l'organisme : {label}", url=_url(document))


@transaction.atomic
def signature_start(*, actor, document: Document, ordered: bool = False, employer_name: str = "", employer_email: str = "") -> SignatureEnvelope:
    """The consultant or an administrator asks every required party to sign a published
    document (for a convention: the beneficiary, the employer's representative and the
    organisation). The employer receives a single-use link by e-mail."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    ensure_can_manage_documents(actor, document.bilan)
    document = Document.objects.select_for_update(of=("self",)).select_related("bilan__beneficiary__user", "bilan__consultant").get(pk=document.pk)
    _ensure_signable(document)
    if _live_envelope(document) is not None:
        raise Conflict("La signature de ce document est déjà lancée.", code="signature_already_started")
    beneficiary = document.bilan.beneficiary
    if SignatureRequest.Party.EMPLOYER in signature_parties(document.doc_type):
        employer_name = (employer_name or getattr(beneficiary, "employer_contact_name", "") or "").strip()[:300]
        employer_email = (employer_email or getattr(beneficiary, "employer_contact_email", "") or "").strip().lower()
        if not employer_name or not employer_email:
            raise InvalidInput("Indiquez le nom et l'e-mail du signataire pour l'employeur.", code="employer_signatory_required")
        try:
            validate_email(employer_email)
        except ValidationError:
            raise InvalidInput("L'adresse e-mail du signataire pour l'employeur n'est pas valide.", code="invalid_email") from None
    return _create_envelope(actor=actor, document=document, ordered=bool(ordered), employer_name=employer_name, employer_email=employer_email)


def _party_request(*, document: Document, party: str, lock: bool = False) -> SignatureRequest | None:
    envelope = _live_envelope(document)
    if envelope is None:
        return None
    qs = SignatureRequest.objects.filter(envelope=envelope, party=party).exclude(status=SignatureRequest.Status.CANCELLED)
    return (qs.select_for_update(of=("self",)) if lock else qs).select_related("envelope", "document").first()


def _send_code(request: SignatureRequest, *, actor) -> SignatureRequest:
    """A fresh one-time code for this party (the previous one stops working), at most
    ``SIGNATURE_MAX_CODES_PER_HOUR`` an hour."""
    if request.status != SignatureRequest.Status.PENDING:
        raise Conflict("Vous avez déjà signé ce document.", code="already_signed")
    if not _turn_has_come(request):
        raise Conflict("Ce n'est pas encore votre tour : les signataires précédents doivent d'abord signer.", code="signature_not_your_turn")
    now = timezone.now()
    if request.codes_window_started_at is None or request.codes_window_started_at <= now - timedelta(hours=1):
        request.codes_window_started_at, request.codes_sent = now, 0
    if request.codes_sent >= SIGNATURE_MAX_CODES_PER_HOUR:
        raise Conflict("Trop de codes demandés. Réessayez dans une heure.", code="signature_too_many_codes")
    code = f"{secrets.randbelow(10**6):06d}"
    request.codes_sent += 1
    request.code_hash, request.code_sent_at, request.code_expires_at = _code_hash(request.pk, code), now, now + SIGNATURE_CODE_TTL
    request.failed_attempts = 0
    request.save()
    audit_event_record(action="signature.code_sent", actor=actor, target=request.document, details={"signature_id": str(request.pk), "party": request.party})
    from bilans.documents.tasks import send_signature_code

    enqueue_on_commit(send_signature_code, str(request.pk), code)
    return request


def _check_code_and_sign(request: SignatureRequest, *, actor, code: str, consent: bool, ip: str | None, user_agent: str) -> InvalidInput | None:
    """Inside a transaction holding the request's lock. Returns the error to raise after commit
    (a wrong code is counted), or None when the signature is recorded."""
    if request.status != SignatureRequest.Status.PENDING:
        raise Conflict("Vous avez déjà signé ce document.", code="already_signed")
    if not request.code_hash:
        raise Conflict("Demandez d'abord un code de signature.", code="signature_no_code")
    if not consent:
        raise InvalidInput("Cochez la case pour confirmer que vous approuvez le document.", code="signature_consent_required")
    if request.code_expires_at <= timezone.now():
        raise Conflict("Ce code a expiré. Demandez-en un nouveau.", code="signature_code_expired")
    if request.failed_attempts >= SIGNATURE_MAX_ATTEMPTS:
        raise Conflict("Trop d'essais. Demandez un nouveau code.", code="signature_too_many_attempts")
    if not _turn_has_come(request):
        raise Conflict("Ce n'est pas encore votre tour : les signataires précédents doivent d'abord signer.", code="signature_not_your_turn")
    if not hmac.compare_digest(request.code_hash, _code_hash(request.pk, (code or "").strip())):
        request.failed_attempts += 1
        request.save(update_fields=["failed_attempts"])
        audit_event_record(action="signature.code_rejected", actor=actor, target=request.document, details={"signature_id": str(request.pk), "party": request.party})
        return InvalidInput("Code incorrect. Vérifiez le code reçu par e-mail.", code="signature_code_invalid")
    document = request.document
    pdf = open_bytes(document.pdf)
    now = timezone.now()
    request.status, request.signed_at = SignatureRequest.Status.SIGNED, now
    request.ip_address, request.user_agent = ip or None, (user_agent or "")[:500]
    request.sha256_before, request.consent_text = sha256(pdf), SIGNATURE_CONSENT_TEXT
    request.code_hash = ""  # a code is used once
    if request.party == SignatureRequest.Party.EMPLOYER:
        request.link_used_at = now  # the link is single-use
    request.save()
    audit_event_record(
        action="signature.signed", actor=actor, target=document,
        details={"signature_id": str(request.pk), "envelope_id": str(request.envelope_id), "party": request.party,
                 "signed_at": now.isoformat(), "ip": request.ip_address, "sha256_before": request.sha256_before},
    )
    _report_on_convention(request, actor=actor)
    _after_signature(request.envelope)
    return None


def _report_on_convention(request: SignatureRequest, *, actor) -> None:
    """A party signing the generated convention (CT-14) or contract (CT-17) signs the bilan's
    convention too: the signature is reported, in the same transaction, on the bilan's
    convention of the matching kind waiting for signatures, so nobody records it twice. No
    such convention: nothing to report. A convention that refuses it (expired, changed) keeps
    its status and says so in the audit trail; the document's signature goes on."""
    kind = CONVENTION_KINDS.get(request.document.doc_type)
    if kind is None:
        return
    from bilans.selectors import convention_awaiting_signature
    from bilans.services import convention_record_electronic_signature

    convention = convention_awaiting_signature(bilan_id=request.document.bilan_id, kind=kind)
    if convention is None:
        return
    convention_record_electronic_signature(
        convention=convention, party=request.party, signed_at=request.signed_at, ip=request.ip_address,
        signatory=request.signer_name if request.party == SignatureRequest.Party.EMPLOYER else "",
        actor=actor, signature_id=str(request.pk),
    )


def _after_signature(envelope: SignatureEnvelope) -> None:
    envelope = SignatureEnvelope.objects.select_for_update().get(pk=envelope.pk)
    if envelope.requests.exclude(status=SignatureRequest.Status.CANCELLED).exclude(status=SignatureRequest.Status.SIGNED).exists():
        _invite_next(envelope)
        return
    envelope.status, envelope.completed_at = SignatureEnvelope.Status.SIGNED, timezone.now()
    envelope.save(update_fields=["status", "completed_at"])
    audit_event_record(action="signature.completed", target=envelope.document, details={"envelope_id": str(envelope.pk)})
    from bilans.documents.tasks import seal_signature

    enqueue_on_commit(seal_signature, str(envelope.pk))


def _account_party(signer, document: Document, party: str) -> str:
    if party == SignatureRequest.Party.BENEFICIARY:
        if not can_sign_document(signer, document):
            raise NotFound("Document introuvable.", code="document_not_found")
    elif party == SignatureRequest.Party.ORGANISATION:
        ensure_can_manage_documents(signer, document.bilan)
    else:
        raise InvalidInput("Signataire inconnu.", code="invalid_party")
    return party


@transaction.atomic
def signature_request_code(*, signer, document: Document, party: str = "beneficiary") -> SignatureRequest:
    """Send a one-time code by e-mail to a signer with an account: the beneficiary (from their
    space) or, for the organisation, an administrator or the bilan's consultant."""
    _account_party(signer, document, party)
    document = Document.objects.select_for_update(of=("self",)).select_related("bilan__beneficiary__user").get(pk=document.pk)
    _ensure_signable(document)
    if party == SignatureRequest.Party.BENEFICIARY and _live_envelope(document) is None:
        if len(signature_parties(document.doc_type)) > 1:
            raise Conflict("La signature de ce document n'a pas encore été lancée par votre consultant.", code="signature_not_started")
        _create_envelope(actor=signer, document=document, ordered=False)
    request = _party_request(document=document, party=party, lock=True)
    if request is None:
        raise Conflict("La signature de ce document n'a pas encore été lancée.", code="signature_not_started")
    if party == SignatureRequest.Party.ORGANISATION and request.status == SignatureRequest.Status.PENDING:
        if document.signatures.filter(signer=signer, status__in=[SignatureRequest.Status.SIGNED, SignatureRequest.Status.SEALED]).exists():
            raise Conflict("Vous avez déjà signé ce document à un autre titre.", code="already_signed")
        request.signer, request.signer_name, request.signer_email = signer, signer.get_full_name() or signer.email, signer.email
    return _send_code(request, actor=signer)


def signature_confirm(*, signer, document: Document, code: str, consent: bool, ip: str | None, user_agent: str, party: str = "beneficiary") -> SignatureRequest:
    """Check the code and the explicit consent, record the audit trail (identity, time, IP, user
    agent, SHA-256 of the document); once every party signed, seal in a job."""
    _account_party(signer, document, party)
    with transaction.atomic():
        request = _party_request(document=document, party=party, lock=True)
        if request is None:
            raise Conflict("Demandez d'abord un code de signature.", code="signature_no_code")
        if request.signer_id != signer.pk and request.status == SignatureRequest.Status.PENDING:
            raise Conflict("Demandez d'abord un code de signature.", code="signature_no_code")
        error = _check_code_and_sign(request, actor=signer, code=code, consent=consent, ip=ip, user_agent=user_agent)
    if error is not None:
        raise error
    return request


# The employer's single-use link ---------------------------------------------------------------
def signature_link_request(token: str) -> SignatureRequest:
    """The employer's request behind a link: refused when unknown, used or expired."""
    request = (
        SignatureRequest.objects.select_related("document", "document__bilan__beneficiary", "envelope")
        .filter(token_hash=_token_hash(token), party=SignatureRequest.Party.EMPLOYER)
        .first()
        if token else None
    )
    if request is None or request.status == SignatureRequest.Status.CANCELLED:
        raise NotFound("Ce lien de signature n'est pas valide.", code="signature_link_invalid")
    if request.link_used_at is not None or request.status != SignatureRequest.Status.PENDING:
        raise Conflict("Ce lien a déjà été utilisé : le document est signé de votre part.", code="signature_link_used")
    if request.link_expires_at is None or request.link_expires_at <= timezone.now():
        raise Conflict("Ce lien a expiré. Demandez à l'organisme de vous en envoyer un nouveau.", code="signature_link_expired")
    if request.document.is_destroyed:
        raise Conflict("Ce document a été détruit.", code="document_destroyed")
    return request


@transaction.atomic
def signature_link_request_code(*, token: str) -> SignatureRequest:
    request = signature_link_request(token)
    request = SignatureRequest.objects.select_for_update(of=("self",)).select_related("document", "envelope").get(pk=request.pk)
    return _send_code(request, actor=None)


def signature_link_confirm(*, token: str, code: str, consent: bool, ip: str | None, user_agent: str) -> SignatureRequest:
    """The employer's signature through the single-use link and the one-time code."""
    request = signature_link_request(token)
    with transaction.atomic():
        request = SignatureRequest.objects.select_for_update(of=("self",)).select_related("document", "envelope").get(pk=request.pk)
        signature_link_request(token)  # re-checked under the lock: the link is single-use
        error = _check_code_and_sign(request, actor=None, code=code, consent=consent, ip=ip, user_agent=user_agent)
    if error is not None:
        raise error
    return request


@transaction.atomic
def signature_link_resend(*, actor, document: Document) -> SignatureRequest:
    """A new single-use link for the employer (the previous one stops working)."""
    ensure_can_manage_documents(actor, document.bilan)
    request = _party_request(document=document, party=SignatureRequest.Party.EMPLOYER, lock=True)
    if request is None or request.status != SignatureRequest.Status.PENDING:
        raise Conflict("Aucune signature de l'employeur n'est attendue.", code="no_employer_signature_pending")
    if not _turn_has_come(request):
        raise Conflict("Ce n'est pas encore le tour de l'employeur.", code="signature_not_your_turn")
    request.invited_at = None
    request.save(update_fields=["invited_at"])
    _invite_next(request.envelope)
    return SignatureRequest.objects.get(pk=request.pk)


def signature_seal(*, envelope_id) -> SignatureEnvelope | None:
    """Body of the sealing job: append the proof sheet listing every signer, seal the whole file
    once with PAdES (pyHanko), store it."""
    from pypdf import PdfReader, PdfWriter

    envelope = SignatureEnvelope.objects.select_related("document", "document__bilan__beneficiary").filter(pk=envelope_id).first()
    if envelope is None or envelope.status != SignatureEnvelope.Status.SIGNED:
        return envelope
    document = envelope.document
    requests = list(envelope.requests.filter(status=SignatureRequest.Status.SIGNED).order_by("position"))
    original = open_bytes(document.pdf)
    proof = rendering.proof_sheet_pdf(
        {"envelope": envelope, "requests": requests, "document": document, "doc_label": TYPES[document.doc_type].label, "sha256_before": sha256(original)}
    )
    writer = PdfWriter()
    for part in (original, proof):
        for page in PdfReader(io.BytesIO(part)).pages:
            writer.add_page(page)
    writer.add_metadata({"/Title": document.title, "/Producer": settings.PLATFORM_NAME})
    merged = io.BytesIO()
    writer.write(merged)
    names = ", ".join(r.signer_name for r in requests)
    sealed = signing.seal(merged.getvalue(), reason=f"Signature électronique simple de {names}", contact=requests[0].signer_email if requests else "")
    with transaction.atomic():
        envelope = SignatureEnvelope.objects.select_for_update().get(pk=envelope.pk)
        if envelope.status != SignatureEnvelope.Status.SIGNED:
            return envelope
        now, digest = timezone.now(), sha256(sealed)
        envelope.signed_pdf, envelope.sha256_after = seal_bytes(sealed), digest
        envelope.status, envelope.sealed_at = SignatureEnvelope.Status.SEALED, now
        envelope.save()
        envelope.requests.filter(status=SignatureRequest.Status.SIGNED).update(status=SignatureRequest.Status.SEALED, sha256_after=digest, sealed_at=now)
        audit_event_record(
            action="signature.sealed", target=document,
            details={"envelope_id": str(envelope.pk), "signatures": [str(r.pk) for r in requests], "sha256_after": digest},
        )
        title = f"Document signé : {TYPES[document.doc_type].label}"
        consultant = document.bilan.consultant or document.bilan.beneficiary.consultant
        if consultant is not None:
            notification_create(recipient=consultant, kind="document_signed", title=title, url=_url(document))
        if len(requests) > 1:
            beneficiary_user = document.bilan.beneficiary.user
            if beneficiary_user is not None and beneficiary_user.is_active:
                notification_create(recipient=beneficiary_user, kind="document_signed", title=title, url=_url(document), email=True)
            employer = next((r for r in requests if r.party == SignatureRequest.Party.EMPLOYER), None)
            if employer is not None:
                from bilans.documents.tasks import send_signed_copy

                enqueue_on_commit(send_signed_copy, str(employer.pk))
    return envelope


def sealed_envelope(document: Document) -> SignatureEnvelope | None:
    return SignatureEnvelope.objects.filter(document=document, status=SignatureEnvelope.Status.SEALED).order_by("-sealed_at").first()


def signed_pdf(envelope: SignatureEnvelope) -> bytes:
    if envelope.document.is_destroyed:
        raise NotFound("Ce document a été détruit à la fin du bilan (article R6313-7).", code="document_destroyed")
    return open_bytes(envelope.signed_pdf)


def verify_upload_read(upload) -> bytes:
    """The bytes of a file sent for verification, refused above VERIFY_UPLOAD_MAX_BYTES (anyone can
    send one: a large upload costs memory and time for nothing, the PDFs we issue are small)."""
    if upload.size > settings.VERIFY_UPLOAD_MAX_BYTES:
        limit = settings.VERIFY_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(f"Le fichier dépasse {limit} Mo : les PDF émis par la plateforme sont bien plus petits.", code="file_too_large")
    return upload.read()


def document_verify(*, pdf: bytes) -> dict:
    """Integrity of any PDF: a sealed one (signature intact, made with our certificate, covering
    the whole file) and whether this organisation issued it (hash match): a signed document
    (with every signer), a sealed record (attendance sheet, consent) or a published document."""
    from bilans.documents.selectors import sealed_record_by_hash, signature_by_hash

    if not pdf:
        raise InvalidInput("Déposez un fichier PDF.", code="file_required")
    digest = sha256(pdf)
    result = signing.verify(pdf)
    result["sha256"] = digest
    envelope = signature_by_hash(digest)
    record = sealed_record_by_hash(digest) if envelope is None else None
    result["known"] = envelope is not None or record is not None
    if envelope is not None:
        signers = [
            {"name": r.signer_name, "party": r.get_party_display(), "signed_at": r.signed_at.isoformat() if r.signed_at else None}
            for r in envelope.requests.filter(status=SignatureRequest.Status.SEALED).order_by("position")
        ]
        result["document"] = {
            "title": envelope.document.title, "signer": ", ".join(s["name"] for s in signers), "signers": signers,
            "signed_at": envelope.completed_at.isoformat() if envelope.completed_at else None,
        }
    elif record is not None:
        result["document"] = {"title": record.title, "signer": "", "signers": [], "signed_at": record.created_at.isoformat()}
    else:
        published = Document.objects.filter(pdf_sha256=digest, status=Document.Status.PUBLISHED).first()
        if published is not None:
            result["known"] = True
            result["document"] = {"title": published.title, "signer": "", "signers": [], "signed_at": None}
            result["ok"] = True  # an unsigned copy identical to the published one
    return result


# --- sealed records: attendance sheet (CPF-07) and consent (CT-04) --------------------------------
def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M:%S") if moment else ""


def _minutes(value: int) -> str:
    hours, minutes = divmod(int(value or 0), 60)
    return f"{hours} h {minutes:02d}" if hours else f"{minutes} min"


def _attendance_context(bilan) -> dict:
    from bilans.models import Session

    sessions = list(bilan.sessions.filter(attendance=Session.Attendance.ATTENDED).order_by("starts_at"))
    rows = [
        {
            "session_id": str(s.pk),
            "date": _local(s.starts_at)[:-3],
            "title": s.get_interview_type_display() if s.interview_type else s.get_kind_display(),
            "modality": s.get_modality_display(),
            "duration": _minutes(s.duration_minutes),
            "confirmed_at": _local(s.beneficiary_confirmed_at),
            "ip": s.beneficiary_confirmed_ip or "",
        }
        for s in sessions
    ]
    consultant = bilan.consultant or bilan.beneficiary.consultant
    confirmed = [s for s in sessions if s.beneficiary_confirmed_at]
    return {
        "beneficiary": bilan.beneficiary.full_name,
        "consultant": consultant.get_full_name() if consultant else "",
        "bilan_id": str(bilan.pk),
        "rows": rows,
        "total": _minutes(sum(s.duration_minutes for s in sessions)),
        "confirmed": _minutes(sum(s.duration_minutes for s in confirmed)),
    }


def _consent_context(bilan) -> dict:
    rows = [
        {
            "consent_id": str(c.pk),
            "kind": c.get_kind_display(),
            "given_at": _local(c.given_at),
            "method": c.get_method_display(),
            "recorded_by": (c.recorded_by.get_full_name() or c.recorded_by.email) if c.recorded_by_id else "",
            "information_version": c.information_document_version,
            "withdrawn_at": _local(c.withdrawn_at),
        }
        for c in bilan.consents.select_related("recorded_by").order_by("given_at")
    ]
    return {
        "beneficiary": bilan.beneficiary.full_name,
        "bilan_id": str(bilan.pk),
        "information_delivered_at": _local(getattr(bilan, "information_delivered_at", None)),
        "rows": rows,
    }


SEALED_RECORDS = {
    SealedRecord.Kind.ATTENDANCE: ("documents/pdf/attendance.html", _attendance_context, "Feuille d'émargement", "CPF-07"),
    SealedRecord.Kind.CONSENT: ("documents/pdf/consent_record.html", _consent_context, "Attestation de consentement", "CT-04"),
}


def _sealed_record_produce(*, bilan_id, kind: str, actor=None) -> SealedRecord | None:
    """Render the record from the bilan's facts, seal it (PAdES) and keep it; nothing new when
    the facts did not change since the last sealed copy. Runs in a job (xhtml2pdf)."""
    import json

    from django.template.loader import render_to_string

    from bilans.models import Bilan
    from bilans.documents.pdf import html_to_pdf, layout_html

    bilan = Bilan.objects.select_related("beneficiary", "beneficiary__consultant", "consultant").filter(pk=bilan_id).first()
    if bilan is None:
        return None
    template, build, label, requirement = SEALED_RECORDS[kind]
    facts = build(bilan)
    digest = sha256(json.dumps(facts, sort_keys=True, ensure_ascii=False).encode())
    existing = SealedRecord.objects.filter(bilan=bilan, kind=kind, content_digest=digest).first()
    if existing is not None:
        return existing
    title = f"{label} – {bilan.beneficiary.full_name}"[:200]
    brand = rendering.branding()
    body = render_to_string(template, {**facts, "issued_at": _local(timezone.now()), "platform": settings.PLATFORM_NAME})
    pdf, pages, _ = html_to_pdf(layout_html(body_html=body, branding=brand, title=title))
    sealed = signing.seal(pdf, reason=f"{label} ({requirement}) scellée par {brand['name'] or settings.PLATFORM_NAME}")
    with transaction.atomic():
        record, created = SealedRecord.objects.get_or_create(
            bilan=bilan, kind=kind, content_digest=digest,
            defaults={"title": title, "pdf": seal_bytes(sealed), "sha256": sha256(sealed), "pages": pages, "created_by": actor},
        )
        if created:
            audit_event_record(
                action="attendance_sheet.sealed" if kind == SealedRecord.Kind.ATTENDANCE else "consent_record.sealed", actor=actor, target=record,
                details={"bilan_id": str(bilan.pk), "sha256": record.sha256, "rows": len(facts["rows"])},
            )
    return record


def attendance_sheet_seal(*, bilan_id, actor=None) -> SealedRecord | None:
    """CPF-07: the bilan's attendance sheet (sessions held, with the beneficiary's émargement)."""
    return _sealed_record_produce(bilan_id=bilan_id, kind=SealedRecord.Kind.ATTENDANCE, actor=actor)


def consent_record_seal(*, bilan_id, actor=None) -> SealedRecord | None:
    """CT-04: the record of the beneficiary's consent (time and method, withdrawal)."""
    return _sealed_record_produce(bilan_id=bilan_id, kind=SealedRecord.Kind.CONSENT, actor=actor)


def attendance_sheet_schedule(*, bilan) -> None:
    """Called where an émargement is recorded: a new sealed sheet is produced after commit."""
    from bilans.documents.tasks import seal_attendance_sheet

    enqueue_on_commit(seal_attendance_sheet, str(bilan.pk))


def consent_record_schedule(*, bilan) -> None:
    """Called where a consent is recorded or withdrawn: a new sealed record after commit."""
    from bilans.documents.tasks import seal_consent_record

    enqueue_on_commit(seal_consent_record, str(bilan.pk))


def _ensure_can_view_records(user, bilan) -> None:
    from organisations.permissions import can_manage_documents, is_bilan_beneficiary

    if not (can_manage_documents(user, bilan) or is_bilan_beneficiary(user, bilan)):
        raise NotFound("Bilan introuvable.", code="bilan_not_found")


@transaction.atomic
def sealed_record_refresh(*, actor, bilan, kind: str) -> None:
    """Ask for an up-to-date sealed copy (consultant, administrator)."""
    ensure_can_manage_documents(actor, bilan)
    if kind not in SEALED_RECORDS:
        raise InvalidInput("Type de pièce inconnu.", code="invalid_record_kind")
    audit_event_record(action="sealed_record.requested", actor=actor, target=bilan, details={"bilan_id": str(bilan.pk), "kind": kind})
    (attendance_sheet_schedule if kind == SealedRecord.Kind.ATTENDANCE else consent_record_schedule)(bilan=bilan)


def sealed_record_pdf(*, user, bilan, kind: str) -> tuple[SealedRecord, bytes]:
    """The latest sealed copy, for the consultant, an administrator or the beneficiary."""
    from bilans.documents.selectors import sealed_record_latest

    _ensure_can_view_records(user, bilan)
    record = sealed_record_latest(bilan, kind)
    if record is None:
        label = SEALED_RECORDS[kind][2] if kind in SEALED_RECORDS else "Cette pièce"
        raise NotFound(f"{label} n'a pas encore été produite : elle l'est à chaque émargement ou consentement enregistré.", code="sealed_record_not_ready")
    return record, open_bytes(record.pdf)


# --- retention (CT-09, RG-02) -------------------------------------------------------------------
# Documents produced for the bilan and destroyed at its end (R6313-7). Conventions, contracts,
# consent, information, schedule and the certificate are the organisation's records of the
# service (funders' audits, Qualiopi); satisfaction questionnaires and the follow-up report
# belong to the follow-up after the end.
WORKING_TYPES = ("questionnaire", "career_path_analysis", "results_interpretation", "career_options", "synthesis", "action_plan")
ENDED_STATUSES = ("finished", "follow_up_done", "closed", "abandoned")


@transaction.atomic
def document_retain(
    *,
    actor,
    document: Document,
    keep_until: date | None,
    method: str = "",
    follow_up_need: str = "",
    agreement_reference: str = "",
    agreement_date: date | None = None,
    now: datetime | None = None,
) -> Document:
    """CT-09 (b): record the beneficiary's *written* agreement to keep a working document after
    the end of the bilan, for their follow-up, until ``keep_until`` (at most 3 years after the
    end). Same rules as the bilan's working files (``bilans.services.bilan_file_agree_retention``):
    the consultant or an administrator records how the written agreement was obtained
    (``signed_paper`` or ``email``, never oral) with that written document's reference and date,
    and the follow-up need it is based on; the beneficiary may also agree online from their
    space for a document published to them (method ``online``, reference and date of that online
    agreement). Anything missing is refused."""
    from bilans.services import retention_method_ensure_written, retention_terms_ensure_complete
    from organisations.permissions import is_bilan_beneficiary

    moment = now or timezone.now()
    today = timezone.localdate(moment)
    document = Document.objects.select_for_update(of=("self",)).select_related("bilan", "bilan__beneficiary", "bilan__consultant").get(pk=document.pk)
    by_beneficiary = is_bilan_beneficiary(actor, document.bilan)
    if by_beneficiary:
        if not document.is_published or document.is_destroyed:
            raise NotFound("Document introuvable.", code="document_not_found")
        method = RetentionMethod.ONLINE
        agreement_reference = f"Accord en ligne du bénéficiaire depuis son espace, le {timezone.localtime(moment):%d/%m/%Y à %H:%M}"
        agreement_date = today
    else:
        ensure_can_manage_documents(actor, document.bilan)
        retention_method_ensure_written(method)
    if document.doc_type not in WORKING_TYPES:
        raise InvalidInput("Seuls les documents de travail ont besoin d'un accord de conservation.", code="retention_not_needed")
    if document.is_destroyed:
        raise Conflict("Ce document a déjà été détruit.", code="document_destroyed")
    follow_up_need, agreement_reference = retention_terms_ensure_complete(
        follow_up_need=follow_up_need, agreement_reference=agreement_reference, agreement_date=agreement_date,
        keep_until=keep_until, ended_on=timezone.localdate(document.bilan.ended_at or moment), today=today,
    )
    document.retention_agreed_at, document.retained_until = moment, keep_until
    document.retention_method, document.retention_follow_up_need = method, follow_up_need
    document.retention_agreement_reference, document.retention_agreement_date = agreement_reference, agreement_date
    document.retention_recorded_by = actor
    document.save(update_fields=[
        "retention_agreed_at", "retained_until", "retention_method", "retention_follow_up_need", "retention_agreement_reference",
        "retention_agreement_date", "retention_recorded_by", "updated_at",
    ])
    audit_event_record(
        action="document.retention_agreed", actor=actor, target=document,
        details={"bilan_id": str(document.bilan_id), "until": keep_until.isoformat(), "method": method, "agreement_date": agreement_date.isoformat()},
    )
    if by_beneficiary and document.bilan.consultant_id:
        notification_create(
            recipient=document.bilan.consultant, kind="document", title="Un bénéficiaire accepte la conservation d'un document pour son suivi",
            url=_url(document),
        )
    return document


def documents_retention_purge(*, now=None) -> int:
    """Destroy the content of working documents of ended bilans (PDFs, versions, signed copies),
    keeping a row that says what was destroyed, when and why. Idempotent; called by the bilans
    retention job (``bilans.services.register_retention_handler``)."""
    from django.db.models import Q

    moment = now or timezone.now()
    today = timezone.localdate(moment)
    due = (
        Document.objects.filter(
            doc_type__in=WORKING_TYPES, destroyed_at__isnull=True, bilan__status__in=ENDED_STATUSES, bilan__ended_at__lte=moment
        )
        .filter(Q(retained_until__isnull=True) | Q(retained_until__lte=today))
        .values_list("pk", flat=True)
    )
    destroyed = 0
    for document_id in list(due):
        with transaction.atomic():
            document = Document.objects.select_for_update(skip_locked=True).filter(pk=document_id, destroyed_at__isnull=True).first()
            if document is None:
                continue
            reason = "fin de la durée de conservation convenue par écrit (R6313-7)" if document.retained_until else "fin du bilan (R6313-7)"
            document.versions.update(content_html="", structured=None)
            document.signatures.update(signed_pdf=b"")
            document.envelopes.update(signed_pdf=b"")
            document.pdf, document.data_snapshot, document.charts, document.destroyed_at = b"", {}, [], moment
            document.save(update_fields=["pdf", "data_snapshot", "charts", "destroyed_at", "updated_at"])
            audit_event_record(
                action="document.destroyed", target=document,
                details={"bilan_id": str(document.bilan_id), "doc_type": document.doc_type, "reason": reason},
            )
            destroyed += 1
    return destroyed
