"""The beneficiary's space guides: one "À faire" list computed by one selector, every document to
read available in the space, texts written for the beneficiary (never the consultant's to-do)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from bilans.assessments import services as assessment_services
from bilans.assessments.models import Assessment
from bilans.models import Bilan, Consent, Convention, Session, Task
from bilans.next_actions import next_actions
from bilans.scheduling.models import Appointment
from bilans.services import consent_record, information_document_deliver, information_document_read
from config.errors import NotFound
from tests.documents.factories import drafted, published
from tests.plans.helpers import bilan_with_forfait

pytestmark = pytest.mark.django_db

CONSULTANT_TEXTS = (
    "n'est pas enregistré",
    "Remettez d'abord",
    "du bénéficiaire",
    "Rien à faire",
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path_factory):
    """PDFs of published documents are sealed with the development certificate, outside the repo."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


def _bilan(cast, status="prospect") -> Bilan:
    with schema_context(cast.organisation.schema_name):
        return Bilan.objects.create(beneficiary=cast.beneficiary, consultant=cast.consultant, status=status)


def _kinds(cast) -> list[str]:
    with schema_context(cast.organisation.schema_name):
        return [item.kind for item in next_actions(user=cast.beneficiary_user)]


def _texts(cast) -> list[str]:
    with schema_context(cast.organisation.schema_name):
        return [item.text for item in next_actions(user=cast.beneficiary_user)]


def test_consent_is_the_first_action_until_given(cast_a):
    """CT-04: the beneficiary is asked to read the information document and give their consent."""
    bilan = _bilan(cast_a)
    assert _kinds(cast_a) == ["consent"]
    assert "document d'information" in _texts(cast_a)[0]
    with schema_context(cast_a.organisation.schema_name):
        information_document_deliver(actor=cast_a.consultant, bilan=bilan)
        consent_record(actor=cast_a.beneficiary_user, bilan=bilan, method=Consent.Method.ONLINE)
    assert "consent" not in _kinds(cast_a)


def test_questionnaire_to_answer_then_to_resume_then_gone(cast_a):
    bilan = _bilan(cast_a, "investigation")
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    with schema_context(cast_a.organisation.schema_name):
        assessment = assessment_services.assessment_assign(bilan=bilan, instrument_code="riasec", actor=cast_a.consultant)
        actions = next_actions(user=cast_a.beneficiary_user)
        assert [a.kind for a in actions] == ["questionnaire"]
        assert actions.items[0].button == "Commencer le questionnaire" and actions.items[0].url == f"/questionnaires/{assessment.pk}/"
        assessment_services.assessment_save(assessment=assessment, actor=cast_a.beneficiary_user, answers={"R01": 4})
        assert next_actions(user=cast_a.beneficiary_user).items[0].button == "Reprendre le questionnaire"
        Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED, submitted_at=timezone.now())
    assert _kinds(cast_a) == []


def test_upcoming_appointment_with_its_date_in_paris_time(cast_a):
    _bilan(cast_a, "preliminary")
    starts = timezone.now().replace(microsecond=0) + timedelta(days=3)
    with schema_context(cast_a.organisation.schema_name):
        appointment = Appointment.objects.create(
            consultant=cast_a.consultant, beneficiary=cast_a.beneficiary, starts_at=starts, ends_at=starts + timedelta(hours=1), modality="phone"
        )
        item = next_actions(user=cast_a.beneficiary_user).items[0]
        local = timezone.localtime(starts)
        assert item.kind == "appointment" and f"à {local:%H:%M}" in item.text and item.url == "/rendez-vous/"
        appointment.status = Appointment.Status.CANCELLED
        appointment.save()
    assert _kinds(cast_a) == []


def test_attendance_to_confirm_convention_to_sign_and_task(cast_a):
    bilan = _bilan(cast_a, "preliminary")
    with schema_context(cast_a.organisation.schema_name):
        session = Session.objects.create(
            bilan=bilan, kind="accompaniment", starts_at=timezone.now() - timedelta(days=1), duration_minutes=60, attendance="attended"
        )
        Convention.objects.create(
            bilan=bilan, kind=Convention.Kind.CONTRACT, status=Convention.Status.SENT, objective="o", content="c", means="m",
            duration_hours=20, period_start=timezone.localdate(), period_end=timezone.localdate() + timedelta(days=60),
            delivery_terms="d", results_terms="r", price_cents=150000, payment_terms="p", sent_at=timezone.now(),
        )
        Task.objects.create(bilan=bilan, title="Lister trois métiers qui vous attirent")
    assert _kinds(cast_a) == ["sign", "attendance", "task"]
    with schema_context(cast_a.organisation.schema_name):
        Session.objects.filter(pk=session.pk).update(beneficiary_confirmed_at=timezone.now())
        Convention.objects.filter(bilan=bilan).update(beneficiary_signed_at=timezone.now())
        Task.objects.filter(bilan=bilan).update(done_at=timezone.now())
    assert _kinds(cast_a) == []


