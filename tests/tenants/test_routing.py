import pytest
from django.conf import settings

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_unknown_subdomain_gets_french_404(db):
    from django.test import Client

    response = Client(HTTP_HOST=f"inconnu.{settings.PLATFORM_DOMAIN}").get("/")
    assert response.status_code == 404
    assert "Cet espace n'existe pas" in response.content.decode()


def test_healthz_on_public_and_organisation_hosts(org_a):
    for client in (client_for(None), client_for(org_a)):
        response = client.get("/healthz")
        assert response.status_code == 200
        body = response.json()
        assert body["database"] == "ok" and body["broker"] in ("ok", "in-process")
        # the public health check does not reveal which schema (organisation) answered
        assert "schema" not in body and org_a.schema_name not in response.content.decode()


def test_api_docs_and_schema(cast_a):
    client = cast_a.client(cast_a.consultant)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/beneficiaries/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_api_pagination(cast_a):
    body = cast_a.client(cast_a.admin).get("/api/v1/users/").json()
    assert {"count", "next", "previous", "results"} <= body.keys()


def test_public_domain_has_no_organisation_routes(db):
    assert client_for(None).get("/api/v1/me/").status_code == 404
