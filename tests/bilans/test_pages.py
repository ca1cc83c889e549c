"""The consultant's bilan page and the beneficiary space, through HTTP."""
import pytest
from django_tenants.utils import tenant_context

from bilans.models import Bilan, Consent, SatisfactionSurvey
from bilans.selectors import bilan_timeline
from bilans.services import (
    bilan_record_synthesis_delivery,
    bilan_transition,
    information_document_deliver,
    session_plan,
    session_record_attendance,
    surveys_send_due,
    task_create,
)
from bilans.scheduling.services import availability_rule_add
from tests.bilans.conftest import at

pytestmark = pytest.mark.django_db


def test_consultant_runs_the_start_of_a_bilan_in_the_browser(cast_a):
    consultant = cast_a.client(cast_a.consultant)
    response = consultant.post(f"/beneficiaires/{cast_a.beneficiary.pk}/ouvrir-un-bilan/")
    assert response.status_code == 302
    url = response["Location"]
    page = consultant.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Passer à : Phase préliminaire" in html and "consentement éclairé du bénéficiaire" in html
    consultant.post(url + "information/")
    consultant.post(url + "consentement/", {"method": "signed_paper"})
    consultant.post(url + "objectifs/", {"text": "Identifier deux métiers cibles"})
    consultant.post(url + "seances/", {"kind": "accompaniment", "interview_type": "welcome", "modality": "video", "starts_at": "2026-12-01T09:00", "duration_minutes": 90})
    response = consultant.post(url + "seances/", {"kind": "accompaniment", "interview_type": "", "modality": "video", "starts_at": "2026-12-02T09:00", "duration_minutes": 1400}, follow=True)
    assert "Il reste 22 h 30 disponibles" in response.content.decode()
    consultant.post(url + "etape/", {"to_status": "preliminary"})
    html = consultant.get(url).content.decode()
    assert "Phase préliminaire" in html and "Entretien obligatoire" in html and "Identifier deux métiers cibles" in html
    assert "Consentement enregistré" in html and "Séance prévue" in html  # the timeline
    with tenant_context(cast_a.organisation):
        bilan = Bilan.objects.get(beneficiary=cast_a.beneficiary)
        assert bilan.status == "preliminary"
        assert Consent.objects.get(bilan=bilan).method == "signed_paper"
    assert cast_a.client(cast_a.other_consultant).get(url).status_code == 403
    assert cast_a.client(cast_a.beneficiary_user).get(url).status_code == 403
    assert cast_a.beneficiary.last_name in cast_a.client(cast_a.admin).get("/bilans/").content.decode()


def test_timeline_comes_from_the_audit_log(in_a, bilan):
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 1, 9), duration_minutes=60)
    actions = [e.action for e in bilan_timeline(bilan)]
    assert actions[:3] == ["session.planned", "bilan.information_delivered", "bilan.created"]


def test_beneficiary_space_progress_consent_tasks_and_emargement(in_a, bilan):
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    task_create(actor=in_a.consultant, bilan=bilan, title="Lister vos réussites", instructions="Trois réussites, avec le contexte.", kind="guided_work")
    client = in_a.client(in_a.beneficiary_user)
    html = client.get("/mon-bilan/").content.decode()
    assert "Où en êtes-vous ?" in html and "Avancement de votre bilan" in html and "Lister vos réussites" in html
    assert 'href="/mon-bilan/information/"' in html  # the consent is given under the information document
    assert "Donner mon accord" in client.get("/mon-bilan/information/").content.decode()
    assert client.post("/mon-bilan/consentement/", {}).status_code == 302  # unchecked box: refused
    client.post("/mon-bilan/consentement/", {"accept": "1"})
    with tenant_context(in_a.organisation):
        assert Consent.objects.get(bilan=bilan).method == "online"
        task = bilan.tasks.get()
        s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 11, 3, 9), duration_minutes=60)
        session_record_attendance(actor=in_a.consultant, session=s, attendance="attended")
    client.post(f"/mon-bilan/taches/{task.pk}/terminer/", {"time_spent_minutes": "45"})
    html = client.get("/mon-bilan/").content.decode()
    assert "Je confirme ma présence" in html and "Votre consultant ne vous a pas demandé de travail personnel" in html
    assert "Confirmez votre présence à la séance du" in html  # first of the "À faire" list
    with tenant_context(in_a.organisation):
        task.refresh_from_db()
        assert task.time_spent_minutes == 45 and task.done_at


