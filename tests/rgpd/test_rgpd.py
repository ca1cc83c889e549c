"""RGPD rights: export (RG-04, art. 15 and 20), erasure with what is kept and why (art.
17(3)(b)), record of processing (RG-05), consent log, and no access for platform staff."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context, tenant_context

from config.errors import Conflict
from tests.billing.conftest import set_identity, set_seller_address
from tests.conftest import PASSWORD, client_for

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def in_a(cast_a):
    set_identity(cast_a.organisation)
    with tenant_context(cast_a.organisation):
        set_seller_address(cast_a.admin)
        yield cast_a


@pytest.fixture
def file_of(in_a, settings, tmp_path):
    """A finished bilan with consent, objectives, sessions, a survey, an invoice, a working
    document and an attendance sheet."""
    from django.core.files.base import ContentFile

    from bilans.billing.services import funder_for_beneficiary, invoice_create, invoice_issue
    from bilans.models import Bilan, BilanFile, Consent, Objective, SatisfactionSurvey, Session
    from config.crypto import encrypted_file_save

    settings.MEDIA_ROOT = tmp_path
    beneficiary = in_a.beneficiary
    beneficiary.career_summary = "Dix ans de comptabilité"
    beneficiary.save()
    started = datetime(2026, 3, 2, 9, tzinfo=PARIS)
    bilan = Bilan.objects.create(beneficiary=beneficiary, consultant=in_a.consultant, status="finished", started_at=started,
                                 ended_at=datetime(2026, 6, 1, 17, tzinfo=PARIS))
    Consent.objects.create(bilan=bilan, method="online", given_at=started)
    Objective.objects.create(bilan=bilan, text="Trouver un métier qui a du sens", achieved=True)
    Session.objects.create(bilan=bilan, kind="accompaniment", starts_at=started, duration_minutes=120, attendance="attended", instructions="Relire le portfolio")
    SatisfactionSurvey.objects.create(bilan=bilan, kind="immediate", scheduled_for=started, answered_at=started, score=5, comment="Merci Julie !")
    working = BilanFile(bilan=bilan, kind="working", title="Portfolio", filename="portfolio.txt")
    encrypted_file_save(working.file, "portfolio.txt", b"mon portfolio")
    working.save()
    sheet = BilanFile(bilan=bilan, kind="attendance", title="Emargement", filename="emargement.pdf")
    encrypted_file_save(sheet.file, "emargement.pdf", b"%PDF emargement")
    sheet.save()
    from bilans.messaging.models import Message, Thread
    from bilans.scheduling.models import Appointment

    thread = Thread.objects.create(beneficiary=beneficiary, consultant=in_a.consultant, subject="Organisation")
    message = Message.objects.create(thread=thread, author=in_a.beneficiary_user, body="Bonjour, je serai en retard")
    Appointment.objects.create(consultant=in_a.consultant, beneficiary=beneficiary, bilan=bilan, starts_at=started, ends_at=started.replace(hour=11), modality="in_person", location="Bureau")
    person = funder_for_beneficiary(actor=in_a.admin, beneficiary=beneficiary)
    invoice = invoice_issue(
        actor=in_a.admin, invoice=invoice_create(actor=in_a.admin, bilan=bilan, funder=person, lines=[{"label": "Bilan", "unit_price_cents": 150000}]),
        today=date(2026, 6, 2),
    )
    return {"beneficiary": beneficiary, "bilan": bilan, "invoice": invoice, "message": message}


def test_export_contains_records_and_documents(in_a, file_of):
    """RG-04 (art. 15 and 20): a ZIP with JSON of every record and the documents, for the
    person themself from their space, or an administrator."""
    response = in_a.client(in_a.beneficiary_user).get("/mes-donnees/donnees.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("donnees.json"))
    records = data["records"]
    assert records["bilans.beneficiary"][0]["career_summary"] == "Dix ans de comptabilité"
    for label in ("bilans.bilan", "bilans.consent", "bilans.objective", "bilans.session", "bilans.satisfactionsurvey", "billing.billingdocument"):
        assert records[label], label
    assert data["account"]["email"] == in_a.beneficiary_user.email
    assert records["messaging.message"][0]["body"] == "Bonjour, je serai en retard"  # decrypted
    assert records["scheduling.appointment"]
    names = archive.namelist()
    portfolio = next(n for n in names if n.endswith("portfolio.txt"))
    assert archive.read(portfolio) == b"mon portfolio"  # decrypted
    invoice_pdf = next(n for n in names if file_of["invoice"].number in n)
    assert archive.read(invoice_pdf).startswith(b"%PDF")


def test_only_the_person_and_administrators_export(in_a, file_of):
    url = f"/rgpd/beneficiaires/{in_a.other_beneficiary.pk}/donnees.zip"
    assert in_a.client(in_a.beneficiary_user).get(url).status_code == 403  # someone else's file
    assert in_a.client(in_a.other_consultant).get(url).status_code == 403
    assert in_a.client(in_a.consultant).get(f"/rgpd/beneficiaires/{file_of['beneficiary'].pk}/donnees.zip").status_code == 403


def test_erasure_deletes_what_is_not_kept_and_lists_the_rest(in_a, file_of):
    """RG-04 (art. 17(3)(b)): working documents, objectives, free text are deleted; invoices
    (10 years), attendance proofs and sessions (5 years), consent proof are kept, listed with
    their reason and end date, attached to an anonymised person; the audit log keeps the fact."""
    from bilans.billing.models import BillingDocument
    from bilans.models import Beneficiary, BilanFile, Objective, SatisfactionSurvey, Session
    from organisations.accounts.models import AuditEvent, User

    beneficiary = file_of["beneficiary"]
    from organisations.accounts.services import audit_event_record

    old_email, old_name = in_a.beneficiary_user.email, beneficiary.full_name
    audit_event_record(action="consent.recorded", actor=in_a.beneficiary_user, target=beneficiary, target_label=old_name)
    preview = in_a.client(in_a.admin).get(f"/rgpd/beneficiaires/{beneficiary.pk}/")
    assert preview.status_code == 200 and "Pièces comptables" in preview.content.decode()
    response = in_a.client(in_a.admin).post(f"/rgpd/beneficiaires/{beneficiary.pk}/effacer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pièces comptables : conservation 10 ans" in html and "2 juin 2036" in html
    assert "Preuve de réalisation" in html and "1 juin 2031" in html
    assert "protège contre la suppression" not in html  # every kept item has its legal reason

    connection.set_tenant(in_a.organisation)  # the request left the connection on public
    beneficiary = Beneficiary.objects.get(pk=beneficiary.pk)
    assert (beneficiary.first_name, beneficiary.last_name, beneficiary.career_summary) == ("Personne", "effacée", "")
    assert beneficiary.email.endswith("@efface.invalid")
    assert not Objective.objects.filter(bilan=file_of["bilan"]).exists()
    from bilans.messaging.models import Message, Thread
    from bilans.scheduling.models import Appointment

    assert not Thread.objects.filter(beneficiary=beneficiary).exists() and not Message.objects.filter(pk=file_of["message"].pk).exists()
    assert not Appointment.objects.filter(beneficiary=beneficiary).exists()
    assert list(BilanFile.objects.filter(bilan=file_of["bilan"]).values_list("kind", flat=True)) == ["attendance"]
    assert Session.objects.get(bilan=file_of["bilan"]).instructions == ""
    survey = SatisfactionSurvey.objects.get(bilan=file_of["bilan"])
    assert (survey.score, survey.comment) == (5, "")
    invoice = BillingDocument.objects.get(pk=file_of["invoice"].pk)
    assert invoice.buyer["name"] == in_a.beneficiary.full_name  # the issued invoice is legally kept as issued
    user = User.objects.get(pk=in_a.beneficiary_user.pk)
    assert not user.is_active and user.email.endswith("@efface.invalid")
    event = AuditEvent.objects.get(action="rgpd.erasure")
    assert "Dix ans" not in json.dumps(event.details) and event.details["deleted"]
    # the audit log keeps the fact, not the person: no label names them any more
    assert not AuditEvent.objects.filter(actor_label__in=[old_email, old_name]).exists()
    assert not AuditEvent.objects.filter(object_label__in=[old_email, old_name]).exists()
    fact = AuditEvent.objects.get(action="consent.recorded", actor_id=in_a.beneficiary_user.pk)
    assert fact.actor_label == fact.object_label == "Personne effacée (RGPD)"
    # and it is still append-only
    from django.db import DatabaseError

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=fact.pk).update(actor_label="réécrit")


def test_erasure_refused_while_a_bilan_is_open(in_a):
    from bilans.models import Bilan
    from bilans.rgpd.erasure import beneficiary_erase

    Bilan.objects.create(beneficiary=in_a.beneficiary, status="investigation")
    with pytest.raises(Conflict):
        beneficiary_erase(actor=in_a.admin, beneficiary=in_a.beneficiary)
    assert in_a.client(in_a.consultant).post(f"/rgpd/beneficiaires/{in_a.beneficiary.pk}/effacer/").status_code == 403


def test_record_of_processing_and_consent_log(in_a, file_of):
    """RG-05: the record of processing activities per organisation; the consent log."""
    client = in_a.client(in_a.admin)
    page = client.get("/rgpd/").content.decode()
    assert "Registre des activités de traitement" in page and "Alpha Bilans" in page and "art. 28" in page
    log = client.get("/rgpd/consentements/").content.decode()
    assert in_a.beneficiary.full_name in log
    assert in_a.client(in_a.consultant).get("/rgpd/").status_code == 403
    assert in_a.client(in_a.beneficiary_user).get("/mes-donnees/").status_code == 200


def test_platform_staff_never_read_beneficiary_data(in_a, file_of):
    """CT-08 / RG-05: platform staff have no access to any beneficiary data: their session does
    not exist on an organisation's subdomain, a staff-role account inside an organisation is
    refused everywhere, and the console shows counts only."""
    from organisations.accounts.models import User
    from tests.organisations.factories import totp_enable

    beneficiary = file_of["beneficiary"]
    urls = [
        f"/rgpd/beneficiaires/{beneficiary.pk}/donnees.zip", f"/rgpd/beneficiaires/{beneficiary.pk}/", "/rgpd/consentements/",
        "/facturation/", f"/facturation/documents/{file_of['invoice'].pk}/document.pdf", "/qualite/",
        "/qualite/dossier-audit/?du=2026-01-01&au=2026-12-31", "/beneficiaires/", f"/beneficiaires/{beneficiary.pk}/",
        "/api/v1/billing/invoices/", "/mes-donnees/donnees.zip",
    ]
    with schema_context("public"):
        staff = User.objects.create_superuser(email="ops@plateforme.test", password=PASSWORD)
        totp_enable(staff)
    console = client_for(None, staff)
    for url in urls:  # the public session means nothing on the subdomain
        response = console.get(url, HTTP_HOST=f"{in_a.organisation.slug}.localhost")
        assert response.status_code in (302, 401, 403, 404), url
        assert beneficiary.last_name.encode() not in response.content
    html = console.get("/console/").content.decode() + console.get(f"/console/organisations/{in_a.organisation.pk}/").content.decode()
    assert beneficiary.last_name not in html and beneficiary.email not in html
    with tenant_context(in_a.organisation):
        intruder = User.objects.create_user(email="staff-in-org@plateforme.test", role="staff", password=PASSWORD)
    client = in_a.client(intruder)
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert beneficiary.last_name.encode() not in response.content, url


def test_register_finds_a_person_to_answer(in_a):
    page = in_a.client(in_a.admin).get(f"/rgpd/?q={in_a.beneficiary.last_name}").content.decode()
    assert f"/rgpd/beneficiaires/{in_a.beneficiary.pk}/" in page


def test_export_never_contains_drafts_nor_one_colleagues_360_answers(in_a):
    """RG-04 without breaking two other rules: a beneficiary never sees an unvalidated document
    (drafts, earlier versions, generation traces), and a 360° never shows one person's answers."""
    from bilans.assessments.services import feedback_campaign_create, feedback_response_submit
    from bilans.documents.services import document_save_version
    from tests.documents.factories import bilan_for, drafted, published

    bilan = bilan_for(in_a)
    synthesis = published(in_a, bilan, "synthesis")
    draft = drafted(in_a, bilan, "action_plan")
    document_save_version(actor=in_a.consultant, document=draft, content_html="<p>Brouillon secret du consultant</p>")
    campaign, links = feedback_campaign_create(
        bilan=bilan, actor=in_a.consultant, competences=[{"code": 101, "label": "Écoute"}],
        emails=[f"collegue{i}@exemple.test" for i in range(3)],
    )
    assert len(links) == 3
    for score, (_, token) in zip((1, 4, 5), links):
        feedback_response_submit(token=token, ratings={"101": score})

    response = in_a.client(in_a.beneficiary_user).get("/mes-donnees/donnees.zip")
    assert response.status_code == 200
    text = zipfile.ZipFile(io.BytesIO(response.content)).read("donnees.json").decode()
    records = json.loads(text)["records"]
    assert "Brouillon secret du consultant" not in text
    assert [d["id"] for d in records["documents.document"]] == [str(synthesis.pk)]
    assert [str(v["id"]) for v in records["documents.documentversion"]] == [str(synthesis.validated_version_id)]
    assert "data_snapshot" not in records["documents.document"][0]
    assert "documents.generationrecord" not in records
    assert "assessments.feedbackresponse" not in records
    assert all("used_at" not in row for row in records["assessments.feedbackinvitation"])


