"""bilans.assessments owns its routes (HTML and API); config/urls_tenant.py includes them. The
URL paths and names are unchanged from when they were mounted through the ai app."""
from __future__ import annotations

import uuid

import pytest
from django.urls import resolve, reverse

TENANT = "config.urls_tenant"
PK = uuid.UUID("12345678-1234-5678-1234-567812345678")

HTML = [
    ("assessments:follow_up", {}, "/suivi-questionnaires/"),
    ("assessments:bilan", {"bilan_id": PK}, f"/bilans/{PK}/questionnaires/"),
    ("assessments:assign", {"bilan_id": PK}, f"/bilans/{PK}/questionnaires/proposer/"),
    ("assessments:feedback", {"bilan_id": PK}, f"/bilans/{PK}/retours-360/"),
    ("assessments:matching", {"bilan_id": PK}, f"/bilans/{PK}/pistes/"),
    ("assessments:matching_analysis", {"bilan_id": PK}, f"/bilans/{PK}/pistes/analyse/"),
    ("assessments:matching_detail", {"bilan_id": PK, "code": "M1805"}, f"/bilans/{PK}/pistes/M1805/"),
    ("assessments:projects", {"bilan_id": PK}, f"/bilans/{PK}/projets/"),
    ("assessments:mine", {}, "/mes-questionnaires/"),
    ("assessments:my_projects", {}, "/mes-projets/"),
    ("assessments:answer", {"pk": PK}, f"/questionnaires/{PK}/"),
    ("assessments:result", {"pk": PK}, f"/resultats/{PK}/"),
    ("assessments:skill_review", {"pk": PK}, f"/resultats/{PK}/relecture/"),
    ("assessments:feedback_answer", {"token": "abc"}, "/retour-360/abc/"),
]
API = [
    ("api:bilan-assessments", {"bilan_id": PK}, f"/api/v1/bilans/{PK}/assessments/"),
    ("api:bilan-results", {"bilan_id": PK}, f"/api/v1/bilans/{PK}/results/"),
    ("api:bilan-matching", {"bilan_id": PK}, f"/api/v1/bilans/{PK}/matching/"),
    ("api:result", {"pk": PK}, f"/api/v1/results/{PK}/"),
]
ROME = [
    ("rome_occupations", {}, "/metiers/", "ai.views"),
    ("rome_occupation", {"code": "M1805"}, "/metiers/M1805/", "ai.views"),
    ("api:rome-search", {}, "/api/v1/rome/search/", "ai.api"),
]


@pytest.mark.parametrize(("name", "kwargs", "path"), HTML + API)
def test_assessment_routes_keep_their_paths_and_names(name, kwargs, path):
    assert reverse(name, urlconf=TENANT, kwargs=kwargs) == path
    match = resolve(path, urlconf=TENANT)
    assert match.func.__module__ in ("bilans.assessments.views", "bilans.assessments.api")
    assert match.view_name == name


@pytest.mark.parametrize(("name", "kwargs", "path", "module"), ROME)
def test_rome_routes_stay_with_the_ai_app(name, kwargs, path, module):
    assert reverse(name, urlconf=TENANT, kwargs=kwargs) == path
    assert resolve(path, urlconf=TENANT).func.__module__ == module


def test_each_app_owns_its_routes():
    """The ai app no longer mounts the questionnaires; config includes bilans.assessments."""
    import ai.api_urls
    import ai.urls_tenant
    import config.urls_tenant

    for module in (ai.urls_tenant, ai.api_urls):
        assert all(not hasattr(p, "url_patterns") for p in module.urlpatterns), module.__name__
    included = {getattr(p.urlconf_module, "__name__", None) for p in config.urls_tenant.urlpatterns if hasattr(p, "url_patterns")}
    assert "bilans.assessments.urls" in included
    api = next(p for p in config.urls_tenant.urlpatterns if getattr(p, "namespace", None) == "api")
    assert "bilans.assessments.api_urls" in {getattr(p.urlconf_module, "__name__", None) for p in api.url_patterns}
