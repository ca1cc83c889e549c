"""Encryption at rest, sensitive data (RG-03), files and retention (CT-09, RG-02)."""
from datetime import date

import pytest
from django.db import connection

from bilans.models import Beneficiary, Bilan, BilanFile
from bilans.services import (
    beneficiary_record_sensitive_data,
    bilan_file_add,
    bilan_file_agree_retention,
    retention_purge,
)
from config.crypto import decrypt_bytes, encrypt_bytes, encrypted_file_read
from config.errors import Forbidden, InvalidInput
from organisations.accounts.models import AuditEvent
from organisations.permissions import can_view_sensitive_data

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 notes de travail confidentielles"


def test_crypto_round_trip():
    token = encrypt_bytes(b"secret")
    assert token != b"secret" and decrypt_bytes(token) == b"secret"


def test_disability_data_needs_explicit_consent_and_is_encrypted_at_rest(in_a, clock):
    """RG-03: collected only with explicit consent, encrypted in the database."""
    b = in_a.beneficiary
    with pytest.raises(InvalidInput) as error:
        beneficiary_record_sensitive_data(actor=in_a.consultant, beneficiary=b, disability_info="Surdité partielle", accommodations="", explicit_consent=False)
    assert error.value.code == "sensitive_consent_required"
    beneficiary_record_sensitive_data(
        actor=in_a.consultant, beneficiary=b, disability_info="Surdité partielle", accommodations="Sous-titres en visio", explicit_consent=True, now=clock.now
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT disability_info, accommodations FROM bilans_beneficiary WHERE id = %s", [b.pk])
        raw = cursor.fetchone()
    assert "Surdité" not in raw[0] and raw[0].startswith("enc1:") and "Sous-titres" not in raw[1]
    fresh = Beneficiary.objects.get(pk=b.pk)
    assert fresh.disability_info == "Surdité partielle" and fresh.sensitive_consent_at == clock.now
    # never in the audit log
    assert not AuditEvent.objects.filter(details__icontains="Surdité").exists()
    # withdrawing consent erases the data
    beneficiary_record_sensitive_data(actor=in_a.beneficiary_user, beneficiary=fresh, disability_info="", accommodations="", explicit_consent=False)
    fresh.refresh_from_db()
    assert fresh.disability_info == "" and fresh.sensitive_consent_at is None


def test_database_refuses_sensitive_data_without_consent(in_a):
    """RG-03: also a CHECK constraint."""
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Beneficiary.objects.filter(pk=in_a.beneficiary.pk).update(disability_info="enc1:x")


def test_sensitive_data_visible_only_to_assigned_consultant_and_admin(in_a):
    """RG-03: a separate ACL."""
    b = in_a.beneficiary
    assert can_view_sensitive_data(in_a.consultant, b) and can_view_sensitive_data(in_a.admin, b)
    assert not can_view_sensitive_data(in_a.other_consultant, b)
    with pytest.raises(Forbidden):
        beneficiary_record_sensitive_data(actor=in_a.other_consultant, beneficiary=b, disability_info="x", accommodations="", explicit_consent=True)
    # and on the page: the other consultant cannot even open the file; the assigned one sees it
    beneficiary_record_sensitive_data(actor=in_a.consultant, beneficiary=b, disability_info="Fauteuil roulant", accommodations="Salle accessible", explicit_consent=True)
    assert "Fauteuil roulant" in in_a.client(in_a.consultant).get(f"/beneficiaires/{b.pk}/").content.decode()
    assert in_a.client(in_a.other_consultant).get(f"/beneficiaires/{b.pk}/").status_code == 403


def _ended(bilan, when):
    Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=when)
    bilan.refresh_from_db()
    return bilan


