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
