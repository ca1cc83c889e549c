"""Sharing the synthèse and the detailed results with a named third party through a secure link
(CT-07: default deny, per-recipient agreement, employer views show status only; CT-08: access
log). Everything through HTTP with Django's test client."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import tenant_context

from bilans.documents.content import text_of
from bilans.models import Bilan, SharingConsent, ThirdPartyAccess
from bilans.services import third_party_access_grant
from config.errors import Forbidden
from organisations.accounts.models import AuditEvent
from tests.conftest import client_for
from tests.documents.factories import bilan_for, published

pytestmark = pytest.mark.django_db

EMPLOYER = "drh@employeur.example"
FUNDER = "conseiller@opco.example"
CAREER = "Vingt ans de comptabilité, envie de devenir ébéniste"
OBJECTIVE = "Valider un projet de reconversion en ébénisterie"


def _token(email: str) -> str:
    message = [m for m in mail.outbox if m.to == [email]][-1]
    return re.search(r"/partage/([A-Za-z0-9_-]+)/", message.body).group(1)


def _consent(cast, bilan, *, email=EMPLOYER, name="Claire Martin", kind="employer", scope="synthesis"):
    response = cast.client(cast.consultant).post(
        f"/bilans/{bilan.pk}/partage/",
        {"recipient_kind": kind, "recipient_name": name, "recipient_email": email, "scope": scope, "method": "signed_paper"},
    )
    assert response.status_code == 302
    with tenant_context(cast.organisation):
        return SharingConsent.objects.filter(bilan=bilan, recipient_email=email, scope=scope).latest("given_at")


def _deliver(worker) -> None:
    """The e-mails leave from the dramatiq worker once the request's transaction committed."""
    if "default" in worker.broker.queues:  # declared when the first job is sent
        worker.broker.join("default")
    worker.join()


def _send_link(cast, bilan, email, worker):
    """The consultant's button; returns the bilan page shown after it (with its message)."""
    response = cast.client(cast.consultant).post(f"/bilans/{bilan.pk}/partage/acces/", {"recipient_email": email}, follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0].endswith("#partage")
    _deliver(worker)
    return response.content.decode()


@pytest.fixture
def shared_bilan(cast_a):
    """A bilan in conclusions whose synthèse and detailed results are published, with content
    of the beneficiary in the file (career summary, an objective)."""
    bilan = bilan_for(cast_a, status="conclusions")
    with tenant_context(cast_a.organisation):
        Bilan.objects.filter(pk=bilan.pk).update(started_at=timezone.now() - timedelta(days=40))
        cast_a.beneficiary.career_summary = CAREER
        cast_a.beneficiary.save(update_fields=["career_summary"])
        bilan.objectives.create(text=OBJECTIVE)
    synthesis = published(cast_a, bilan, "synthesis")
    results = published(cast_a, bilan, "results_interpretation")
    assert synthesis.status == "published" and results.status == "published"
    return bilan, synthesis, results


