from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from config.crypto import EncryptedTextField

MAX_BILAN_MINUTES = 24 * 60  # CT-02: L6313-4, at most 24 hours per bilan
ANNOUNCED_MIN_ACCOMPANIMENT_MINUTES = 13 * 60  # CT-03: announced decree (not in force yet)


def siren_is_valid(value: str) -> bool:
    """A SIREN: 9 digits whose Luhn checksum is a multiple of 10."""
    if not isinstance(value, str) or len(value) != 9 or not value.isdigit():
        return False
    total = 0
    for index, char in enumerate(value):
        digit = int(char) * (2 if index % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def validate_siren(value: str) -> None:
    if value and not siren_is_valid(value):
        raise ValidationError("Le SIREN compte 9 chiffres et sa clé de contrôle doit être valide.", code="invalid_siren")


class Beneficiary(models.Model):
    """A person who takes a bilan. Visible to the administrators, the assigned consultant (object
    permission, see organisations.permissions) and the beneficiary's own account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    email = models.EmailField("adresse e-mail")
    phone = models.CharField("téléphone", max_length=30, blank=True)

    class Situation(models.TextChoices):
        EMPLOYEE = "employee", "Salarié"
        JOBSEEKER = "jobseeker", "Demandeur d'emploi"
        SELF_EMPLOYED = "self_employed", "Indépendant"
        CAREER_CHANGE = "career_change", "En reconversion"
        OTHER = "other", "Autre"

    situation = models.CharField("situation", max_length=20, choices=Situation.choices, blank=True)
    employer_name = models.CharField("employeur", max_length=200, blank=True)
    # CT-12 (R6313-5): compared with the organisation's own SIREN before a bilan is opened or started.
    employer_siren = models.CharField("SIREN de l'employeur", max_length=9, blank=True, validators=[validate_siren])
    employer_contact_name = models.CharField("contact chez l'employeur", max_length=200, blank=True)
    employer_contact_email = models.EmailField("e-mail du contact employeur", blank=True)
    education_summary = models.TextField("formation", blank=True)
    career_summary = models.TextField("parcours professionnel", blank=True)
    # RG-03: special-category data, encrypted at rest, collected only with explicit consent,
    # visible only to the assigned consultant and the administrators (organisations.permissions).
    disability_info = EncryptedTextField("situation de handicap", blank=True, default="")
    accommodations = EncryptedTextField("aménagements nécessaires", blank=True, default="")
    sensitive_consent_at = models.DateTimeField("consentement explicite (données de santé) le", null=True, blank=True)
    sensitive_consent_method = models.CharField("recueilli par", max_length=30, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="beneficiary_file"
    )
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_beneficiaries",
        verbose_name="consultant assigné",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "bénéficiaire"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(models.functions.Lower("email"), name="beneficiary_email_unique_ci"),
            models.CheckConstraint(
                condition=(models.Q(disability_info="") & models.Q(accommodations="")) | models.Q(sensitive_consent_at__isnull=False),
                name="beneficiary_sensitive_data_needs_consent",
            ),
            models.CheckConstraint(
                condition=models.Q(situation__in=["", "employee", "jobseeker", "self_employed", "career_change", "other"]),
                name="beneficiary_situation_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(employer_siren="") | models.Q(employer_siren__regex=r"^[0-9]{9}$"),
                name="beneficiary_employer_siren_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Bilan(models.Model):
    """One bilan de compétences of a beneficiary. The legal state machine, phases, hours,
    consent and convention live in bilans.services (issue: the bilan from first contact to
    follow-up); this row is what other parts (credits, assessments, documents) refer to."""

    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect (entretien préliminaire gratuit)"
        PRELIMINARY = "preliminary", "Phase préliminaire"
        INVESTIGATION = "investigation", "Phase d'investigation"
        CONCLUSIONS = "conclusions", "Phase de conclusions"
        FINISHED = "finished", "Terminé"
        FOLLOW_UP_DONE = "follow_up_done", "Entretien de suivi à 6 mois réalisé"
        CLOSED = "closed", "Clos"
        ABANDONED = "abandoned", "Abandonné"

    OPEN_STATUSES = (Status.PROSPECT, Status.PRELIMINARY, Status.INVESTIGATION, Status.CONCLUSIONS)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    beneficiary = models.ForeignKey(Beneficiary, on_delete=models.PROTECT, related_name="bilans")
    consultant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="bilans", verbose_name="consultant"
    )
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.PROSPECT)
    forfait_code = models.CharField("forfait", max_length=40, blank=True)
    abandon_reason = models.TextField("motif d'abandon", blank=True)
    close_reason = models.TextField("motif de clôture sans entretien de suivi", blank=True)
    planned_start = models.DateField("début prévu", null=True, blank=True)
    planned_end = models.DateField("fin prévue", null=True, blank=True)
    planned_accompaniment_minutes = models.PositiveIntegerField("accompagnement individuel prévu (minutes)", default=18 * 60)
    planned_guided_work_minutes = models.PositiveIntegerField("travail personnel guidé prévu (minutes)", default=6 * 60)
    information_delivered_at = models.DateTimeField("document d'information remis le", null=True, blank=True)
    synthesis_delivered_at = models.DateTimeField("synthèse remise le", null=True, blank=True)
    started_at = models.DateTimeField("phase préliminaire commencée le", null=True, blank=True)
    ended_at = models.DateTimeField("terminé le", null=True, blank=True)
    follow_up_due_on = models.DateField("entretien de suivi prévu vers le", null=True, blank=True)
    follow_up_reminded_at = models.DateTimeField(null=True, blank=True)
    retention_processed_at = models.DateTimeField("purge des documents de travail le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="bilan_status_created_idx"),
            models.Index(fields=["consultant", "-created_at"], name="bilan_consultant_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_accompaniment_minutes__gt=0)
                & models.Q(planned_accompaniment_minutes__lte=MAX_BILAN_MINUTES - models.F("planned_guided_work_minutes")),
                name="bilan_planned_hours_within_24h",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="abandoned") | ~models.Q(abandon_reason=""),
                name="bilan_abandon_has_reason",
            ),
            models.UniqueConstraint(
                fields=["beneficiary"],
                condition=models.Q(status__in=["prospect", "preliminary", "investigation", "conclusions"]),
                name="bilan_one_open_per_beneficiary",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "prospect", "preliminary", "investigation", "conclusions", "finished", "follow_up_done", "closed", "abandoned"
                    ]
                ),
                name="bilan_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"Bilan de {self.beneficiary}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


    @property
    def is_ended(self) -> bool:
        return self.status in (self.Status.FINISHED, self.Status.FOLLOW_UP_DONE, self.Status.CLOSED, self.Status.ABANDONED)


class BilanSettings(models.Model):
    """The organisation's rules for its bilans (one row, pk=1, created on first update; until
    then the defaults apply). CT-03: a minimum of "accompagnement effectif" (attended
    synchronous accompaniment sessions) before a bilan can be finished; 0 = no minimum."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    min_accompaniment_minutes = models.PositiveIntegerField(
        "accompagnement effectif minimum (minutes)",
        default=0,
        help_text="Décret annoncé, pas encore en vigueur : 13 h d'accompagnement effectif au minimum. 0 = aucun minimum.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "réglages des bilans"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="bilan_settings_single_row"),
            models.CheckConstraint(
                condition=models.Q(min_accompaniment_minutes__lte=MAX_BILAN_MINUTES), name="bilan_settings_min_accompaniment_within_24h"
            ),
        ]


