from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import Organisation


def site_url(host: str | None = None, path: str = "/") -> str:
    """Absolute URL on this platform: scheme and port of settings.SITE_URL, on ``host`` (the
    platform's own host when None, an organisation's ``<slug>.<domain>`` for organisation_url)."""
    site = urlsplit(settings.SITE_URL)
    port = f":{site.port}" if site.port else ""
    return f"{site.scheme}://{host or site.hostname}{port}{path}"


def organisation_url(organisation: Organisation, path: str = "/") -> str:
    return site_url(f"{organisation.slug}.{settings.PLATFORM_DOMAIN}", path)


def current_organisation() -> Organisation | None:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or tenant.schema_name == get_public_schema_name():
        return None
    return tenant


def organisation_list(*, search: str = "", status: str = "") -> QuerySet[Organisation]:
    qs = Organisation.objects.filter(is_template=False).select_related("plan").order_by("-created_at")
    if search:
        from django.db.models import Q

        qs = qs.filter(Q(name__icontains=search) | Q(slug__icontains=search) | Q(siret__startswith=search))
    if status:
        qs = qs.filter(status=status)
    return qs


def organisation_counts(organisations) -> dict[int, dict[str, int]]:
    """Member and beneficiary counts per organisation, read with one query per schema.
    Counts only: the console never reads a beneficiary's data."""
    counts: dict[int, dict[str, int]] = {}
    with connection.cursor() as cursor:
        for organisation in organisations:
            schema = connection.ops.quote_name(organisation.schema_name)
            cursor.execute(
                f"SELECT (SELECT count(*) FROM {schema}.accounts_user WHERE role <> 'beneficiary'),"
                f" (SELECT count(*) FROM {schema}.accounts_user WHERE role = 'beneficiary'),"
                f" (SELECT count(*) FROM {schema}.bilans_beneficiary),"
                f" (SELECT count(*) FROM {schema}.bilans_bilan),"
                f" (SELECT count(*) FROM {schema}.bilans_bilan WHERE status IN ('prospect', 'preliminary', 'investigation', 'conclusions'))"
            )
            members, beneficiary_accounts, beneficiaries, bilans, open_bilans = cursor.fetchone()
            counts[organisation.pk] = {
                "members": members,
                "beneficiary_accounts": beneficiary_accounts,
                "beneficiaries": beneficiaries,
                "bilans": bilans,
                "open_bilans": open_bilans,
            }
    return counts
