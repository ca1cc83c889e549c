"""Writes on organisations: creation (used by the signup page, the staff console and
``manage.py create_organisation``), suspension, reactivation and the post-signup login handoff."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from config.errors import Conflict, InvalidInput, NotFound
from organisations.accounts.models import Role, User
from organisations.accounts.services import audit_event_record, user_create
from plans.selectors import plan_default_trial, plan_for_signup
from plans.services import subscription_start_trial
from tenants.models import RESERVED_SLUGS, SLUG_RE, Domain, LoginHandoff, Organisation

TRIAL_DAYS = 14


def schema_name_for_slug(slug: str) -> str:
    # Hosts cannot contain underscores and schemas are awkward with hyphens: map one to the other.
    return "org_" + slug.replace("-", "_")


def organisation_domain(slug: str) -> str:
    return f"{slug}.{settings.PLATFORM_DOMAIN}"


def slug_validate(slug: str) -> str:
    """Return the normalised slug or raise InvalidInput with a French message."""
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or "--" in slug:
        raise InvalidInput(
            "L'adresse doit comporter de 3 à 40 caractères : lettres minuscules sans accent, chiffres "
            "et tirets, sans tiret au début ni à la fin.",
            code="invalid_slug",
        )
    if slug in RESERVED_SLUGS:
        raise InvalidInput(f"L'adresse « {slug} » est réservée, choisissez-en une autre.", code="reserved_slug")
    if Organisation.objects.filter(slug=slug).exists() or schema_exists(schema_name_for_slug(slug)):
        raise Conflict(f"L'adresse « {slug} » est déjà utilisée par une autre organisation.", code="slug_taken")
    return slug


def template_schema_ensure() -> Organisation:
    """The template schema new organisations are cloned from. It is a tenant row so that
    ``migrate_schemas`` keeps it current (a stale template would be cloned silently broken)."""
    template = Organisation.objects.filter(schema_name=settings.TENANT_TEMPLATE_SCHEMA).first()
    if template is None:
        template = Organisation(
            schema_name=settings.TENANT_TEMPLATE_SCHEMA,
            slug="tenant-template",
            name="Modèle de schéma (interne)",
            is_template=True,
            status=Organisation.Status.CLOSED,
        )
        template.save(verbosity=0)
    return template


SPARE_PREFIX = "spare_"
# PostgreSQL advisory lock keys. Two clone_schema runs at once can fail on the shared catalogue
# ("tuple concurrently updated"), and two refills at once would overfill the pool.
SCHEMA_CLONE_LOCK = 0x5C4E_0001
SPARE_REFILL_LOCK = 0x5C4E_0002


def _serialize_schema_cloning() -> None:
    """Inside a transaction: wait until no other schema is being cloned (released at commit)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SCHEMA_CLONE_LOCK])


def spare_schema_create() -> Organisation:
    """A ready-made organisation schema waiting to be claimed. Cloning slows down as the
    database grows (pg_catalog scans: see bench/organisation_creation.py), so signups take a
    spare and rename it — constant time — while a job makes the next spare in the background.
    Spares are internal tenant rows (is_template) so that migrate_schemas keeps them current."""
    if not Organisation.objects.filter(schema_name=settings.TENANT_TEMPLATE_SCHEMA).exists():
        template_schema_ensure()
    token = secrets.token_hex(6)
    spare = Organisation(
        schema_name=f"{SPARE_PREFIX}{token}",
        slug=f"spare-{token}",
        name="Réserve de schéma (interne)",
        is_template=True,
        status=Organisation.Status.CLOSED,
    )
    with transaction.atomic():
        _serialize_schema_cloning()
        spare.save(verbosity=0)
    return spare


def spare_pool_refill() -> int:
    """Top the pool of spare schemas up to SPARE_SCHEMA_POOL_SIZE; returns how many were made.
    Single-flight: a burst of signups queues many refills, and only one of them works at a time;
    the others return 0 at once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [SPARE_REFILL_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    try:
        missing = settings.SPARE_SCHEMA_POOL_SIZE - Organisation.objects.filter(
            is_template=True, schema_name__startswith=SPARE_PREFIX
        ).count()
        for _ in range(max(0, missing)):
            spare_schema_create()
        return max(0, missing)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [SPARE_REFILL_LOCK])


def _spare_schema_claim(schema_name: str) -> Organisation | None:
    """Inside the caller's transaction: lock one spare and rename its schema."""
    spare = (
        Organisation.objects.select_for_update(skip_locked=True)
        .filter(is_template=True, schema_name__startswith=SPARE_PREFIX)
        .order_by("pk")
        .first()
    )
    if spare is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER SCHEMA {connection.ops.quote_name(spare.schema_name)} RENAME TO {connection.ops.quote_name(schema_name)}"
        )
    return spare


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    administrator: User


