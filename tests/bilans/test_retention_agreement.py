"""CT-09 (b): keeping a working document after the end of the bilan needs the beneficiary's
*written* agreement based on a follow-up need: how it was obtained, the need, the reference and
date of the written agreement; or the beneficiary agrees online from their space."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.models import Bilan, BilanFile
from bilans.services import bilan_file_add, bilan_file_agree_retention, bilan_file_share, retention_purge
from config.errors import InvalidInput
from organisations.accounts.models import AuditEvent

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 portefeuille de competences"
NEED = "Préparer l'entretien de suivi à 6 mois et la VAE envisagée"


@pytest.fixture
def working_file(cast_a, settings, tmp_path):
    from bilans.services import bilan_create

    settings.MEDIA_ROOT = tmp_path
    with tenant_context(cast_a.organisation):
        bilan = bilan_create(actor=cast_a.consultant, beneficiary=cast_a.beneficiary)
        return bilan_file_add(actor=cast_a.consultant, bilan=bilan, title="Portefeuille de compétences", filename="portefeuille.pdf", data=PDF)


def _valid(**changes) -> dict:
    today = timezone.localdate()
    data = {
        "keep_until": (today + timedelta(days=400)).isoformat(),
        "method": "signed_paper",
        "agreement_reference": "Courrier signé remis en entretien",
        "agreement_date": (today - timedelta(days=2)).isoformat(),
        "follow_up_need": NEED,
    }
    data.update(changes)
    return data


def test_consultant_records_a_documented_written_agreement_and_the_page_shows_it(cast_a, working_file):
    """CT-09 (b): the consultant records how the written agreement was obtained, the follow-up
    need and the reference and date of the written document; the bilan page shows them; an
    incomplete agreement is refused in French and nothing is kept."""
    record = working_file
    client = cast_a.client(cast_a.consultant)
    url = f"/bilans/{record.bilan_id}/documents/{record.pk}/conserver/"

    # incomplete forms: nothing recorded, the reason shown in French
    for missing in ("method", "agreement_reference", "agreement_date", "follow_up_need"):
        response = client.post(url, {k: v for k, v in _valid().items() if k != missing}, follow=True)
        assert response.status_code == 200 and "Ce champ est obligatoire" in response.content.decode()
    oral = client.post(url, _valid(method="in_person"), follow=True).content.decode()
    assert "Sélectionnez un choix valide" in oral
    with tenant_context(cast_a.organisation):
        record.refresh_from_db()
        assert record.retention_agreed_at is None and record.retained_until is None

    response = client.post(url, _valid(), follow=True)
    assert response.status_code == 200 and "Accord écrit de conservation enregistré" in response.content.decode()
    with tenant_context(cast_a.organisation):
        record.refresh_from_db()
    assert record.retention_method == "signed_paper" and record.retention_follow_up_need == NEED
    assert record.retention_agreement_reference == "Courrier signé remis en entretien"
    assert record.retention_agreement_date == timezone.localdate() - timedelta(days=2)
    assert record.retained_until == timezone.localdate() + timedelta(days=400) and record.retention_recorded_by_id == cast_a.consultant.pk
    page = client.get(f"/bilans/{record.bilan_id}/").content.decode()
    assert "Accord écrit de conservation" in page and "Document papier signé" in page
    assert "Courrier signé remis en entretien" in page and "Préparer l&#x27;entretien de suivi à 6 mois" in page
    with tenant_context(cast_a.organisation):
        event = AuditEvent.objects.get(action="bilan_file.retention_agreed", object_id=str(record.pk))
        assert event.details["method"] == "signed_paper" and NEED not in str(event.details)


def test_service_refuses_an_agreement_that_is_not_written_or_not_documented(cast_a, working_file):
    """CT-09 (b): stable codes for each missing piece; an oral agreement is not a written one."""
    today = timezone.localdate()
    base = dict(
        actor=cast_a.consultant, record=working_file, keep_until=today + timedelta(days=300), method="email",
        follow_up_need=NEED, agreement_reference="E-mail du bénéficiaire", agreement_date=today,
    )
    cases = {
        "retention_agreement_not_written": dict(method="in_person"),
        "retention_method_required": dict(method=""),
        "retention_follow_up_need_required": dict(follow_up_need="  "),
        "retention_agreement_reference_required": dict(agreement_reference=""),
        "retention_agreement_date_required": dict(agreement_date=None),
        "retention_agreement_date_in_future": dict(agreement_date=today + timedelta(days=1)),
        "retention_too_long": dict(keep_until=today + timedelta(days=4 * 365)),
        "retention_in_past": dict(keep_until=today),
    }
    with tenant_context(cast_a.organisation):
        for code, change in cases.items():
            with pytest.raises(InvalidInput) as refusal:
                bilan_file_agree_retention(**{**base, **change})
            assert refusal.value.code == code and refusal.value.message
        # the consultant cannot claim an online agreement in the beneficiary's place
        with pytest.raises(InvalidInput) as refusal:
            bilan_file_agree_retention(**{**base, "method": "online"})
        assert refusal.value.code == "retention_agreement_not_written"
        record = BilanFile.objects.get(pk=working_file.pk)
        assert record.retention_agreed_at is None
        # and the database refuses an agreement without its documentation
        with pytest.raises(IntegrityError), transaction.atomic():
            BilanFile.objects.filter(pk=record.pk).update(retention_agreed_at=timezone.now(), retention_method="email")
        with pytest.raises(IntegrityError), transaction.atomic():
            BilanFile.objects.filter(pk=record.pk).update(retention_agreed_at=timezone.now(), retention_method="in_person", retention_follow_up_need="x",
                                                          retention_agreement_reference="x", retention_agreement_date=timezone.localdate())


def test_beneficiary_agrees_online_from_their_space_and_the_purge_keeps_the_document(cast_a, working_file):
    """CT-09 (b): the beneficiary agrees online for a document made available to them; the
    method is recorded as online with the date of that agreement, the consultant is told, and
    the retention purge at the end keeps the document until the agreed date."""
    record = working_file
    me = cast_a.client(cast_a.beneficiary_user)
    url = f"/mon-bilan/documents/{record.pk}/conserver/"
    keep_until = (timezone.localdate() + timedelta(days=500)).isoformat()
    assert me.post(url, {"keep_until": keep_until, "follow_up_need": NEED, "accept": "on"}).status_code == 404  # not made available yet
    with tenant_context(cast_a.organisation):
        bilan_file_share(actor=cast_a.consultant, record=record)
    page = me.get("/mon-bilan/").content.decode()
    assert f'action="{url}"' in page and "Conserver ce document après la fin de mon bilan" in page
    without_accept = me.post(url, {"keep_until": keep_until, "follow_up_need": NEED}, follow=True)
    assert "Ce champ est obligatoire" in without_accept.content.decode()
    with tenant_context(cast_a.organisation):
        record.refresh_from_db()
        assert record.retention_agreed_at is None

    response = me.post(url, {"keep_until": keep_until, "follow_up_need": NEED, "accept": "on"}, follow=True)
    assert response.status_code == 200 and "Votre accord est enregistré" in response.content.decode()
    with tenant_context(cast_a.organisation):
        record.refresh_from_db()
        assert record.retention_method == "online" and record.retention_agreement_date == timezone.localdate()
        assert record.retention_agreement_reference.startswith("Accord en ligne du bénéficiaire")
        assert record.retention_recorded_by_id == cast_a.beneficiary_user.pk and record.retention_follow_up_need == NEED
        from organisations.models import Notification

        assert Notification.objects.filter(recipient=cast_a.consultant, title__contains="conservation").exists()
    assert "En ligne, par le bénéficiaire depuis son espace" in cast_a.client(cast_a.consultant).get(f"/bilans/{record.bilan_id}/").content.decode()
    assert "conservé jusqu'au" in me.get("/mon-bilan/").content.decode()
    # another beneficiary's document is not reachable
    assert cast_a.client(cast_a.consultant).post(url, {"keep_until": keep_until}).status_code == 403

    # the bilan ends: the agreed document is kept by the purge, then destroyed after the agreed date
    with tenant_context(cast_a.organisation):
        ended = timezone.now()
        Bilan.objects.filter(pk=record.bilan_id).update(status="finished", ended_at=ended)
        assert retention_purge(now=ended + timedelta(hours=1)) == 0
        record.refresh_from_db()
        assert record.destroyed_at is None
        assert retention_purge(now=ended + timedelta(days=501)) == 1
        record.refresh_from_db()
        assert record.destroyed_at is not None and "conservation convenue" in record.destruction_reason
