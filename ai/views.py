"""HTML pages of the ROME referential: search with htmx autocomplete, fiche métier.

Served on organisation subdomains to members, and on the bare platform domain to anyone (the
referential is open data)."""
from __future__ import annotations

from django.shortcuts import render

from ai.search import occupation_search
from ai.selectors import occupation_sheet, rome_credit
from organisations.accounts.models import Role
from organisations.permissions import role_required

members = role_required(Role.ADMIN, Role.CONSULTANT, Role.BENEFICIARY)


def _search(request):
    query = request.GET.get("q", "").strip()
    hits = occupation_search(query, limit=20) if query else []
    context = {"query": query, "hits": hits, "credit": rome_credit(), "mode": request.GET.get("mode", "")}
    if request.htmx:
        return render(request, "ai/_search_results.html", context)
    return render(request, "ai/occupation_search.html", context)


def _sheet(request, code):
    return render(request, "ai/occupation_detail.html", {"sheet": occupation_sheet(code)})


def _suggestions(request):
    """Autocomplete: up to 8 métiers; ``mode=choix`` renders radio buttons named ``field``."""
    query = request.GET.get("q", "").strip()
    field = request.GET.get("field", "code_rome")
    if not field.replace("_", "").isalnum():
        field = "code_rome"
    hits = occupation_search(query, limit=8) if len(query) >= 2 else []
    return render(
        request, "ai/_suggestions.html", {"query": query, "hits": hits, "mode": request.GET.get("mode", ""), "field": field}
    )


occupation_search_view = members(_search)
occupation_detail_view = members(_sheet)
occupation_suggestions_view = members(_suggestions)
public_occupation_search_view = _search
public_occupation_detail_view = _sheet
public_occupation_suggestions_view = _suggestions
