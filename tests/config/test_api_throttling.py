"""Costly and anonymous endpoints are throttled: a French 429 with a stable code, Retry-After,
and nothing lost for the others."""
import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _rates(**rates):
    from django.conf import settings

    return override_settings(API_THROTTLE_RATES={**settings.API_THROTTLE_RATES, **rates})


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("petit.pdf", b"%PDF-1.4 rien", content_type="application/pdf")


def test_anonymous_calls_are_limited_per_address(org_a):
    with _rates(anonymous="3/min", verify="100/min"):
        client = client_for(org_a)
        statuses = [client.post("/api/v1/documents/verify/", {"file": _pdf()}).status_code for _ in range(3)]
        assert 429 not in statuses
        refused = client.post("/api/v1/documents/verify/", {"file": _pdf()})
        assert refused.status_code == 429
        assert refused.json()["code"] == "throttled" and "réessayez dans" in refused.json()["detail"]
        assert int(refused["Retry-After"]) > 0
        other = client_for(org_a).post("/api/v1/documents/verify/", {"file": _pdf()}, REMOTE_ADDR="198.51.100.7")
        assert other.status_code != 429  # another address is not affected


def test_a_user_is_limited_and_other_users_are_not(cast_a):
    with _rates(user="2/min"):
        client = cast_a.client(cast_a.consultant)
        assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
        assert cast_a.client(cast_a.other_consultant).get("/api/v1/me/").status_code == 200


def test_the_anonymous_pdf_verification_is_limited_and_capped(org_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(org_a)
    with override_settings(VERIFY_UPLOAD_MAX_BYTES=1024):
        big = SimpleUploadedFile("gros.pdf", b"%PDF-" + b"0" * 2048, content_type="application/pdf")
        response = client.post("/api/v1/documents/verify/", {"file": big})
        assert response.status_code == 400 and response.json()["code"] == "file_too_large"
        page = client.post("/documents/verifier/", {"file": SimpleUploadedFile("gros.pdf", b"%PDF-" + b"0" * 2048)})
        assert page.status_code == 400 and "Le fichier dépasse" in page.content.decode()
    cache.clear()  # the two refused uploads above counted
    with _rates(verify="2/min"):
        statuses = [client.post("/api/v1/documents/verify/", {"file": _pdf()}).status_code for _ in range(3)]
        assert statuses[2] == 429 and 429 not in statuses[:2]
        page = client.post("/documents/verifier/", {"file": _pdf()})
        assert page.status_code == 429 and "Trop de vérifications" in page.content.decode()
