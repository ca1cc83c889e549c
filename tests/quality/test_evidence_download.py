"""Qualiopi evidence attached to an indicator can be opened again by the organisation's
administrators, and only by them."""
from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection


def test_admin_downloads_attached_evidence_from_the_indicator_page(in_a, cast_b, settings, tmp_path):
    """Qualiopi audit evidence (Q-04, indicator 17): the link on the indicator page returns the file; consultants
    and beneficiaries get 403, another organisation's administrator 404."""
    settings.MEDIA_ROOT = tmp_path
    admin = in_a.client(in_a.admin)
    response = admin.post(
        "/qualite/indicateurs/17/",
        {"title": "Licences de tests", "dated": "2026-02-01",
         "upload": SimpleUploadedFile("licences.pdf", b"%PDF-1.4 licences", content_type="application/pdf")},
    )
    assert response.status_code == 302
    from bilans.quality.models import Evidence

    connection.set_tenant(in_a.organisation)  # the request left the connection on public

    evidence = Evidence.objects.get(title="Licences de tests")
    url = f"/qualite/preuves/{evidence.pk}/"
    page = admin.get("/qualite/indicateurs/17/").content.decode()
    assert url in page
    download = admin.get(url)
    assert download.status_code == 200 and download.content == b"%PDF-1.4 licences"
    assert download["Content-Type"] == "application/pdf" and 'filename="licences.pdf"' in download["Content-Disposition"]
    for user in (in_a.consultant, in_a.beneficiary_user):
        assert in_a.client(user).get(url).status_code == 403
    assert cast_b.client(cast_b.admin).get(url).status_code == 404
    assert admin.get("/qualite/preuves/00000000-0000-0000-0000-000000000000/").status_code == 404
