"""Shared tools for the browser journeys: Debian's Chromium driven by Playwright, axe-core checks
and the scan for developer codes shown to people."""
from __future__ import annotations

import re
import shutil
from contextlib import contextmanager

from axe_playwright_python.sync_playwright import Axe

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

# A developer code shown as text: `organisation.created`, `consultant_minor_change`,
# `feature_not_in_forfait`. Words joined by dots or underscores, lower case, at least two parts.
CODE_PATTERN = re.compile(r"\b[a-z][a-z0-9]*(?:[._][a-z0-9]+){1,}\b")
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Things that look like codes but are what a person expects to read.
ALLOWED_CODE_LIKE = re.compile(r"^(?:[\w.-]+\.(?:fr|com|test|demo|localhost|org|net|pdf|csv|zip|txt|xml|ics)|www\..*)$")

_axe = Axe()


@contextmanager
def chromium_page(*, viewport: dict | None = None):
    """A fresh French browser context; yields its page."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required: run `make browser`"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=viewport or DESKTOP)
        context.set_default_timeout(20_000)
        try:
            yield context.new_page()
        finally:
            browser.close()


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current page, one readable line each (rule, impact, targets)."""
    results = _axe.run(page)
    lines = []
    for violation in results.response.get("violations", []):
        targets = [", ".join(node.get("target", [])) for node in violation.get("nodes", [])][:5]
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation.get('help')} -> {targets}")
    return lines


def duplicate_ids(page) -> list[str]:
    """Ids used more than once (axe-core 4.8+ no longer reports them; labels then point at the wrong field)."""
    return page.evaluate(
        """() => { const seen = {}; document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
               return Object.keys(seen).filter(k => seen[k] > 1).sort(); }"""
    )


def codes_shown(page) -> list[str]:
    """Developer codes in the page's visible text (not in attributes, scripts or form values)."""
    text = EMAIL_PATTERN.sub(" ", page.locator("body").inner_text())  # "claire.martin@demo.fr" is not a code
    return sorted({match for match in CODE_PATTERN.findall(text) if not ALLOWED_CODE_LIKE.match(match)})


def assert_page_fit_for_people(page) -> None:
    """Every page of a journey: 0 axe violations (duplicate ids included) and no developer code."""
    violations = axe_violations(page)
    assert not violations, f"{page.url}: accessibility violations:\n" + "\n".join(violations)
    duplicated = duplicate_ids(page)
    assert not duplicated, f"{page.url}: duplicate ids: {duplicated}"
    codes = codes_shown(page)
    assert not codes, f"{page.url}: developer codes shown to people: {codes}"
