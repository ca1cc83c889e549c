"""Documents of a bilan (tenant schema).

A ``Document`` is one document type for one bilan. Its life: queued → generating → review
(a draft, version 1 written by the AI) ⇄ edited (each save a new ``DocumentVersion``) →
validated (one version locked, change against the AI draft measured and charged) → published
(the PDF is rendered and the beneficiary can see it) → optionally signed by every required party
(``SignatureEnvelope`` with one ``SignatureRequest`` per party, one sealed PDF). A draft in review
can be regenerated (a new AI version, the previous ones kept). A generation that fails goes to ``failed`` with its reason and can be retried.
A beneficiary only ever sees a published document and its validated version.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from ai.generation.doctypes import CHOICES as TYPE_CHOICES
from bilans.models import BilanFile

# CT-09 (b): the same written-agreement methods as the bilan's working files.
RetentionMethod = BilanFile.RetentionMethod


class DocumentSettings(models.Model):
    """One row per organisation schema: branding of documents and the external-AI switch."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    allow_external_ai = models.BooleanField(
        "autoriser un service d'IA externe",
        default=True,
        help_text="Décochez pour que vos documents soient toujours rédigés par le moteur intégré, sans aucun envoi de données hors de la plateforme.",
    )
    logo = models.BinaryField("logo", blank=True, default=b"")
    logo_content_type = models.CharField(max_length=40, blank=True)
    footer_text = models.CharField("mention complémentaire en pied de page", max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "réglages des documents"
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="document_settings_singleton")]


class DocumentTemplate(models.Model):
    """The organisation's HTML template for one document type (absent: the shipped default)."""

    doc_type = models.CharField("type de document", max_length=40, choices=TYPE_CHOICES, unique=True)
    html = models.TextField("modèle HTML")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "modèle de document"


class Document(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "En file d'attente"
        GENERATING = "generating", "Rédaction en cours"
        FAILED = "failed", "Échec de la rédaction"
        REVIEW = "review", "À relire"
        VALIDATED = "validated", "Validé (PDF en préparation)"
        PUBLISHED = "published", "Publié"

    class Change(models.TextChoices):
        NONE = "none", "Aucune modification"
        MINOR = "minor", "Modification mineure"
        MAJOR = "major", "Modification majeure"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField("type", max_length=40, choices=TYPE_CHOICES)
    title = models.CharField("titre", max_length=200)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.CharField("motif de l'échec", max_length=500, blank=True)
    due_on = models.DateField("échéance", null=True, blank=True)
    data_snapshot = models.JSONField("données utilisées", default=dict, blank=True)
    charts = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    validated_version = models.ForeignKey("DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    validated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    validated_at = models.DateTimeField(null=True, blank=True)
    change_level = models.CharField(max_length=10, choices=Change.choices, blank=True)
    change_ratio = models.FloatField(null=True, blank=True)
    validation_credits = models.PositiveIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # first time the beneficiary opened the published document in their space ("à lire" until then)
    beneficiary_opened_at = models.DateTimeField("ouvert par le bénéficiaire le", null=True, blank=True)
    pdf = models.BinaryField(default=b"", blank=True)  # encrypted at rest (config.crypto)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_pages = models.PositiveIntegerField(null=True, blank=True)
    pdf_render_ms = models.PositiveIntegerField(null=True, blank=True)
    # CT-09 / RG-02: working documents are destroyed at the end of the bilan, unless the
    # beneficiary agreed in writing to keep them (until retained_until, 3 years at most).
    # CT-09 (b): how the written agreement was obtained, the follow-up need it is based on, and
    # which written document (reference and date) carries it; or given online by the beneficiary.
    retained_until = models.DateField("conservé jusqu'au (accord écrit)", null=True, blank=True)
    retention_agreed_at = models.DateTimeField(null=True, blank=True)
    retention_method = models.CharField("accord écrit recueilli", max_length=20, choices=RetentionMethod.choices, blank=True)
    retention_follow_up_need = models.TextField("besoin de suivi justifiant la conservation", blank=True)
    retention_agreement_reference = models.CharField("référence de l'accord écrit", max_length=200, blank=True)
    retention_agreement_date = models.DateField("date de l'accord écrit", null=True, blank=True)
    retention_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["queued", "generating", "failed", "review", "validated", "published"]), name="document_status_valid"),
            models.CheckConstraint(condition=models.Q(change_level__in=["", "none", "minor", "major"]), name="document_change_level_valid"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["validated", "published"]) | models.Q(validated_version__isnull=False, validated_at__isnull=False),
                name="document_validated_has_version",
            ),
            models.CheckConstraint(condition=~models.Q(status="published") | models.Q(published_at__isnull=False), name="document_published_has_date"),
            # CT-09 (b): kept after the end only on a documented written agreement: how it was
            # obtained, the follow-up need, the written document's reference and date.
            # ``unspecified``: kept before these were recorded (set by migration only).
            models.CheckConstraint(
                condition=models.Q(retained_until__isnull=True, retention_agreed_at__isnull=True, retention_method="")
                | models.Q(retained_until__isnull=False, retention_method="unspecified")
                | (
                    models.Q(retained_until__isnull=False, retention_agreed_at__isnull=False, retention_method__in=["online", "signed_paper", "email"])
                    & ~models.Q(retention_follow_up_need="")
                    & ~models.Q(retention_agreement_reference="")
                    & models.Q(retention_agreement_date__isnull=False)
                ),
                name="document_retention_agreement_documented",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.VALIDATED, self.Status.PUBLISHED)

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.GENERATING)


