"""CT-09 (b) / RG-02: a working document is kept after the end of the bilan only on the
beneficiary's *written* agreement based on a follow-up need, 3 years at most; same rules as the
bilan's working files (bilans.services.bilan_file_agree_retention)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.documents.models import Document
from config.errors import ApplicationError
from organisations.accounts.models import AuditEvent
from tests.documents.factories import bilan_for, published

pytestmark = pytest.mark.django_db


def _agreement(**overrides) -> dict:
    today = timezone.localdate()
    values = {
        "keep_until": today + timedelta(days=365), "method": "signed_paper", "follow_up_need": "Entretien de suivi à six mois",
        "agreement_reference": "Courrier signé remis en entretien", "agreement_date": today,
    }
    return {**values, **overrides}


def _form(**overrides) -> dict:
    return {key: (value.isoformat() if hasattr(value, "isoformat") else value) for key, value in _agreement(**overrides).items()}


def test_refusal_codes_mirror_the_working_files(cast_a):
    """CT-09 (b): oral agreement, missing method, need, reference or date, future agreement date,
    more than 3 years after the end, past date and a document the organisation keeps: refused."""
    from bilans.documents.services import document_retain

    bilan = bilan_for(cast_a)
    action_plan = published(cast_a, bilan, "action_plan")
    convention = published(cast_a, bilan, "convention")
    today = timezone.localdate()
    cases = [
        ({"method": "in_person"}, "retention_agreement_not_written"),
        ({"method": "online"}, "retention_agreement_not_written"),
        ({"method": ""}, "retention_method_required"),
        ({"method": "unspecified"}, "retention_method_required"),
        ({"follow_up_need": "  "}, "retention_follow_up_need_required"),
        ({"agreement_reference": ""}, "retention_agreement_reference_required"),
        ({"agreement_date": None}, "retention_agreement_date_required"),
        ({"agreement_date": today + timedelta(days=1)}, "retention_agreement_date_in_future"),
        ({"keep_until": None}, "retention_until_required"),
        ({"keep_until": today + timedelta(days=3 * 366 + 1)}, "retention_too_long"),
        ({"keep_until": today}, "retention_in_past"),
    ]
    with tenant_context(cast_a.organisation):
        for overrides, code in cases:
            with pytest.raises(ApplicationError) as caught:
                document_retain(actor=cast_a.consultant, document=action_plan, **_agreement(**overrides))
            assert caught.value.code == code, overrides
        with pytest.raises(ApplicationError) as caught:
            document_retain(actor=cast_a.consultant, document=convention, **_agreement())
        assert caught.value.code == "retention_not_needed"
        with pytest.raises(ApplicationError) as caught:
            document_retain(actor=cast_a.other_consultant, document=action_plan, **_agreement())
        assert caught.value.status == 403
        row = Document.objects.get(pk=action_plan.pk)
        assert row.retained_until is None and row.retention_method == "" and row.retention_agreed_at is None
        assert not AuditEvent.objects.filter(action="document.retention_agreed", object_id=str(action_plan.pk)).exists()


def test_consultant_form_records_the_written_agreement_and_shows_it(cast_a):
    """CT-09 (b): through the document page, the consultant records how the written agreement
    was obtained, its reference and date and the follow-up need; an oral one is refused."""
    bilan = bilan_for(cast_a)
    synthesis = published(cast_a, bilan, "synthesis")
    client = cast_a.client(cast_a.consultant)
    url = f"/documents/{synthesis.pk}/conserver/"
    page = client.get(f"/documents/{synthesis.pk}/").content.decode()
    assert "Enregistrer l&#x27;accord écrit de conservation" in page or "Enregistrer l'accord écrit de conservation" in page
    response = client.post(url, _form(method="in_person"))
    assert response.status_code == 400 and "Un accord oral ne suffit pas" in response.content.decode()
    response = client.post(url, _form(agreement_reference=""))
    assert response.status_code == 400
    response = client.post(url, _form(keep_until=timezone.localdate() + timedelta(days=4 * 365)))
    assert response.status_code == 400 and "ne peut pas dépasser 3 ans" in response.content.decode()
    with tenant_context(cast_a.organisation):
        assert Document.objects.get(pk=synthesis.pk).retained_until is None
    keep = timezone.localdate() + timedelta(days=400)
    assert client.post(url, _form(keep_until=keep, method="email", agreement_reference="E-mail du bénéficiaire du 3 mars")).status_code == 302
    with tenant_context(cast_a.organisation):
        row = Document.objects.get(pk=synthesis.pk)
        assert (row.retained_until, row.retention_method, row.retention_recorded_by_id) == (keep, "email", cast_a.consultant.pk)
        assert row.retention_agreement_reference == "E-mail du bénéficiaire du 3 mars" and row.retention_follow_up_need
        event = AuditEvent.objects.get(action="document.retention_agreed", object_id=str(synthesis.pk))
        assert event.details["method"] == "email" and "Entretien" not in str(event.details)
    page = client.get(f"/documents/{synthesis.pk}/").content.decode()
    assert "Par e-mail" in page and "E-mail du bénéficiaire du 3 mars" in page and "Entretien de suivi à six mois" in page
    # the beneficiary sees the agreement on their document page, no form any more
    page = cast_a.client(cast_a.beneficiary_user).get(f"/documents/{synthesis.pk}/").content.decode()
    assert "E-mail du bénéficiaire du 3 mars" in page and "Donner mon accord" not in page


def test_beneficiary_agrees_online_from_their_document_page(cast_a):
    """CT-09 (b): the beneficiary agrees in writing online for a document published to them;
    the method is "online" with the date and reference of that agreement."""
    bilan = bilan_for(cast_a)
    analysis = published(cast_a, bilan, "career_options")
    client = cast_a.client(cast_a.beneficiary_user)
    assert "Donner mon accord" in client.get(f"/documents/{analysis.pk}/").content.decode()
    url = f"/documents/{analysis.pk}/mon-accord-de-conservation/"
    keep = (timezone.localdate() + timedelta(days=200)).isoformat()
    response = client.post(url, {"keep_until": keep, "follow_up_need": "Pour l'entretien de suivi"})
    assert response.status_code == 400  # the written acceptance box is required
    assert client.post(url, {}).status_code == 400
    assert client.post(url, {"keep_until": keep, "follow_up_need": "Pour l'entretien de suivi", "accept": "on"}).status_code == 302
    with tenant_context(cast_a.organisation):
        row = Document.objects.get(pk=analysis.pk)
        assert row.retention_method == "online" and row.retention_agreement_date == timezone.localdate()
        assert row.retention_agreement_reference.startswith("Accord en ligne du bénéficiaire") and row.retention_recorded_by_id == cast_a.beneficiary_user.pk
    assert "En ligne, par le bénéficiaire depuis son espace" in client.get(f"/documents/{analysis.pk}/").content.decode()
    # staff cannot use the beneficiary's route, and a draft is not the beneficiary's to keep
    assert cast_a.client(cast_a.consultant).post(url, {"keep_until": keep, "follow_up_need": "x", "accept": "on"}).status_code == 403
    from tests.documents.factories import drafted

    draft = drafted(cast_a, bilan, "action_plan")
    response = client.post(f"/documents/{draft.pk}/mon-accord-de-conservation/", {"keep_until": keep, "follow_up_need": "x", "accept": "on"})
    assert response.status_code == 404


def test_purge_keeps_the_agreed_document_until_the_date_then_destroys_it(cast_a):
    """CT-09 (b): retention_purge keeps a document under a written agreement until the agreed
    date and destroys it after, with an audit entry saying why; the others go at the end."""
    from bilans.models import Bilan
    from bilans.services import retention_purge

    bilan = bilan_for(cast_a)
    kept = published(cast_a, bilan, "synthesis")
    other = published(cast_a, bilan, "action_plan")
    keep = timezone.localdate() + timedelta(days=100)
    assert cast_a.client(cast_a.consultant).post(f"/documents/{kept.pk}/conserver/", _form(keep_until=keep)).status_code == 302
    now = timezone.now()
    with tenant_context(cast_a.organisation):
        Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=now - timedelta(days=1))
        retention_purge(now=now)
        assert Document.objects.get(pk=other.pk).destroyed_at is not None
        assert Document.objects.get(pk=kept.pk).destroyed_at is None
        retention_purge(now=now + timedelta(days=99))
        row = Document.objects.get(pk=kept.pk)
        assert row.destroyed_at is None and row.versions.exclude(content_html="").exists() and bytes(row.pdf)
        retention_purge(now=now + timedelta(days=101))
        row = Document.objects.get(pk=kept.pk)
        assert row.destroyed_at is not None and bytes(row.pdf) == b"" and not row.versions.exclude(content_html="").exists()
        event = AuditEvent.objects.get(action="document.destroyed", object_id=str(kept.pk))
        assert event.details["reason"] == "fin de la durée de conservation convenue par écrit (R6313-7)"
        assert row.retention_method == "signed_paper"  # the trace of the agreement stays
