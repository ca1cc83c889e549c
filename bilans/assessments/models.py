"""Questionnaires of a bilan (organisation schema): versioned instruments, answers with save and
resume, immutable results, the consultant's review of the skills self-assessment, 360° feedback
campaigns, career analyses and the bilan's shortlisted career options (professional projects).

Métiers and competences are referred to by their ROME codes (public schema, no cross-schema FK).
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Instrument(models.Model):
    """One version of an instrument, as data (sections, items, scales, scoring key)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.SlugField(max_length=40)
    version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    title = models.CharField("titre", max_length=200)
    definition = models.JSONField()
    checksum = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="instrument_code_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class Assessment(models.Model):
    """A questionnaire given to a bilan's beneficiary: answers saved as they go."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "À compléter"
        SUBMITTED = "submitted", "Terminé"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    answers = models.JSONField(default=dict, blank=True)
    time_spent_seconds = models.PositiveIntegerField(default=0)
    page_served_at = models.DateTimeField(null=True, blank=True)
    # CT-09: set when the answers were destroyed at the end of the bilan (the row stays: that the
    # questionnaire was given and taken, when, and the time spent are kept as evidence)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["bilan", "instrument"], condition=models.Q(status="in_progress"), name="assessment_one_open_per_instrument"
            ),
            models.CheckConstraint(condition=models.Q(status__in=["in_progress", "submitted"]), name="assessment_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status="in_progress") | models.Q(submitted_at__isnull=False), name="assessment_submitted_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.title} – {self.bilan_id}"


class Result(models.Model):
    """The scored result of a submitted assessment, with the instrument version used. The
    database refuses any DELETE and any UPDATE but one: the destruction of its content at the
    end of the bilan (CT-09), which empties ``answers`` and ``scores`` and sets ``destroyed_at``
    once, every other column unchanged (trigger of migration 0005). ``guided_work_seconds``
    stays: it counts in the bilan's hours."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.OneToOneField(Assessment, on_delete=models.PROTECT, related_name="result")
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="assessment_results")
    instrument_code = models.SlugField(max_length=40)
    instrument_version = models.PositiveIntegerField()
    kind = models.CharField(max_length=20)
    answers = models.JSONField()
    scores = models.JSONField()
    guided_work_seconds = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    destruction_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(destroyed_at__isnull=True) | (models.Q(answers={}) & models.Q(scores={})),
                name="result_destroyed_is_empty",
            ),
        ]

    @property
    def is_destroyed(self) -> bool:
        return self.destroyed_at is not None

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("A result never changes after submission.")
        super().save(*args, **kwargs)


class SkillReview(models.Model):
    """The consultant's adjustment of one self-assessed competence (the beneficiary's own rating
    stays in the result). The five dimensions of the self-assessment can be adjusted; an empty
    optional one means "as the beneficiary said"."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="reviews")
    skill_code = models.PositiveIntegerField()
    mastery = models.CharField(max_length=20)
    frequency = models.CharField(max_length=20, blank=True)
    context = models.CharField(max_length=20, blank=True)
    appetite = models.CharField(max_length=20, blank=True)
    potential = models.CharField(max_length=20, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "skill_code"], name="skillreview_unique"),
            models.CheckConstraint(
                condition=models.Q(mastery__in=["beginner", "intermediate", "advanced", "expert"]), name="skillreview_mastery_valid"
            ),
        ]


class FeedbackCampaign(models.Model):
    """A 360° feedback request: colleagues rate selected competences through single-use links."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="feedback_campaigns")
    competences = models.JSONField()  # [{"code": 123, "label": "..."}]
    threshold = models.PositiveSmallIntegerField(default=3)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # CT-09: competences, invitations and answers destroyed at the end of the bilan
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(threshold__gte=3), name="feedback_threshold_at_least_3")]