class FundingSource(models.Model):
    """Who pays for a bilan (several rows = mixed funding). Amounts in integer cents."""

    class Kind(models.TextChoices):
        CPF = "cpf", "CPF (compte personnel de formation)"
        OPCO = "opco", "OPCO"
        EMPLOYER_PLAN = "employer_plan", "Plan de développement des compétences de l'employeur"
        FRANCE_TRAVAIL = "france_travail", "France Travail"
        PERSONAL = "personal", "Financement personnel"
        OTHER = "other", "Autre"

    class EmployerAnswer(models.TextChoices):
        PENDING = "pending", "Pas encore de réponse"
        ACCEPTED = "accepted", "Accord de l'employeur"
        REFUSED = "refused", "Refus de l'employeur"

    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="funding_sources")
    kind = models.CharField("financeur", max_length=20, choices=Kind.choices)
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    funder_name = models.CharField("nom du financeur", max_length=200, blank=True)
    # CT-19 (L6323-17, D6323-4): a CPF-funded bilan (partly) during working time needs the
    # employer's authorisation of absence; only bilans.services.funding_cpf_working_time_set writes these.
    during_working_time = models.BooleanField("sur le temps de travail", default=False)
    absence_requested_on = models.DateField("demande d'absence adressée à l'employeur le", null=True, blank=True)
    employer_answer = models.CharField(
        "réponse de l'employeur", max_length=10, choices=EmployerAnswer.choices, default=EmployerAnswer.PENDING
    )
    employer_answered_on = models.DateField("réponse de l'employeur le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["cpf", "opco", "employer_plan", "france_travail", "personal", "other"]),
                name="funding_kind_valid",
            ),
            models.UniqueConstraint(fields=["bilan", "kind"], name="funding_one_row_per_kind"),
            models.CheckConstraint(
                condition=models.Q(employer_answer__in=["pending", "accepted", "refused"]),
                name="funding_employer_answer_valid",
            ),
            models.CheckConstraint(
                # the working-time request only exists on a CPF row during working time
                condition=models.Q(kind="cpf", during_working_time=True)
                | models.Q(absence_requested_on__isnull=True, employer_answer="pending", employer_answered_on__isnull=True),
                name="funding_working_time_only_cpf",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="cpf") | models.Q(during_working_time=False),
                name="funding_working_time_flag_only_cpf",
            ),
            models.CheckConstraint(
                # an answer has a date, never before the request; no answer, no date
                condition=models.Q(employer_answer="pending", employer_answered_on__isnull=True)
                | (
                    ~models.Q(employer_answer="pending")
                    & models.Q(absence_requested_on__isnull=False, employer_answered_on__isnull=False)
                    & models.Q(employer_answered_on__gte=models.F("absence_requested_on"))
                ),
                name="funding_employer_answer_after_request",
            ),
        ]