class DocumentVersion(models.Model):
    """One saved state of a document's body. Version 1 is the AI draft (author null)."""

    class Source(models.TextChoices):
        AI = "ai", "Brouillon rédigé par l'IA"
        CONSULTANT = "consultant", "Modification du consultant"

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    source = models.CharField(max_length=20, choices=Source.choices)
    content_html = models.TextField()  # sanitised with nh3 before saving
    structured = models.JSONField(null=True, blank=True)  # the AI's structured output (version 1)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.CheckConstraint(condition=models.Q(source="ai") | models.Q(author__isnull=False), name="document_version_consultant_has_author"),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"


class GenerationRecord(models.Model):
    """What each generation used and cost (no prompt, no answer: those never leave the job)."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="generations")
    succeeded = models.BooleanField(default=False)
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=120, blank=True)
    prompt_version = models.CharField(max_length=20, blank=True)
    input_hash = models.CharField(max_length=64, blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    repaired = models.BooleanField(default=False)
    pseudonymised = models.BooleanField(default=False)
    error_code = models.CharField(max_length=40, blank=True)
    credits_charged = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class SignatureEnvelope(models.Model):
    """The signature of one published document by every required party (ES-04).

    A convention (CT-14) needs the beneficiary, the employer (funder's representative, without an
    account: a single-use e-mailed link and a one-time code) and the organisation (an
    administrator or the consultant); a contract (CT-17) the beneficiary and the organisation;
    other signable documents the beneficiary only. ``ordered``: each party signs after the
    previous ones. The document is signed only when every party signed; the PDF is then sealed
    once, with a proof sheet listing every signer."""

    class Status(models.TextChoices):
        OPEN = "open", "En cours de signature"
        SIGNED = "signed", "Signé par tous (scellement en cours)"
        SEALED = "sealed", "Signé par tous et scellé"
        CANCELLED = "cancelled", "Annulé"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="envelopes")
    ordered = models.BooleanField("signatures dans l'ordre", default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    sha256_before = models.CharField(max_length=64, blank=True)
    signed_pdf = models.BinaryField(default=b"", blank=True)  # encrypted at rest
    sha256_after = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["open", "signed", "sealed", "cancelled"]), name="signature_envelope_status_valid"),
            models.CheckConstraint(condition=~models.Q(status__in=["signed", "sealed"]) | models.Q(completed_at__isnull=False), name="signature_envelope_signed_has_date"),
            models.CheckConstraint(condition=~models.Q(status="sealed") | ~models.Q(sha256_after=""), name="signature_envelope_sealed_has_hash"),
            models.UniqueConstraint(fields=["document"], condition=~models.Q(status="cancelled"), name="signature_envelope_one_live_per_document"),
        ]
        indexes = [models.Index(fields=["sha256_after"])]


class SignatureRequest(models.Model):
    """One party's simple electronic signature with its audit trail (ES-04): identity (account,
    or single-use link for the employer, plus a one-time code by e-mail), time, IP address, user
    agent, SHA-256 of the signed PDF."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de signature"
        SIGNED = "signed", "Signé"
        SEALED = "sealed", "Signé et scellé"
        CANCELLED = "cancelled", "Annulé"

    class Party(models.TextChoices):
        BENEFICIARY = "beneficiary", "Le bénéficiaire"
        EMPLOYER = "employer", "L'employeur"
        ORGANISATION = "organisation", "L'organisme prestataire"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="signatures")
    envelope = models.ForeignKey(SignatureEnvelope, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    party = models.CharField("partie", max_length=20, choices=Party.choices, default=Party.BENEFICIARY)
    position = models.PositiveSmallIntegerField(default=1)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=300, blank=True)
    signer_email = models.EmailField(blank=True)
    signer_capacity = models.CharField("qualité", max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    invited_at = models.DateTimeField(null=True, blank=True)
    # employer (no account): a single-use link, only its hash is stored
    token_hash = models.CharField(max_length=64, blank=True)
    link_expires_at = models.DateTimeField(null=True, blank=True)
    link_used_at = models.DateTimeField(null=True, blank=True)
    code_hash = models.CharField(max_length=64, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    code_expires_at = models.DateTimeField(null=True, blank=True)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    codes_window_started_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    consent_text = models.TextField(blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    sha256_before = models.CharField(max_length=64, blank=True)
    sha256_after = models.CharField(max_length=64, blank=True)
    signed_pdf = models.BinaryField(default=b"", blank=True)  # legacy (one signer); now on the envelope
    sealed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["pending", "signed", "sealed", "cancelled"]), name="signature_status_valid"),
            models.CheckConstraint(condition=models.Q(party__in=["beneficiary", "employer", "organisation"]), name="signature_party_valid"),
            models.CheckConstraint(
                condition=~models.Q(status__in=["signed", "sealed"]) | models.Q(signed_at__isnull=False) & ~models.Q(sha256_before="") & ~models.Q(signer_name=""),
                name="signature_signed_has_trail",
            ),
            models.CheckConstraint(condition=~models.Q(status="sealed") | ~models.Q(sha256_after=""), name="signature_sealed_has_hash"),
            models.UniqueConstraint(fields=["document", "signer"], condition=models.Q(status__in=["signed", "sealed"]), name="signature_once_per_signer"),
            models.UniqueConstraint(fields=["envelope", "party"], condition=~models.Q(status="cancelled"), name="signature_one_request_per_party"),
            models.UniqueConstraint(fields=["token_hash"], condition=~models.Q(token_hash=""), name="signature_token_unique"),
        ]
        indexes = [models.Index(fields=["sha256_after"])]


class SealedRecord(models.Model):
    """A record of a bilan produced and sealed by the platform (PAdES, verifiable on the
    « Vérifier un document » page): the attendance sheet (émargement, CPF-07) or the consent
    record (CT-04). Each change of its content produces a new sealed copy; older ones are kept.
    These are the organisation's records of the service: never destroyed at the end of the bilan."""

    class Kind(models.TextChoices):
        ATTENDANCE = "attendance", "Feuille d'émargement"
        CONSENT = "consent", "Attestation de consentement"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="sealed_records")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    content_digest = models.CharField(max_length=64)  # SHA-256 of the facts it states
    pdf = models.BinaryField(default=b"", blank=True)  # encrypted at rest
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=["attendance", "consent"]), name="sealed_record_kind_valid"),
            models.UniqueConstraint(fields=["bilan", "kind", "content_digest"], name="sealed_record_once_per_content"),
        ]
        indexes = [models.Index(fields=["sha256"])]

    def __str__(self) -> str:
        return self.title
