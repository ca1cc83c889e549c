"""No 500 on any input: every route of the organisation and platform URL confs answers GET and
an empty POST, for every role, with unknown identifiers in the path, without a server error."""
from __future__ import annotations

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CONVERTER_VALUES = {"uuid": lambda: str(uuid.uuid4()), "int": lambda: "987654", "slug": lambda: "inconnu", "str": lambda: "inconnu", "path": lambda: "inconnu/x"}
SKIPPED_PREFIXES = ("static/", "media/", "__debug__/")


def _route_text(pattern) -> str | None:
    """A concrete path for one pattern piece, or None when it is a regular expression we cannot
    fill in (its concrete paths are then not exercised here)."""
    text = str(pattern.pattern)
    if hasattr(pattern.pattern, "_route"):  # path() syntax
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: CONVERTER_VALUES[m.group(1) or "str"](), text)
    text = text.lstrip("^").rstrip("$").replace("\\Z", "")
    if any(ch in text for ch in "()[]*+?{}|"):
        return None
    return text.replace("\\", "")


def concrete_paths(urlconf: str) -> list[str]:
    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            piece = _route_text(pattern)
            if piece is None:
                continue
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + piece)
            elif isinstance(pattern, URLPattern):
                paths.append("/" + prefix + piece)

    walk(get_resolver(urlconf).url_patterns, "")
    return sorted({p for p in paths if not p.lstrip("/").startswith(SKIPPED_PREFIXES)})


SESSION_ENDING = ("logout", "deconnexion")


def server_errors(client, paths: list[str]) -> list[str]:
    """Requests every path; a POST that would end the session (logout) is left out so that the
    rest still run as the same user."""
    failures = []
    for path in paths:
        for method in ("get", "post"):
            if method == "post" and any(word in path for word in SESSION_ENDING):
                continue
            response = getattr(client, method)(path)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {path} → {response.status_code}")
    return failures


def test_every_organisation_route_answers_every_role_without_a_server_error(cast_a):
    paths = concrete_paths("config.urls_tenant")
    assert len(paths) > 100  # the enumeration really walks the URL conf
    failures = []
    for user in (None, cast_a.admin, cast_a.consultant, cast_a.beneficiary_user):
        failures += [f"{getattr(user, 'role', 'anonyme')}: {f}" for f in server_errors(cast_a.client(user), paths)]
    assert failures == []


def test_every_platform_route_answers_visitors_and_staff_without_a_server_error(db, staff_user):
    paths = concrete_paths("config.urls_public")
    assert len(paths) > 20
    failures = []
    for user in (None, staff_user):
        failures += [f"{'staff' if user else 'anonyme'}: {f}" for f in server_errors(client_for(None, user), paths)]
    assert failures == []
