"""The OpenAPI schema and its documentation page, public or for signed-in people only
(``API_DOCS_PUBLIC``; issue 13, point 10). Production default: signed-in only, so that an
organisation's subdomain does not describe its API to anyone passing by."""
from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny, IsAuthenticated


def _permissions():
    return [AllowAny()] if settings.API_DOCS_PUBLIC else [IsAuthenticated()]


class ApiSchemaView(SpectacularAPIView):
    """Signed in by session or by API token when the docs are not public (401/403 JSON otherwise)."""

    def get_permissions(self):
        return _permissions()

    def handle_exception(self, exc):
        # The negotiated renderer is the OpenAPI one (YAML): errors get the API's JSON body instead.
        response = super().handle_exception(exc)
        json_response = JsonResponse(response.data, status=response.status_code)
        for header in ("WWW-Authenticate",):
            if header in response:
                json_response[header] = response[header]
        return json_response


class ApiDocsView(SpectacularSwaggerView):
    """A page for people: when the docs are not public, an anonymous visitor is sent to the login page."""

    def dispatch(self, request, *args, **kwargs):
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            return redirect(reverse("account_login") + "?" + urlencode({"next": request.get_full_path()}))
        return super().dispatch(request, *args, **kwargs)

    def get_permissions(self):
        return _permissions()
