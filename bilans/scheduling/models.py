from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models


class TsTzRange(models.Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class SchedulingSettings(models.Model):
    """The organisation's booking rules (one row, created on first use)."""

    min_booking_notice_hours = models.PositiveSmallIntegerField("délai minimum de réservation (heures)", default=24)
    min_change_notice_hours = models.PositiveSmallIntegerField("délai minimum pour déplacer ou annuler (heures)", default=24)
    max_booking_days_ahead = models.PositiveSmallIntegerField("réservation possible jusqu'à (jours)", default=90)
    default_duration_minutes = models.PositiveSmallIntegerField("durée d'un entretien (minutes)", default=60)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(default_duration_minutes__gte=15), name="scheduling_min_duration")]


class AvailabilityRule(models.Model):
    """A weekly opening of a consultant (local time, Europe/Paris)."""

    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField("jour", choices=[(0, "lundi"), (1, "mardi"), (2, "mercredi"), (3, "jeudi"), (4, "vendredi"), (5, "samedi"), (6, "dimanche")])
    start_time = models.TimeField("de")
    end_time = models.TimeField("à")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")), name="availability_rule_order"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="availability_rule_weekday"),
        ]


class AvailabilityException(models.Model):
    """A period when a consultant is unavailable (holidays, training) or exceptionally available."""

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Indisponible"
        AVAILABLE = "available", "Disponible exceptionnellement"

    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.UNAVAILABLE)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="availability_exception_order")]


class Appointment(models.Model):
    """A booked time with a consultant. PostgreSQL refuses two live appointments of one
    consultant whose time ranges overlap (exclusion constraint, btree_gist)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Confirmé"
        CANCELLED = "cancelled", "Annulé"

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", "En présentiel"
        VIDEO = "video", "En visio"
        PHONE = "phone", "Par téléphone"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consultant_appointments")
    beneficiary = models.ForeignKey("bilans.Beneficiary", on_delete=models.PROTECT, related_name="appointments")
    bilan = models.ForeignKey("bilans.Bilan", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments")
    session = models.OneToOneField("bilans.Session", null=True, blank=True, on_delete=models.SET_NULL, related_name="appointment")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    modality = models.CharField(max_length=20, choices=Modality.choices, default=Modality.VIDEO)
    location = models.CharField("lieu", max_length=300, blank=True)
    visio_provider = models.CharField(max_length=20, blank=True)
    visio_url = models.URLField(max_length=400, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reminder_24h_sent_at = models.DateTimeField(null=True, blank=True)
    reminder_1h_sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0)  # iCalendar SEQUENCE, bumped on each change
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            ExclusionConstraint(
                name="appointment_no_double_booking",
                expressions=[
                    (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("consultant", RangeOperators.EQUAL),
                ],
                condition=models.Q(status="booked"),
            ),
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_order"),
            models.CheckConstraint(condition=~models.Q(modality="video") | ~models.Q(visio_url=""), name="appointment_video_has_link"),
        ]

    def __str__(self) -> str:
        return f"Rendez-vous du {self.starts_at:%d/%m/%Y %H:%M}"


class CalendarFeed(models.Model):
    """A private, revocable iCalendar feed URL of a user. Only the token's hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(revoked_at__isnull=True), name="calendar_feed_one_active")
        ]
