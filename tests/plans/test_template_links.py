"""Links built in templates keep their identifiers (a UUID added to a string with ``add`` used
to give an empty string: "Marquer payée" posted to "/payee/", "Voir les pistes métiers" went to
"/pistes/"), and the credit screens show French labels, never tariff codes."""
from __future__ import annotations

import re

from plans.services import credits_charge
from tests.plans.helpers import bilan_with_forfait


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_empty_projects_page_links_to_this_bilans_career_paths(cast_a, bilans_a):
    mine, _ = bilans_a
    html = cast_a.client(cast_a.consultant).get(f"/bilans/{mine.pk}/projets/").content.decode()
    assert "Voir les pistes métiers" in html
    assert f'href="/bilans/{mine.pk}/pistes/"' in html and 'href="/pistes/"' not in html


def test_beneficiary_accessibility_form_posts_to_their_file(cast_a):
    html = cast_a.client(cast_a.beneficiary_user).get("/mon-dossier/").content.decode()
    assert f'action="/beneficiaires/{cast_a.beneficiary.pk}/accessibilite/"' in html


def test_credit_screens_show_labels_not_codes(cast_a, bilans_a, staff_user):
    from tests.conftest import client_for

    mine, _ = bilans_a
    org = cast_a.organisation
    bilan_with_forfait(org, mine.pk, "essentiel")
    credits_charge(organisation=org, bilan_id=mine.pk, action_code="consultant_minor_change", actor=cast_a.consultant, idempotency_key="l1")
    pages = [
        cast_a.client(cast_a.admin).get("/credits/historique/"),
        cast_a.client(cast_a.admin).get("/credits/"),
        cast_a.client(cast_a.consultant).get(f"/credits/bilans/{mine.pk}/"),
        client_for(None, staff_user).get(f"/console/credits/organisations/{org.pk}/"),
    ]
    for page in pages:
        text = _visible(page.content.decode())
        assert page.status_code == 200
        assert "consultant_minor_change" not in text and not re.search(r"\bessentiel\b", text)
    assert "Modification mineure" in pages[0].content.decode() and "Forfait Essentiel" in pages[0].content.decode()
    assert "Forfait Essentiel" in pages[1].content.decode()
    export = cast_a.client(cast_a.admin).get("/credits/historique/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "Modification mineure" in export and "consultant_minor_change" in export  # codes stay beside the labels
