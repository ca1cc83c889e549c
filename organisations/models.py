from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models

from organisations.accounts.models import Role


class Invitation(models.Model):
    """An invitation to join the organisation: valid INVITATION_VALIDITY_DAYS, single use."""

    email = models.EmailField("adresse e-mail")
    role = models.CharField("rôle", max_length=20, choices=[(r.value, r.label) for r in (Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)])
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    beneficiary = models.ForeignKey("bilans.Beneficiary", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=["admin", "consultant", "beneficiary"]), name="invitation_role_valid"),
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="invitation_expiry_after_creation"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.email} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class Notification(models.Model):
    """An in-app notification for one member (appointments, documents to read, tasks, credit
    alerts). Created through organisations.services.notification_create only."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"])]


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored: the key is shown once, at creation.
    It expires, carries a scope (read-only or read-write) and can be revoked one by one."""

    class Scope(models.TextChoices):
        READ = "read", "Lecture seule"
        READ_WRITE = "read_write", "Lecture et écriture"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nom", max_length=80)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField("droits", max_length=12, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField("expire le")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_creation"),
            models.CheckConstraint(condition=models.Q(scope__in=["read", "read_write"]), name="api_token_scope_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(key: str) -> str:
        """What is stored of a key: its SHA-256."""
        return hashlib.sha256(key.encode()).hexdigest()


class PublicPage(models.Model):
    """The organisation's presentation page at its address (one row): what Qualiopi indicator 1
    asks an organisation to publish about its offer, and the switch of the request form.
    Unpublished (the default), the address leads visitors to the login page."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    is_published = models.BooleanField("publier la page de présentation", default=False)
    requests_open = models.BooleanField("proposer le formulaire « Demander un rendez-vous »", default=True)
    presentation = models.TextField("présentation de l'organisme", blank=True)
    objectives = models.TextField("objectifs du bilan", blank=True)
    prerequisites = models.TextField("prérequis", blank=True)
    duration = models.TextField("durée et rythme", blank=True)
    access = models.TextField("délais et modalités d'accès", blank=True)
    prices = models.TextField("tarifs", blank=True)
    funding = models.TextField("modes de financement", blank=True)
    methods = models.TextField("méthodes mobilisées", blank=True)
    evaluation = models.TextField("modalités d'évaluation", blank=True)
    accessibility = models.TextField("accessibilité aux personnes en situation de handicap", blank=True)
    disability_contact_name = models.CharField("référent handicap", max_length=150, blank=True)
    disability_contact_email = models.EmailField("e-mail du référent handicap", blank=True)
    disability_contact_phone = models.CharField("téléphone du référent handicap", max_length=30, blank=True)
    contact_email = models.EmailField("e-mail de contact", blank=True)
    contact_phone = models.CharField("téléphone de contact", max_length=30, blank=True)
    updated_at = models.DateTimeField("mise à jour le", auto_now=True)

    class Meta:
        verbose_name = "page de présentation"
        constraints = [models.CheckConstraint(condition=models.Q(singleton=True), name="public_page_singleton")]


class ContactRequest(models.Model):
    """A request for an appointment sent from the public page by a visitor: the prospect's
    beneficiary file (created or found by e-mail) and the consent to be contacted."""

    class Status(models.TextChoices):
        NEW = "new", "Nouvelle"
        HANDLED = "handled", "Traitée"

    beneficiary = models.ForeignKey("bilans.Beneficiary", on_delete=models.CASCADE, related_name="contact_requests")
    message = models.TextField("message", blank=True)
    funding = models.CharField("financement envisagé", max_length=40, blank=True)
    consent_text = models.TextField("texte du consentement accepté")
    consent_at = models.DateTimeField("consentement recueilli le")
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.NEW)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "demande de rendez-vous"
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["new", "handled"]), name="contact_request_status_valid"),
            models.CheckConstraint(
                condition=models.Q(status="new") | models.Q(handled_at__isnull=False), name="contact_request_handled_has_date"
            ),
        ]
