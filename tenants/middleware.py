"""Host → organisation routing, and the gate for suspended or closed organisations."""
from __future__ import annotations

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from tenants.models import Domain, Organisation

TENANT_CACHE_SECONDS = 30


def tenant_cache_key(hostname: str) -> str:
    return f"host:{hostname}"


def public_tenant() -> Organisation:
    """The public schema has no organisation row: an unsaved stand-in carries its schema name."""
    return Organisation(schema_name=get_public_schema_name(), name=settings.PLATFORM_NAME, slug="")


class TenantRoutingMiddleware(TenantMainMiddleware):
    """The bare platform domain is the public site; ``<slug>.<domain>`` is an organisation.

    The domain lookup is the largest cost of a small request (see bench/), so the organisation
    is cached for a short time and evicted when it changes (tenants.signals)."""

    def get_tenant(self, domain_model, hostname):
        if hostname == settings.PLATFORM_DOMAIN:
            return public_tenant()
        key = tenant_cache_key(hostname)
        cached = caches["routing"].get(key)
        if cached is not None:
            return cached
        domain = domain_model.objects.select_related("tenant").get(domain=hostname, tenant__is_template=False)
        caches["routing"].set(key, domain.tenant, TENANT_CACHE_SECONDS)
        return domain.tenant

    def no_tenant_found(self, request, hostname):
        connection.set_schema_to_public()
        request.tenant = public_tenant()
        request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
        return render(
            request,
            "tenants/unknown_organisation.html",
            {"hostname": hostname, "platform_url": f"{request.scheme}://{settings.PLATFORM_DOMAIN}{_port(request)}/"},
            status=404,
        )


def _port(request) -> str:
    host = request.get_host()
    return f":{host.rsplit(':', 1)[1]}" if ":" in host else ""


class OrganisationStatusMiddleware:
    """A suspended or closed organisation answers a French page (API: 403
    ``organisation_suspended``) on every route but /healthz. Its data is untouched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        organisation = getattr(request, "tenant", None)
        if (
            organisation is not None
            and organisation.schema_name != get_public_schema_name()
            and organisation.status != Organisation.Status.ACTIVE
            and request.path != "/healthz"
            and not request.path.startswith(settings.STATIC_URL)
        ):
            suspended = organisation.status == Organisation.Status.SUSPENDED
            code = "organisation_suspended" if suspended else "organisation_closed"
            message = (
                "Cet espace est suspendu. Ses données sont conservées ; contactez le support de la plateforme."
                if suspended
                else "Cet espace a été fermé."
            )
            if request.path.startswith("/api/"):
                return JsonResponse({"code": code, "detail": message}, status=403)
            return render(request, "tenants/suspended.html", {"message": message, "suspended": suspended}, status=403)
        return self.get_response(request)
