"""Journey: an administrator fills the organisation's profile and branding (the setup checklist
shrinks then disappears), publishes the presentation page; a visitor asks for an appointment on
it; the administrator finds the prospect and opens a bilan for them."""
from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tests.journeys.browser import CODE_PATTERN, assert_page_fit_for_people, axe_violations, duplicate_ids
from tests.organisations.factories import PASSWORD, UserFactory, totp_code, totp_enable
from tests.organisations.profile_helpers import png_bytes, set_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _database_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; the test reads the database in
    between browser steps (never concurrently), which Django allows with this switch."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _fit_except_foreign_codes(page, own_part: str) -> None:
    """For pages this journey passes through but other work owns (the dashboard's activity list
    still shows audit codes until it gets French labels): axe and duplicate ids on the whole page,
    the developer-code scan on this feature's part only. Use assert_page_fit_for_people once
    those pages are fixed."""
    assert not axe_violations(page), axe_violations(page)
    assert not duplicate_ids(page), duplicate_ids(page)
    text = " ".join(page.locator(own_part).all_inner_texts())
    assert not CODE_PATTERN.findall(text), CODE_PATTERN.findall(text)


def _checklist_todo(page) -> int:
    checklist = page.locator("[data-setup-checklist]")
    return checklist.locator("text=À faire").count() if checklist.count() else 0


