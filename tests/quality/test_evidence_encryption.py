"""Qualiopi evidence files are encrypted at rest (config.crypto, like message attachments and bilan
documents); the administrator's download and the audit bundle give back the original bytes, and
files attached before encryption are still read as they are."""
from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from bilans.quality.bundle import build_audit_bundle
from bilans.quality.models import Evidence
from organisations.accounts.models import AuditEvent

PLAIN = b"%PDF-1.4 procedure d'accueil des personnes en situation de handicap " * 20


def _bundle_pieces() -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(build_audit_bundle(start=date(2026, 1, 1), end=date(2026, 12, 31), organisation_name="Alpha")))
    return {name: archive.read(name) for name in archive.namelist() if "/pieces/" in name}


def test_uploaded_evidence_is_encrypted_on_disk_and_given_back_in_clear(in_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = in_a.client(in_a.admin)
    response = admin.post(
        "/qualite/indicateurs/26/",
        {"title": "Convention Cap emploi", "dated": "2026-03-01",
         "upload": SimpleUploadedFile("convention.pdf", PLAIN, content_type="application/pdf")},
    )
    assert response.status_code == 302
    connection.set_tenant(in_a.organisation)  # the request left the connection on public
    evidence = Evidence.objects.get(title="Convention Cap emploi")
    assert evidence.encrypted is True
    on_disk = (Path(settings.MEDIA_ROOT) / evidence.file.name).read_bytes()
    assert on_disk != PLAIN and b"procedure d'accueil" not in on_disk and b"%PDF" not in on_disk
    assert AuditEvent.objects.get(action="quality.evidence_attached", object_id=str(evidence.pk)).details["encrypted"] is True

    download = admin.get(f"/qualite/preuves/{evidence.pk}/")
    assert download.status_code == 200 and download.content == PLAIN
    connection.set_tenant(in_a.organisation)
    assert AuditEvent.objects.filter(action="quality.evidence_downloaded", object_id=str(evidence.pk)).exists()

    pieces = _bundle_pieces()
    assert pieces[f"indicateur-26/pieces/{evidence.pk.hex[:8]}-convention.pdf"] == PLAIN


def test_evidence_attached_before_encryption_is_still_read(in_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    legacy = Evidence(indicator=17, title="Licences (ancien dépôt)", dated=date(2026, 2, 1), filename="licences.pdf", content_type="application/pdf")
    legacy.file.save("licences.pdf", ContentFile(b"%PDF-1.4 licences en clair"), save=False)
    legacy.save()
    assert legacy.encrypted is False
    download = in_a.client(in_a.admin).get(f"/qualite/preuves/{legacy.pk}/")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 licences en clair"
    connection.set_tenant(in_a.organisation)
    assert _bundle_pieces()[f"indicateur-17/pieces/{legacy.pk.hex[:8]}-licences.pdf"] == b"%PDF-1.4 licences en clair"


def test_evidence_whose_file_was_lost_answers_404_and_the_bundle_is_still_built(in_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from bilans.quality.services import evidence_attach

    evidence = evidence_attach(
        actor=in_a.admin, indicator=17, title="Fichier perdu", dated=date(2026, 2, 1),
        upload=SimpleUploadedFile("perdu.pdf", b"%PDF-1.4 perdu", content_type="application/pdf"),
    )
    (Path(settings.MEDIA_ROOT) / evidence.file.name).unlink()
    response = in_a.client(in_a.admin).get(f"/qualite/preuves/{evidence.pk}/")
    assert response.status_code == 404 and "introuvable" in response.content.decode()
    connection.set_tenant(in_a.organisation)
    assert not any(name.endswith("perdu.pdf") for name in _bundle_pieces())


def test_evidence_attached_before_encryption_gets_encrypted_by_the_periodic_job(in_a, settings, tmp_path, django_capture_on_commit_callbacks):
    """The daily job rewrites a plain legacy file encrypted, deletes the plain one, and the
    administrator and the audit bundle still get the original bytes. A second run does nothing."""
    import bilans.quality.tasks  # noqa: F401  (registers the job, as the scheduler's app loading does)
    from bilans.quality.services import evidence_encrypt_legacy
    from config.scheduler import REGISTRY

    assert REGISTRY["encrypt_legacy_evidence"].per_organisation
    settings.MEDIA_ROOT = tmp_path
    legacy = Evidence(indicator=17, title="Licences (ancien dépôt)", dated=date(2026, 2, 1), filename="licences.pdf", content_type="application/pdf")
    legacy.file.save("licences.pdf", ContentFile(PLAIN), save=False)
    legacy.save()
    plain_path = Path(settings.MEDIA_ROOT) / legacy.file.name
    assert plain_path.read_bytes() == PLAIN

    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_encrypt_legacy() == 1
    legacy.refresh_from_db()
    assert legacy.encrypted is True and not plain_path.exists()
    on_disk = (Path(settings.MEDIA_ROOT) / legacy.file.name).read_bytes()
    assert b"procedure d'accueil" not in on_disk and b"%PDF" not in on_disk
    assert AuditEvent.objects.filter(action="quality.evidence_encrypted", object_id=str(legacy.pk)).count() == 1
    assert evidence_encrypt_legacy() == 0

    download = in_a.client(in_a.admin).get(f"/qualite/preuves/{legacy.pk}/")
    assert download.status_code == 200 and download.content == PLAIN
    connection.set_tenant(in_a.organisation)
    assert _bundle_pieces()[f"indicateur-17/pieces/{legacy.pk.hex[:8]}-licences.pdf"] == PLAIN