class FeedbackInvitation(models.Model):
    """One invited person. Only the hash of the link's token is stored; the response is not
    linked to the invitation (anonymity). An invitation made by the beneficiary waits for the
    bilan's consultant (``pending``): no link exists and no email leaves before approval; one
    made by the consultant is approved at once. A rejected invitation never gets a link."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de validation par le consultant"
        APPROVED = "approved", "Validée"
        REJECTED = "rejected", "Refusée"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(FeedbackCampaign, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField("motif du refus", max_length=500, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="feedbackinvitation_unique_email"),
            models.CheckConstraint(condition=models.Q(status__in=["pending", "approved", "rejected"]), name="feedbackinvitation_status_valid"),
            # a link (token) and an email only once approved; an approved invitation has both
            models.CheckConstraint(
                condition=(models.Q(status="approved") & models.Q(token_hash__isnull=False) & models.Q(sent_at__isnull=False))
                | (~models.Q(status="approved") & models.Q(token_hash__isnull=True) & models.Q(sent_at__isnull=True) & models.Q(used_at__isnull=True)),
                name="feedbackinvitation_link_only_when_approved",
            ),
        ]


class FeedbackResponse(models.Model):
    """One anonymous answer. ``group`` is the index of its group of ``campaign.threshold``
    answers in submission order (the first three answers are group 0, the next three group 1…):
    results only ever include complete groups, so two successive publications differ by a whole
    group and no single answer can be derived by difference. No finer order (time, rank) is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(FeedbackCampaign, on_delete=models.CASCADE, related_name="responses")
    ratings = models.JSONField()  # {"<skill code>": 1..5}
    group = models.PositiveIntegerField(default=0)
    created_date = models.DateField(auto_now_add=True)  # a day, not a time: less re-identifying


class CareerAnalysis(models.Model):
    """A complete analysis: the ranking of every métier for the bilan's profile at one moment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.PROTECT, related_name="career_analyses")
    rome_version = models.PositiveIntegerField()
    constraints = models.JSONField(default=dict)
    profile = models.JSONField(default=dict)
    top = models.JSONField(default=list)  # the first matches with breakdown and gap
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # CT-09: constraints, profile and ranking destroyed at the end of the bilan (the row stays:
    # the analysis was run and its credits charged)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class CareerOption(models.Model):
    """A métier shortlisted into the bilan's professional projects (main or alternative)."""

    class Kind(models.TextChoices):
        MAIN = "main", "Projet principal"
        ALTERNATIVE = "alternative", "Projet alternatif"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.ForeignKey("bilans.Bilan", on_delete=models.CASCADE, related_name="career_options")
    code_rome = models.CharField(max_length=5)
    label = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ALTERNATIVE)
    scenario = models.CharField("scénario", max_length=1, blank=True)
    match = models.JSONField(default=dict)  # score, breakdown and gap when shortlisted
    advantages = models.TextField("avantages", blank=True)
    risks = models.TextField("risques", blank=True)
    feasibility = models.PositiveSmallIntegerField("faisabilité (1 à 5)", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bilan", "code_rome"], name="careeroption_unique_per_bilan"),
            models.UniqueConstraint(fields=["bilan"], condition=models.Q(kind="main"), name="careeroption_one_main"),
            models.CheckConstraint(condition=models.Q(feasibility__isnull=True) | models.Q(feasibility__range=(1, 5)), name="careeroption_feasibility_range"),
            models.CheckConstraint(condition=models.Q(scenario__in=["", "A", "B", "C"]), name="careeroption_scenario_valid"),
        ]


class ContentDestruction(models.Model):
    """Evidence that the questionnaire content of a bilan (answers, results, reviews, 360°
    feedback, career analyses and projects) was destroyed at its end (CT-09, R6313-7): when, why
    and how many items, never what. One row per bilan, written by the retention job; a later
    run that destroys content added since then updates the counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bilan = models.OneToOneField("bilans.Bilan", on_delete=models.PROTECT, related_name="assessments_destruction")
    destroyed_at = models.DateTimeField()
    last_destroyed_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    counts = models.JSONField(default=dict)  # {"assessments": n, "feedback_campaigns": n, ...}

    class Meta:
        ordering = ["-destroyed_at"]