class Objective(models.Model):
    """An objective co-defined with the beneficiary in the preliminary phase (Qualiopi 5)."""

    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="objectives")
    text = models.CharField("objectif", max_length=500)
    position = models.PositiveSmallIntegerField(default=0)
    achieved = models.BooleanField("atteint", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "created_at"]


class Session(models.Model):
    """One séance of a bilan: an interview (accompaniment) or guided personal work. The 24-hour
    cap (CT-02) is enforced by bilans.services.session_plan, the only writer of new sessions."""

    class Kind(models.TextChoices):
        ACCOMPANIMENT = "accompaniment", "Accompagnement individuel"
        GUIDED_WORK = "guided_work", "Travail personnel guidé"

    class InterviewType(models.TextChoices):
        WELCOME = "welcome", "Accueil et information"
        EXPLORATION = "exploration", "Exploration du parcours"
        VALIDATION = "validation", "Validation du projet"
        CONCLUSION = "conclusion", "Conclusion et remise de la synthèse"
        FOLLOW_UP = "follow_up", "Entretien de suivi à 6 mois"
        OTHER = "other", "Autre entretien"

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "En présentiel"
        VIDEO = "video", "En visio"
        PHONE = "phone", "Par téléphone"
        AUTONOMOUS = "autonomous", "En autonomie"

    class Attendance(models.TextChoices):
        PLANNED = "planned", "Prévue"
        ATTENDED = "attended", "Réalisée"
        ABSENT = "absent", "Absence"
        CANCELLED = "cancelled", "Annulée"

    MANDATORY_INTERVIEWS = (
        InterviewType.WELCOME,
        InterviewType.EXPLORATION,
        InterviewType.VALIDATION,
        InterviewType.CONCLUSION,
        InterviewType.FOLLOW_UP,
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField("type", max_length=20, choices=Kind.choices, default=Kind.ACCOMPANIMENT)
    interview_type = models.CharField("entretien", max_length=20, choices=InterviewType.choices, blank=True)
    modality = models.CharField("modalité", max_length=20, choices=Modality.choices, default=Modality.IN_PERSON)
    starts_at = models.DateTimeField("début")
    duration_minutes = models.PositiveIntegerField("durée (minutes)")
    attendance = models.CharField("présence", max_length=20, choices=Attendance.choices, default=Attendance.PLANNED)
    instructions = models.TextField("consignes", blank=True)
    time_spent_minutes = models.PositiveIntegerField("temps passé déclaré (minutes)", null=True, blank=True)
    # CPF-07: émargement by the beneficiary, with the proof of the connection.
    beneficiary_confirmed_at = models.DateTimeField("émargement du bénéficiaire le", null=True, blank=True)
    beneficiary_confirmed_ip = models.GenericIPAddressField(null=True, blank=True)
    credits_charged = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["bilan", "starts_at"], name="session_bilan_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0) & models.Q(duration_minutes__lte=MAX_BILAN_MINUTES),
                name="session_duration_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="guided_work") | models.Q(interview_type=""),
                name="session_guided_work_is_not_interview",
            ),
            models.CheckConstraint(
                condition=models.Q(beneficiary_confirmed_at__isnull=True) | models.Q(attendance="attended"),
                name="session_confirmation_only_when_attended",
            ),
        ]

    @property
    def is_mandatory_interview(self) -> bool:
        return self.interview_type in self.MANDATORY_INTERVIEWS

    @property
    def ends_at(self):
        from datetime import timedelta

        return self.starts_at + timedelta(minutes=self.duration_minutes)


