"""End to end in a real headless Chromium (Debian's package, driven by Playwright)."""
import shutil

import pytest

from tests.journeys.browser import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required: run `make browser`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


def test_sign_up_land_on_subdomain_log_out_log_in(live_server, page):
    port = live_server.url.rsplit(":", 1)[1]
    page.goto(f"http://localhost:{port}/inscription/")
    page.get_by_label("Un consultant indépendant").check()
    page.get_by_label("Nom de votre organisme ou de votre activité").fill("Atelier Trajectoires")
    page.get_by_label("Adresse de votre espace").fill("atelier-trajectoires")
    page.get_by_label("Votre prénom").fill("Lucie")
    page.get_by_label("Votre nom").fill("Moreau")
    page.get_by_label("Votre adresse e-mail").fill("lucie@trajectoires.test")
    page.get_by_label("Mot de passe").fill("Ciel-Ouvert-Montagne-58")
    page.get_by_label("J'accepte les conditions").check()
    page.get_by_role("button", name="Créer mon espace").click()

    # Landed, logged in, on the new subdomain: the administrator is asked to enrol 2FA first.
    page.wait_for_url(f"http://atelier-trajectoires.localhost:{port}/accounts/2fa/totp/activate/**")
    assert "Atelier Trajectoires" in page.content()

    page.locator("summary", has_text="Lucie Moreau").click()  # the account menu
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Se connecter").count() >= 1
    page.goto(f"http://atelier-trajectoires.localhost:{port}/accounts/login/")
    page.get_by_label("Courriel").fill("lucie@trajectoires.test")
    page.get_by_label("Mot de passe").fill("Ciel-Ouvert-Montagne-58")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"http://atelier-trajectoires.localhost:{port}/accounts/2fa/totp/activate/**")
    assert page.get_by_role("heading", level=1).count() == 1
