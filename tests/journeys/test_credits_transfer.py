"""Journey 4 (staff): an organisation's administrator orders a credit pack by bank transfer,
sees the platform's IBAN and the reference, downloads the pro-forma; staff mark the order paid
from the console; the administrator sees the wallet credited and a notification. And the public
pricing page, as a visitor sees it."""
from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.conftest import PASSWORD
from tests.journeys.browser import assert_page_fit_for_people, chromium_page
from tests.organisations.factories import UserFactory, totp_code, totp_enable

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base: str, email: str, secret: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("form:has(input[name=code]) button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/" not in page.url, page.url


@pytest.fixture
def people(org_a):
    from plans.migrations._seed import seed_plans

    seed_plans()  # plans are data: a transactional test flushed them
    with schema_context(org_a.schema_name):
        admin = UserFactory(role="admin", email=f"admin-{uuid.uuid4().hex[:6]}@alpha.test", first_name="Claire", last_name="Vidal")
        admin_secret = totp_enable(admin)
    from django.db import connection

    connection.set_schema_to_public()
    staff = UserFactory(role="staff", email=f"equipe-{uuid.uuid4().hex[:6]}@plateforme.test", first_name="Sam", last_name="Équipe")
    staff_secret = totp_enable(staff)
    return admin, admin_secret, staff, staff_secret


def test_pack_ordered_by_transfer_is_paid_and_credited(live_server, people, org_a, settings):
    from plans.models import Order
    from plans.services import account_get

    settings.PLATFORM_BANK_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.PLATFORM_BANK_BIC = "AGRIFRPPXXX"
    settings.PLATFORM_BANK_HOLDER = "Bilans Pro SAS"
    admin, admin_secret, staff, staff_secret = people
    port = live_server.url.rsplit(":", 1)[1]
    org_base = f"http://{org_a.slug}.localhost:{port}"

    with chromium_page() as page:
        _log_in(page, org_base, admin.email, admin_secret)
        page.goto(f"{org_base}/credits/")
        assert_page_fit_for_people(page)
        page.get_by_role("button", name="Commander 250 crédits").click()
        page.wait_for_url(re.compile(r".*/credits/commandes/[0-9a-f-]{36}/$"))
        order_url = page.url
        reference = page.locator("#order-reference").inner_text().strip()
        assert re.fullmatch(r"BP-[A-Z2-9]{4}-[A-Z2-9]{4}", reference)
        bank = page.locator("#bank-details").inner_text()
        assert "FR76 3000 6000 0112 3456 7890 189" in bank and "AGRIFRPPXXX" in bank and "Bilans Pro SAS" in bank and reference in bank
        assert "210,00" in page.locator("#order-total").inner_text()  # TTC, decimal comma
        assert_page_fit_for_people(page)
        with page.expect_download() as download_info:
            page.get_by_role("link", name=re.compile("facture pro forma", re.I)).click()
        download = download_info.value
        assert download.failure() is None and download.suggested_filename == f"pro-forma-{reference}.pdf"
        with open(download.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        admin_cookies = page.context.cookies()  # the administrator comes back later in the same session

    # (the ORM is used outside the browser block: Playwright's sync API runs an event loop)
    order = Order.objects.get(organisation=org_a, reference=reference)
    assert order.status == "pending" and order.credits == 250 and order_url.endswith(f"/credits/commandes/{order.pk}/")
    # Measured once the organisation's space has been used (its trial grant, if any, is in).
    before = account_get(org_a, "wallet").balance

    with chromium_page() as console:
        _log_in(console, f"http://localhost:{port}", staff.email, staff_secret)
        console.goto(f"http://localhost:{port}/console/credits/")
        assert reference in console.locator("main").inner_text()
        assert_page_fit_for_people(console)
        console.goto(f"http://localhost:{port}/console/credits/organisations/{org_a.pk}/")
        assert_page_fit_for_people(console)
        console.get_by_role("button", name="Marquer payée").click()
        dialog = console.locator("dialog[open]")
        if dialog.count():
            dialog.get_by_role("button", name="Marquer payée").click()
        console.wait_for_load_state()
        console.get_by_text("Commande marquée payée").wait_for()
        assert_page_fit_for_people(console)
        assert console.get_by_role("button", name="Marquer payée").count() == 0  # nothing left to mark

    assert account_get(org_a, "wallet").balance == before + 250
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_marked_by == staff.email
    with chromium_page() as page:
        page.context.add_cookies(admin_cookies)
        page.goto(f"{org_base}/credits/")
        assert int(page.locator("#wallet-balance").inner_text().strip().replace("\u202f", "").replace(" ", "")) >= before + 250
        assert_page_fit_for_people(page)
        page.goto(f"{org_base}/notifications/")
        assert "Paiement reçu : 250 crédits ajoutés" in page.locator("main").inner_text()
        assert_page_fit_for_people(page)
        page.goto(order_url)
        assert "Payée" in page.locator("main").inner_text() and page.locator("#bank-details").count() == 0
        assert_page_fit_for_people(page)


def test_pricing_page_leads_to_signup_with_the_chosen_plan(live_server, org_a):
    from plans.migrations._seed import seed_plans

    seed_plans()
    port = live_server.url.rsplit(":", 1)[1]
    with chromium_page() as page:
        page.goto(f"http://localhost:{port}/tarifs/")
        text = page.locator("main").inner_text().replace("\u00a0", " ").replace("\u202f", " ")
        assert "100 crédits offerts" in text and "Sur devis" in text and "0,70 €" in text and "Document de synthèse" in text
        assert_page_fit_for_people(page)
        page.get_by_role("link", name="Choisir Professional").click()
        page.wait_for_url("**/inscription/?formule=professional")
        assert "Formule choisie : Professional" in page.locator("main").inner_text()
        assert_page_fit_for_people(page)
