"""One family of application errors, mapped to HTTP in exactly one place (this module).

Services raise these; the API answers ``{"code": ..., "detail": ...}`` with the class's status,
and HTML views get a French error page with the same status.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_default_handler


class ApplicationError(Exception):
    status = 400
    code = "invalid"
    default_message = "La demande n'a pas pu être traitée."

    def __init__(self, message: str | None = None, *, code: str | None = None, extra: dict | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(self.message)

    def as_payload(self) -> dict:
        return {"code": self.code, "detail": self.message, **self.extra}


class InvalidInput(ApplicationError):
    status = 400
    code = "invalid"


class PaymentRequired(ApplicationError):
    status = 402
    code = "payment_required"
    default_message = "Cette action nécessite des crédits ou un abonnement supérieur."


class Forbidden(ApplicationError):
    status = 403
    code = "permission_denied"
    default_message = "Vous n'avez pas l'autorisation d'effectuer cette action."


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    default_message = "Élément introuvable."


class TooManyRequests(ApplicationError):
    status = 429
    code = "too_many_requests"
    default_message = "Trop de demandes en peu de temps : réessayez dans quelques minutes."


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    default_message = "Cette action est en conflit avec l'état actuel."


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.Throttled: "throttled",
}


def api_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(exc.as_payload(), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_default_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf_exceptions.Throttled):
        seconds = int(exc.wait or 60)
        response.data = {"code": "throttled", "detail": f"Trop de demandes : réessayez dans {seconds} seconde{'s' if seconds > 1 else ''}."}
        return response
    if isinstance(exc, drf_exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": "Données invalides.", "errors": exc.detail}
    else:
        code = next((c for klass, c in _DRF_CODES.items() if isinstance(exc, klass)), "error")
        response.data = {"code": code, "detail": str(exc.detail)}
    return response


def error_page(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    template = {403: "403.html", 404: "404.html"}.get(error.status, "errors/application_error.html")
    return render(request, template, {"error": error, "message": error.message}, status=error.status)


class ApplicationErrorMiddleware:
    """Turns an ApplicationError escaping an HTML view into a French page with its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and request.path.startswith("/api/") and not _is_json(response):
            # An unknown API address (no route matched): the same JSON body as every API error,
            # not the HTML page meant for people.
            return JsonResponse(NotFound("Cette adresse d'API n'existe pas.").as_payload(), status=404)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, ApplicationError):
            if request.path.startswith("/api/"):
                return JsonResponse(exception.as_payload(), status=exception.status)
            return error_page(request, exception)
        return None


def _is_json(response) -> bool:
    return response.get("Content-Type", "").split(";")[0].strip().endswith("json")