class Consent(models.Model):
    """A consent given by the beneficiary: participation in the bilan after the information
    document (CT-04). Recorded with time and method; a withdrawn consent stays in the history."""

    class Kind(models.TextChoices):
        PARTICIPATION = "participation", "Consentement éclairé au bilan"

    class Method(models.TextChoices):
        ONLINE = "online", "En ligne, depuis son espace"
        SIGNED_PAPER = "signed_paper", "Document papier signé"
        EMAIL = "email", "Par e-mail"
        ORAL_RECORDED = "in_person", "En entretien, consigné par le consultant"

    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.PARTICIPATION)
    method = models.CharField("mode de recueil", max_length=20, choices=Method.choices)
    given_at = models.DateTimeField("donné le")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    information_document_version = models.CharField(max_length=40, default="2026-01")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bilan", "kind"], condition=models.Q(withdrawn_at__isnull=True), name="consent_one_active_per_kind"
            ),
        ]


class SharingConsent(models.Model):
    """CT-07: the beneficiary's agreement to share something with one recipient. Default deny."""

    class RecipientKind(models.TextChoices):
        EMPLOYER = "employer", "Employeur"
        FUNDER = "funder", "Financeur (OPCO, France Travail…)"
        CEP = "cep", "Conseiller en évolution professionnelle"
        OTHER = "other", "Autre destinataire"

    class Scope(models.TextChoices):
        RESULTS = "results", "Résultats détaillés"
        SYNTHESIS = "synthesis", "Document de synthèse"

    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="sharing_consents")
    recipient_kind = models.CharField("destinataire", max_length=20, choices=RecipientKind.choices)
    recipient_name = models.CharField("nom du destinataire", max_length=200)
    recipient_email = models.EmailField("e-mail du destinataire")
    scope = models.CharField("éléments partagés", max_length=20, choices=Scope.choices)
    given_at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Consent.Method.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]


class ThirdPartyAccess(models.Model):
    """CT-07: a secure link through which one named third party (the recipient of a
    SharingConsent) follows a bilan without an account. The page always shows the status and
    dates only (``selectors.bilan_status_for_employer``); a document (synthèse, detailed results)
    is offered only while the beneficiary's agreement for that recipient and that scope is in
    force, checked at each viewing (``services.sharing_ensure_allowed``). Only the token's
    SHA-256 is stored; the link ends when it expires or is revoked (or replaced by a new one).
    Each opening and download leaves an audit event without content (CT-08)."""

    class EndReason(models.TextChoices):
        REVOKED = "revoked", "Désactivé"
        REPLACED = "replaced", "Remplacé par un nouveau lien"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="third_party_accesses")
    recipient_kind = models.CharField("destinataire", max_length=20, choices=SharingConsent.RecipientKind.choices)
    recipient_name = models.CharField("nom du destinataire", max_length=200)
    recipient_email = models.EmailField("e-mail du destinataire")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("envoyé le")
    expires_at = models.DateTimeField("valable jusqu'au")
    revoked_at = models.DateTimeField("désactivé le", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    last_opened_at = models.DateTimeField("dernière consultation le", null=True, blank=True)
    open_count = models.PositiveIntegerField("consultations", default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "accès d'un tiers"
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="third_party_access_expiry_after_creation"),
            models.CheckConstraint(
                condition=models.Q(recipient_kind__in=["employer", "funder", "cep", "other"]), name="third_party_access_recipient_kind_valid"
            ),
            models.CheckConstraint(condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="third_party_access_token_is_sha256"),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, end_reason="")
                | models.Q(revoked_at__isnull=False, end_reason__in=["revoked", "replaced"]),
                name="third_party_access_end_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(open_count=0, last_opened_at__isnull=True) | models.Q(open_count__gt=0, last_opened_at__isnull=False),
                name="third_party_access_open_count_matches",
            ),
            # One link per recipient and bilan at a time: sending a new one replaces the previous.
            models.UniqueConstraint(
                "bilan", models.functions.Lower("recipient_email"), condition=models.Q(revoked_at__isnull=True), name="third_party_access_one_live_per_recipient"
            ),
        ]

    def __str__(self) -> str:
        return f"Accès de {self.recipient_name} au {self.bilan}"

    def state(self, moment) -> str:
        """``active``, ``expired``, ``revoked`` or ``replaced`` at ``moment``."""
        if self.revoked_at is not None:
            return self.end_reason or self.EndReason.REVOKED
        return "expired" if self.expires_at <= moment else "active"