def test_beneficiary_signs_the_convention_from_the_space(in_a, bilan):
    """CT-14/CT-15: the employee signs online (simple e-signature with time and IP)."""
    from datetime import date

    from bilans.services import convention_create, convention_send, funding_set

    funding_set(actor=in_a.consultant, bilan=bilan, kind="employer_plan", amount_cents=200000)
    convention = convention_create(
        actor=in_a.consultant, bilan=bilan, kind="tripartite", employer_name="Acme", objective="o", content="c", means="m", duration_hours=24,
        period_start=date(2026, 12, 1), period_end=date(2027, 2, 26), delivery_terms="d", results_terms="r", price_cents=200000, payment_terms="p",
    )
    convention_send(actor=in_a.consultant, convention=convention)
    client = in_a.client(in_a.beneficiary_user)
    html = client.get("/mon-bilan/").content.decode()
    assert "Signer électroniquement" in html, html
    assert "considérée comme refusée" in html and "000,00" in html
    client.post(f"/mon-bilan/convention/{convention.pk}/signer/", {"accept": "1"}, REMOTE_ADDR="198.51.100.9")
    with tenant_context(in_a.organisation):
        convention.refresh_from_db()
        assert convention.beneficiary_signed_at and convention.beneficiary_signed_ip == "198.51.100.9"


def test_satisfaction_immediate_then_delayed(in_a, bilan, clock):
    """Qualiopi 30: immediate questionnaire at the end, delayed one 3 to 6 months later."""
    Bilan.objects.filter(pk=bilan.pk).update(status="conclusions")
    bilan.refresh_from_db()
    bilan_record_synthesis_delivery(actor=in_a.consultant, bilan=bilan)
    bilan_transition(actor=in_a.consultant, bilan=bilan, to_status="finished")
    client = in_a.client(in_a.beneficiary_user)
    assert "Répondre au questionnaire" in client.get("/mon-bilan/").content.decode()
    assert client.post("/mon-bilan/satisfaction/", {"score": "4", "objectives_met": "oui", "comment": "Très utile"}).status_code == 302
    with tenant_context(in_a.organisation):
        immediate = SatisfactionSurvey.objects.get(bilan=bilan, kind="immediate")
        assert immediate.score == 4 and immediate.objectives_met is True
        delayed = SatisfactionSurvey.objects.get(bilan=bilan, kind="delayed")
        assert surveys_send_due(now=delayed.scheduled_for) == 1
        assert surveys_send_due(now=delayed.scheduled_for) == 0
    assert "Quelques mois après votre bilan" in client.get("/mon-bilan/satisfaction/").content.decode()


def test_appointment_pages(in_a):
    from datetime import time

    from datetime import datetime, timedelta

    from django.utils import timezone
    from django.utils.formats import date_format

    day = timezone.localdate() + timedelta(days=7)
    availability_rule_add(actor=in_a.consultant, consultant=in_a.consultant, weekday=day.weekday(), start_time=time(9), end_time=time(11))
    html = in_a.client(in_a.beneficiary_user).get(f"/rendez-vous/?semaine={day:%Y-%m-%d}").content.decode()
    assert "Réserver ce créneau" in html and date_format(day, "l j F") in html
    slot = datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())
    response = in_a.client(in_a.beneficiary_user).post("/rendez-vous/reserver/", {"starts_at": slot.isoformat(), "modality": "video"}, follow=True)
    assert "Rendez-vous réservé" in response.content.decode()
    html = in_a.client(in_a.consultant).get("/rendez-vous/").content.decode()
    assert "Mes disponibilités" in html and "Rejoindre la visio" in html
    feed = in_a.client(in_a.consultant).post("/agenda/creer/", follow=True).content.decode()
    assert "/calendrier/" in feed and ".ics" in feed


def test_sensitive_data_form_on_the_file(in_a):
    """RG-03 through the page: refused without the consent box."""
    client = in_a.client(in_a.consultant)
    response = client.post(f"/beneficiaires/{in_a.beneficiary.pk}/accessibilite/", {"disability_info": "Dyslexie", "accommodations": "Temps majoré"}, follow=True)
    assert "consentement explicite" in response.content.decode()
    response = client.post(f"/beneficiaires/{in_a.beneficiary.pk}/accessibilite/", {"disability_info": "Dyslexie", "accommodations": "Temps majoré", "explicit_consent": "on"}, follow=True)
    assert "Temps majoré" in response.content.decode()
    client.post(f"/beneficiaires/{in_a.beneficiary.pk}/profil/", {"situation": "jobseeker", "career_summary": "10 ans de logistique"})
    assert "10 ans de logistique" in client.get(f"/beneficiaires/{in_a.beneficiary.pk}/").content.decode()