def test_published_document_is_to_read_until_opened_and_a_synthesis_to_sign(cast_a):
    bilan = _bilan(cast_a, "conclusions")
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    information = published(cast_a, bilan, "information")
    synthesis = published(cast_a, bilan, "synthesis")
    with schema_context(cast_a.organisation.schema_name):
        items = {a.kind: a for a in next_actions(user=cast_a.beneficiary_user)}
    assert items["read"].url == f"/documents/{information.pk}/"
    assert items["sign"].url == f"/documents/{synthesis.pk}/"  # the synthèse is signed by the beneficiary (ES-04)
    me = cast_a.client(cast_a.beneficiary_user)
    assert me.get(f"/documents/{information.pk}/").status_code == 200
    assert "read" not in _kinds(cast_a)


def test_published_synthesis_is_listed_in_my_bilan_and_my_documents(cast_a):
    """CT-06: once published, the synthèse is in the beneficiary's space (never « Aucun document »)."""
    bilan = _bilan(cast_a, "conclusions")
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    synthesis = published(cast_a, bilan, "synthesis")
    me = cast_a.client(cast_a.beneficiary_user)
    my_bilan = me.get("/mon-bilan/").content.decode()
    assert f'href="/documents/{synthesis.pk}/"' in my_bilan and "Aucun document" not in my_bilan
    my_documents = me.get("/mes-documents/").content.decode()
    assert f'href="/documents/{synthesis.pk}/"' in my_documents and "Aucun document" not in my_documents


def test_a_draft_is_never_listed_to_the_beneficiary(cast_a):
    bilan = _bilan(cast_a, "conclusions")
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    draft = drafted(cast_a, bilan, "synthesis")
    me = cast_a.client(cast_a.beneficiary_user)
    for url in ("/", "/mon-bilan/", "/mes-documents/"):
        assert str(draft.pk) not in me.get(url).content.decode()
    assert _kinds(cast_a) == []


def test_nothing_waiting_says_what_happens_next(cast_a):
    _bilan(cast_a, "investigation")
    home = cast_a.client(cast_a.beneficiary_user).get("/").content.decode()
    assert "Votre consultant vous recontactera" in home and "Rien à faire" not in home


def test_home_lists_every_next_action_with_one_button_each(cast_a):
    bilan = _bilan(cast_a)
    with schema_context(cast_a.organisation.schema_name):
        Task.objects.create(bilan=bilan, title="Lire la fiche métier")
    home = cast_a.client(cast_a.beneficiary_user).get("/").content.decode()
    assert "À faire maintenant" in home
    assert 'href="/mon-bilan/information/">Lire et donner mon accord</a>' in home
    assert 'href="/mon-bilan/#taches">Voir la consigne</a>' in home


def test_no_consultant_text_is_shown_to_the_beneficiary(cast_a):
    """The phases' blockers address the consultant: the beneficiary reads their own next actions."""
    _bilan(cast_a)
    me = cast_a.client(cast_a.beneficiary_user)
    for url in ("/", "/mon-bilan/", "/mon-bilan/information/", "/mes-documents/", "/mes-questionnaires/"):
        html = me.get(url).content.decode()
        for text in CONSULTANT_TEXTS:
            assert text not in html, (url, text)


def test_information_document_is_in_the_space_and_consent_is_given_under_it(cast_a):
    """CT-04: the information document (phases, confidentiality, rights, destruction of documents)
    is readable in the space; opening it counts as its delivery; consent is then given online."""
    bilan = _bilan(cast_a)
    me = cast_a.client(cast_a.beneficiary_user)
    refused = me.post("/mon-bilan/consentement/", {})
    assert refused["Location"] == "/mon-bilan/information/#accord"
    page = me.get("/mon-bilan/information/").content.decode()
    for words in ("Les trois phases du bilan", "Confidentialité", "Vos résultats vous appartiennent", "Destruction des documents", "Donner mon accord"):
        assert words in page
    with tenant_context(cast_a.organisation):
        bilan.refresh_from_db()
        assert bilan.information_delivered_at is not None
    given = me.post("/mon-bilan/consentement/", {"accept": "1"})
    assert given.status_code == 302 and given["Location"] == "/"
    with tenant_context(cast_a.organisation):
        assert bilan.consents.filter(withdrawn_at__isnull=True, method=Consent.Method.ONLINE).exists()
    assert "consent" not in _kinds(cast_a)
    assert "Vous avez donné votre accord" in me.get("/mon-bilan/information/").content.decode()


def test_the_consent_form_links_the_information_document(cast_a):
    _bilan(cast_a)
    my_bilan = cast_a.client(cast_a.beneficiary_user).get("/mon-bilan/").content.decode()
    assert 'href="/mon-bilan/information/"' in my_bilan


def test_another_persons_bilan_is_not_marked_informed(cast_a):
    """Only the bilan's own beneficiary marks the information document as read."""
    with schema_context(cast_a.organisation.schema_name):
        other = Bilan.objects.create(beneficiary=cast_a.other_beneficiary, consultant=cast_a.other_consultant)
        with pytest.raises(NotFound):
            information_document_read(actor=cast_a.beneficiary_user, bilan=other)
        other.refresh_from_db()
        assert other.information_delivered_at is None