class Convention(models.Model):
    """The written agreement of a bilan: a tripartite convention (employer, employee,
    organisation) for an employer-funded bilan (CT-14, the employee has 10 days to sign, silence
    means refusal: CT-15), or the contract of a self-funded person (CT-17: 10-day withdrawal
    period, no payment before it ends, at most 30 % then)."""

    class Kind(models.TextChoices):
        TRIPARTITE = "tripartite", "Convention tripartite"
        CONTRACT = "contract", "Contrat de prestation (financement personnel)"

    class Status(models.TextChoices):
        DRAFT = "draft", "Brouillon"
        SENT = "sent", "Envoyée, en attente de signature"
        SIGNED = "signed", "Signée"
        EXPIRED = "expired", "Expirée (absence de signature = refus)"
        REFUSED = "refused", "Refusée"
        WITHDRAWN = "withdrawn", "Rétractation exercée"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.PROTECT, related_name="conventions")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # CT-14 mandatory content
    title = models.CharField("intitulé", max_length=200, default="Bilan de compétences")
    objective = models.TextField("objectif")
    content = models.TextField("contenu")
    means = models.TextField("moyens")
    duration_hours = models.PositiveSmallIntegerField("durée (heures)")
    period_start = models.DateField("début de la période")
    period_end = models.DateField("fin de la période")
    delivery_terms = models.TextField("modalités de déroulement et de suivi")
    results_terms = models.TextField("modalités de remise des résultats détaillés et de la synthèse")
    price_cents = models.PositiveIntegerField("prix (centimes)")
    payment_terms = models.TextField("modalités de règlement")
    employer_name = models.CharField("employeur", max_length=200, blank=True)
    employer_signatory = models.CharField("signataire pour l'employeur", max_length=200, blank=True)
    # CT-17 (contract)
    deposit_cents = models.PositiveIntegerField("acompte à l'issue du délai de rétractation (centimes)", default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    beneficiary_signed_at = models.DateTimeField(null=True, blank=True)
    beneficiary_signed_ip = models.GenericIPAddressField(null=True, blank=True)
    employer_signed_at = models.DateTimeField(null=True, blank=True)
    organisation_signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    withdrawal_ends_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="convention_period_valid"),
            models.CheckConstraint(
                condition=models.Q(duration_hours__gt=0) & models.Q(duration_hours__lte=24), name="convention_duration_within_24h"
            ),
            models.CheckConstraint(
                condition=models.Q(deposit_cents__lte=models.F("price_cents") * 3 / 10), name="contract_deposit_at_most_30_percent"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="sent", kind="tripartite") | models.Q(expires_at__isnull=False),
                name="convention_sent_has_expiry",
            ),
            # One live document of each kind: a mixed "employer plan + personal" funding needs
            # both a tripartite convention and a contract at the same time.
            models.UniqueConstraint(
                fields=["bilan", "kind"], condition=models.Q(status__in=["draft", "sent", "signed"]), name="convention_one_live_per_bilan_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.bilan}"


class Task(models.Model):
    """Something the beneficiary has to do: a questionnaire, guided personal work (with its
    instructions and the time spent), a document to read."""

    class Kind(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        GUIDED_WORK = "guided_work", "Travail personnel guidé"
        READING = "reading", "Document à lire"
        OTHER = "other", "Autre"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GUIDED_WORK)
    title = models.CharField("intitulé", max_length=200)
    instructions = models.TextField("consignes", blank=True)
    url = models.CharField(max_length=300, blank=True)
    due_on = models.DateField("à faire pour le", null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    time_spent_minutes = models.PositiveIntegerField("temps passé (minutes)", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done_at", "due_on", "created_at"]


def file_upload_to(instance, filename: str) -> str:
    from django.db import connection

    return f"{connection.schema_name}/bilans/{instance.bilan_id}/{uuid.uuid4().hex}.bin"


class BilanFile(models.Model):
    """A file kept in a bilan's folder (working documents, attendance sheets, invoices…),
    encrypted at rest. Working documents are destroyed when the bilan ends (CT-09) unless the
    beneficiary agreed in writing to keep them (at most 3 years); the records the organisation
    must keep (attendance, invoices, conventions) are kept. Generated documents (synthèse,
    detailed results) live in bilans.documents, which registers its own retention handler."""

    class Kind(models.TextChoices):
        WORKING = "working", "Document de travail"
        ATTENDANCE = "attendance", "Feuille d'émargement"
        INVOICE = "invoice", "Facture"
        CONVENTION = "convention", "Convention ou contrat signé"

    KEPT_RECORDS = (Kind.ATTENDANCE, Kind.INVOICE, Kind.CONVENTION)

    class RetentionMethod(models.TextChoices):
        """A *written* agreement (CT-09 b): the values shared with Consent.Method keep their
        meaning; an oral agreement is not one. ``unspecified``: agreements recorded before the
        method was kept (set by migration only, never by the service)."""

        ONLINE = "online", "En ligne, par le bénéficiaire depuis son espace"
        SIGNED_PAPER = "signed_paper", "Document papier signé"
        EMAIL = "email", "Par e-mail"
        UNSPECIFIED = "unspecified", "Non précisé (accord enregistré avant la traçabilité de l'accord)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WORKING)
    title = models.CharField("titre", max_length=200)
    file = models.FileField(upload_to=file_upload_to, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    shared_with_beneficiary_at = models.DateTimeField("mis à disposition du bénéficiaire le", null=True, blank=True)
    # CT-09 (b) / RG-02: the beneficiary's written agreement to keep it (at most 3 years after the
    # end), based on a follow-up need: how it was obtained, the need, and which written document
    # (reference and date) carries it; or given online by the beneficiary from their space.
    retention_agreed_at = models.DateTimeField(null=True, blank=True)
    retained_until = models.DateField(null=True, blank=True)
    retention_method = models.CharField("accord écrit recueilli", max_length=20, choices=RetentionMethod.choices, blank=True)
    retention_follow_up_need = models.TextField("besoin de suivi justifiant la conservation", blank=True)
    retention_agreement_reference = models.CharField("référence de l'accord écrit", max_length=200, blank=True)
    retention_agreement_date = models.DateField("date de l'accord écrit", null=True, blank=True)
    retention_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destruction_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retained_until__isnull=True) | models.Q(retention_agreed_at__isnull=False),
                name="bilanfile_retention_needs_agreement",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["working", "attendance", "invoice", "convention"]), name="bilanfile_kind_valid"
            ),
            # CT-09 (b): an agreement says how it was obtained, the follow-up need, and the written
            # document carrying it (its reference and date).
            models.CheckConstraint(
                condition=models.Q(retention_agreed_at__isnull=True, retention_method="")
                | models.Q(retention_agreed_at__isnull=False, retention_method="unspecified")
                | (
                    models.Q(retention_agreed_at__isnull=False, retention_method__in=["online", "signed_paper", "email"])
                    & ~models.Q(retention_follow_up_need="")
                    & ~models.Q(retention_agreement_reference="")
                    & models.Q(retention_agreement_date__isnull=False)
                ),
                name="bilanfile_retention_agreement_documented",
            ),
        ]


class SatisfactionSurvey(models.Model):
    """Satisfaction questionnaire: immediate at the end, delayed between 3 and 6 months after
    (Qualiopi indicators 2 and 30). Answers are kept."""

    class Kind(models.TextChoices):
        IMMEDIATE = "immediate", "À chaud (fin du bilan)"
        DELAYED = "delayed", "À froid (3 à 6 mois après)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey(Bilan, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    scheduled_for = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    objectives_met = models.BooleanField(null=True, blank=True)
    situation_after = models.CharField(max_length=200, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["scheduled_for"]
        constraints = [
            models.UniqueConstraint(fields=["bilan", "kind"], name="survey_one_per_kind"),
            models.CheckConstraint(condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5), name="survey_score_1_5"),
        ]