def test_profile_branding_public_request_then_bilan(live_server, page, org_a):
    from bilans.models import Beneficiary, Bilan
    from organisations.models import ContactRequest, Notification

    set_plan(org_a, "professional")
    org_a.siret = org_a.activity_declaration_number = org_a.activity_declaration_region = org_a.qualiopi_certificate_number = ""
    org_a.brand_colour = ""
    org_a.save()
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin", email="direction@alpha.test", first_name="Claire", last_name="Martin")
        secret = totp_enable(admin)
        UserFactory(role="consultant", email="julien@alpha.test")
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{org_a.slug}.localhost:{port}"

    # The administrator signs in (password, then the TOTP code) and sees what is missing.
    page.goto(base + "/accounts/login/")
    page.get_by_label("Courriel").fill(admin.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("heading", name="Avant d'émettre vos devis et factures").is_visible()
    todo_before = _checklist_todo(page)
    assert todo_before == 4  # identity, declaration, bank details, Qualiopi (the consultant exists)
    _fit_except_foreign_codes(page, ".setup-checklist")

    # Legal identity without the bank details first: the checklist shrinks.
    page.get_by_role("link", name="Identité légale de l'organisme").click()
    page.wait_for_url("**/organisation/profil/**")
    page.get_by_label("SIRET").fill("732 829 320 00075")  # a typo: the key is wrong
    page.get_by_label("Représentant légal", exact=True).fill("Claire Martin")
    page.get_by_label("Adresse", exact=True).fill("12 rue des Lilas")
    page.get_by_label("Code postal").fill("75011")
    page.get_by_label("Ville").fill("Paris")
    page.get_by_label("Numéro de déclaration d'activité").fill("11 75 55555 75")
    page.get_by_label("Région de la déclaration").select_option("Île-de-France")
    page.get_by_label("Mon organisme est exonéré de TVA pour la formation professionnelle continue").check()
    page.get_by_label("Numéro du certificat Qualiopi").fill("QUALI-2026-0042")
    page.get_by_label("Date du certificat").fill("2025-03-14")
    page.get_by_label("Organisme certificateur").fill("AFNOR Certification")
    page.get_by_role("button", name="Enregistrer le profil").click()
    assert page.get_by_text("Ce SIRET n'existe pas").first.is_visible()
    assert page.get_by_label("Ville").input_value() == "Paris"  # nothing typed is lost
    assert_page_fit_for_people(page)
    page.get_by_label("SIRET").fill("732 829 320 00074")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.get_by_text("Profil de l'organisme enregistré.").wait_for()
    page.goto(base + "/")
    assert _checklist_todo(page) == 1  # only the bank details remain

    page.goto(base + "/organisation/profil/#banque")
    page.get_by_label("IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    page.get_by_label("BIC").fill("AGRIFRPP")
    page.get_by_role("button", name="Enregistrer le profil").click()
    page.get_by_text("Votre identité est complète").wait_for()
    assert_page_fit_for_people(page)
    page.goto(base + "/")
    assert page.get_by_role("heading", name="Avant d'émettre vos devis et factures").count() == 0

    # Branding: a colour too light is refused with a suggestion, a readable one is applied.
    page.goto(base + "/organisation/image/")
    page.get_by_label("Couleur de votre marque").fill("#ffcc00")
    page.get_by_role("button", name="Enregistrer le logo et la couleur").click()
    assert page.get_by_text("Cette couleur est trop claire").first.is_visible()
    assert_page_fit_for_people(page)
    page.get_by_label("Couleur de votre marque").fill("#7a1f5c")
    page.get_by_label("Logo", exact=True).set_input_files(files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.get_by_role("button", name="Enregistrer le logo et la couleur").click()
    page.get_by_text("Image de marque enregistrée.").wait_for()
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()") == "#7a1f5c"
    assert page.locator("header img.brand__image").count() == 1
    assert_page_fit_for_people(page)

    # The presentation page is published with its request form.
    page.goto(base + "/organisation/page-publique/")
    page.get_by_label("Publier la page de présentation à l'adresse de mon espace").check()
    page.get_by_label("Tarifs").fill("Bilan complet de 24 h : 1 800 € net de taxe.")
    page.get_by_label("Référent handicap", exact=True).fill("Julie Roux")
    page.get_by_label("E-mail de contact").fill("contact@alpha.test")
    page.get_by_role("button", name="Enregistrer la page").click()
    page.get_by_text("Elle est en ligne.").wait_for()
    assert_page_fit_for_people(page)

    # A visitor (another browser context, not signed in) asks for an appointment.
    visitor = page.context.browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
    visitor.goto(base + "/")
    assert visitor.get_by_role("heading", level=1).inner_text().startswith("Alpha Bilans")
    assert visitor.get_by_text("1 800 € net de taxe").is_visible() and visitor.get_by_role("link", name="Consulter nos indicateurs de résultats").is_visible()
    assert_page_fit_for_people(visitor)
    visitor.get_by_role("link", name="Demander un rendez-vous").click()
    visitor.locator("#id_first_name").fill("Inès")
    visitor.locator("#id_last_name").fill("Moreau")
    visitor.locator("#id_email").fill("inesmoreau@exemple.test")
    visitor.get_by_label("Financement envisagé").select_option("cpf")
    visitor.get_by_label("Votre message").fill("Disponible le mardi matin.")
    visitor.get_by_role("button", name="Envoyer ma demande").click()
    assert visitor.get_by_text("Cochez cette case pour que nous puissions vous recontacter.").first.is_visible()  # consent required
    assert visitor.locator("#id_email").input_value() == "inesmoreau@exemple.test"
    assert_page_fit_for_people(visitor)
    visitor.locator("#id_consent").check()
    visitor.wait_for_timeout(3200)  # a person takes a few seconds (the anti-spam minimum)
    visitor.get_by_role("button", name="Envoyer ma demande").click()
    assert visitor.get_by_role("heading", name="Votre demande est envoyée").is_visible()
    assert_page_fit_for_people(visitor)
    visitor.context.close()

    with schema_context(org_a.schema_name):
        assert ContactRequest.objects.filter(beneficiary__email="inesmoreau@exemple.test").exists()
        assert Notification.objects.filter(recipient=admin, kind="contact_request").exists()

    # The administrator sees the request, opens the prospect's file and a bilan.
    page.goto(base + "/")
    assert page.locator("#notifications-bell").inner_text().strip().endswith("1") or "1" in page.locator("#notifications-bell").inner_text()
    page.goto(base + "/organisation/demandes/")
    assert_page_fit_for_people(page)
    page.get_by_role("link", name="Inès Moreau").click()
    page.wait_for_url(re.compile(r".*/beneficiaires/[0-9a-f-]+/$"))
    assert_page_fit_for_people(page)
    page.get_by_role("button", name="Ouvrir un bilan").click()
    page.wait_for_url(re.compile(r".*/bilans/[0-9a-f-]+/$"))
    with schema_context(org_a.schema_name):
        beneficiary = Beneficiary.objects.get(email="inesmoreau@exemple.test")
        assert Bilan.objects.filter(beneficiary=beneficiary, status="prospect").exists()
    # The bilan page belongs to other work (its forms still repeat ids such as id_kind): axe only
    # here; use assert_page_fit_for_people once it is fixed.
    assert not axe_violations(page), axe_violations(page)
