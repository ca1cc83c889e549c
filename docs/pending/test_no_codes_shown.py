"""No page shows a developer code to a person (issue 10, point 8 and "words for people"): with
the demonstration data, the main pages of each role, in a real Chromium, show French words only
(no `organisation.created`, `consultant_minor_change`…), have no duplicate ids and no axe-core
violation. Every finding of every page is collected before the assertion, so one run lists
all that remains to fix."""
from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from tests.conftest import client_for
from tests.journeys.browser import DESKTOP, axe_violations, chromium_page, codes_shown, duplicate_ids
from tests.organisations.factories import totp_enable
from tests.ai.conftest import _rome_session, rome  # noqa: F401  (shared fixtures)
from tests.tenants.test_seed_demo import demo_seeded  # noqa: F401  (shared fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _codes_shown(page) -> list[str]:
    """``codes_shown``, without the local part of e-mail addresses (``claire.martin@demo.fr`` is
    an address a person reads, not a code)."""
    local_parts = {address.split("@")[0] for address in EMAIL.findall(page.locator("body").inner_text())}
    return [code for code in codes_shown(page) if code not in local_parts]


def _session_cookies(organisation, user) -> list[dict]:
    """A logged-in session of ``user`` as browser cookies (the login form itself is tested
    elsewhere), made before the browser starts: Playwright's loop forbids database calls."""
    client = client_for(organisation, user)
    connection.set_schema_to_public()
    return [{"name": name, "value": morsel.value} for name, morsel in client.cookies.items()]


def _paths(organisation) -> dict[str, tuple[object, list[str]]]:
    """For each role: the user and the main pages they use, on the demonstration data."""
    from bilans.assessments.models import Assessment, Result
    from bilans.documents.models import Document
    from bilans.models import Bilan
    from organisations.accounts.models import User

    with tenant_context(organisation):
        admin = User.objects.get(email="admin@demo.fr")
        totp_enable(admin)  # administrators must have two-factor authentication
        consultant = User.objects.get(email="claire.martin@demo.fr")
        conclusions = Bilan.objects.get(status="conclusions")
        finished = Bilan.objects.get(status="finished")
        in_review = Document.objects.filter(bilan=conclusions, status="review").first()
        result = Result.objects.filter(bilan=conclusions, instrument_code="riasec").first()
        # the beneficiary of the investigation phase has a questionnaire to fill in
        investigation = Bilan.objects.get(status="investigation", consultant=consultant)
        pending = Assessment.objects.filter(bilan=investigation, status="in_progress").first()
        beneficiary = investigation.beneficiary.user
        closed = Bilan.objects.get(status="closed")  # led by the same consultant as the conclusions
        staff_pages = [
            "/", "/beneficiaires/", f"/beneficiaires/{conclusions.beneficiary_id}/", "/bilans/", f"/bilans/{conclusions.pk}/",
            f"/bilans/{closed.pk}/", "/documents/", f"/documents/bilan/{conclusions.pk}/",
            f"/bilans/{conclusions.pk}/questionnaires/", f"/bilans/{conclusions.pk}/projets/", f"/bilans/{conclusions.pk}/pistes/",
            "/credits/", "/rendez-vous/", "/notifications/",
        ]
        if in_review is not None:
            staff_pages.append(f"/documents/{in_review.pk}/")
        if result is not None:
            staff_pages.append(f"/resultats/{result.pk}/")
        admin_pages = staff_pages + [
            f"/bilans/{finished.pk}/", "/credits/historique/", "/organisation/membres/", "/organisation/journal/", "/qualite/", "/pilotage/", "/facturation/",
            "/facturation/documents/", f"/facturation/bilan/{finished.pk}/",
        ]
        consultant_pages = staff_pages + ["/pilotage/consultant/", "/suivi-questionnaires/", "/messages/"]
        beneficiary_pages = ["/", "/mon-bilan/", "/mes-documents/", "/messages/", "/mes-questionnaires/", "/mes-projets/", "/rendez-vous/", "/mon-bilan/factures/"]
        if pending is not None:
            beneficiary_pages.append(f"/questionnaires/{pending.pk}/")
        employee = finished.beneficiary.user
    return {
        "administratrice": (admin, admin_pages),
        "consultante": (consultant, consultant_pages),
        "bénéficiaire (investigation)": (beneficiary, beneficiary_pages),
        "bénéficiaire (bilan terminé)": (employee, ["/", "/mon-bilan/", "/mes-documents/", "/mon-bilan/satisfaction/"]),
    }


def _independent_paths(organisation) -> dict[str, tuple[object, list[str]]]:
    from bilans.models import Bilan
    from organisations.accounts.models import User

    with tenant_context(organisation):
        marie = User.objects.get(email="marie@lambert-conseil.fr")
        totp_enable(marie)
        investigation = Bilan.objects.get(status="investigation")
        pages = [
            "/", "/beneficiaires/", "/bilans/", f"/bilans/{investigation.pk}/", "/documents/", "/credits/", "/credits/historique/",
            "/facturation/", "/rendez-vous/", "/organisation/journal/",
        ]
    return {"indépendante": (marie, pages)}


def test_main_pages_of_every_role_show_no_code(rome, live_server, demo_seeded):  # noqa: F811
    from django.conf import settings

    demo, independent = demo_seeded
    port = live_server.url.rsplit(":", 1)[1]
    visits = []
    for organisation, paths in ((demo, _paths(demo)), (independent, _independent_paths(independent))):
        base = f"http://{organisation.slug}.{settings.PLATFORM_DOMAIN}:{port}"
        for role, (user, pages) in paths.items():
            visits.append((role, base, _session_cookies(organisation, user), pages))
    findings = []
    with chromium_page(viewport=DESKTOP) as page:
        for role, base, cookies, paths in visits:
            page.context.clear_cookies()
            page.context.add_cookies([{**cookie, "url": f"{base}/"} for cookie in cookies])
            for path in paths:
                response = page.goto(f"{base}{path}")
                page.wait_for_load_state()
                status = response.status if response else 0
                if status >= 400 or "/accounts/" in page.url:
                    findings.append(f"[{role}] {path}: HTTP {status} at {page.url}")
                    continue
                codes, duplicated, violations = _codes_shown(page), duplicate_ids(page), axe_violations(page)
                if codes:
                    findings.append(f"[{role}] {path}: developer codes shown: {codes}")
                if duplicated:
                    findings.append(f"[{role}] {path}: duplicate ids: {duplicated}")
                for violation in violations:
                    findings.append(f"[{role}] {path}: axe: {violation}")
    assert not findings, "\n" + "\n".join(findings)
