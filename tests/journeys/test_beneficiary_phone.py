"""The beneficiary, on a phone (390×844), does everything from the "À faire" list of their space:
reads the information document and gives consent, answers a questionnaire in two sittings
(resumed at the right page), opens the published synthèse, rates a few competences of the
skills self-assessment, leaves and resumes. Every page is checked with axe-core."""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from bilans.assessments import services as assessment_services
from bilans.assessments.instruments import DEFINITIONS
from bilans.models import Bilan
from bilans.scheduling.models import Appointment
from tests.ai.conftest import _rome_session, rome  # noqa: F401  (shared fixtures)
from tests.documents.factories import published
from tests.journeys.browser import assert_page_fit_for_people
from tests.organisations.factories import PASSWORD
from tests.plans.helpers import bilan_with_forfait

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path_factory):
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


def _shot(page, name: str) -> None:
    """Full-page screenshots at phone size when JOURNEY_SCREENSHOTS names a folder (to look at them)."""
    folder = os.environ.get("JOURNEY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/benef-{name}.png", full_page=True)


def _check(page, name: str) -> None:
    page.wait_for_load_state()
    assert_page_fit_for_people(page)
    _shot(page, name)


def _todo(page):
    return page.get_by_role("region", name="À faire maintenant")


def _answer_page(page, section: dict, count: int | None = None) -> None:
    for item in section["items"][:count]:
        page.locator(f"#{item['id']}-4").check()


@pytest.fixture
def journey(cast_a, rome):
    """The beneficiary's bilan, created before the browser starts (Playwright's sync API runs an
    event loop in this thread, where Django refuses database calls): consent pending, a
    questionnaire and the skills self-assessment assigned, an appointment, a published synthèse."""
    with schema_context(cast_a.organisation.schema_name):
        bilan = Bilan.objects.create(beneficiary=cast_a.beneficiary, consultant=cast_a.consultant)
    bilan_with_forfait(cast_a.organisation, bilan.pk, "premium")
    synthesis = published(cast_a, bilan, "synthesis")
    with schema_context(cast_a.organisation.schema_name):
        riasec = assessment_services.assessment_assign(bilan=bilan, instrument_code="riasec", actor=cast_a.consultant)
        skills = assessment_services.assessment_assign(bilan=bilan, instrument_code="skills", actor=cast_a.consultant)
        assessment_services.skills_occupation_add(assessment=skills, actor=cast_a.beneficiary_user, code_rome="D1102", current=True)
        starts = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=4)
        Appointment.objects.create(
            consultant=cast_a.consultant, beneficiary=cast_a.beneficiary, bilan=bilan, starts_at=starts, ends_at=starts + timedelta(hours=1), modality="phone"
        )
    return {"cast": cast_a, "synthesis": synthesis, "riasec": riasec, "skills": skills}