def test_erasure_gives_every_kept_category_an_end_date(in_a, file_of):
    """RG-04 (art. 17(3)(b), art. 5(1)(e)): each kept category has its end date: billing lines,
    payments and the funder as long as the invoice (10 years after 2 June 2026), the survey
    scores 3 years after the bilan's end (1 June 2026), the anonymised bilan as long as the
    pieces attached to it."""
    from organisations.accounts.models import AuditEvent

    beneficiary = file_of["beneficiary"]
    from bilans.billing.services import payment_record

    payment_record(actor=in_a.admin, invoice=file_of["invoice"], amount_cents=50000, received_on=date(2026, 6, 20))
    response = in_a.client(in_a.admin).post(f"/rgpd/beneficiaires/{beneficiary.pk}/effacer/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "1 juin 2029" in html  # survey scores

    connection.set_tenant(in_a.organisation)
    kept = AuditEvent.objects.get(action="rgpd.erasure").details["kept"]
    without_date = [k["label"] for k in kept if k["until"] is None and k["label"] != "Journal d'audit"]
    assert without_date == []
    assert sum(1 for k in kept if k["until"] == "2036-06-02") >= 4  # documents, lines, payment, funder, anchor
    assert any(k["until"] == "2029-06-01" for k in kept)


def _admin_export(in_a, beneficiary, **data):
    from datetime import timedelta

    from django.utils import timezone

    received_on = (timezone.localdate() - timedelta(days=6)).isoformat()
    fields = {"reference": "Courriel du 2 décembre : demande d'accès", "received_on": received_on, "channel": "email"}
    fields.update(data)
    return in_a.client(in_a.admin).post(f"/rgpd/beneficiaires/{beneficiary.pk}/donnees.zip", fields)


def test_an_administrator_exports_only_on_a_recorded_request_and_without_messages(in_a, file_of):
    """RG-04: an administrator produces the export on the person's recorded request (reference in
    the audit log) and it never holds what the administrator could not read: the message threads
    between the beneficiary and their consultant."""
    from organisations.accounts.models import AuditEvent

    beneficiary = file_of["beneficiary"]
    url = f"/rgpd/beneficiaires/{beneficiary.pk}/donnees.zip"
    assert in_a.client(in_a.admin).get(url).status_code == 302  # no export without a recorded request
    assert in_a.client(in_a.admin).get(f"/messages/{file_of['message'].thread_id}/").status_code in (403, 404)

    refused = _admin_export(in_a, beneficiary, reference="")
    assert refused.status_code == 400 and "Ce champ est obligatoire" in refused.content.decode()
    future = _admin_export(in_a, beneficiary, received_on="2099-01-01")
    assert future.status_code == 400 and "dans le futur" in future.content.decode()

    response = _admin_export(in_a, beneficiary)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Cache-Control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("donnees.json"))
    assert "messaging.message" not in data["records"] and "messaging.thread" not in data["records"]
    assert b"je serai en retard" not in response.content
    assert not [name for name in archive.namelist() if "attachment" in name]
    assert data["records"]["bilans.bilan"]
    assert "vos échanges avec votre consultant n'y figurent pas" in archive.read("LISEZMOI.txt").decode()
    with tenant_context(in_a.organisation):
        event = AuditEvent.objects.filter(action="rgpd.export", actor=in_a.admin).latest("occurred_at")
    assert event.details["request_reference"] == "Courriel du 2 décembre : demande d'accès"
    assert event.details["request_channel"] == "email" and event.details["request_received_on"]


def test_the_person_still_gets_their_messages_in_their_own_export(in_a, file_of):
    response = in_a.client(in_a.beneficiary_user).get(f"/rgpd/beneficiaires/{file_of['beneficiary'].pk}/donnees.zip")
    assert response.status_code == 200
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("donnees.json"))
    assert data["records"]["messaging.message"][0]["body"] == "Bonjour, je serai en retard"