def test_retention_destroys_working_files_keeps_records_and_agreed_ones(bilan, in_a, clock, settings, tmp_path):
    """CT-09 / RG-02: destroy working documents at the end, except written agreement (≤ 3 years)
    and the records the organisation must keep; each destruction audited without content."""
    settings.MEDIA_ROOT = tmp_path
    working = bilan_file_add(actor=in_a.consultant, bilan=bilan, title="Notes d'entretien", filename="notes.pdf", data=PDF)
    kept = bilan_file_add(actor=in_a.consultant, bilan=bilan, title="Portefeuille de compétences", filename="portefeuille.pdf", data=PDF)
    attendance = bilan_file_add(actor=in_a.consultant, bilan=bilan, title="Émargement", filename="emargement.pdf", data=PDF, kind="attendance")
    invoice = bilan_file_add(actor=in_a.consultant, bilan=bilan, title="Facture", filename="facture.pdf", data=PDF, kind="invoice")
    assert (tmp_path / working.file.name).read_bytes() != PDF  # encrypted at rest
    assert encrypted_file_read(working.file) == PDF
    assert retention_purge(now=clock.now) == 0  # bilan still running
    _ended(bilan, clock.now)
    agreement = dict(method="signed_paper", follow_up_need="Entretien de suivi", agreement_reference="Accord signé", agreement_date=date(2026, 11, 2))
    with pytest.raises(InvalidInput) as error:
        bilan_file_agree_retention(actor=in_a.consultant, record=kept, keep_until=date(2029, 11, 3), now=clock.now, **agreement)
    assert error.value.code == "retention_too_long"
    bilan_file_agree_retention(actor=in_a.consultant, record=kept, keep_until=date(2027, 11, 2), now=clock.now, **agreement)
    path = tmp_path / working.file.name
    assert retention_purge(now=clock.advance(hours=1)) == 1
    assert retention_purge(now=clock.advance(hours=1)) == 0  # idempotent
    for record in (working, kept, attendance, invoice):
        record.refresh_from_db()
    assert working.destroyed_at and not working.file and not path.exists()
    assert kept.destroyed_at is None and attendance.destroyed_at is None and invoice.destroyed_at is None
    event = AuditEvent.objects.get(action="bilan_file.destroyed", object_id=str(working.pk))
    assert event.details["reason"] == "fin du bilan (R6313-7)" and event.details["kind"] == "working"
    assert "Notes" not in str(event.details) and "confidentielles" not in str(event.details)
    # the agreed document goes when its date has passed
    assert retention_purge(now=clock.advance(days=366)) == 1
    kept.refresh_from_db()
    assert kept.destroyed_at and "conservation convenue" in kept.destruction_reason


def test_file_type_and_size_limits(bilan, in_a, settings):
    settings.MESSAGE_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InvalidInput) as error:
        bilan_file_add(actor=in_a.consultant, bilan=bilan, title="x", filename="virus.exe", data=b"MZ")
    assert error.value.code == "file_type_not_allowed"
    with pytest.raises(InvalidInput) as error:
        bilan_file_add(actor=in_a.consultant, bilan=bilan, title="x", filename="gros.pdf", data=b"%PDF" + b"0" * 2000)
    assert error.value.code == "file_too_large" and "Mo" in error.value.message
    with pytest.raises(InvalidInput) as error:
        bilan_file_add(actor=in_a.consultant, bilan=bilan, title="x", filename="faux.pdf", data=b"MZ not a pdf")
    assert error.value.code == "file_type_mismatch"
    assert BilanFile.objects.count() == 0


def test_bilan_file_upload_and_download_permissions(bilan, in_a, settings, tmp_path):
    """Files of a bilan: its consultant and administrators; the beneficiary once shared; nobody else."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import tenant_context

    settings.MEDIA_ROOT = tmp_path
    consultant = in_a.client(in_a.consultant)
    consultant.post(f"/bilans/{bilan.pk}/documents/", {"title": "Tests d'intérêts", "kind": "working", "upload": SimpleUploadedFile("tests.pdf", PDF)})
    with tenant_context(in_a.organisation):
        record = BilanFile.objects.get(bilan=bilan)
    url = f"/documents-du-bilan/{record.pk}/"
    assert consultant.get(url).content == PDF
    assert in_a.client(in_a.admin).get(url).status_code == 200
    assert in_a.client(in_a.other_consultant).get(url).status_code == 403
    beneficiary = in_a.client(in_a.beneficiary_user)
    assert beneficiary.get(url).status_code == 404
    consultant.post(f"/bilans/{bilan.pk}/documents/{record.pk}/partager/")
    assert beneficiary.get(url).content == PDF
    assert "Tests d&#x27;intérêts" in beneficiary.get("/mon-bilan/").content.decode()
    refused = consultant.post(f"/bilans/{bilan.pk}/documents/", {"title": "x", "kind": "working", "upload": SimpleUploadedFile("x.exe", b"MZ")}, follow=True)
    assert "pas accepté. Formats possibles" in refused.content.decode()