def test_beneficiary_does_everything_from_the_next_action_list_on_a_phone(live_server, journey, phone_page):
    page = phone_page
    cast_a, synthesis, riasec, skills = journey["cast"], journey["synthesis"], journey["riasec"], journey["skills"]
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{cast_a.organisation.slug}.localhost:{port}"

    # log in: the home page says what to do, one button each
    page.goto(f"{base}/accounts/login/")
    _check(page, "01-login")
    page.get_by_label("Courriel").fill(cast_a.beneficiary_user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/")
    todo = _todo(page)
    for text in ("document d'information", "Rendez-vous avec votre consultant le", "Répondez au questionnaire", "signez : "):
        assert text in todo.inner_text(), text
    _check(page, "02-home")

    # consent, after reading the information document
    todo.get_by_role("link", name="Lire et donner mon accord").click()
    page.wait_for_url(f"{base}/mon-bilan/information/")
    assert page.get_by_role("heading", name="2. Les trois phases du bilan").is_visible()
    _check(page, "03-information")
    page.get_by_label("J'ai lu ce document d'information et je donne mon accord").check()
    page.get_by_role("button", name="Donner mon accord").click()
    page.wait_for_url(f"{base}/")
    assert "votre accord est enregistré" in page.locator("body").inner_text()
    assert _todo(page).get_by_role("link", name="Lire et donner mon accord").count() == 0
    _check(page, "04-home-after-consent")

    # a questionnaire: the first page, half of the second, then "later"
    sections = DEFINITIONS["riasec"]["sections"]
    _todo(page).get_by_role("listitem").filter(has_text="(RIASEC)").get_by_role("link").click()
    page.wait_for_url(f"{base}/questionnaires/{riasec.pk}/")
    assert "(page 1 sur 6)" in page.locator("h2").first.inner_text()
    _check(page, "05-questionnaire-page-1")
    _answer_page(page, sections[0])
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url(re.compile(r".*\?page=2$"))
    _answer_page(page, sections[1], count=3)
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    page.wait_for_url(f"{base}/mes-questionnaires/")
    _check(page, "06-my-questionnaires")

    # back home: "Reprendre" opens page 2, where it was left
    page.goto(f"{base}/")
    _todo(page).get_by_role("listitem").filter(has_text="(RIASEC)").get_by_role("link", name="Reprendre le questionnaire").click()
    assert "(page 2 sur 6)" in page.locator("h2").first.inner_text()
    assert page.locator(f"#{sections[1]['items'][0]['id']}-4").is_checked()
    _check(page, "07-questionnaire-resumed")
    for number in range(2, 7):
        _answer_page(page, sections[number - 1])
        if number < 6:
            page.get_by_role("button", name="Enregistrer et continuer").click()
            page.wait_for_url(re.compile(rf".*\?page={number + 1}$"))
    page.get_by_role("button", name="Terminer et voir mon résultat").click()
    page.wait_for_url(re.compile(r".*/resultats/.*"))
    _check(page, "08-result")

    # the published synthèse, opened from the list
    page.goto(f"{base}/")
    assert "(RIASEC)" not in _todo(page).inner_text()
    _todo(page).get_by_role("link", name="Lire et signer").click()
    page.wait_for_url(f"{base}/documents/{synthesis.pk}/")
    _check(page, "09-synthesis")
    page.goto(f"{base}/mon-bilan/")
    assert page.get_by_role("link", name=synthesis.title).count() >= 1
    _check(page, "10-my-bilan")

    # the skills self-assessment: one competence per screen, three rated, then "later"
    page.goto(f"{base}/")
    _todo(page).get_by_role("listitem").filter(has_text="Autoévaluation des compétences").get_by_role("link").click()
    total = int(re.search(r"Compétence 1 sur (\d+)", page.locator("main").inner_text()).group(1))
    _check(page, "11-skill-1")
    for number, level in ((1, "Avancé"), (2, "Expert"), (3, "Débutant")):
        assert f"Compétence {number} sur {total}" in page.locator("main").inner_text()
        page.get_by_role("group", name="Votre niveau de maîtrise").get_by_label(level).check()
        page.get_by_role("group", name="Aimez-vous l'exercer ?").get_by_label("J'aime").check()
        page.get_by_role("button", name="Enregistrer et continuer").click()
        page.wait_for_url(re.compile(rf".*\?competence={number + 1}$"))
    page.get_by_role("button", name="Enregistrer et reprendre plus tard").click()
    page.wait_for_url(f"{base}/mes-questionnaires/")
    page.goto(f"{base}/")
    _todo(page).get_by_role("listitem").filter(has_text="Autoévaluation des compétences").get_by_role("link", name="Reprendre le questionnaire").click()
    assert f"Compétence 4 sur {total}" in page.locator("main").inner_text()
    _check(page, "12-skill-resumed")
    page.goto(f"{base}/questionnaires/{skills.pk}/?etape=recapitulatif")
    assert f"Vous avez évalué 3 compétences sur {total}" in page.locator("main").inner_text()
    _check(page, "13-skills-review")
