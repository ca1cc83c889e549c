"""Qualiopi registers and evidence of an organisation (its schema): attachments per indicator,
complaints (31) and improvement actions (32), regulatory and professional watch (23-25), staff
qualifications (21) and training (22), disability partners (26) and subcontractors (27), and the
published result indicators (2)."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


def evidence_upload_to(instance, filename: str) -> str:
    from django.db import connection

    return f"{connection.schema_name}/quality/{uuid.uuid4().hex}.bin"


class Evidence(models.Model):
    """A document the administrator attaches to an indicator (offer, procedure, licence…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    indicator = models.PositiveSmallIntegerField("indicateur")
    title = models.CharField("titre", max_length=200)
    description = models.TextField("description", blank=True)
    file = models.FileField(upload_to=evidence_upload_to, blank=True)
    # the file is encrypted at rest (config.crypto); False for files attached before encryption
    encrypted = models.BooleanField("chiffré au repos", default=False)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    dated = models.DateField("date de la preuve")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["indicator", "-dated"]
        constraints = [models.CheckConstraint(condition=models.Q(indicator__gte=1, indicator__lte=32), name="evidence_indicator_1_32")]


class Complaint(models.Model):
    """Indicator 31: a complaint, difficulty or incident, its answer and closure."""

    class Source(models.TextChoices):
        BENEFICIARY = "beneficiary", "Bénéficiaire"
        FUNDER = "funder", "Financeur"
        EMPLOYER = "employer", "Employeur"
        CONSULTANT = "consultant", "Consultant"
        OTHER = "other", "Autre"

    class Status(models.TextChoices):
        OPEN = "open", "Ouverte"
        CLOSED = "closed", "Close"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    received_on = models.DateField("reçue le")
    source = models.CharField("origine", max_length=20, choices=Source.choices)
    subject = models.CharField("objet", max_length=300)
    bilan = models.ForeignKey("bilans.Bilan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answer_due_on = models.DateField("réponse attendue le")
    response = models.TextField("réponse apportée", blank=True)
    status = models.CharField("état", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField("close le", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | (models.Q(closed_on__isnull=False) & ~models.Q(response="")),
                name="complaint_closed_has_answer",
            ),
        ]


class ImprovementAction(models.Model):
    """Indicator 32: an improvement action, from a complaint, satisfaction results, an audit or the watch."""

    class Origin(models.TextChoices):
        COMPLAINT = "complaint", "Réclamation"
        SATISFACTION = "satisfaction", "Résultats de satisfaction"
        AUDIT = "audit", "Audit"
        WATCH = "watch", "Veille"
        OTHER = "other", "Autre"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField("action", max_length=300)
    origin = models.CharField("origine", max_length=20, choices=Origin.choices)
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    owner = models.CharField("responsable", max_length=200, blank=True)
    decided_on = models.DateField("décidée le")
    due_on = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField("réalisée le", null=True, blank=True)
    result = models.TextField("effet constaté", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on"]


class WatchEntry(models.Model):
    """Indicators 23 (legal and regulatory), 24 (jobs and skills), 25 (pedagogical and technological innovation)."""

    class Kind(models.TextChoices):
        LEGAL = "legal", "Veille légale et réglementaire (23)"
        JOBS = "jobs", "Veille emplois, métiers et compétences (24)"
        INNOVATION = "innovation", "Veille innovations pédagogiques et technologiques (25)"

    INDICATOR = {"legal": 23, "jobs": 24, "innovation": 25}

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type de veille", max_length=20, choices=Kind.choices)
    dated = models.DateField("date")
    source = models.CharField("source", max_length=300)
    summary = models.TextField("ce qu'il faut retenir")
    action_taken = models.TextField("exploitation (action décidée)", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-dated"]


class StaffQualification(models.Model):
    """Indicator 21: a consultant's diploma, certification, test accreditation or experience."""

    class Kind(models.TextChoices):
        DIPLOMA = "diploma", "Diplôme"
        CERTIFICATION = "certification", "Certification"
        TEST_ACCREDITATION = "test_accreditation", "Habilitation à un outil ou test"
        EXPERIENCE = "experience", "Expérience professionnelle"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="qualifications")
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    title = models.CharField("intitulé", max_length=200)
    obtained_on = models.DateField("obtenu le", null=True, blank=True)
    expires_on = models.DateField("expire le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user_id", "-obtained_on"]


class StaffTraining(models.Model):
    """Indicator 22: training, supervision or analysis of practice followed by a consultant."""

    class Kind(models.TextChoices):
        TRAINING = "training", "Formation"
        SUPERVISION = "supervision", "Supervision"
        PRACTICE_ANALYSIS = "practice_analysis", "Analyse de pratiques"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trainings")
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    title = models.CharField("intitulé", max_length=200)
    dated = models.DateField("date")
    hours = models.DecimalField("durée (heures)", max_digits=6, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-dated"]


class Partner(models.Model):
    """Indicator 26: disability network partners; indicator 27: subcontractors and their checks."""

    class Kind(models.TextChoices):
        DISABILITY = "disability", "Partenaire handicap (Agefiph, Cap emploi, MDPH…)"
        SUBCONTRACTOR = "subcontractor", "Sous-traitant"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    contact = models.CharField("contact", max_length=200, blank=True)
    checked_on = models.DateField("dernière vérification", null=True, blank=True)
    notes = models.TextField("notes (conformité, conventions)", blank=True)
    hours = models.DecimalField("heures confiées sur l'exercice", max_digits=8, decimal_places=2, null=True, blank=True)
    # BPF frame F-2: which fiscal year (its closing year) the hours and trainees above belong to.
    fiscal_year = models.PositiveSmallIntegerField("exercice (année de clôture)", null=True, blank=True)
    trainees = models.PositiveIntegerField("stagiaires confiés sur l'exercice", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]


class ResultPublication(models.Model):
    """Indicator 2: result indicators published on the organisation's public page, with their date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period_start = models.DateField()
    period_end = models.DateField()
    figures = models.JSONField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-published_at"]
        constraints = [models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")), name="result_period_valid")]
