"""Bad input on the documents routes answers a French 4xx, never a 500."""
from __future__ import annotations

import pytest

from tests.documents.factories import bilan_for, drafted

pytestmark = pytest.mark.django_db

ODD_NUMBERS = ["²", "١", "①", "1²", "-1", "1.0", "", " ", "9999999999999999999999", "abc"]


def test_version_comparison_with_a_non_ascii_digit_is_not_found(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    client = cast_a.client(cast_a.consultant)
    assert client.get(f"/documents/{document.pk}/comparer/?de=1&a=1").status_code == 200
    for value in ODD_NUMBERS:
        for query in (f"de={value}", f"a={value}"):
            response = client.get(f"/documents/{document.pk}/comparer/", {query.split("=")[0]: value})
            assert response.status_code == 404, (value, response.status_code)
            assert "Version introuvable" in response.content.decode()


def test_api_diff_with_a_non_ascii_digit_answers_a_json_404(cast_a):
    bilan = bilan_for(cast_a)
    document = drafted(cast_a, bilan, "synthesis")
    client = cast_a.client(cast_a.consultant)
    assert client.get(f"/api/v1/documents/{document.pk}/diff/?from=1&to=1").status_code == 200
    for value in ODD_NUMBERS:
        for key in ("from", "to"):
            response = client.get(f"/api/v1/documents/{document.pk}/diff/", {key: value})
            assert response.status_code == 404, (key, value, response.status_code)
            assert response.json() == {"code": "version_not_found", "detail": "Version introuvable."}