def organisation_create(
    *,
    name: str,
    slug: str,
    kind: str,
    admin_email: str,
    admin_password: str | None,
    admin_first_name: str = "",
    admin_last_name: str = "",
    created_by: User | None = None,
    siret: str = "",
    plan_code: str = "",
) -> NewOrganisation:
    """Create the organisation row, its schema (cloned from the template), its domain and its
    first administrator. Everything or nothing. ``plan_code``: the plan chosen on the pricing
    page, tried during the trial (Starter otherwise)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("Le nom de l'organisation est obligatoire.", code="name_required")
    if kind not in Organisation.Kind.values:
        raise InvalidInput("Type d'organisation inconnu.", code="invalid_kind")
    admin_email = (admin_email or "").strip().lower()
    try:
        validate_email(admin_email)
    except ValidationError:
        raise InvalidInput("L'adresse e-mail de l'administrateur n'est pas valide.", code="invalid_email") from None
    if admin_password is not None:
        try:
            password_validation.validate_password(admin_password, User(email=admin_email, first_name=admin_first_name, last_name=admin_last_name))
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), code="weak_password") from None
    if siret and not (siret.isdigit() and len(siret) == 14):
        raise InvalidInput("Le SIRET doit comporter 14 chiffres.", code="invalid_siret")

    # The template is created outside the organisation's transaction the very first time only.
    if not Organisation.objects.filter(schema_name=settings.TENANT_TEMPLATE_SCHEMA).exists():
        template_schema_ensure()

    slug = slug_validate(slug)
    if Organisation.objects.filter(owner_email__iexact=admin_email).exists():
        raise Conflict(
            "Un espace a déjà été créé avec cette adresse e-mail. Connectez-vous sur votre espace ou utilisez une autre adresse.",
            code="email_taken",
        )
    try:
        with transaction.atomic():
            schema_name = schema_name_for_slug(slug)
            organisation = _spare_schema_claim(schema_name) or Organisation()
            if organisation.pk:
                from config.dramatiq import enqueue_on_commit
                from tenants.tasks import refill_spare_schemas

                enqueue_on_commit(refill_spare_schemas)
                organisation.created_at = timezone.now()
            else:
                _serialize_schema_cloning()
            organisation.schema_name = schema_name
            organisation.slug = slug
            organisation.name = name
            organisation.kind = kind
            organisation.owner_email = admin_email
            organisation.siret = siret
            organisation.is_template = False
            organisation.status = Organisation.Status.ACTIVE
            organisation.plan = plan_for_signup(plan_code) or plan_default_trial()
            organisation.trial_ends_at = timezone.now() + timedelta(days=TRIAL_DAYS)
            organisation.save(verbosity=0)
            Domain.objects.create(domain=organisation_domain(slug), tenant=organisation, is_primary=True)
            subscription_start_trial(organisation=organisation, actor=created_by)  # 14-day Starter trial + credits
            with schema_context(organisation.schema_name):
                administrator = user_create(
                    email=admin_email,
                    role=Role.ADMIN,
                    password=admin_password,
                    first_name=admin_first_name,
                    last_name=admin_last_name,
                )
                audit_event_record(
                    action="organisation.created", actor=administrator, target=administrator, target_label=name
                )
            audit_event_record(
                action="organisation.created",
                actor=created_by,
                target=organisation,
                target_label=name,
                details={"slug": slug, "kind": kind, "via": "console" if created_by else "signup"},
            )
    except IntegrityError as exc:  # a concurrent signup took the slug or the e-mail
        raise Conflict("Cette adresse ou cet e-mail vient d'être utilisé par une autre inscription.", code="slug_taken") from exc
    finally:
        connection.set_schema_to_public()
    return NewOrganisation(organisation=organisation, administrator=administrator)


def _set_status(*, organisation: Organisation, status: str, actor: User | None, reason: str = "") -> Organisation:
    if organisation.is_template:
        raise NotFound("Organisation introuvable.")
    previous = organisation.status
    if previous == status:
        return organisation
    organisation.status = status
    organisation.suspended_reason = reason if status == Organisation.Status.SUSPENDED else ""
    organisation.save(update_fields=["status", "suspended_reason", "updated_at"])
    audit_event_record(
        action=f"organisation.{status}",
        actor=actor,
        target=organisation,
        target_label=organisation.name,
        details={"from": previous, "to": status, "reason": reason},
    )
    return organisation


@transaction.atomic
def organisation_suspend(*, organisation: Organisation, actor: User | None, reason: str = "") -> Organisation:
    """Block access to the organisation. Nothing is deleted."""
    return _set_status(organisation=organisation, status=Organisation.Status.SUSPENDED, actor=actor, reason=reason.strip())


@transaction.atomic
def organisation_reactivate(*, organisation: Organisation, actor: User | None) -> Organisation:
    return _set_status(organisation=organisation, status=Organisation.Status.ACTIVE, actor=actor)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login_handoff_create(*, organisation: Organisation, user: User) -> str:
    token = secrets.token_urlsafe(32)
    LoginHandoff.objects.create(
        organisation=organisation,
        user_id=user.pk,
        token_hash=_hash_token(token),
        expires_at=timezone.now() + timedelta(seconds=settings.HANDOFF_VALIDITY_SECONDS),
    )
    return token


def login_handoff_consume(*, organisation: Organisation, token: str) -> int | None:
    """Mark the ticket used and return the user id, or None if unknown, used or expired."""
    now = timezone.now()
    updated = LoginHandoff.objects.filter(
        organisation=organisation, token_hash=_hash_token(token or ""), used_at__isnull=True, expires_at__gt=now
    )
    handoff = updated.first()
    if handoff is None or not updated.update(used_at=now):
        return None
    return handoff.user_id