@pytest.mark.django_db(transaction=True)
def test_default_deny_without_agreement_nothing_is_sent(cast_a, worker):
    """CT-07: default deny. Without the beneficiary's agreement for this recipient, sending a
    link is refused (Forbidden, code sharing_not_agreed) and no e-mail leaves; a withdrawn
    agreement counts as none."""
    bilan = bilan_for(cast_a, forfait=None)
    mail.outbox.clear()
    page = _send_link(cast_a, bilan, EMPLOYER, worker)
    assert "pas donné son accord pour partager" in page
    assert mail.outbox == []
    with tenant_context(cast_a.organisation):
        assert not ThirdPartyAccess.objects.filter(bilan=bilan).exists()
        with pytest.raises(Forbidden) as refusal:
            third_party_access_grant(actor=cast_a.consultant, bilan=bilan, recipient_email=EMPLOYER)
        assert refusal.value.code == "sharing_not_agreed"

    # an agreement given then withdrawn by the beneficiary: still refused
    consent = _consent(cast_a, bilan)
    assert cast_a.client(cast_a.beneficiary_user).post(f"/mon-bilan/partage/{consent.pk}/retirer/").status_code == 302
    _send_link(cast_a, bilan, EMPLOYER, worker)
    assert mail.outbox == []
    with tenant_context(cast_a.organisation):
        assert not ThirdPartyAccess.objects.filter(bilan=bilan).exists()
        with pytest.raises(Forbidden) as refusal:
            third_party_access_grant(actor=cast_a.consultant, bilan=bilan, recipient_email=EMPLOYER)
        assert refusal.value.code == "sharing_not_agreed"
    # another consultant of the organisation cannot send anything about this bilan
    assert cast_a.client(cast_a.other_consultant).post(f"/bilans/{bilan.pk}/partage/acces/", {"recipient_email": EMPLOYER}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_agreement_link_by_email_download_until_withdrawal(cast_a, shared_bilan, worker):
    """CT-07: with the beneficiary's agreement for the synthèse, the employer receives a secure
    link by e-mail; the page shows the status and dates and offers the published synthèse only
    (not the detailed results, not agreed); the download is the decrypted PDF. Once the
    beneficiary withdraws the agreement the download is gone at once, the status stays.
    CT-08: each opening and download is in the access log, without content."""
    bilan, synthesis, results = shared_bilan
    _consent(cast_a, bilan, scope="synthesis")
    mail.outbox.clear()
    assert "Lien sécurisé envoyé à drh@employeur.example" in _send_link(cast_a, bilan, EMPLOYER, worker)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMPLOYER] and "http://alpha.localhost:8000/partage/" in message.body
    assert "Claire Martin" in message.body and CAREER not in message.body
    token = _token(EMPLOYER)
    with tenant_context(cast_a.organisation):
        access = ThirdPartyAccess.objects.get(bilan=bilan)
        assert token not in access.token_hash and len(access.token_hash) == 64  # only the hash is kept
        assert access.expires_at - access.created_at == timedelta(days=30)
        from bilans.documents.services import document_pdf

        expected_pdf = document_pdf(synthesis)

    anonymous = client_for(cast_a.organisation)
    response = anonymous.get(f"/partage/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["X-Robots-Tag"].startswith("noindex") and '<meta name="robots" content="noindex' in page
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    assert "Phase de conclusions" in page and "Document de synthèse" in page
    assert f"/partage/{token}/synthese.pdf" in page and "resultats.pdf" not in page
    assert CAREER not in page and OBJECTIVE not in page

    download = anonymous.get(f"/partage/{token}/synthese.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download.content == expected_pdf and download.content[:5] == b"%PDF-"
    assert anonymous.get(f"/partage/{token}/resultats.pdf").status_code == 403  # not agreed
    assert anonymous.get(f"/partage/{token}/inconnu.pdf").status_code == 404

    # the consultant sees the link and its use; the beneficiary sees it in their space
    staff_page = cast_a.client(cast_a.consultant).get(f"/bilans/{bilan.pk}/").content.decode()
    assert "Actif" in staff_page and f"partage/acces/{access.pk}/desactiver/" in staff_page
    mine = cast_a.client(cast_a.beneficiary_user).get("/mon-bilan/").content.decode()
    assert "Claire Martin" in mine and "consulté 1 fois" in mine

    # the beneficiary withdraws: no more download, the status page stays
    consent = _consent_in_force(cast_a, bilan, EMPLOYER)
    assert cast_a.client(cast_a.beneficiary_user).post(f"/mon-bilan/partage/{consent.pk}/retirer/").status_code == 302
    page = anonymous.get(f"/partage/{token}/").content.decode()
    assert "Phase de conclusions" in page and "synthese.pdf" not in page and "Aucun document ne vous est communiqué" in page
    refused = anonymous.get(f"/partage/{token}/synthese.pdf")
    assert refused.status_code == 403 and "retiré" in refused.content.decode() and refused.content[:5] != b"%PDF-"

    with tenant_context(cast_a.organisation):
        events = AuditEvent.objects.filter(object_type="bilans.thirdpartyaccess", object_id=str(access.pk))
        actions = list(events.order_by("id").values_list("action", flat=True))
        assert actions[0] == "third_party_access.granted"
        assert actions.count("third_party_access.opened") == 2
        assert actions.count("third_party_access.downloaded") == 1
        assert actions.count("third_party_access.refused") >= 2  # results not agreed, then withdrawn synthèse
        downloaded = events.get(action="third_party_access.downloaded")
        assert downloaded.details["scope"] == "synthesis" and downloaded.details["document_id"] == str(synthesis.pk)
        assert downloaded.details["bilan_id"] == str(bilan.pk)
        everything = str(list(events.values_list("details", flat=True)))
        assert CAREER not in everything and OBJECTIVE not in everything and EMPLOYER not in everything and token not in everything
        access.refresh_from_db()
        assert access.open_count == 2 and access.last_opened_at is not None


def _consent_in_force(cast, bilan, email):
    with tenant_context(cast.organisation):
        return SharingConsent.objects.get(bilan=bilan, recipient_email=email, withdrawn_at__isnull=True)


@pytest.mark.django_db(transaction=True)
def test_status_only_page_never_shows_the_beneficiarys_content(cast_a, shared_bilan, worker):
    """CT-07: "employer views show status only". A funder whose only agreement is withdrawn
    after the link was sent sees the status and dates, and nothing of the content of the bilan:
    not the synthèse nor the results, their text, the career summary or the objectives."""
    bilan, synthesis, results = shared_bilan
    consent = _consent(cast_a, bilan, email=FUNDER, name="OPCO Atlas", kind="funder", scope="results")
    mail.outbox.clear()
    _send_link(cast_a, bilan, FUNDER, worker)
    token = _token(FUNDER)
    anonymous = client_for(cast_a.organisation)
    page = anonymous.get(f"/partage/{token}/").content.decode()
    assert "resultats.pdf" in page and "synthese.pdf" not in page
    assert cast_a.client(cast_a.beneficiary_user).post(f"/mon-bilan/partage/{consent.pk}/retirer/").status_code == 302

    response = anonymous.get(f"/partage/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Phase de conclusions" in page and "Commencé le" in page
    assert ".pdf" not in page and "Document de synthèse" not in page and "Interprétation des résultats" not in page
    with tenant_context(cast_a.organisation):
        bodies = [text_of(d.validated_version.content_html) for d in (synthesis, results)]
    sentences = [line for body in bodies for line in body.splitlines() if len(line) > 40]
    assert sentences and not [line for line in sentences if line in page]
    assert CAREER not in page and OBJECTIVE not in page
    assert anonymous.get(f"/partage/{token}/resultats.pdf").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_revoked_expired_replaced_and_wrong_links_answer_a_clear_page(cast_a, worker):
    """CT-07: a wrong token answers 404, a revoked, replaced or expired link 410, each with a
    French page (never a 500); the refused uses of a known link are logged (CT-08)."""
    bilan = bilan_for(cast_a, forfait=None)
    _consent(cast_a, bilan)
    _consent(cast_a, bilan, email=FUNDER, name="OPCO Atlas", kind="funder")
    mail.outbox.clear()
    anonymous = client_for(cast_a.organisation)

    wrong = anonymous.get("/partage/pas-un-vrai-lien/")
    assert wrong.status_code == 404 and "pas valide" in wrong.content.decode()
    assert anonymous.get(f"/partage/{'x' * 500}/").status_code == 404
    assert anonymous.get("/partage/pas-un-vrai-lien/synthese.pdf").status_code == 404

    # revoked by the consultant
    _send_link(cast_a, bilan, EMPLOYER, worker)
    token = _token(EMPLOYER)
    assert anonymous.get(f"/partage/{token}/").status_code == 200
    with tenant_context(cast_a.organisation):
        access = ThirdPartyAccess.objects.get(bilan=bilan, revoked_at__isnull=True, recipient_email=EMPLOYER)
    assert cast_a.client(cast_a.consultant).post(f"/bilans/{bilan.pk}/partage/acces/{access.pk}/desactiver/").status_code == 302
    gone = anonymous.get(f"/partage/{token}/")
    assert gone.status_code == 410 and "désactivé" in gone.content.decode() and gone["X-Robots-Tag"].startswith("noindex")
    assert anonymous.get(f"/partage/{token}/synthese.pdf").status_code == 410

    # replaced by a new link: the previous one stops working
    _send_link(cast_a, bilan, EMPLOYER, worker)
    first = _token(EMPLOYER)
    _send_link(cast_a, bilan, EMPLOYER, worker)
    second = _token(EMPLOYER)
    assert first != second
    assert anonymous.get(f"/partage/{first}/").status_code == 410
    assert anonymous.get(f"/partage/{second}/").status_code == 200

    # revoked by the beneficiary from their space
    with tenant_context(cast_a.organisation):
        current = ThirdPartyAccess.objects.get(bilan=bilan, revoked_at__isnull=True, recipient_email=EMPLOYER)
    assert cast_a.client(cast_a.beneficiary_user).post(f"/mon-bilan/partage/acces/{current.pk}/desactiver/").status_code == 302
    assert anonymous.get(f"/partage/{second}/").status_code == 410

    # expired: a link sent 31 days ago
    with tenant_context(cast_a.organisation):
        third_party_access_grant(actor=cast_a.consultant, bilan=bilan, recipient_email=FUNDER, now=timezone.now() - timedelta(days=31))
    _deliver(worker)
    expired = anonymous.get(f"/partage/{_token(FUNDER)}/")
    assert expired.status_code == 410 and "expiré" in expired.content.decode()

    with tenant_context(cast_a.organisation):
        refused = AuditEvent.objects.filter(action="third_party_access.refused", details__bilan_id=str(bilan.pk))
        codes = set(refused.values_list("details__code", flat=True))
        assert {"third_party_link_revoked", "third_party_link_expired"} <= codes
        assert AuditEvent.objects.filter(action="third_party_access.revoked", details__bilan_id=str(bilan.pk)).count() == 2
        states = {a.state(timezone.now()) for a in ThirdPartyAccess.objects.filter(bilan=bilan)}
        assert states == {"revoked", "replaced", "expired"}


@pytest.mark.django_db(transaction=True)
def test_another_organisation_cannot_use_the_link(cast_a, org_b, shared_bilan, worker):
    """CT-07 / tenancy: a link of organisation alpha opened on organisation beta's address is
    unknown there (404), and nothing is logged or counted."""
    bilan, synthesis, _ = shared_bilan
    _consent(cast_a, bilan)
    mail.outbox.clear()
    _send_link(cast_a, bilan, EMPLOYER, worker)
    token = _token(EMPLOYER)
    other = client_for(org_b)
    assert other.get(f"/partage/{token}/").status_code == 404
    assert other.get(f"/partage/{token}/synthese.pdf").status_code == 404
    with tenant_context(cast_a.organisation):
        access = ThirdPartyAccess.objects.get(bilan=bilan)
        assert access.open_count == 0 and access.last_opened_at is None
        assert not AuditEvent.objects.filter(
            object_id=str(access.pk), action__in=["third_party_access.opened", "third_party_access.downloaded"]
        ).exists()
    assert client_for(cast_a.organisation).get(f"/partage/{token}/").status_code == 200


def test_the_database_keeps_one_live_link_per_recipient_and_only_a_hash(cast_a):
    """CT-07 invariants as constraints: one live link per recipient of a bilan, a SHA-256 as
    token, a consistent end and opening count."""
    from django.db import IntegrityError, transaction

    bilan = bilan_for(cast_a, forfait=None)
    now = timezone.now()
    row = dict(bilan=bilan, recipient_kind="employer", recipient_name="Claire Martin", created_at=now, expires_at=now + timedelta(days=30))
    with tenant_context(cast_a.organisation):
        ThirdPartyAccess.objects.create(recipient_email=EMPLOYER, token_hash="a" * 64, **row)
        for bad in (
            dict(recipient_email=EMPLOYER.upper(), token_hash="b" * 64),  # a second live link, e-mail case aside
            dict(recipient_email=FUNDER, token_hash="un-jeton-en-clair"),
            dict(recipient_email=FUNDER, token_hash="c" * 64, open_count=3),
            dict(recipient_email=FUNDER, token_hash="d" * 64, revoked_at=now),
        ):
            with pytest.raises(IntegrityError), transaction.atomic():
                ThirdPartyAccess.objects.create(**bad, **row)
