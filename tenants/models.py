from __future__ import annotations

import re

from django.db import models
from django.db.models.functions import Lower
from django_tenants.models import DomainMixin, TenantMixin

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$"
SLUG_RE = re.compile(SLUG_PATTERN)
# The words of the pricing page (plans.Plan.features) that sell the organisation's own colours.
# EI-03: what invoices of a VAT-exempt organisation print (CGI art. 261-4-4° a).
VAT_EXEMPTION_MENTION = "Exonération de TVA – art. 261-4-4° a du CGI"
RESERVED_SLUGS = frozenset(
    {
        "www", "api", "admin", "static", "media", "public", "console", "staff", "app", "mail", "smtp",
        "ftp", "blog", "help", "aide", "support", "status", "docs", "test", "demo-template", "template",
        "tenant-template", "postgres", "root", "pg", "information-schema", "assets", "cdn", "auth",
        "accounts", "compte", "login", "connexion", "inscription", "signup", "tarifs", "pricing", "healthz",
    }
)


class Organisation(TenantMixin):
    class Kind(models.TextChoices):
        TRAINING_ORGANISATION = "training_organisation", "Organisme de bilans de compétences"
        INDEPENDENT_CONSULTANT = "independent_consultant", "Consultant indépendant"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspendue"
        CLOSED = "closed", "Fermée"

    name = models.CharField("nom", max_length=200)
    slug = models.CharField("adresse", max_length=40, unique=True)
    kind = models.CharField("type", max_length=30, choices=Kind.choices, default=Kind.TRAINING_ORGANISATION)
    status = models.CharField("statut", max_length=20, choices=Status.choices, default=Status.ACTIVE)
    is_template = models.BooleanField(default=False, help_text="Schéma modèle cloné pour les nouvelles organisations")
    owner_email = models.EmailField("e-mail du fondateur", blank=True)
    siret = models.CharField("SIRET", max_length=14, blank=True)
    activity_declaration_number = models.CharField("numéro de déclaration d'activité", max_length=11, blank=True)
    activity_declaration_region = models.CharField("région de la déclaration d'activité", max_length=80, blank=True)
    qualiopi_certificate_number = models.CharField("numéro de certificat Qualiopi", max_length=64, blank=True)
    qualiopi_expires_on = models.DateField("expiration du certificat Qualiopi", null=True, blank=True)
    qualiopi_certified_on = models.DateField("date du certificat Qualiopi", null=True, blank=True)
    qualiopi_certifier = models.CharField("organisme certificateur Qualiopi", max_length=120, blank=True)
    legal_representative = models.CharField("représentant légal", max_length=150, blank=True)
    legal_representative_title = models.CharField("qualité du représentant légal", max_length=80, blank=True)
    vat_exempt = models.BooleanField("exonération de TVA (formation professionnelle continue)", default=False)
    vat_exemption_mention = models.CharField(
        "mention d'exonération de TVA", max_length=200, blank=True, default=VAT_EXEMPTION_MENTION
    )
    brand_colour = models.CharField("couleur de marque", max_length=7, blank=True)
    plan = models.ForeignKey("plans.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="organisations")
    trial_ends_at = models.DateTimeField("fin de l'essai", null=True, blank=True)
    suspended_reason = models.CharField("motif de suspension", max_length=300, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["active", "suspended", "closed"]), name="organisation_status_valid"),
            models.CheckConstraint(
                condition=models.Q(kind__in=["training_organisation", "independent_consultant"]), name="organisation_kind_valid"
            ),
            models.CheckConstraint(condition=models.Q(slug__regex=SLUG_PATTERN), name="organisation_slug_format"),
            models.CheckConstraint(condition=models.Q(siret="") | models.Q(siret__regex=r"^[0-9]{14}$"), name="organisation_siret_format"),
            models.CheckConstraint(
                condition=models.Q(activity_declaration_number="") | models.Q(activity_declaration_number__regex=r"^[0-9]{11}$"),
                name="organisation_nda_format",
            ),
            models.CheckConstraint(
                condition=models.Q(brand_colour="") | models.Q(brand_colour__regex=r"^#[0-9a-fA-F]{6}$"), name="organisation_brand_colour_format"
            ),
            models.UniqueConstraint(
                Lower("owner_email"), condition=~models.Q(owner_email=""), name="organisation_owner_email_unique_ci"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def siren(self) -> str:
        return self.siret[:9] if self.siret else ""

    @property
    def branding_allowed(self) -> bool:
        """Own colours come with the plans that have the "branding" capability (plans.Plan.capabilities,
        what the pricing page lists; plans.selectors.plan_allows reads the same, fresh)."""
        return bool(self.plan_id) and "branding" in (self.plan.capabilities or [])

    @property
    def brand_colour_in_use(self) -> str:
        """The colour of pages, e-mails and PDFs: the organisation's own while its plan includes
        branding, else empty (the platform's default)."""
        return self.brand_colour if self.brand_colour and self.branding_allowed else ""


class Domain(DomainMixin):
    class Meta:
        verbose_name = "domaine"


class LoginHandoff(models.Model):
    """A single-use, short-lived ticket that logs a new administrator in on their subdomain
    right after signing up on the public site (sessions are per subdomain)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user_id = models.BigIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