def test_beneficiary_gives_and_withdraws_a_sharing_agreement_online(in_a, bilan):
    """CT-07: per-recipient agreement from the beneficiary's space, withdrawable."""
    from bilans.models import SharingConsent

    client = in_a.client(in_a.beneficiary_user)
    client.post("/mon-bilan/partage/", {"recipient_kind": "employer", "recipient_name": "Acme RH", "recipient_email": "rh@acme.test", "scope": "synthesis"})
    assert "Acme RH" in client.get("/mon-bilan/").content.decode()
    with tenant_context(in_a.organisation):
        consent = SharingConsent.objects.get(bilan=bilan)
        assert consent.method == "online" and consent.recorded_by == in_a.beneficiary_user
    client.post(f"/mon-bilan/partage/{consent.pk}/retirer/")
    with tenant_context(in_a.organisation):
        consent.refresh_from_db()
        assert consent.withdrawn_at is not None


def test_beneficiary_declares_own_accommodations_with_consent(in_a):
    """RG-03: the person may declare (and erase) their own needs, with explicit consent."""
    from bilans.models import Beneficiary

    client = in_a.client(in_a.beneficiary_user)
    assert "Besoins d'aménagement" in client.get("/mon-dossier/").content.decode()
    client.post(f"/beneficiaires/{in_a.beneficiary.pk}/accessibilite/", {"disability_info": "Malvoyance", "accommodations": "Documents en gros caractères", "explicit_consent": "on"})
    with tenant_context(in_a.organisation):
        person = Beneficiary.objects.get(pk=in_a.beneficiary.pk)
        assert person.accommodations == "Documents en gros caractères" and person.sensitive_consent_method == "online"
    client.post(f"/beneficiaires/{in_a.beneficiary.pk}/accessibilite/", {"disability_info": "", "accommodations": ""})
    with tenant_context(in_a.organisation):
        assert Beneficiary.objects.get(pk=in_a.beneficiary.pk).accommodations == ""


def test_bilan_list_filters_with_htmx(in_a, bilan):
    client = in_a.client(in_a.consultant)
    full = client.get("/bilans/").content.decode()
    assert "<h1" in full and in_a.beneficiary.last_name in full
    partial = client.get("/bilans/?statut=investigation", HTTP_HX_REQUEST="true").content.decode()
    assert "<h1" not in partial and "Aucun bilan" in partial


def test_beneficiary_withdraws_consent_and_a_missed_session_invites_to_book(in_a, bilan):
    """CT-04: withdrawal from the space, never a fault; Qualiopi 12: a missed session is followed up."""
    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    client = in_a.client(in_a.beneficiary_user)
    client.post("/mon-bilan/consentement/", {"accept": "1"})
    assert "Retirer mon accord" in client.get("/mon-bilan/").content.decode()
    client.post("/mon-bilan/consentement/retirer/")
    with tenant_context(in_a.organisation):
        assert Consent.objects.get(bilan=bilan).withdrawn_at is not None
        assert in_a.consultant.notifications.filter(kind="consent").exists()
        s = session_plan(actor=in_a.consultant, bilan=bilan, starts_at=at(2026, 12, 1, 9), duration_minutes=60)
        session_record_attendance(actor=in_a.consultant, session=s, attendance="absent")
        assert in_a.beneficiary_user.notifications.filter(title__startswith="Séance manquée").exists()


def test_closing_without_follow_up_keeps_and_shows_the_reason(in_a, bilan):
    from datetime import date

    from django.utils import timezone

    Bilan.objects.filter(pk=bilan.pk).update(status="finished", ended_at=timezone.now(), follow_up_due_on=date(2027, 5, 2))
    client = in_a.client(in_a.consultant)
    refused = client.post(f"/bilans/{bilan.pk}/etape/", {"to_status": "closed", "reason": ""}, follow=True)
    assert "Indiquez pourquoi le bilan est clos" in refused.content.decode()
    client.post(f"/bilans/{bilan.pk}/etape/", {"to_status": "closed", "reason": "Injoignable après trois relances"})
    html = client.get(f"/bilans/{bilan.pk}/").content.decode()
    assert html.count("Injoignable après trois relances") >= 2  # header and timeline
    with tenant_context(in_a.organisation):
        closed = Bilan.objects.get(pk=bilan.pk)
        assert closed.status == "closed" and closed.close_reason == "Injoignable après trois relances"


def test_consultant_is_notified_only_when_consent_was_really_withdrawn(in_a, bilan):
    """CT-04: the consultant learns of a withdrawal; a second click withdraws nothing and notifies nobody."""
    from bilans.services import consent_record

    information_document_deliver(actor=in_a.consultant, bilan=bilan)
    consent_record(actor=in_a.beneficiary_user, bilan=bilan, method="online")
    client = in_a.client(in_a.beneficiary_user)
    assert "Votre consentement est retiré" in client.post("/mon-bilan/consentement/retirer/", follow=True).content.decode()
    again = client.post("/mon-bilan/consentement/retirer/", follow=True).content.decode()
    assert "rien à retirer" in again
    with tenant_context(in_a.organisation):
        assert in_a.consultant.notifications.filter(kind="consent").count() == 1
